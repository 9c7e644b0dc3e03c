/** accept: the agent took an assign; stale if the attempt is no longer its own. */
import { liveAttempt } from "../../modules/dispatch/dispatch-attempts.js";
import { ref, stale } from "../context.js";
import type { Handler } from "./handler.js";

export const accept: Handler<"accept"> = (ctx, s, f) => {
  if (!liveAttempt(ctx.deps.db, ref(s, f))) stale(s, f);
};
