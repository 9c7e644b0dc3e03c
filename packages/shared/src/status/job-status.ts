/**
 * Job (console: "run") statuses and their allowed transitions. Terminal statuses never lead
 * anywhere: a finished job never becomes live again; a retry is a new attempt of a live job.
 */
import { z } from "zod";

export const JOB_STATUSES = [
  "pending",
  "claimed",
  "running",
  "cancelling",
  "completed",
  "failed",
  "cancelled",
  "retrying",
] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

export const TERMINAL_JOB_STATUSES = ["completed", "failed", "cancelled"] as const;
/** Holding an agent slot. */
export const ACTIVE_JOB_STATUSES = ["claimed", "running", "cancelling"] as const;
/** Waiting for an agent. */
export const QUEUED_JOB_STATUSES = ["pending", "retrying"] as const;

export const JOB_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  pending: ["claimed", "cancelled", "failed"],
  claimed: ["running", "pending", "cancelling", "cancelled", "failed", "retrying", "completed"],
  running: ["completed", "failed", "cancelling", "retrying"],
  cancelling: ["cancelled", "completed", "failed"],
  retrying: ["pending", "cancelled", "failed"],
  completed: [],
  failed: [],
  cancelled: [],
};

export function canTransitionJob(from: JobStatus, to: JobStatus): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

export function jobStatusesLeadingTo(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => canTransitionJob(from, to));
}

export function isTerminalJobStatus(status: JobStatus): boolean {
  return (TERMINAL_JOB_STATUSES as readonly string[]).includes(status);
}

/** Why a job ended failed or cancelled; shown as error.reason. */
export const JOB_ERROR_REASONS = [
  "exit_code",
  "oom_killed",
  /** The job filled its outputs dir (/outpost/out); its writes past the cap were refused. */
  "outputs_exceeded",
  "timeout",
  "agent_lost",
  "image",
  "create",
  "start",
  "cancelled",
  "stale_attempt",
  "internal",
] as const;
export const JobErrorReason = z.enum(JOB_ERROR_REASONS);
export type JobErrorReason = z.infer<typeof JobErrorReason>;

/** The console's run labels (agent-runs.txt) for each job status. */
export const RUN_STATUS_LABEL: Record<JobStatus, string> = {
  pending: "Pending",
  claimed: "Claimed",
  running: "Running",
  cancelling: "Cancelling",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  retrying: "Retrying",
};
