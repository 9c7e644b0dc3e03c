/**
 * The agent's side of the session: one WebSocket to /api/v1/agent/session, reconnected with
 * full-jitter exponential backoff, frames checked against the shared schemas both ways. A server
 * silent for its ping interval plus SILENT_AFTER_PINGS - 1 heartbeats (silentAfterMs; each ping
 * names the interval of the next) is presumed gone and the socket is dropped and redialled. Close codes that a retry cannot fix stop the agent (onFatal).
 */
import WebSocket from "ws";
import type { Logger } from "pino";
import {
  CLOSE,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  SESSION_PATH,
  SUBPROTOCOL,
  ServerFrame,
  parseFrame,
  AgentFrame,
  type FrameOf,
  silentAfterMs,
} from "@outpost/shared";
import { Redial, type Backoff } from "./backoff.js";

const SEND_HIGH_WATER = 4 * 1024 * 1024;

/**
 * A dial whose upgrade has not completed in this long is dropped and redialed (with the backoff).
 * Longer than a full accept queue takes to drain: outpost-server listens with a backlog of 4,096
 * (LISTEN_BACKLOG) and accepts 400-2,000 sessions a second on a loaded 2-core host, so a dial can
 * wait 2-10 s in the queue during a reconnect storm. A timeout shorter than that wait turns the
 * storm into a collapse: agents give up on dials the server then upgrades anyway, and redial
 * into the same queue (docs/performance.md, bench/fleet).
 */
export const HANDSHAKE_TIMEOUT_MS = 30_000;

/** The session socket, as outpost-agent and bench/fleet's simulated agents both dial it. */
export function dialSession(url: string, credential: string): WebSocket {
  return new WebSocket(url.replace(/^http/, "ws") + SESSION_PATH, SUBPROTOCOL, {
    headers: { authorization: `Bearer ${credential}` },
    maxPayload: MAX_FRAME_BYTES,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  });
}

export type SessionHandlers = {
  hello: () => Omit<FrameOf<AgentFrame, "hello">, "v" | "type" | "protocol_version">;
  welcome: (w: FrameOf<ServerFrame, "welcome">) => void;
  frame: (f: ServerFrame) => void;
  fatal: (message: string) => void;
  /** Told when the session is up (after welcome) and when it drops. */
  onState?: (connected: boolean) => void;
};

const FATAL_CLOSES: Record<number, string> = {
  [CLOSE.unauthorized]: "the server refused this agent's credential",
  [CLOSE.retired]: "this agent is retired: reinstate it in the console (Agents, Reinstate) or register a new agent",
  [CLOSE.unsupportedVersion]: "this outpost-agent speaks a protocol version the server does not: upgrade outpost-agent",
  [CLOSE.replaced]: "another outpost-agent process connected with this agent's credential; only one may run per data dir",
};

