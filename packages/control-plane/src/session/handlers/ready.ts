/** ready: the agent's free slots now; a dispatch pass may fill them. */
import type { Handler } from "./handler.js";

export const ready: Handler<"ready"> = (ctx, s, f) => {
  s.freeSlots = f.free_slots;
  ctx.scheduleDispatch(s);
};
