/**
 * The dispatcher: scheduling and claiming. Jobs are pushed: a job becoming pending, an agent
 * announcing free slots or a session opening schedules one dispatch pass, coalesced per tick; a
 * job created over REST while a session has a free slot is claimed in its insert's own commit
 * (submit). It needs sessions only as send targets, so it is testable without a socket.
 *
 * A pass costs what changed, not the fleet: a session that opened or freed slots wakes only itself
 * (its own offer: nothing else became claimable); a job becoming pending, a pool or an agent
 * changed wake every ready session. Either way a pass stops as soon as no job is pending (an index
 * probe of jobs_queue), so a fleet connecting with an empty queue pays one probe per batch.
 */
import { PROTOCOL_VERSION, type ServerFrame } from "@outpost/shared";
import { savepoint } from "../db/client.js";
import { anyPending, markClaimed, claimFor, loadClaimant, type Claimant } from "../modules/dispatch/dispatch-claim.js";
import type { FrameBatch } from "./batch.js";
import { CANCEL_GRACE_S, type HubContext } from "./context.js";
import type { Session } from "./session.js";

/** A job as REST just stored it: what the dispatcher acts on without reading it again. */
export type JobChange = { id: string; orgId: string; status: string; agentId: string | null; attempt: number; errorReason: string | null };

/**
 * What routes may ask of the dispatch layer (the one narrow interface; routes do not publish job
 * changes on the event bus for the hub to re-read): run a submission, and act on a job they changed.
 */
export interface DispatchCommands {
  /** Group commit: resolves once the write is committed (with every other submission of its tick). */
  submit<T>(write: () => T): Promise<T>;
  /** A job changed over REST: one job.updated event with its status; pending -> a pass, cancelling -> the agent is told. */
  jobChanged(job: JobChange): void;
}

/** What a dispatcher has done, for tests and benches: passes run and sessions offered a job. */
export type DispatchStats = { passes: number; offers: number };

type Submission = { write: () => unknown; resolve: (v: unknown) => void; reject: (err: unknown) => void };

export class Dispatcher {
  private scheduled = false;
  private submissions: Submission[] = [];
  private rotate = 0;
  /** Sessions woken since the last pass (opened, freed slots, got a module), or every ready one. */
  private readonly woken = new Set<Session>();
  private wokenAll = false;
  readonly stats: DispatchStats = { passes: 0, offers: 0 };

  constructor(
    private readonly ctx: HubContext,
    private readonly batch: FrameBatch,
    private readonly stopped: () => boolean,
  ) {}

