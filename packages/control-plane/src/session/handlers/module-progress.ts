/** module_progress: how far a module install or removal the server asked for has got. */
import { recordModuleProgress } from "../../modules/agents/agent-modules.js";
import type { Handler } from "./handler.js";

export const moduleProgress: Handler<"module_progress"> = (ctx, s, f) => {
  if (recordModuleProgress(ctx.deps.db, s.agentId, f, ctx.now())) ctx.agentChanged(s);
};
