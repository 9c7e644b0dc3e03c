/**
 * One agent's WebSocket session and its outbox: frames produced while a batch transaction is open
 * wait in the outbox until it commits (batch.ts), then leave corked, one write per socket.
 */
import type { WebSocket } from "ws";
import { silentAfterMs, type ServerFrame } from "@outpost/shared";

/** Stop assigning to a session whose socket has this much unsent data (backpressure). */
const SEND_HIGH_WATER = 4 * 1024 * 1024;

/** Frames produced while a batch transaction is open wait here until it commits. */
export type Outbox = { frames: [Session, string][] | null };

export class Session {
  /** When the server last heard from the agent (any frame or pong), by the server's clock. */
  lastReceivedMs: number;
  /** When the server last sent the agent anything (a frame or a ping). */
  lastSentMs: number;
  /** The interval this session is pinged at, as its last ping told the agent (the welcome's heartbeat before that). */
  pingEveryMs: number;
  /** How long after the last thing heard the session counts as silent: silentAfterMs(pingEveryMs, heartbeat). */
  silentForMs: number;
  /** When the session counts as silent unless it is heard before (clocks.ts sweeps these). */
  silentAtMs: number;
  lastSeenWrittenMs = 0;
  freeSlots = 0;
  said = false;
  /** Replaced a session that said hello: the agent is stored connected, so this one's end must write it Offline even before its own hello. */
  owesOffline = false;
  badFrames = 0;
  closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly agentId: string,
    readonly orgId: string,
    private readonly outbox: Outbox,
    /** The server's heartbeat: the ping interval until the welcome names the fleet's, and the silence bound's unit. */
    private readonly heartbeatMs: number,
    private readonly clock: () => number,
  ) {
    const now = clock();
    this.lastReceivedMs = now;
    this.lastSentMs = now;
    this.pingEveryMs = heartbeatMs;
    this.silentForMs = silentAfterMs(heartbeatMs, heartbeatMs);
    this.silentAtMs = now + this.silentForMs;
  }

  /** Heard from the agent now: its silence clock starts again. */
  heard(now: number): void {
    this.lastReceivedMs = now;
    this.silentAtMs = now + this.silentForMs;
  }

  /** The ping interval the welcome names (the fleet's at hello); returns it. */
  startPings(everyMs: number): number {
    this.pingEveryMs = everyMs;
    this.silentForMs = silentAfterMs(everyMs, this.heartbeatMs);
    // A longer interval moves the silence mark out; a shorter one applies from the next thing heard (the pong due now).
    this.silentAtMs = Math.max(this.silentAtMs, this.lastReceivedMs + this.silentForMs);
    return everyMs;
  }

  /**
   * Pings the agent, telling it the interval of the pings to come (whole seconds as the payload:
   * its watchdog follows it, docs/protocol.md "Heartbeat and liveness").
   */
  ping(now: number, everyMs: number): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.ping(String(everyMs / 1000));
    this.lastSentMs = now;
    this.startPings(everyMs);
  }

  send(frame: ServerFrame): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const text = JSON.stringify(frame);
    if (this.outbox.frames) this.outbox.frames.push([this, text]);
    else this.write(text);
  }

  /** Sends an already serialised frame (from the outbox, after the commit). */
  write(text: string): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(text);
    this.lastSentMs = this.clock();
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
