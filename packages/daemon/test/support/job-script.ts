/**
 * What a test job does, as data, so one description runs on every runtime: the contract suite and
 * the runner's tests write jobs as a list of acts, and each runtime gets its own command for it:
 * a busybox shell script for Docker (`shellCommand`), the acts themselves for the in-memory
 * runtime (`memoryCommand`, which memory-runtime.ts runs).
 */

export type Act =
  /** Prints text on stdout / stderr (as is: add the newline). */
  | { out: string }
  | { err: string }
  /** Sleeps this many seconds (fractions allowed). */
  | { sleep: number }
  /** Writes a file in /outpost/out: the text, or `bytes` times "x". */
  | { write: string; text?: string; bytes?: number }
  /** From here on, SIGTERM is ignored, or ends the job with this code. */
  | { onTerm: "ignore" | { exit: number } }
  /** Waits until stopped. */
  | { wait: "forever" }
  /** Allocates memory until the kernel kills it. */
  | { eatMemory: true }
  /** Exits with this code (the job exits 0 after its last act otherwise). */
  | { exit: number };

/** argv[0] of a job the in-memory runtime runs; any other command is "not found" there, as in an image without it. */
export const MEMORY_JOB = "outpost-memory-job";

export function memoryCommand(acts: Act[]): string[] {
  return [MEMORY_JOB, JSON.stringify(acts)];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The acts as `sh -c` for the busybox test image. */
export function shellCommand(acts: Act[]): string[] {
  const lines = acts.map((a): string => {
    if ("out" in a) return `printf '%s' ${quote(a.out)}`;
    if ("err" in a) return `printf '%s' ${quote(a.err)} >&2`;
    if ("sleep" in a) return `sleep ${a.sleep}`;
    if ("write" in a) {
      const file = quote(`/outpost/out/${a.write}`);
      return a.bytes !== undefined ? `head -c ${a.bytes} /dev/zero | tr '\\0' x > ${file}` : `printf '%s' ${quote(a.text ?? "")} > ${file}`;
    }
    if ("onTerm" in a) return a.onTerm === "ignore" ? "trap '' TERM" : `trap 'exit ${a.onTerm.exit}' TERM`;
    if ("wait" in a) return "sleep 300 & wait";
    if ("eatMemory" in a) return "a=x; while true; do a=$a$a; done";
    return `exit ${a.exit}`;
  });
  return ["sh", "-c", lines.join("; ")];
}
