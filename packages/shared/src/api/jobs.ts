import { z } from "zod";
import { JOB_STATUSES, JobErrorReason, JobStatus } from "../status/job-status.js";
import { Id, Labels, LimitsOverride, OrgRef, PageQuery, Timestamp, commaListOf, plain, success, successList } from "./common.js";
import { ModuleName } from "./agents.js";
import { FunctionName, RetryPolicy } from "./modules.js";

export const TRIGGER_SOURCES = ["manual", "api", "schedule", "webhook", "event", "copilot"] as const;
export const TriggerSource = z.enum(TRIGGER_SOURCES);
export type TriggerSource = z.infer<typeof TriggerSource>;

/**
 * Who started a run is the server's to say, from the credential that creates the job (docs/api.md,
 * "Run provenance"); a body that tries to set it is refused, naming the field.
 */
const SetByServer = z.never({ error: "is set by the server from the credential that creates the job; do not send it" }).optional();

/** The fields of a job request, before the rule between them: POST /api/v1/jobs, a trigger's target. */
export const JobFields = z.object({
  module: ModuleName,
  /** An exact version or a semver range; the highest published match is used. Default: latest. */
  version: plain(z.string().min(1).max(100)).optional(),
  function: FunctionName,
  inputs: z.record(z.string(), z.unknown()).default({}),
  pool_id: Id.optional(),
  agent_id: Id.optional(),
  /** Labels the agent must carry (with the pool's, which this overrides key by key). */
  labels: Labels.optional(),
  limits: LimitsOverride.optional(),
  timeout_s: z.number().int().min(1).max(7 * 24 * 3600).optional(),
  max_attempts: z.number().int().min(1).max(20).default(3),
  priority: z.number().int().min(-100).max(100).default(0),
  /** Retry failed attempts with backoff; overrides max_attempts. Default: the function's, else none. */
  retry: RetryPolicy.optional(),
  trigger_source: SetByServer,
  triggered_by: SetByServer,
  trigger_id: SetByServer,
  org: OrgRef.optional(),
});

/** A job goes to a pool or to a named agent, never both. */
export function onePlacement<T extends z.ZodType<{ pool_id?: string; agent_id?: string }>>(schema: T): T {
  return schema.refine((b) => !(b.pool_id && b.agent_id), { message: "give pool_id or agent_id, not both", path: ["agent_id"] });
}

export const CreateJobBody = onePlacement(JobFields);
export type CreateJobBody = z.infer<typeof CreateJobBody>;

export const JobError = z.object({
  reason: JobErrorReason,
  message: z.string(),
  step: z.string().nullable().optional(),
});
export type JobError = z.infer<typeof JobError>;

export const AttemptOutcome = z.enum(["running", "completed", "failed", "cancelled", "lost", "released"]);
export const JobAttempt = z.object({
  attempt: z.number().int(),
  agent_id: Id,
  agent_name: z.string().nullable(),
  claimed_at: Timestamp,
  started_at: Timestamp.nullable(),
  ended_at: Timestamp.nullable(),
  outcome: AttemptOutcome,
  exit_code: z.number().int().nullable(),
  error: JobError.nullable(),
});
export type JobAttempt = z.infer<typeof JobAttempt>;

export const StepStatus = z.enum(["pending", "running", "completed", "failed", "skipped"]);
export const JobStep = z.object({
  name: z.string(),
  status: StepStatus,
  started_at: Timestamp.nullable(),
  ended_at: Timestamp.nullable(),
  output: z.string().nullable(),
});
export type JobStep = z.infer<typeof JobStep>;

export const Job = z.object({
  id: Id,
  org_id: Id,
  module: z.string(),
  version: z.string(),
  function: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  pool_id: Id.nullable(),
  pool_name: z.string().nullable(),
  /** The agent the job was sent to, else the agent of the current attempt. */
  agent_id: Id.nullable(),
  agent_name: z.string().nullable(),
  target_agent_id: Id.nullable(),
  /** Labels the claiming agent must carry: the pool's at creation, then the job's own. */
  required_labels: z.record(z.string(), z.string()),
  status: JobStatus,
  /**
   * Where a live job is: `queued` (pending), `pulling` (claimed, its agent pulling the image),
   * `starting` (claimed, creating the container), `running`; null once it ended.
   */
  phase: z.enum(["queued", "pulling", "starting", "running"]).nullable(),
  waiting_reason: z.string().nullable(),
  attempt: z.number().int(),
  max_attempts: z.number().int(),
  attempts: z.array(JobAttempt),
  exit_code: z.number().int().nullable(),
  error: JobError.nullable(),
  limits: LimitsOverride,
  timeout_s: z.number().int().nullable(),
  priority: z.number().int(),
  trigger_source: TriggerSource,
  triggered_by: z.string(),
  /** The trigger that started the job, when one did (schedule, webhook, event). */
  trigger_id: Id.nullable(),
  /** How many event triggers led to this job; a chain stops at the server's limit (default 5). */
  chain_depth: z.number().int(),
  /** The job this one re-runs, if it is a re-run. */
  rerun_of: Id.nullable(),
  retry: RetryPolicy.nullable(),
  /** While `retrying`: when the job goes back to the queue (error holds the failed attempt's reason). */
  retry_at: Timestamp.nullable(),
  steps: z.array(JobStep),
  has_report: z.boolean(),
  inserted_at: Timestamp,
  claimed_at: Timestamp.nullable(),
  started_at: Timestamp.nullable(),
  completed_at: Timestamp.nullable(),
  duration_ms: z.number().int().nullable(),
  updated_at: Timestamp,
});
export type Job = z.infer<typeof Job>;
export const JobResponse = success(Job);
export const JobListResponse = successList(Job);

export const JOB_SORTS = ["inserted_at", "status", "completed_at"] as const;
export const JobListQuery = PageQuery.extend({
  sort: z.enum(JOB_SORTS).default("inserted_at"),
  order: z.enum(["asc", "desc"]).default("desc"),
  status: commaListOf(JOB_STATUSES, "status").optional(),
  agent_id: Id.optional(),
  trigger_source: TriggerSource.optional(),
  pool_id: Id.optional(),
  org: OrgRef.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export type JobListQuery = z.infer<typeof JobListQuery>;

export const DeleteJobsBody = z.object({ ids: z.array(Id).min(1).max(500) });
/** Re-run or cancel several jobs at once. */
export const JobIdsBody = z.object({ ids: z.array(Id).min(1).max(100) }).strict();
export const RerunJobsResponse = success(z.object({ created: z.array(Job), not_found: z.array(Id) }));
export const CancelJobsResponse = success(z.object({ cancelled: z.array(Id), not_found: z.array(Id), refused: z.array(z.object({ id: Id, message: z.string() })) }));
export const DeleteJobsResponse = success(z.object({ deleted: z.array(Id), not_found: z.array(Id) }));

export const LogChunk = z.object({
  attempt: z.number().int(),
  seq: z.number().int(),
  stream: z.enum(["stdout", "stderr", "system"]),
  data: z.string(),
  at: Timestamp,
});
export type LogChunk = z.infer<typeof LogChunk>;
export const JobLogsResponse = successList(LogChunk);

export const JobReport = z.object({
  job_id: Id,
  /** Any JSON value, or null without a JSON report (unknown holds null: `.nullable()` would be an anyOf with an empty schema). */
  json: z.unknown(),
  markdown: z.string().nullable(),
  updated_at: Timestamp,
});
export const JobReportResponse = success(JobReport);
