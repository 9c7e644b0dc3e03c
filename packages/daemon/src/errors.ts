/**
 * The agent's errors, named by what the caller does next (STYLE.md, "Errors"). A plain Error
 * (network trouble, a server not up yet) is retried; FatalError is a refusal the operator must
 * fix: `run` prints it and exits 2. A Docker failure is runtime/types.ts's RuntimeError, reported
 * as the job's failure reason.
 */

/** A failure the operator must fix; the daemon prints it and exits. */
export class FatalError extends Error {}
