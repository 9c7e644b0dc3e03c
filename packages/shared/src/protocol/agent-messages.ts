/**
 * Frames from outpost-agent to outpost-server (AgentFrame), each in the envelope of envelope.ts.
 * docs/protocol.md, "Agent to server", is the prose version; keep the two in step.
 */
import { z } from "zod";
import { ModuleRef, HostOs } from "../api/agents.js";
import { JobErrorReason } from "../status/job-status.js";
import { StepStatus } from "../api/jobs.js";
import { MAX_LOG_CHUNK_BYTES, MAX_STEP_NAME, MAX_STEP_OUTPUT, MAX_STEPS, frameSchema } from "./envelope.js";

const JobId = z.string().min(1).max(64);
const Attempt = z.number().int().min(1);
/** The (job, attempt) pair every frame about a job names (docs/protocol.md, "Fencing"). */
export const AttemptRef = { job_id: JobId, attempt: Attempt };
export const AttemptKey = z.object(AttemptRef);
export type AttemptKey = z.infer<typeof AttemptKey>;

export const HelloFrame = frameSchema("hello", {
  protocol_version: z.number().int(),
  version: z.string().max(64),
  slots: z.number().int().min(1).max(64),
  modules: z.array(ModuleRef).max(200),
  os: HostOs.optional(),
  /** Attempts this agent still holds (after a reconnect): the server renews or refuses each. */
  running: z.array(AttemptKey).max(64).default([]),
});

export const ReadyFrame = frameSchema("ready", { free_slots: z.number().int().min(0).max(64) });

export const AcceptFrame = frameSchema("accept", { ...AttemptRef });

export const RejectFrame = frameSchema("reject", { ...AttemptRef, reason: z.string().max(1000) });

export const StartedFrame = frameSchema("started", { ...AttemptRef, container_id: z.string().max(128) });

export const RenewFrame = frameSchema("renew", { leases: z.array(AttemptKey).max(64) });

export const LogChunkFrame = z.object({
  seq: z.number().int().min(0),
  /** `system`: the agent's own notes about the attempt (not the container's output). */
  stream: z.enum(["stdout", "stderr", "system"]),
  data: z.string().max(MAX_LOG_CHUNK_BYTES * 2),
});
export const LogsFrame = frameSchema("logs", { ...AttemptRef, chunks: z.array(LogChunkFrame).min(1).max(256) });

export const StepUpdate = z.object({
  name: z.string().min(1).max(MAX_STEP_NAME),
  status: StepStatus,
  output: z.string().max(MAX_STEP_OUTPUT).nullable().default(null),
});
export type StepUpdate = z.infer<typeof StepUpdate>;
export const StepsFrame = frameSchema("steps", { ...AttemptRef, steps: z.array(StepUpdate).max(MAX_STEPS) });

export const ReportFrame = frameSchema("report", {
  ...AttemptRef,
  json: z.unknown().optional(),
  markdown: z.string().optional(),
});

export const FinishedFrame = frameSchema("finished", {
  ...AttemptRef,
  outcome: z.enum(["completed", "failed", "cancelled"]),
  exit_code: z.number().int().nullable(),
  reason: JobErrorReason.nullable(),
  message: z.string().max(4000).nullable(),
  /** Highest log seq sent for this attempt, so the server knows the log is whole. */
  last_seq: z.number().int().min(-1).default(-1),
});

/** Which module request a progress or result frame answers: the server's request_id, echoed. */
export const ModuleRequestRef = { request_id: z.string().min(1).max(64), name: ModuleRef.shape.name, version: ModuleRef.shape.version };

/** Pull progress of a module request; the agent sends at most 2 a second per request. */
export const ModuleProgressFrame = frameSchema("module_progress", { ...ModuleRequestRef, message: z.string().max(1000) });

/** A module request is over: the module is (or is no longer) installed, or nothing changed. */
export const ModuleResultFrame = frameSchema("module_result", {
  ...ModuleRequestRef,
  action: z.enum(["install", "remove"]),
  outcome: z.enum(["succeeded", "failed"]),
  /** On failure, the registry's or Docker's own message. */
  message: z.string().max(4000),
});

export const AgentFrame = z.discriminatedUnion("type", [
  HelloFrame,
  ReadyFrame,
  AcceptFrame,
  RejectFrame,
  StartedFrame,
  RenewFrame,
  LogsFrame,
  StepsFrame,
  ReportFrame,
  FinishedFrame,
  ModuleProgressFrame,
  ModuleResultFrame,
]);
export type AgentFrame = z.infer<typeof AgentFrame>;
