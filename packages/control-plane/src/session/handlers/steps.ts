/** steps: the attempt's step list as the agent sees it. */
import { recordSteps } from "../../modules/dispatch/dispatch-outputs.js";
import { ref, stale } from "../context.js";
import type { Handler } from "./handler.js";

export const steps: Handler<"steps"> = (ctx, s, f) => {
  if (recordSteps(ctx.deps.db, ref(s, f), f.steps, ctx.now()) === "stale") return stale(s, f);
  ctx.jobChanged(s, f.job_id);
};
