/** module_result: a module install or removal ended. */
import { recordModuleResult } from "../../modules/agents/agent-modules.js";
import type { Handler } from "./handler.js";

export const moduleResult: Handler<"module_result"> = (ctx, s, f) => {
  if (!recordModuleResult(ctx.deps.db, s.agentId, f, ctx.now())) return;
  ctx.agentChanged(s);
  ctx.scheduleDispatch(s); // it may now have the module a pending job needs
};
