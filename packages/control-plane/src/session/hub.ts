/**
 * The agent hub: every live agent session, job dispatch to them, and the server's clocks (session
 * liveness, lease expiry, timeouts). Jobs are pushed: a job becoming pending, an agent announcing
 * free slots or a session opening schedules one dispatch pass, coalesced per tick; a job created
 * over REST while a session has a free slot is claimed in its insert's own commit (submit).
 *
 * Frames are handled in batches: every frame received in one turn of the event loop (from any
 * session) is queued and handled on the next turn inside one SQLite transaction, each frame that
 * writes in its own savepoint; the dispatch pass is one transaction too. Replies (assign, finished_ack, ...) are
 * held until that transaction commits, so nothing is acknowledged that is not stored, and a busy
 * server pays one commit for many frames (docs/performance.md).
 *
 * Liveness is judged only by this server's receive times: a session silent for
 * SILENT_AFTER_PINGS heartbeats is marked Unknown and closed. Leases are a separate, longer clock
 * (docs/protocol.md, "Leases").
 */
import type { WebSocket } from "ws";
import { eq } from "drizzle-orm";
import {
  AgentFrame,
  CLOSE,
  MAX_BAD_FRAMES,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  SILENT_AFTER_PINGS,
  parseFrame,
  type FrameOf,
  type ResumePoint,
  type ServerFrame,
} from "@outpost/shared";
import type { Deps } from "../deps.js";
import { prepared, savepoint, tx } from "../db/client.js";
import { agents } from "../db/schema.js";
import { nowIso } from "../lib/time.js";
import { syncModules } from "../modules/agents/agents.service.js";
import { recordModuleProgress, recordModuleResult, settleOpenRequests } from "../modules/agents/agent-modules.js";
import { claimFor, loadClaimant, markClaimed, releaseClaim, type Claimant } from "../modules/dispatch/claim.js";
import { finishAttempt, liveAttempt, renewLease, startAttempt, type AttemptRef } from "../modules/dispatch/attempts.js";
import { declareForgotten, enforceTimeouts, expireLeases } from "../modules/dispatch/leases.js";
import { shiftLeases, WallClockWatch } from "../modules/dispatch/clock-jump.js";
import { appendLogs, logResumePoint, recordReport, recordSteps } from "../modules/dispatch/outputs.js";
import type { ChangeEvent } from "../modules/events/event-bus.js";
import { markAllDisconnected, markConnected, markDisconnected, touchLastSeen } from "./presence.js";

type AgentMessage = AgentFrame;
type Handler<T extends AgentMessage["type"]> = (s: Session, f: FrameOf<AgentMessage, T>) => void;

/** Stop assigning to a session whose socket has this much unsent data (backpressure). */
const SEND_HIGH_WATER = 4 * 1024 * 1024;
/** How long an agent gets between SIGTERM and SIGKILL on cancel. */
const CANCEL_GRACE_S = 10;
/** Last-seen writes are coalesced to one per this many ms per agent. */
const LAST_SEEN_EVERY_MS = 5_000;

/** Frames whose handlers never write: they need no savepoint of their own (nothing to undo). */
const READ_ONLY_FRAMES: ReadonlySet<AgentMessage["type"]> = new Set(["ready", "accept"]);

/** Frames produced while a batch transaction is open wait here until it commits. */
type Outbox = { frames: [Session, string][] | null };

