/** One agent frame's handler: what the hub runs for a frame of type T from session s. */
import type { AgentFrame, FrameOf } from "@outpost/shared";
import type { HubContext } from "../context.js";
import type { Session } from "../session.js";

export type Handler<T extends AgentFrame["type"]> = (ctx: HubContext, s: Session, f: FrameOf<AgentFrame, T>) => void;
