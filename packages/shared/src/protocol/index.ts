/**
 * Wire protocol between outpost-agent and outpost-server over one WebSocket
 * (/api/v1/agent/session, subprotocol SUBPROTOCOL). Every frame is one JSON text message matching
 * AgentFrame (agent to server) or ServerFrame (server to agent), checked on both ends.
 * docs/protocol.md is the prose version; keep the two in step.
 */
import { z } from "zod";
import { Limits } from "../api/common.js";
import { ModuleRef, HostOs } from "../api/agents.js";
import { JobProfile } from "../api/agent-profile.js";
import { JobErrorReason } from "../status/job-status.js";
import { StepStatus } from "../api/jobs.js";

export const PROTOCOL_VERSION = 1 as const;
export const SUBPROTOCOL = "outpost.agent.v1" as const;
export const SESSION_PATH = "/api/v1/agent/session" as const;

/**
 * Largest frame either side accepts (the server's ws maxPayload); a larger one closes the session
 * with 1009. The agent builds every frame within it (packages/daemon/src/jobs/frames.ts).
 */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Steps kept per job: the agent sends at most this many (the last a marker when it dropped some), the server stores at most this many. */
export const MAX_STEPS = 200;
/**
 * The step an agent reports while it pulls a job's missing image (running, then completed or
 * failed): a claimed job with this step running is in its `pulling` phase.
 */
export const PULLING_STEP = "Pulling image";
export const MAX_STEP_NAME = 200;
export const MAX_STEP_OUTPUT = 4096;
/** A report the server keeps: its JSON (serialized) and Markdown (UTF-8) together, in bytes. */
export const MAX_REPORT_BYTES = 256 * 1024;
/**
 * A peer silent for this many heartbeats is presumed gone: the server marks the agent Unknown and
 * closes the session; the agent redials (docs/protocol.md, "Heartbeat and liveness").
 */
export const SILENT_AFTER_PINGS = 3;
/** Largest log chunk payload the agent sends (bytes of data per chunk). */
export const MAX_LOG_CHUNK_BYTES = 64 * 1024;
/** Malformed frames tolerated per session before a policy close. */
export const MAX_BAD_FRAMES = 20;

/** Application close codes (RFC 6455 private range 4000-4999). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  /** The server could not store a frame (a full disk): reconnect and resend what is unacknowledged. */
  serverError: 1011,
  unauthorized: 4001,
  replaced: 4002,
  retired: 4003,
  unsupportedVersion: 4004,
  heartbeatTimeout: 4008,
} as const;

const JobId = z.string().min(1).max(64);
const Attempt = z.number().int().min(1);
const AttemptRef = { job_id: JobId, attempt: Attempt };
export const AttemptKey = z.object(AttemptRef);
export type AttemptKey = z.infer<typeof AttemptKey>;

// ---- agent to server ----

export const HelloFrame = z.object({
  type: z.literal("hello"),
  protocol_version: z.number().int(),
  version: z.string().max(64),
  slots: z.number().int().min(1).max(64),
  modules: z.array(ModuleRef).max(200),
  os: HostOs.optional(),
  /** Attempts this agent still holds (after a reconnect): the server renews or refuses each. */
  running: z.array(AttemptKey).max(64).default([]),
});

export const ReadyFrame = z.object({ type: z.literal("ready"), free_slots: z.number().int().min(0).max(64) });

export const AcceptFrame = z.object({ type: z.literal("accept"), ...AttemptRef });

export const RejectFrame = z.object({ type: z.literal("reject"), ...AttemptRef, reason: z.string().max(1000) });

export const StartedFrame = z.object({ type: z.literal("started"), ...AttemptRef, container_id: z.string().max(128) });

export const RenewFrame = z.object({ type: z.literal("renew"), leases: z.array(AttemptKey).max(64) });

export const LogChunkFrame = z.object({
  seq: z.number().int().min(0),
  /** `system`: the agent's own notes about the attempt (not the container's output). */
  stream: z.enum(["stdout", "stderr", "system"]),
  data: z.string().max(MAX_LOG_CHUNK_BYTES * 2),
});
export const LogsFrame = z.object({ type: z.literal("logs"), ...AttemptRef, chunks: z.array(LogChunkFrame).min(1).max(256) });

export const StepUpdate = z.object({
  name: z.string().min(1).max(MAX_STEP_NAME),
  status: StepStatus,
  output: z.string().max(MAX_STEP_OUTPUT).nullable().default(null),
});
export type StepUpdate = z.infer<typeof StepUpdate>;
export const StepsFrame = z.object({ type: z.literal("steps"), ...AttemptRef, steps: z.array(StepUpdate).max(MAX_STEPS) });

export const ReportFrame = z.object({
  type: z.literal("report"),
  ...AttemptRef,
  json: z.unknown().optional(),
  markdown: z.string().optional(),
});

export const FinishedFrame = z.object({
  type: z.literal("finished"),
  ...AttemptRef,
  outcome: z.enum(["completed", "failed", "cancelled"]),
  exit_code: z.number().int().nullable(),
  reason: JobErrorReason.nullable(),
  message: z.string().max(4000).nullable(),
  /** Highest log seq sent for this attempt, so the server knows the log is whole. */
  last_seq: z.number().int().min(-1).default(-1),
});