/** An agent that took its first job of a dispatch pass: its move to Claimed, due after the commit. */
type ClaimedMove = { session: Session; jobId: string; at: string };

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
function flush(out: [Session, string][]): void {
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

export class AgentHub {
  private readonly sessions = new Map<string, Session>();
  private readonly startedAtMs: number;
  private readonly wallClock: WallClockWatch;
  private dispatchScheduled = false;
  private inbox: [Session, AgentMessage][] = [];
  private inboxScheduled = false;
  private readonly outbox: Outbox = { frames: null };
  /** The open batch's agent moves to Claimed when they are due after its commit (inBatch's claimedAfter). */
  private claimedMoves: ClaimedMove[] | null = null;
  private rotate = 0;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly deps: Deps) {
    this.startedAtMs = deps.clock();
    this.wallClock = new WallClockWatch(() => deps.clock());
  }

  private get leaseMs() {
    return this.deps.config.leaseTtlS * 1000;
  }

  private now() {
    return nowIso(this.deps.clock);
  }

  /** Starts the clocks and the event subscription. Every agent starts disconnected. */
  start(): void {
    markAllDisconnected(this.deps.db, this.now());
    this.unsubscribe = this.deps.events.subscribe((e) => this.onChange(e));
    const hb = this.deps.config.heartbeatS * 1000;
    this.timers.push(setInterval(() => this.pingAll(), hb));
    this.timers.push(setInterval(() => this.sweepSafely(), Math.min(1000, hb)));
    for (const t of this.timers) t.unref();
  }

  /** Closes every session (going away) and stops the clocks. */
  stop(): void {
    if (this.stopped) return;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.unsubscribe?.();
    const at = this.now();
    for (const s of [...this.sessions.values()]) {
      this.detach(s, false, at);
      s.ws.close(CLOSE.goingAway, "server shutting down");
    }
    this.stopped = true;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A WebSocket authenticated as this agent has opened. */
  attach(ws: WebSocket, agentId: string, orgId: string): void {
    if (this.stopped) return void ws.close(CLOSE.goingAway, "server shutting down");
    const archived = this.archivedOf(agentId);
    if (archived === undefined || archived) {
      ws.close(CLOSE.retired, "this agent is retired; reinstate it or register a new one");
      return;
    }
    const previous = this.sessions.get(agentId);
    if (previous) {
      previous.closed = true;
      this.sessions.delete(agentId);
      previous.ws.close(CLOSE.replaced, "replaced by a newer session of the same agent");
    }
    const session = new Session(ws, agentId, orgId, this.deps.clock(), this.outbox);
    this.sessions.set(agentId, session);
    ws.on("message", (data, isBinary) => this.receive(session, data as Buffer, isBinary));
    ws.on("pong", () => this.heard(session));
    ws.on("close", () => this.detach(session, false));
    ws.on("error", (err) => this.deps.log.warn({ err, agent_id: agentId }, "agent session error"));
  }

  private detach(session: Session, silent: boolean, at = this.now()): void {
    if (this.stopped || this.sessions.get(session.agentId) !== session) return;
    session.closed = true;
    this.sessions.delete(session.agentId);
    try {
      markDisconnected(this.deps.db, session.agentId, at, silent);
    } catch (err) {
      this.deps.log.error({ err, agent_id: session.agentId }, "recording the agent offline failed (is the disk full?)"); // never thrown out of a socket's close (issue 17)
    }
    this.agentChanged(session);
  }

  private heard(session: Session): void {
    const now = this.deps.clock();
    session.lastReceivedMs = now;
    if (now - session.lastSeenWrittenMs > LAST_SEEN_EVERY_MS) {
      session.lastSeenWrittenMs = now;
      try {
        touchLastSeen(this.deps.db, session.agentId, nowIso(() => now));
      } catch (err) {
        this.deps.log.error({ err, agent_id: session.agentId }, "recording last seen failed"); // a full disk must not throw out of the socket
      }
    }
  }

  private receive(session: Session, data: Buffer, isBinary: boolean): void {
    this.heard(session);
    if (isBinary) return this.refuse(session, null, "binary frames are not part of the protocol");
    const parsed = parseFrame(AgentFrame, data.toString("utf8"));
    if (!parsed.ok) return this.refuse(session, parsed.type, parsed.message);
    this.inbox.push([session, parsed.frame]);
    if (this.inboxScheduled) return;
    this.inboxScheduled = true;
    setImmediate(() => {
      this.inboxScheduled = false;
      const batch = this.inbox;
      this.inbox = [];
      if (this.stopped) return; // the server is closing (the database may be closed already)
      const stored = this.inBatch(() => {
        for (const [s, f] of batch) this.handle(s, f);
        // Slots these frames freed are filled in the same commit rather than one more.
        if (this.dispatchScheduled) {
          this.dispatchScheduled = false;
          const ready = this.readySessions();
          if (ready.length) this.claimFor(ready);
        }
      });
      // Issue 17: a batch that did not commit lost its frames' writes; acks are cumulative, so its sessions are
      // closed (the agents reconnect and resend from what is stored) rather than acked past the loss later.
      if (!stored) for (const s of new Set(batch.map(([x]) => x))) s.ws.close(CLOSE.serverError, "the server could not store a frame; reconnect and resend");
    });
  }

  /**
   * Runs fn in one transaction and sends the frames it produced once that commits. If the commit
   * fails, nothing is sent: the agents' own clocks (renew, reconnect) recover. With
   * `claimedAfter`, the agents that claims move to Claimed are written in a second commit once the
   * frames have left (submit: the assign waits for the job's writes only); otherwise in the same
   * one (a frame batch pays one commit for all of it).
   */
  private inBatch(fn: () => void, { rethrow = false, claimedAfter = false } = {}): boolean {
    const out: [Session, string][] = [];
    const moves: ClaimedMove[] = [];
    this.outbox.frames = out;
    this.claimedMoves = claimedAfter ? moves : null;
    let committed = false;
    try {
      tx(this.deps.db, fn);
      committed = true;
    } catch (err) {
      if (rethrow) throw err;
      this.deps.log.error({ err }, "session batch failed; its replies are dropped");
    } finally {
      this.outbox.frames = null;
      this.claimedMoves = null;
    }
    if (!committed) return false;
    flush(out);
    if (moves.length) this.markClaimed(moves);
    return true;
  }

  /**
   * The agents' moves to Claimed for the claims just committed, in one more commit after the
   * assigns have left: the claim itself (the job's compare-and-set and its attempt row) is what
   * makes an assign safe to send; the agent's status is bookkeeping and stays off that path. This
   * runs before anything else can (same tick), so no frame of these agents is handled before it.
   */
  private markClaimed(moves: ClaimedMove[]): void {
    try {
      tx(this.deps.db, () => {
        for (const m of moves) markClaimed(this.deps.db, m.session.agentId, m.jobId, m.at);
      });
    } catch (err) {
      this.deps.log.error({ err }, "recording agents as Claimed failed");
    }
    for (const m of moves) this.agentChanged(m.session);
  }

  /**
   * Runs a write that adds a pending job (POST /api/v1/jobs) and, in the same transaction, offers
   * one job to a ready session: one commit from submit to assign, the assign sent once it is
   * stored. The write's errors propagate (nothing is committed or sent). Outside a batch only.
   */
  submit<T>(write: () => T): T {
    if (this.stopped || this.outbox.frames || this.deps.db.$client.inTransaction) return write();
    let result!: T;
    this.inBatch(
      () => {
        result = write();
        const ready = this.readySessions();
        if (ready.length) this.claimFor(ready, 1);
      },
      { rethrow: true, claimedAfter: true },
    );
    return result;
  }

  /**
   * One frame, in its own savepoint when it writes: a handler that throws undoes only its own writes.
   * Fenced first: a frame naming an attempt that this session's agent does not hold live (another
   * agent's, of any org; an older attempt; a finished job) changes nothing and is answered `stale`.
   * The fence is here, once, for every frame type that names an attempt, so a type added later is
   * fenced too; frames that carry lists of attempts (hello.running, renew.leases) are fenced per
   * item by renewLease. docs/protocol.md, "Fencing".
   */
  private handle(session: Session, frame: AgentMessage): void {
    if (session.ws.readyState !== session.ws.OPEN) return; // closed after a failed frame: nothing after it counts (issue 17)
    if (!session.said && frame.type !== "hello") return this.refuse(session, frame.type, "the first frame must be hello");
    if ("job_id" in frame && !liveAttempt(this.deps.db, this.ref(session, frame))) {
      this.deps.log.info({ agent_id: session.agentId, job_id: frame.job_id, attempt: frame.attempt, frame_type: frame.type }, "frame about an attempt this agent does not hold; answered stale");
      return this.stale(session, frame);
    }
    try {
      const run = () => (this.handlers[frame.type] as Handler<typeof frame.type>)(session, frame as never);
      if (READ_ONLY_FRAMES.has(frame.type)) run();
      else savepoint(this.deps.db, run);
    } catch (err) {
      this.deps.log.error({ err, agent_id: session.agentId, frame_type: frame.type }, "agent frame handler failed; closing the session so the agent resends from what is stored");
      session.send({ type: "error", code: "internal", message: "the server could not handle this frame", frame_type: frame.type });
      // Acks are cumulative: a later frame's ack would cover this one's lost writes. Close instead (issue 17).
      session.ws.close(CLOSE.serverError, "the server could not store a frame; reconnect and resend");
    }
  }

  /** A bad frame gets an error frame; too many close the session with a policy violation. */
  private refuse(session: Session, type: string | null, message: string): void {
    session.badFrames += 1;
    session.send({ type: "error", code: "bad_frame", message, frame_type: type });
    if (session.badFrames > MAX_BAD_FRAMES) session.ws.close(CLOSE.policy, "too many malformed frames");
  }

  private ref(session: Session, f: { job_id: string; attempt: number }): AttemptRef {
    return { jobId: f.job_id, attempt: f.attempt, agentId: session.agentId };
  }

  private stale(session: Session, f: { job_id: string; attempt: number }): void {
    session.send({ type: "stale", job_id: f.job_id, attempt: f.attempt, message: `attempt ${f.attempt} of job ${f.job_id} is not live on this agent; stop it` });
  }

  private readonly handlers: { [T in AgentMessage["type"]]: Handler<T> } = {
    hello: (s, f) => {
      if (f.protocol_version !== PROTOCOL_VERSION) {
        s.ws.close(CLOSE.unsupportedVersion, `protocol version ${f.protocol_version} is not supported; this server speaks ${PROTOCOL_VERSION}`);
        return;
      }
      const at = this.now();
      const { db } = this.deps;
      settleOpenRequests(db, s.agentId, f.modules, at);
      syncModules(db, s.agentId, f.modules, at);
      db.update(agents).set({ slots: f.slots, version: f.version, updatedAt: at }).where(eq(agents.id, s.agentId)).run();
      // Attempts the agent still holds get a fresh lease; live ones it no longer holds are lost now.
      const held = new Set(f.running.map((r) => `${r.job_id}:${r.attempt}`));
      const resume: ResumePoint[] = [];
      for (const r of f.running) {
        const renewed = renewLease(db, this.ref(s, r), at, this.leaseMs);
        if (renewed.status === "stale") this.stale(s, r);
        else resume.push({ job_id: r.job_id, attempt: r.attempt, ...logResumePoint(db, r.job_id, r.attempt) });
      }
      for (const id of declareForgotten(db, s.agentId, held, at).lost) this.jobChanged(s, id);
      markConnected(db, s.agentId, at);
      s.said = true;
      s.freeSlots = Math.max(0, f.slots - f.running.length);
      s.send({
        type: "welcome",
        protocol_version: PROTOCOL_VERSION,
        agent_id: s.agentId,
        heartbeat_s: this.deps.config.heartbeatS,
        lease_ttl_s: this.deps.config.leaseTtlS,
        max_frame_bytes: MAX_FRAME_BYTES,
        server_time: at,
        resume,
      });
      this.agentChanged(s);
      this.scheduleDispatch();
    },
    ready: (s, f) => {
      s.freeSlots = f.free_slots;
      this.scheduleDispatch();
    },
    accept: (s, f) => {
      if (!liveAttempt(this.deps.db, this.ref(s, f))) this.stale(s, f);
    },
    reject: (s, f) => {
      const at = this.now();
      if (releaseClaim(this.deps.db, f.job_id, f.attempt, s.agentId, f.reason, at)) {
        this.jobChanged(s, f.job_id, "pending");
        this.agentChanged(s);
      }
    },
    started: (s, f) => {
      const status = startAttempt(this.deps.db, this.ref(s, f), this.now(), this.leaseMs, f.container_id);
      if (status === "stale") return this.stale(s, f);
      this.jobChanged(s, f.job_id, status);
      this.agentChanged(s);
    },
    renew: (s, f) => {
      const at = this.now();
      const leases: { job_id: string; attempt: number; lease_expires_at: string }[] = [];
      for (const l of f.leases) {
        const r = renewLease(this.deps.db, this.ref(s, l), at, this.leaseMs);
        if (r.status === "stale") {
          this.stale(s, l);
          continue;
        }
        leases.push({ ...l, lease_expires_at: r.leaseExpiresAt });
        if (r.cancel) this.sendCancel(s, l.job_id, l.attempt, r.errorReason);
      }
      s.send({ type: "renewed", leases });
    },
    logs: (s, f) => {
      const r = appendLogs(this.deps.db, this.ref(s, f), f.chunks, this.now());
      if (r === "stale") return this.stale(s, f);
      s.send({ type: "logs_ack", job_id: f.job_id, attempt: f.attempt, acked_seq: r.acked });
      if (r.stored > 0) this.deps.events.publish({ type: "job.log", id: f.job_id, org_id: s.orgId });
    },
    steps: (s, f) => {
      if (recordSteps(this.deps.db, this.ref(s, f), f.steps, this.now()) === "stale") return this.stale(s, f);
      this.jobChanged(s, f.job_id);
    },
    report: (s, f) => {
      const r = recordReport(this.deps.db, this.ref(s, f), { json: f.json, markdown: f.markdown }, this.now());
      if (r === "stale") return this.stale(s, f);
      if (r === "too_large") s.send({ type: "error", code: "report_too_large", message: "the report is over the size cap and was not kept", frame_type: "report" });
      this.jobChanged(s, f.job_id);
    },
    finished: (s, f) => {
      const status = finishAttempt(
        this.deps.db,
        this.ref(s, f),
        { outcome: f.outcome, exitCode: f.exit_code, reason: f.reason, message: f.message },
        this.now(),
      );
      if (status === "stale") return this.stale(s, f);
      s.send({ type: "finished_ack", job_id: f.job_id, attempt: f.attempt, status });
      this.jobChanged(s, f.job_id, status);
      this.agentChanged(s);
    },
    module_progress: (s, f) => {
      if (recordModuleProgress(this.deps.db, s.agentId, f, this.now())) this.agentChanged(s);
    },
    module_result: (s, f) => {
      if (!recordModuleResult(this.deps.db, s.agentId, f, this.now())) return;
      this.agentChanged(s);
      this.scheduleDispatch(); // it may now have the module a pending job needs
    },
  };

  /** Hands a `module` request to the agent's live session; false when it has none (docs/protocol.md). */
  sendModule(agentId: string, frame: FrameOf<ServerFrame, "module">): boolean {
    const s = this.sessions.get(agentId);
    if (!s || !s.said || s.closed || s.ws.readyState !== s.ws.OPEN) return false;
    s.send(frame satisfies ServerFrame);
    return true;
  }

  /** Asks the agent to upgrade itself to `version` (docs/protocol.md, `upgrade`); false when it has no live session. */
  sendUpgrade(agentId: string, version: string): boolean {
    const s = this.sessions.get(agentId);
    if (!s || !s.said || s.closed || s.ws.readyState !== s.ws.OPEN) return false;
    s.send({ type: "upgrade", version } satisfies ServerFrame);
    return true;
  }

  /** Tells the agent to stop an attempt: `errorReason` is the job's (timeout when the server's clock asked). */
  private sendCancel(s: Session, jobId: string, attempt: number, errorReason: string | null): void {
    s.send({ type: "cancel", job_id: jobId, attempt, reason: errorReason === "timeout" ? "timeout" : "cancelled", grace_s: CANCEL_GRACE_S });
  }

  // ---- dispatch ----

  /** Runs one dispatch pass on the next tick; many triggers in one tick make one pass. */
  scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      if (!this.dispatchScheduled) return; // already done inside a frame batch
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /** Offers pending jobs to sessions with free slots, round-robin, until nothing more is claimed. */
  dispatch(): void {
    const ready = this.readySessions();
    if (!ready.length) return;
    this.inBatch(() => this.claimFor(ready));
  }

  private readySessions(): Session[] {
    return [...this.sessions.values()].filter((s) => s.said && s.freeSlots > 0 && !s.congested && !s.closed);
  }

  /**
   * Round-robin over the ready sessions, one job per session per round, until a round claims
   * nothing (or `max` jobs are claimed). Each agent is read once per pass (loadClaimant).
   * Each agent's move to Claimed is written once per pass: in the pass's commit, or right after it
   * (inBatch's claimedAfter). Precondition: inside inBatch.
   */
  private claimFor(ready: Session[], max = Infinity): void {
    const start = this.rotate++ % ready.length;
    const order = [...ready.slice(start), ...ready.slice(0, start)];
    const claimants = new Map<Session, Claimant | null>();
    const moved = new Set<Session>();
    const at = this.now(); // one pass, one transaction, one time
    let claimed = 0;
    let claimedAny = true;
    while (claimedAny && claimed < max) {
      claimedAny = false;
      for (const s of order) {
        if (s.freeSlots <= 0 || s.closed) continue;
        let c = claimants.get(s);
        if (c === undefined) claimants.set(s, (c = loadClaimant(this.deps.db, s.agentId)));
        if (!c) continue;
        const a = claimFor(this.deps.db, c, at, this.leaseMs);
        if (!a) continue;
        claimedAny = true;
        s.freeSlots -= 1;
        const { job_id, attempt, ...rest } = a;
        s.send({ type: "assign", job_id, attempt, ...rest, cancel_grace_s: CANCEL_GRACE_S });
        this.jobChanged(s, job_id, "claimed");
        if (!moved.has(s)) {
          moved.add(s);
          if (this.claimedMoves) this.claimedMoves.push({ session: s, jobId: job_id, at });
          else {
            markClaimed(this.deps.db, s.agentId, job_id, at);
            this.agentChanged(s);
          }
        }
        if (++claimed >= max) break;
      }
    }
  }

  // ---- clocks ----

  private pingAll(): void {
    for (const s of this.sessions.values()) if (s.ws.readyState === s.ws.OPEN) s.ws.ping();
  }

  /** The timer's sweep: a failed write (a full disk) is logged and retried next time, never thrown out of the timer (issue 17). */
  sweepSafely(): void {
    try {
      this.sweep();
    } catch (err) {
      this.deps.log.error({ err }, "lease sweep failed (is the disk full?); it runs again in a second");
    }
  }

  /** Once a second: silent sessions, timeouts, and (after the restart grace) lost leases. */
  sweep(): void {
    const nowMs = this.deps.clock();
    const at = nowIso(() => nowMs);
    const silentMs = this.deps.config.heartbeatS * 1000 * SILENT_AFTER_PINGS;
    // Issue 17: a wall-clock step moves live leases and silence marks by the step, so it expires nothing wholesale.
    const step = this.wallClock.step();
    if (step) {
      this.deps.log.warn({ step_ms: step, leases_moved: shiftLeases(this.deps.db, step) }, "the wall clock stepped; live leases moved with it");
      for (const s of this.sessions.values()) s.lastReceivedMs += step;
    }
    for (const s of [...this.sessions.values()]) {
      if (nowMs - s.lastReceivedMs > silentMs) {
        this.detach(s, true);
        s.ws.terminate();
      }
    }
    for (const id of enforceTimeouts(this.deps.db, at)) this.onJobStatus(id);
    // After a restart, agents get one grace period to reconnect and renew before anything is lost.
    if (nowMs - this.startedAtMs >= this.deps.config.leaseGraceS * 1000) {
      const out = expireLeases(this.deps.db, at, this.deps.config.leaseGraceS * 1000);
      for (const id of out.lost) this.publishJob(id);
      if (out.requeued.length) this.scheduleDispatch();
    }
  }

  // ---- change events ----

  private onChange(e: ChangeEvent): void {
    if (e.type === "job.updated") {
      if (e.status === undefined) this.onJobStatus(e.id);
      else if (e.status === "pending") this.scheduleDispatch();
    } else if (e.type === "agent.updated" && !e.fromSession) {
      this.checkRetired(e.id);
      this.scheduleDispatch();
    } else if (e.type === "pool.updated" || e.type === "container_profile.updated") {
      this.scheduleDispatch();
    }
  }

  /** An operator retired or deleted an agent: its session ends with a close code saying so. */
  private checkRetired(agentId: string): void {
    const s = this.sessions.get(agentId);
    if (!s) return;
    const archived = this.archivedOf(agentId);
    if (archived === undefined) s.ws.close(CLOSE.unauthorized, "this agent was deleted");
    else if (archived) s.ws.close(CLOSE.retired, "this agent was retired");
  }

  /** A job changed outside the session layer (REST: created, cancelled, timed out). */
  private onJobStatus(jobId: string): void {
    const job = prepared(
      this.deps.db,
      `select "status", "agent_id" as agentId, "attempt", "org_id" as orgId, "error_reason" as errorReason from "jobs" where "id" = ?`,
    ).get(jobId) as { status: string; agentId: string | null; attempt: number; orgId: string; errorReason: string | null } | undefined;
    if (!job) return;
    if (job.status === "pending") this.scheduleDispatch();
    if (job.status === "cancelling" && job.agentId) {
      const s = this.sessions.get(job.agentId);
      if (s) this.sendCancel(s, jobId, job.attempt, job.errorReason);
      this.deps.events.publish({ type: "job.updated", id: jobId, org_id: job.orgId, status: job.status });
    }
  }

  private publishJob(jobId: string): void {
    const job = prepared(this.deps.db, `select "org_id" as orgId, "status" from "jobs" where "id" = ?`).get(jobId) as { orgId: string; status: string } | undefined;
    if (job) this.deps.events.publish({ type: "job.updated", id: jobId, org_id: job.orgId, status: job.status });
  }

  /** Whether the agent is retired (1), not (0), or gone (undefined). */
  private archivedOf(agentId: string): number | undefined {
    return prepared(this.deps.db, `select "archived" from "agents" where "id" = ?`).pluck().get(agentId) as number | undefined;
  }

  private jobChanged(s: Session, jobId: string, status?: string): void {
    if (status === undefined) {
      status = (prepared(this.deps.db, `select "status" from "jobs" where "id" = ?`).pluck().get(jobId) as string | undefined) ?? "deleted";
    }
    this.deps.events.publish({ type: "job.updated", id: jobId, org_id: s.orgId, status });
  }

  private agentChanged(s: Session): void {
    this.deps.events.publish({ type: "agent.updated", id: s.agentId, org_id: s.orgId, fromSession: true });
  }
}
