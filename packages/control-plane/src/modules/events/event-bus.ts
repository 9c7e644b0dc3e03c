/**
 * In-process change notifications: every write that a console would want to see live publishes
 * one small event; SSE followers (events.routes.ts) and log followers subscribe.
 */
import { EventEmitter } from "node:events";

export type ChangeEvent =
  | { type: "agent.updated"; id: string; org_id: string; fromSession?: boolean }
  | { type: "job.updated"; id: string; org_id: string; status?: string }
  | { type: "pool.updated"; id: string; org_id: string }
  | { type: "container_profile.updated"; id: string; org_id: string }
  | { type: "job.log"; id: string; org_id: string }
  /** Not for the console: open streams of this token end at once (lib/sse.ts). */
  | { type: "token.revoked"; id: string };

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(event: ChangeEvent): void {
    this.emitter.emit("change", event);
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.emitter.on("change", listener);
    return () => this.emitter.off("change", listener);
  }
}
