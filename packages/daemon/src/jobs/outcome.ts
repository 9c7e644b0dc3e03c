/**
 * How an attempt whose container exited is reported: the first that applies of shutdown (the
 * agent stopped it while draining), cancel (a cancel or timeout from the server), OOM kill,
 * outputs overflow, exit 0, any other exit code. Every failure names its reason and says why in
 * the message.
 */
import type { AgentFrame, FrameOf } from "@outpost/shared";
import type { ExitResult, JobOutputs } from "../runtime/types.js";

export type Outcome = Omit<FrameOf<AgentFrame, "finished">, "v" | "type" | "job_id" | "attempt" | "last_seq">;

export type Ending = {
  exit: ExitResult;
  outputs: JobOutputs;
  /** The message when the agent stopped the attempt because it was shutting down. */
  shutdown?: string;
  /** Set when the server asked for the stop. */
  cancel?: { reason: "cancelled" | "timeout" } | null;
  /** The job's mem_limit ("64m"), named in an OOM kill's message when known. */
  memLimit?: string;
};

export function outcomeOf(e: Ending): Outcome {
  const exitCode = e.exit.exitCode;
  if (e.shutdown) return { outcome: "failed", exit_code: exitCode, reason: "agent_lost", message: e.shutdown };
  if (e.cancel) return { outcome: "cancelled", exit_code: exitCode, reason: "cancelled", message: e.cancel.reason === "timeout" ? "stopped: the job timed out" : "stopped on request" };
  if (e.exit.oomKilled) return { outcome: "failed", exit_code: exitCode, reason: "oom_killed", message: `killed by the kernel: over its memory limit${e.memLimit ? ` of ${e.memLimit}` : ""}` };
  if (e.outputs.overflow) return { outcome: "failed", exit_code: exitCode, reason: "outputs_exceeded", message: e.outputs.overflow };
  if (exitCode === 0) return { outcome: "completed", exit_code: 0, reason: null, message: null };
  return { outcome: "failed", exit_code: exitCode, reason: "exit_code", message: `the command exited with code ${exitCode}` };
}
