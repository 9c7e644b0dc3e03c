/**
 * Frames from outpost-server to outpost-agent (ServerFrame), each in the envelope of envelope.ts.
 * docs/protocol.md, "Server to agent", is the prose version; keep the two in step.
 */
import { z } from "zod";
import { Limits } from "../api/common.js";
import { JobProfile } from "../api/agent-profile.js";
import { AttemptRef, ModuleRequestRef } from "./agent-messages.js";
import { WireErrorCode, frameSchema } from "./envelope.js";

export const ResumePoint = z.object({
  ...AttemptRef,
  next_seq: z.number().int().min(0),
  stdout_bytes: z.number().int().min(0),
  stderr_bytes: z.number().int().min(0),
});
export type ResumePoint = z.infer<typeof ResumePoint>;

export const WelcomeFrame = frameSchema("welcome", {
  protocol_version: z.number().int(),
  agent_id: z.string(),
  heartbeat_s: z.number().positive(),
  /**
   * The interval the server pings this session at until a ping names another (each ping's payload
   * is the interval in whole seconds): the heartbeat, or longer in a fleet over PINGS_PER_SECOND x
   * heartbeat sessions. Absent (an older server): the heartbeat.
   */
  ping_every_s: z.number().int().positive().optional(),
  lease_ttl_s: z.number().positive(),
  max_frame_bytes: z.number().int(),
  server_time: z.string(),
  /**
   * For each attempt in hello.running that is still live: where its stored log ends, so an agent
   * that restarted and re-attached to the container resumes without a gap or a duplicate.
   */
  resume: z.array(ResumePoint).default([]),
});

export const AssignFrame = frameSchema("assign", {
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

export const RenewedFrame = frameSchema("renewed", {
  leases: z.array(z.object({ ...AttemptRef, lease_expires_at: z.string() })),
});

export const CancelFrame = frameSchema("cancel", {
  ...AttemptRef,
  reason: z.enum(["cancelled", "timeout"]),
  grace_s: z.number().int().min(0),
});

/** This attempt is no longer the job's live one: stop its container and forget it. */
export const StaleFrame = frameSchema("stale", { ...AttemptRef, message: z.string() });

export const LogsAckFrame = frameSchema("logs_ack", { ...AttemptRef, acked_seq: z.number().int() });

/** The result is recorded: the agent may now remove the container. */
export const FinishedAckFrame = frameSchema("finished_ack", { ...AttemptRef, status: z.string() });

export const ErrorFrame = frameSchema("error", {
  code: WireErrorCode,
  message: z.string(),
  /** The offending frame's type, when it had one. */
  frame_type: z.string().nullable().default(null),
});

/**
 * Install (pull the image, then record the module) or remove a module version on this agent. An
 * install of a name the agent already has replaces that version (an update).
 */
export const ModuleFrame = frameSchema("module", {
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
export const UpgradeFrame = frameSchema("upgrade", { version: z.string().min(1).max(64) });
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
