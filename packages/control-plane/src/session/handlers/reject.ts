/** reject: the agent refused an assign before creating anything; the job is pending again. */
import { releaseClaim } from "../../modules/dispatch/dispatch-claim.js";
import type { Handler } from "./handler.js";

export const reject: Handler<"reject"> = (ctx, s, f) => {
  const at = ctx.now();
  if (releaseClaim(ctx.deps.db, f.job_id, f.attempt, s.agentId, f.reason, at)) {
    ctx.jobChanged(s, f.job_id, "pending");
    ctx.agentChanged(s);
  }
};
