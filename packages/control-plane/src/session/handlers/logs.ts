/** logs: log chunks of an attempt, stored and acknowledged up to the last contiguous seq. */
import { PROTOCOL_VERSION, type ServerFrame } from "@outpost/shared";
import { appendLogs } from "../../modules/dispatch/dispatch-outputs.js";
import { ref, stale } from "../context.js";
import type { Handler } from "./handler.js";

export const logs: Handler<"logs"> = (ctx, s, f) => {
  const r = appendLogs(ctx.deps.db, ref(s, f), f.chunks, ctx.now());
  if (r === "stale") return stale(s, f);
  s.send({ v: PROTOCOL_VERSION, type: "logs_ack", job_id: f.job_id, attempt: f.attempt, acked_seq: r.acked } satisfies ServerFrame);
  if (r.stored > 0) ctx.deps.events.publish({ type: "job.log", id: f.job_id, org_id: s.orgId });
};
