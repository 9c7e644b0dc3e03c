/**
 * The agent hub: every live agent session, wired to its parts: the socket and its outbox
 * (session.ts), the frame batch (batch.ts), one handler per frame (handlers/), the dispatcher
 * (dispatcher.ts), the clocks (clocks.ts) and the change-event routing (change-routing.ts).
 *
 * Frames are handled in batches: every frame received in one turn of the event loop (from any
 * session) is queued and handled on the next turn inside one SQLite transaction, each frame that
 * writes in its own savepoint; the dispatch pass is one transaction too. Replies (assign, finished_ack, ...) are
 * held until that transaction commits, so nothing is acknowledged that is not stored, and a busy
 * server pays one commit for many frames (docs/performance.md).
 */
import type { WebSocket } from "ws";
import { AgentFrame, CLOSE, MAX_BAD_FRAMES, PROTOCOL_VERSION, parseFrame, type FrameOf, type ServerFrame } from "@outpost/shared";
import type { Deps } from "../deps.js";
import { savepoint } from "../db/client.js";
import { liveAttempt } from "../modules/dispatch/dispatch-attempts.js";
import { nowIso } from "../lib/time.js";
import { FrameBatch } from "./batch.js";
import { ChangeRouting } from "./change-routing.js";
import { Clocks } from "./clocks.js";
import { ref, stale, type HubContext } from "./context.js";
import { Dispatcher, type DispatchCommands, type JobChange } from "./dispatcher.js";
import { HANDLERS, READ_ONLY_FRAMES, type Handler } from "./handlers/index.js";
import { markAllDisconnected, markDisconnected, touchLastSeen } from "./presence.js";
import { Session } from "./session.js";

export { Session } from "./session.js";

type AgentMessage = AgentFrame;

/**
 * Last-seen times are noted at most once per this many ms per agent, and written by the sweep in one
 * commit. A live agent's liveness is its session (`connected`, the silence clock); the stored time
 * only has to be current when the session ends (markDisconnected writes it then) or the server dies:
 * at 5 s, 10,000 idle agents cost 1,000 row writes a second, most of the server's idle CPU.
 */
export const LAST_SEEN_EVERY_MS = 60_000;

export class AgentHub implements DispatchCommands {
  private readonly sessions = new Map<string, Session>();
  private inbox: [Session, AgentMessage][] = [];
  /** Sessions that closed, written Offline in one commit on the next turn (flushGone). */
  private gone: { session: Session; silent: boolean; at: string }[] = [];
  /** Last-seen times (epoch ms) due to be written, flushed once a second by the sweep (clocks.ts). */
  private seen = new Map<string, number>();
  private inboxScheduled = false;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private readonly ctx: HubContext;
  private readonly batch: FrameBatch;
  private readonly changes: ChangeRouting;
  private readonly dispatcher: Dispatcher;
  private readonly clocks: Clocks;

  constructor(private readonly deps: Deps) {
    const hub = this;
    this.ctx = {
      deps,
      sessions: this.sessions,
      get leaseMs() {
        return deps.config.leaseTtlS * 1000;
      },
      now: () => nowIso(deps.clock),
      scheduleDispatch: (session) => hub.dispatcher.schedule(session),
      jobChanged: (s, jobId, status) => hub.changes.jobChanged(s, jobId, status),
      agentChanged: (s) => hub.changes.agentChanged(s),
    };
    this.changes = new ChangeRouting(this.ctx);
    this.batch = new FrameBatch(deps, this.ctx.agentChanged);
    this.dispatcher = new Dispatcher(this.ctx, this.batch, () => this.stopped);
    this.clocks = new Clocks(
      this.ctx,
      this.changes,
      (s) => {
        this.detach(s, true);
        s.ws.terminate();
      },
      () => this.flushSeen(),
    );
  }

  private now() {
    return this.ctx.now();
  }

  /** Starts the clocks and the event subscription. Every agent starts disconnected. */
  start(): void {
    markAllDisconnected(this.deps.db, this.now());
    this.unsubscribe = this.deps.events.subscribe((e) => this.changes.onChange(e));
    this.clocks.start();
  }

