/**
 * A working simulated agent for the storm, spread and logs phases (in the fleet process): real
 * `ws`, frames JSON-parsed without zod, every frame built by `frame()`. It keeps its session up the
 * way outpost-agent does, with the daemon's own code: the socket from `dialSession` (its headers
 * and HANDSHAKE_TIMEOUT_MS), redialed when it closes after the delay its `Redial` clock gives (full
 * jitter on DEFAULT_BACKOFF, reset by each `welcome`), and `hello` lists the attempts it holds. Jobs run in one of three ways:
 *
 * - `hold`: accept, started, then hold the attempt, renewing its lease every second (as the agent does);
 * - `noop`: accept, started, finished at once (bench/dispatch's no-op job);
 * - `print`: accept, started, then logs frames of `LINES_PER_FRAME` one-line chunks as fast as the
 *   acks allow (at most `WINDOW` frames unacknowledged), each line stamped with `Date.now()`, then
 *   finished with its last seq.
 */
import WebSocket from "ws";
import { PROTOCOL_VERSION } from "@outpost/shared";
import { Redial } from "../../packages/daemon/src/session/backoff.js";
import { dialSession } from "../../packages/daemon/src/session/connection.js";
import { frame } from "./frames.js";

export type JobMode = "hold" | "noop" | "print";
type Frame = { type: string; job_id?: string; attempt?: number; lease_expires_at?: string; leases?: { job_id: string; attempt: number; lease_expires_at: string }[]; acked_seq?: number };
type Held = { jobId: string; attempt: number; expiresMs: number; nextSeq: number; acked: number; finishing: boolean };

const MODULE = { name: "hello", version: "1.0.0" };
const RENEW_EVERY_MS = 1_000;
const LINES_PER_FRAME = 256;
const WINDOW = 2;

/** What every agent of the fleet shares: the counters the phases read. */
export class FleetStats {
  welcomes = 0;
  finishedAcks = 0;
  lapsed = 0;
  stale = 0;
  errors = 0;
  redials = 0;
  firstError: string | null = null;
  /** The smallest time left on a lease when its renewal arrived (ms). */
  minMarginMs = Infinity;
  linesSent = 0;
  linesAcked = 0;
  firstLineMs = 0;
  lastAckMs = 0;
  onWelcome: (a: FleetAgent) => void = () => {};
  onFinishedAck: () => void = () => {};
}

