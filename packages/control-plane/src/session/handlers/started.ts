/** started: the attempt's container runs. */
import { startAttempt } from "../../modules/dispatch/dispatch-attempts.js";
import { ref, stale } from "../context.js";
import type { Handler } from "./handler.js";

export const started: Handler<"started"> = (ctx, s, f) => {
  const status = startAttempt(ctx.deps.db, ref(s, f), ctx.now(), ctx.leaseMs, f.container_id);
  if (status === "stale") return stale(s, f);
  ctx.jobChanged(s, f.job_id, status);
  ctx.agentChanged(s);
};