/** Which module request a progress or result frame answers: the server's request_id, echoed. */
const ModuleRequestRef = { request_id: z.string().min(1).max(64), name: ModuleRef.shape.name, version: ModuleRef.shape.version };

/** Pull progress of a module request; the agent sends at most 2 a second per request. */
export const ModuleProgressFrame = z.object({ type: z.literal("module_progress"), ...ModuleRequestRef, message: z.string().max(1000) });

/** A module request is over: the module is (or is no longer) installed, or nothing changed. */
export const ModuleResultFrame = z.object({
  type: z.literal("module_result"),
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

// ---- server to agent ----

export const ResumePoint = z.object({
  ...AttemptRef,
  next_seq: z.number().int().min(0),
  stdout_bytes: z.number().int().min(0),
  stderr_bytes: z.number().int().min(0),
});
export type ResumePoint = z.infer<typeof ResumePoint>;

export const WelcomeFrame = z.object({
  type: z.literal("welcome"),
  protocol_version: z.number().int(),
  agent_id: z.string(),
  heartbeat_s: z.number().positive(),
  lease_ttl_s: z.number().positive(),
  max_frame_bytes: z.number().int(),
  server_time: z.string(),
  /**
   * For each attempt in hello.running that is still live: where its stored log ends, so an agent
   * that restarted and re-attached to the container resumes without a gap or a duplicate.
   */
  resume: z.array(ResumePoint).default([]),
});

export const AssignFrame = z.object({
  type: z.literal("assign"),
  ...AttemptRef,
  lease_expires_at: z.string(),
  module: z.string(),
  version: z.string(),
  function: z.string(),
  image: z.string(),
  command: z.array(z.string()).min(1),
  inputs: z.record(z.string(), z.unknown()),
  limits: Limits,
  timeout_s: z.number().int().nullable(),
  cancel_grace_s: z.number().int().min(0),
  /**
   * The agent's profile as of the claim: the job sees it as /outpost/in/agent.json, soul.md and
   * rules.md, OUTPOST_AUTONOMY_LEVEL and OUTPOST_MODELS. Optional on the wire (a field added within
   * v1): this server always sends it; from an older server the job gets no profile files.
   */
  profile: JobProfile.optional(),
});
export type AssignFrame = z.infer<typeof AssignFrame>;

export const RenewedFrame = z.object({
  type: z.literal("renewed"),
  leases: z.array(z.object({ ...AttemptRef, lease_expires_at: z.string() })),
});

export const CancelFrame = z.object({
  type: z.literal("cancel"),
  ...AttemptRef,
  reason: z.enum(["cancelled", "timeout"]),
  grace_s: z.number().int().min(0),
});

/** This attempt is no longer the job's live one: stop its container and forget it. */
export const StaleFrame = z.object({ type: z.literal("stale"), ...AttemptRef, message: z.string() });

export const LogsAckFrame = z.object({ type: z.literal("logs_ack"), ...AttemptRef, acked_seq: z.number().int() });

/** The result is recorded: the agent may now remove the container. */
export const FinishedAckFrame = z.object({ type: z.literal("finished_ack"), ...AttemptRef, status: z.string() });

export const ErrorFrame = z.object({
  type: z.literal("error"),
  code: z.string(),
  message: z.string(),
  /** The offending frame's type, when it had one. */
  frame_type: z.string().nullable().default(null),
});

/**
 * Install (pull the image, then record the module) or remove a module version on this agent. An
 * install of a name the agent already has replaces that version (an update).
 */
export const ModuleFrame = z.object({
  type: z.literal("module"),
  action: z.enum(["install", "remove"]),
  ...ModuleRequestRef,
  /** "" for a module without an image of its own: nothing to pull. */
  image: z.string().max(512),
});
export type ModuleFrame = z.infer<typeof ModuleFrame>;

/**
 * Replace yourself with the control plane's agent binary (`/downloads/outpost-agent-linux-x64`)
 * and come back: the agent drains, leaves an upgrade request in its data dir and exits 75; the
 * service's privileged ExecStartPre (`outpost-agent upgrade --if-requested`) downloads, verifies and
 * installs the binary before systemd starts the agent again, whose hello then carries `version`.
 */
export const UpgradeFrame = z.object({ type: z.literal("upgrade"), version: z.string().min(1).max(64) });
export type UpgradeFrame = z.infer<typeof UpgradeFrame>;

export const ServerFrame = z.discriminatedUnion("type", [
  WelcomeFrame,
  AssignFrame,
  RenewedFrame,
  CancelFrame,
  StaleFrame,
  LogsAckFrame,
  FinishedAckFrame,
  ErrorFrame,
  ModuleFrame,
  UpgradeFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

export type FrameOf<F extends { type: string }, T extends F["type"]> = Extract<F, { type: T }>;

/** Parses one text message; never throws. The error names the field and the value. */
export function parseFrame<S extends z.ZodType>(schema: S, raw: string): { ok: true; frame: z.infer<S> } | { ok: false; type: string | null; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, type: null, message: "frame is not valid JSON" };
  }
  const type = typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string" ? (value as { type: string }).type : null;
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join(".") || "frame";
  return { ok: false, type, message: `${path}: ${issue.message}` };
}