export class FleetAgent {
  ws: WebSocket | null = null;
  welcomed = false;
  stopped = false;
  /** The redial clock outpost-agent's session uses: reset by each welcome. */
  private readonly redial = new Redial();
  /** The jitter window (ms) of the redial that got the current session. */
  lastWindowMs = 0;
  welcomedAtMs = 0;
  free: number;
  done = 0;
  readonly held = new Map<string, Held>();
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly credential: string,
    readonly slots: number,
    private readonly mode: JobMode,
    private readonly stats: FleetStats,
    private readonly linesPerJob = 0,
  ) {
    this.free = slots;
  }

  dial(): void {
    if (this.stopped) return;
    const ws = dialSession(this.url, this.credential);
    this.ws = ws;
    ws.on("open", () => this.send("hello", { protocol_version: PROTOCOL_VERSION, version: "bench", slots: this.slots, modules: [MODULE], running: [...this.held.values()].map((h) => ({ job_id: h.jobId, attempt: h.attempt })) }));
    ws.on("message", (data) => this.receive(JSON.parse(data.toString()) as Frame));
    ws.on("error", (err) => {
      this.stats.firstError ??= String(err);
    });
    ws.on("close", () => this.lost(ws));
  }

  /** The socket is gone: redial after the real agent's full jitter, as outpost-agent does. */
  private lost(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this.welcomed = false;
    this.ws = null;
    if (this.stopped) return;
    this.stats.redials++;
    this.lastWindowMs = this.redial.windowMs;
    setTimeout(() => this.dial(), this.redial.next());
  }

  /** Drops the socket at once (no close handshake), as a network cut does; the agent redials. */
  drop(): void {
    this.ws?.terminate();
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    const ws = this.ws;
    if (!ws || ws.readyState === ws.CLOSED) return Promise.resolve();
    return new Promise((r) => {
      ws.once("close", () => r());
      ws.terminate();
    });
  }

  send(type: string, body: Record<string, unknown>): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(frame(type, body));
    return true;
  }

  private receive(f: Frame): void {
    switch (f.type) {
      case "welcome":
        this.welcomed = true;
        this.redial.reset();
        this.welcomedAtMs = Date.now();
        this.stats.welcomes++;
        this.send("ready", { free_slots: this.free });
        this.stats.onWelcome(this);
        for (const h of this.held.values()) {
          h.nextSeq = h.acked + 1; // after a reconnect, resend from what is stored
          this.print(h);
        }
        return;
      case "assign":
        return this.assigned(f.job_id!, f.attempt!, Date.parse(f.lease_expires_at!));
      case "renewed":
        for (const l of f.leases ?? []) this.renewed(l.job_id, Date.parse(l.lease_expires_at));
        return;
      case "logs_ack":
        return this.logsAcked(f.job_id!, f.acked_seq!);
      case "finished_ack":
        this.held.delete(f.job_id!);
        this.free++;
        this.done++;
        this.stats.finishedAcks++;
        this.send("ready", { free_slots: this.free });
        this.stats.onFinishedAck();
        return;
      case "stale":
        this.stats.stale++;
        if (this.held.delete(f.job_id!)) this.free++;
        return;
      case "error":
        this.stats.errors++;
        this.stats.firstError ??= JSON.stringify(f);
        return;
    }
  }

  private assigned(jobId: string, attempt: number, expiresMs: number): void {
    this.free--;
    const ref = { job_id: jobId, attempt };
    this.send("accept", ref);
    this.send("started", { ...ref, container_id: "bench" });
    const h: Held = { jobId, attempt, expiresMs, nextSeq: 0, acked: -1, finishing: false };
    this.held.set(jobId, h);
    if (this.mode === "noop") return this.finish(h);
    if (this.mode === "hold") this.renewTimer ??= setInterval(() => this.renew(), RENEW_EVERY_MS);
    if (this.mode === "print") this.print(h);
  }

  /** Renews every held lease, as the agent does each second while it holds any. */
  private renew(): void {
    if (!this.welcomed || !this.held.size) return;
    this.send("renew", { leases: [...this.held.values()].map((h) => ({ job_id: h.jobId, attempt: h.attempt })) });
  }

  private renewed(jobId: string, expiresMs: number): void {
    const h = this.held.get(jobId);
    if (!h) return;
    const now = Date.now();
    const margin = h.expiresMs - now;
    if (margin < 0) this.stats.lapsed++;
    this.stats.minMarginMs = Math.min(this.stats.minMarginMs, margin);
    h.expiresMs = expiresMs;
  }

  /** Sends every held job's finished (its last seq); resolves through stats.onFinishedAck. */
  finishAll(): void {
    for (const h of this.held.values()) this.finish(h);
  }

  private finish(h: Held): void {
    h.finishing = true;
    this.send("finished", { job_id: h.jobId, attempt: h.attempt, outcome: "completed", exit_code: 0, reason: null, message: null, last_seq: h.nextSeq - 1 });
  }

  private logsAcked(jobId: string, ackedSeq: number): void {
    const h = this.held.get(jobId);
    if (!h) return;
    this.stats.linesAcked += ackedSeq - h.acked;
    this.stats.lastAckMs = Date.now();
    h.acked = ackedSeq;
    this.print(h);
  }

  /** Sends frames of fresh lines while fewer than WINDOW frames are unacknowledged; finishes once all are acked. */
  private print(h: Held): void {
    if (this.mode !== "print" || h.finishing || !this.welcomed) return;
    while (h.nextSeq < this.linesPerJob && h.nextSeq - (h.acked + 1) < WINDOW * LINES_PER_FRAME) {
      const now = Date.now();
      this.stats.firstLineMs ||= now;
      const n = Math.min(LINES_PER_FRAME, this.linesPerJob - h.nextSeq);
      const chunks = Array.from({ length: n }, (_, i) => ({ seq: h.nextSeq + i, stream: "stdout", data: `t=${now} ${h.jobId} line ${h.nextSeq + i}\n` }));
      h.nextSeq += n;
      this.stats.linesSent += n;
      if (!this.send("logs", { job_id: h.jobId, attempt: h.attempt, chunks })) return;
    }
    if (h.acked + 1 >= this.linesPerJob) this.finish(h);
  }
}
