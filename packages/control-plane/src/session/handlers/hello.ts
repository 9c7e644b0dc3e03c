/** hello: the session's first frame. Resumes the attempts the agent still holds; welcome. */
import { CLOSE, MAX_FRAME_BYTES, PROTOCOL_VERSION, pingEveryMs, type ResumePoint, type ServerFrame } from "@outpost/shared";
import { syncModules } from "../../modules/agents/agents.service.js";
import { settleOpenRequests } from "../../modules/agents/agent-modules.js";
import { renewLease } from "../../modules/dispatch/dispatch-attempts.js";
import { declareForgotten } from "../../modules/dispatch/dispatch-leases.js";
import { logResumePoint } from "../../modules/dispatch/dispatch-outputs.js";
import { ref, stale } from "../context.js";
import { markConnected } from "../presence.js";
import type { Handler } from "./handler.js";

export const hello: Handler<"hello"> = (ctx, s, f) => {
  if (f.protocol_version !== PROTOCOL_VERSION) {
    s.ws.close(CLOSE.unsupportedVersion, `protocol version ${f.protocol_version} is not supported; this server speaks ${PROTOCOL_VERSION}`);
    return;
  }
  const at = ctx.now();
  const { db } = ctx.deps;
  settleOpenRequests(db, s.agentId, f.modules, at);
  syncModules(db, s.agentId, f.modules, at);
  // Attempts the agent still holds get a fresh lease; live ones it no longer holds are lost now.
  const held = new Set(f.running.map((r) => `${r.job_id}:${r.attempt}`));
  const resume: ResumePoint[] = [];
  for (const r of f.running) {
    const renewed = renewLease(db, ref(s, r), at, ctx.leaseMs);
    if (renewed.status === "stale") stale(s, r);
    else resume.push({ job_id: r.job_id, attempt: r.attempt, ...logResumePoint(db, r.job_id, r.attempt) });
  }
  for (const id of declareForgotten(db, s.agentId, held, at).lost) ctx.jobChanged(s, id);
  markConnected(db, s.agentId, at, f);
  s.said = true;
  s.freeSlots = Math.max(0, f.slots - f.running.length);
  s.send({
    v: PROTOCOL_VERSION,
    type: "welcome",
    protocol_version: PROTOCOL_VERSION,
    agent_id: s.agentId,
    heartbeat_s: ctx.deps.config.heartbeatS,
    ping_every_s: s.startPings(pingEveryMs(ctx.sessions.size, ctx.deps.config.heartbeatS * 1000)) / 1000,
    lease_ttl_s: ctx.deps.config.leaseTtlS,
    max_frame_bytes: MAX_FRAME_BYTES,
    server_time: at,
    resume,
  } satisfies ServerFrame);
  ctx.agentChanged(s);
  ctx.scheduleDispatch(s);
};
