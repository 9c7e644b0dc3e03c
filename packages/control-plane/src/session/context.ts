/**
 * What the hub's parts share: the live sessions, the clock, the dispatcher's trigger and the
 * change events. AgentHub (hub.ts) wires one of these; the frame handlers, the dispatcher, the
 * clocks and the change routing each take it instead of the hub itself.
 */
import { PROTOCOL_VERSION, type AttemptKey, type ServerFrame } from "@outpost/shared";
import type { Deps } from "../deps.js";
import type { AttemptRef } from "../modules/dispatch/dispatch-attempts.js";
import type { Session } from "./session.js";

/** How long an agent gets between SIGTERM and SIGKILL on cancel. */
export const CANCEL_GRACE_S = 10;

export interface HubContext {
  readonly deps: Deps;
  readonly sessions: Map<string, Session>;
  readonly leaseMs: number;
  now(): string;
  /** Runs one dispatch pass on the next tick (dispatcher.ts): for this session only, or every ready one. */
  scheduleDispatch(session?: Session): void;
  /** A job this session touched changed: one job.updated event (change-routing.ts). */
  jobChanged(s: Session, jobId: string, status?: string): void;
  /** This session's agent changed: one agent.updated event, marked as the session's own. */
  agentChanged(s: Session): void;
}

export function ref(session: Session, f: AttemptKey): AttemptRef {
  return { jobId: f.job_id, attempt: f.attempt, agentId: session.agentId };
}

export function stale(session: Session, f: AttemptKey): void {
  session.send({ v: PROTOCOL_VERSION, type: "stale", job_id: f.job_id, attempt: f.attempt, message: `attempt ${f.attempt} of job ${f.job_id} is not live on this agent; stop it` } satisfies ServerFrame);
}

/** Tells the agent to stop an attempt: `errorReason` is the job's (timeout when the server's clock asked). */
export function sendCancel(s: Session, jobId: string, attempt: number, errorReason: string | null): void {
  s.send({ v: PROTOCOL_VERSION, type: "cancel", job_id: jobId, attempt, reason: errorReason === "timeout" ? "timeout" : "cancelled", grace_s: CANCEL_GRACE_S } satisfies ServerFrame);
}