export class AgentSession {
  private ws: WebSocket | null = null;
  private readonly redialClock: Redial;
  private stopped = false;
  private welcomed = false;
  private lastHeardMs = 0;
  private heartbeatMs = 10_000;
  /** The server's ping interval: the heartbeat until a ping names another (a large fleet is pinged less often). */
  private pingEveryMs = 10_000;
  private watchdog: NodeJS.Timeout | null = null;
  private redial: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: { url: string; credential: string; log: Logger; backoff?: Backoff },
    private readonly on: SessionHandlers,
  ) {
    this.redialClock = new Redial(opts.backoff);
  }

  get congested(): boolean {
    return (this.ws?.bufferedAmount ?? 0) > SEND_HIGH_WATER;
  }

  start(): void {
    this.dial();
  }

  /**
   * Sends when the session is up; false when the frame could not go (it is the caller's to keep).
   * A frame the server would refuse (not valid against AgentFrame, or over MAX_FRAME_BYTES) is
   * never sent: refused frames close the session (1008 after a run of them, 1009 at once for
   * size), so it is dropped with an error log (and counts as handled: resending cannot fix it).
   * The builders in frames.ts keep job output from ever getting here.
   */
  send(frame: AgentFrame): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || (!this.welcomed && frame.type !== "hello")) return false;
    const text = JSON.stringify(frame);
    const problem = frameProblem(frame, text);
    if (problem) {
      this.opts.log.error({ frame_type: frame.type, problem }, "frame not sent: the server would refuse it");
      return true;
    }
    this.ws.send(text);
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.redial) clearTimeout(this.redial);
    if (this.watchdog) clearInterval(this.watchdog);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once("close", () => resolve());
      ws.close(CLOSE.normal, "agent stopping");
      setTimeout(() => (ws.terminate(), resolve()), 2000).unref();
    });
  }

  private dial(): void {
    if (this.stopped) return;
    const ws = dialSession(this.opts.url, this.opts.credential);
    this.ws = ws;
    this.welcomed = false;
    let fatal: string | null = null;
    ws.on("unexpected-response", (_req, res) => {
      if (res.statusCode === 401) fatal = "the server refused this agent's credential (revoked or unknown): delete credential.json in the data dir and start again with a registration token (OUTPOST_TOKEN or --token-file PATH)";
      this.opts.log.warn({ status: res.statusCode }, "session upgrade refused");
      ws.terminate();
    });
    ws.on("open", () => {
      this.lastHeardMs = performance.now();
      this.send({ v: PROTOCOL_VERSION, type: "hello", protocol_version: PROTOCOL_VERSION, ...this.on.hello() } satisfies AgentFrame);
    });
    ws.on("ping", (data) => {
      this.lastHeardMs = performance.now();
      const everyS = Number(data.toString());
      if (this.welcomed && Number.isInteger(everyS) && everyS > 0) this.pingEveryMs = everyS * 1000;
    });
    ws.on("message", (data, isBinary) => {
      this.lastHeardMs = performance.now();
      if (isBinary) return;
      const parsed = parseFrame(ServerFrame, data.toString());
      if (!parsed.ok && parsed.code === "unsupported_version") {
        // A server of another protocol version: nothing it says can be trusted to mean what this agent reads.
        fatal = `the server speaks a protocol version this outpost-agent does not (${parsed.message}): run the same version of both`;
        this.opts.log.error({ type: parsed.type, problem: parsed.message }, "frame of another protocol version; closing the session");
        ws.close(CLOSE.unsupportedVersion, "unsupported protocol version");
        return;
      }
      if (!parsed.ok) {
        this.opts.log.warn({ type: parsed.type, problem: parsed.message }, "ignored a bad frame from the server");
        return;
      }
      const f = parsed.frame;
      if (f.type === "welcome") {
        this.welcomed = true;
        this.redialClock.reset();
        this.heartbeatMs = f.heartbeat_s * 1000;
        this.pingEveryMs = (f.ping_every_s ?? f.heartbeat_s) * 1000;
        this.armWatchdog();
        this.opts.log.info({ agent_id: f.agent_id }, "session open");
        this.on.welcome(f);
        this.on.onState?.(true);
      } else if (f.type === "error") {
        this.opts.log.warn({ code: f.code, frame_type: f.frame_type }, f.message);
      } else {
        this.on.frame(f);
      }
    });
    ws.on("error", (err) => this.opts.log.debug({ err: err.message }, "session socket error"));
    ws.on("close", (code, reason) => {
      if (this.ws !== ws) return;
      if (this.welcomed) this.on.onState?.(false);
      this.welcomed = false;
      if (this.watchdog) clearInterval(this.watchdog);
      fatal ??= FATAL_CLOSES[code] ?? null;
      if (fatal) {
        this.stopped = true;
        return this.on.fatal(`${fatal} (close ${code}${reason.length ? `: ${reason}` : ""})`);
      }
      if (this.stopped) return;
      const delay = this.redialClock.next();
      this.opts.log.info({ code, reason: reason.toString(), retry_in_ms: delay }, "session closed; reconnecting");
      this.redial = setTimeout(() => this.dial(), delay);
    });
  }

  /** The server pings every pingEveryMs (or sends frames); if it goes quiet for silentAfterMs of that (+1 s), redial. */
  private armWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      if (performance.now() - this.lastHeardMs > silentAfterMs(this.pingEveryMs, this.heartbeatMs) + 1000) {
        this.opts.log.warn("the server went quiet; reconnecting");
        this.ws?.terminate();
      }
    }, this.heartbeatMs);
    this.watchdog.unref();
  }
}

/** Why the server would refuse this frame (its schema or the frame size), or null. */
export function frameProblem(frame: AgentFrame, text = JSON.stringify(frame)): string | null {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_FRAME_BYTES) return `${bytes} bytes, over the ${MAX_FRAME_BYTES}-byte frame limit`;
  const parsed = AgentFrame.safeParse(frame);
  if (!parsed.success) return `${parsed.error.issues[0]?.path.join(".") || "frame"}: ${parsed.error.issues[0]?.message}`;
  return null;
}