  /**
   * Runs one dispatch pass on the next tick; many triggers in one tick make one pass. With a
   * session, only that session is offered jobs (it alone changed); without, every ready one.
   */
  schedule(session?: Session): void {
    if (session) this.woken.add(session);
    else this.wokenAll = true;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      if (!this.scheduled) return; // already done inside a frame batch
      this.scheduled = false;
      if (this.stopped()) return; // the server is closing (the database may be closed already)
      this.dispatch();
    });
  }

  /**
   * Inside a frame batch: if a pass is scheduled, runs it now, so slots these frames freed are
   * filled in the same commit rather than one more.
   */
  runScheduled(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    const ready = this.takeWoken();
    if (ready.length) this.claimFor(ready);
  }

  /** Offers pending jobs to sessions with free slots, round-robin, until nothing more is claimed. */
  dispatch(): void {
    const ready = this.takeWoken();
    if (!ready.length) return;
    this.batch.run(() => this.claimFor(ready));
  }

  /**
   * Runs a write that adds a pending job (POST /api/v1/jobs). Group commit: every submission of
   * one event-loop turn is written in one transaction, each in its own savepoint (a write that
   * throws rejects alone), and in the same transaction jobs are offered to ready sessions: one
   * commit from submit to assign, the assigns sent once it is stored. None resolves before that
   * commit is done; if the commit fails, all reject. Outside a batch only.
   */
  submit<T>(write: () => T): Promise<T> {
    if (this.stopped() || this.batch.open || this.ctx.deps.db.$client.inTransaction) {
      try {
        return Promise.resolve(write());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.submissions.push({ write, resolve: resolve as (v: unknown) => void, reject });
      if (this.submissions.length === 1) setImmediate(() => this.commitSubmissions());
    });
  }

  private commitSubmissions(): void {
    const queued = this.submissions;
    this.submissions = [];
    if (this.stopped()) {
      for (const q of queued) q.reject(new Error("the server is shutting down"));
      return;
    }
    const results: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    try {
      this.batch.run(
        () => {
          let written = 0;
          for (const q of queued) {
            try {
              let value: unknown;
              savepoint(this.ctx.deps.db, () => void (value = q.write()));
              results.push({ ok: true, value });
              written++;
            } catch (err) {
              results.push({ ok: false, err });
            }
          }
          const ready = written ? this.readySessions() : [];
          if (ready.length) this.claimFor(ready, written);
        },
        { rethrow: true, claimedAfter: true },
      );
    } catch (err) {
      for (const q of queued) q.reject(err);
      return;
    }
    queued.forEach((q, i) => {
      const r = results[i]!;
      if (r.ok) q.resolve(r.value);
      else q.reject(r.err);
    });
  }

  /**
   * The sessions this pass offers jobs to: the woken ones that can take one (every ready session
   * when all were woken), none when no job is pending. Woken sessions whose socket is congested
   * wait for the next pass.
   */
  private takeWoken(): Session[] {
    const all = this.wokenAll;
    const woken = [...this.woken];
    this.wokenAll = false;
    this.woken.clear();
    if ((!all && !woken.length) || !this.ctx.sessions.size) return [];
    if (!anyPending(this.ctx.deps.db)) return [];
    if (all) return this.readySessions();
    const ready: Session[] = [];
    for (const s of woken) {
      if (s.closed || !s.said || s.freeSlots <= 0) continue;
      if (s.congested) this.woken.add(s);
      else ready.push(s);
    }
    return ready;
  }

  private readySessions(): Session[] {
    return [...this.ctx.sessions.values()].filter((s) => s.said && s.freeSlots > 0 && !s.congested && !s.closed);
  }

  /**
   * Round-robin over the ready sessions, one job per session per round, until a round claims
   * nothing (or `max` jobs are claimed). Each agent is read once per pass (loadClaimant).
   * Each agent's move to Claimed is written once per pass: in the pass's commit, or right after it
   * (FrameBatch.run's claimedAfter). Precondition: inside a batch.
   */
  private claimFor(ready: Session[], max = Infinity): void {
    const { db } = this.ctx.deps;
    const start = this.rotate++ % ready.length;
    const order = [...ready.slice(start), ...ready.slice(0, start)];
    const claimants = new Map<Session, Claimant | null>();
    const moved = new Set<Session>();
    const at = this.ctx.now(); // one pass, one transaction, one time
    this.stats.passes += 1;
    let claimed = 0;
    let claimedAny = true;
    while (claimedAny && claimed < max) {
      claimedAny = false;
      for (const s of order) {
        if (s.freeSlots <= 0 || s.closed) continue;
        let c = claimants.get(s);
        if (c === undefined) claimants.set(s, (c = loadClaimant(db, s.agentId)));
        if (!c) continue;
        this.stats.offers += 1;
        const a = claimFor(db, c, at, this.ctx.leaseMs);
        if (!a) {
          if (!anyPending(db)) return; // the queue is empty: nobody else can claim either
          continue;
        }
        claimedAny = true;
        s.freeSlots -= 1;
        const { job_id, attempt, ...rest } = a;
        s.send({ v: PROTOCOL_VERSION, type: "assign", job_id, attempt, ...rest, cancel_grace_s: CANCEL_GRACE_S } satisfies ServerFrame);
        this.ctx.jobChanged(s, job_id, "claimed");
        if (!moved.has(s)) {
          moved.add(s);
          if (this.batch.claimedMoves) this.batch.claimedMoves.push({ session: s, jobId: job_id, at });
          else {
            markClaimed(db, s.agentId, job_id, at);
            this.ctx.agentChanged(s);
          }
        }
        if (++claimed >= max) break;
      }
    }
  }
}
