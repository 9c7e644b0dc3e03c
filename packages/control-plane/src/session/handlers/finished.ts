/** finished: the attempt's outcome; acknowledged once stored. */
import { PROTOCOL_VERSION, type ServerFrame } from "@outpost/shared";
import { finishAttempt } from "../../modules/dispatch/dispatch-attempts.js";
import { ref, stale } from "../context.js";
import type { Handler } from "./handler.js";

export const finished: Handler<"finished"> = (ctx, s, f) => {
  const status = finishAttempt(ctx.deps.db, ref(s, f), { outcome: f.outcome, exitCode: f.exit_code, reason: f.reason, message: f.message }, ctx.now());
  if (status === "stale") return stale(s, f);
  s.send({ v: PROTOCOL_VERSION, type: "finished_ack", job_id: f.job_id, attempt: f.attempt, status } satisfies ServerFrame);
  ctx.jobChanged(s, f.job_id, status);
  ctx.agentChanged(s);
};
