/**
 * One agent's WebSocket session and its outbox: frames produced while a batch transaction is open
 * wait in the outbox until it commits (batch.ts), then leave corked, one write per socket.
 */
import type { WebSocket } from "ws";
import type { ServerFrame } from "@outpost/shared";

/** Stop assigning to a session whose socket has this much unsent data (backpressure). */
const SEND_HIGH_WATER = 4 * 1024 * 1024;

/** Frames produced while a batch transaction is open wait here until it commits. */
export type Outbox = { frames: [Session, string][] | null };

export class Session {
  lastReceivedMs: number;
  lastSeenWrittenMs = 0;
  freeSlots = 0;
  said = false;
  badFrames = 0;
  closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly agentId: string,
    readonly orgId: string,
    now: number,
    private readonly outbox: Outbox = { frames: null },
  ) {
    this.lastReceivedMs = now;
  }

  send(frame: ServerFrame): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const text = JSON.stringify(frame);
    if (this.outbox.frames) this.outbox.frames.push([this, text]);
    else this.ws.send(text);
  }

  /** Sends an already serialised frame (from the outbox, after the commit). */
  write(text: string): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(text);
  }

  /** The socket under the WebSocket (ws keeps it as _socket): writes are held until uncork. */
  private get socket(): { cork(): void; uncork(): void } | undefined {
    return (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  }

  cork(): void {
    this.socket?.cork();
  }

  uncork(): void {
    this.socket?.uncork();
  }

  get congested(): boolean {
    return this.ws.bufferedAmount > SEND_HIGH_WATER;
  }
}

/**
 * Sends a committed batch's frames, each session's socket corked across its frames so a batch
 * leaves as one write per socket rather than one per frame.
 */
export function flush(out: [Session, string][]): void {
  const corked = new Set<Session>();
  for (const [s, text] of out) {
    if (!corked.has(s)) {
      corked.add(s);
      s.cork();
    }
    s.write(text);
  }
  for (const s of corked) s.uncork();
}