  /** Closes every session (going away) and stops the clocks. */
  stop(): void {
    if (this.stopped) return;
    this.clocks.stop();
    this.unsubscribe?.();
    const at = this.now();
    for (const s of [...this.sessions.values()]) {
      this.detach(s, false, at);
      s.ws.close(CLOSE.goingAway, "server shutting down");
    }
    this.flushGone();
    this.stopped = true;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A WebSocket authenticated as this agent has opened. */
  attach(ws: WebSocket, agentId: string, orgId: string): void {
    if (this.stopped) return void ws.close(CLOSE.goingAway, "server shutting down");
    const archived = this.changes.archivedOf(agentId);
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
    const session = new Session(ws, agentId, orgId, this.batch.outbox, this.deps.config.heartbeatS * 1000, this.deps.clock);
    // The agent is stored connected from the replaced session's hello until this one says hello or ends.
    session.owesOffline = previous !== undefined && (previous.said || previous.owesOffline);
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
    // A session that never said hello changed nothing stored (a dial the agent gave up on, whose
    // upgrade a storm's queue delayed past its handshake timeout): closing it writes nothing either.
    if (!session.said && !session.owesOffline) return;
    this.gone.push({ session, silent, at });
    if (this.gone.length === 1) setImmediate(() => this.flushGone());
  }

  /**
   * Writes the sessions that closed since the last flush Offline (or Unknown), all in one commit:
   * a reconnect storm's 10,000 closes are one write, not 10,000. Runs on the next turn, before
   * any frame batch of that turn (receive flushes first), so a close is stored before the hello
   * of the agent's next session. A failed write (a full disk) is logged, never thrown out of a
   * socket's close (issue 17).
   */
  private flushGone(): void {
    const gone = this.gone;
    if (!gone.length) return;
    this.gone = [];
    try {
      markDisconnected(this.deps.db, gone.map((g) => ({ agentId: g.session.agentId, at: g.at, silent: g.silent })));
    } catch (err) {
      this.deps.log.error({ err, agents: gone.length }, "recording agents offline failed (is the disk full?)");
    }
    for (const g of gone) this.changes.agentChanged(g.session);
  }

  private heard(session: Session): void {
    const now = this.deps.clock();
    session.heard(now);
    if (now - session.lastSeenWrittenMs > LAST_SEEN_EVERY_MS) {
      session.lastSeenWrittenMs = now;
      this.seen.set(session.agentId, now); // written by the next sweep, all in one commit
    }
  }

  /**
   * Writes the noted last-seen times (the sweep, once a second). A failed write (a full disk) is
   * logged, never thrown out of the sweep, and its times are kept for the next sweep unless newer
   * ones were noted meanwhile (issue 17).
   */
  private flushSeen(): void {
    const seen = this.seen;
    this.seen = new Map();
    try {
      touchLastSeen(this.deps.db, seen);
    } catch (err) {
      this.deps.log.error({ err, agents: seen.size }, "recording last seen failed (is the disk full?); retried at the next sweep");
      for (const [agentId, at] of seen) if (!this.seen.has(agentId)) this.seen.set(agentId, at);
    }
  }

  private receive(session: Session, data: Buffer, isBinary: boolean): void {
    this.heard(session);
    if (isBinary) return this.refuse(session, null, "binary frames are not part of the protocol");
    const parsed = parseFrame(AgentFrame, data.toString("utf8"));
    if (!parsed.ok && parsed.code === "unsupported_version") return this.refuseVersion(session, parsed.type, parsed.message);
    if (!parsed.ok) return this.refuse(session, parsed.type, parsed.message);
    this.inbox.push([session, parsed.frame]);
    if (this.inboxScheduled) return;
    this.inboxScheduled = true;
    setImmediate(() => {
      this.inboxScheduled = false;
      const batch = this.inbox;
      this.inbox = [];
      if (this.stopped) return; // the server is closing (the database may be closed already)
      this.flushGone(); // closes before the hellos that may follow them
      const stored = this.batch.run(() => {
        for (const [s, f] of batch) this.handle(s, f);
        // Slots these frames freed are filled in the same commit rather than one more.
        this.dispatcher.runScheduled();
      });
      // Issue 17: a batch that did not commit lost its frames' writes; acks are cumulative, so its sessions are
      // closed (the agents reconnect and resend from what is stored) rather than acked past the loss later.
      if (!stored) for (const s of new Set(batch.map(([x]) => x))) s.ws.close(CLOSE.serverError, "the server could not store a frame; reconnect and resend");
    });
  }

  /**
   * Runs a write that adds a pending job (POST /api/v1/jobs) in the group commit of its tick and,
   * in the same transaction, offers the new jobs to ready sessions (Dispatcher.submit).
   */
  submit<T>(write: () => T): Promise<T> {
    return this.dispatcher.submit(write);
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
    if ("job_id" in frame && !liveAttempt(this.deps.db, ref(session, frame))) {
      this.deps.log.info({ agent_id: session.agentId, job_id: frame.job_id, attempt: frame.attempt, frame_type: frame.type }, "frame about an attempt this agent does not hold; answered stale");
      return stale(session, frame);
    }
    try {
      const run = () => (HANDLERS[frame.type] as Handler<typeof frame.type>)(this.ctx, session, frame as never);
      if (READ_ONLY_FRAMES.has(frame.type)) run();
      else savepoint(this.deps.db, run);
    } catch (err) {
      this.deps.log.error({ err, agent_id: session.agentId, frame_type: frame.type }, "agent frame handler failed; closing the session so the agent resends from what is stored");
      session.send({ v: PROTOCOL_VERSION, type: "error", code: "internal", message: "the server could not handle this frame", frame_type: frame.type } satisfies ServerFrame);
      // Acks are cumulative: a later frame's ack would cover this one's lost writes. Close instead (issue 17).
      session.ws.close(CLOSE.serverError, "the server could not store a frame; reconnect and resend");
    }
  }

  /** A bad frame gets an error frame; too many close the session with a policy violation. */
  private refuse(session: Session, type: string | null, message: string): void {
    session.badFrames += 1;
    session.send({ v: PROTOCOL_VERSION, type: "error", code: "bad_frame", message, frame_type: type } satisfies ServerFrame);
    if (session.badFrames > MAX_BAD_FRAMES) session.ws.close(CLOSE.policy, "too many malformed frames");
  }

  /**
   * A frame whose `v` is not PROTOCOL_VERSION: an agent of another protocol version, which nothing
   * else it sends can be trusted to mean. It is told why, then closed with 4004 (the agent exits
   * saying to upgrade); the frame is never handled.
   */
  private refuseVersion(session: Session, type: string | null, message: string): void {
    session.send({ v: PROTOCOL_VERSION, type: "error", code: "unsupported_version", message, frame_type: type } satisfies ServerFrame);
    session.ws.close(CLOSE.unsupportedVersion, `frame version not supported; this server speaks v ${PROTOCOL_VERSION}`);
  }

  /** A job changed over REST, as stored: one job.updated event; the dispatcher acts on it without reading it again. */
  jobChanged(job: JobChange): void {
    this.changes.jobChangedByRoute(job);
  }

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
    s.send({ v: PROTOCOL_VERSION, type: "upgrade", version } satisfies ServerFrame);
    return true;
  }

  /** Runs one dispatch pass on the next tick; many triggers in one tick make one pass. */
  scheduleDispatch(): void {
    this.dispatcher.schedule();
  }

  /** Offers pending jobs to sessions with free slots, round-robin, until nothing more is claimed. */
  dispatch(): void {
    this.dispatcher.dispatch();
  }

  /** The timer's sweep: a failed write (a full disk) is logged and retried next time, never thrown out of the timer (issue 17). */
  sweepSafely(): void {
    this.clocks.sweepSafely();
  }

  /** Once a second: silent sessions, timeouts, and (after the restart grace) lost leases. */
  sweep(): void {
    this.clocks.sweep();
  }
}
