/**
 * The frame batch: work that runs in one SQLite transaction, with the frames it produces held in
 * the outbox until that commits (nothing is acknowledged that is not stored), and the agents'
 * moves to Claimed that a submit's claims owe, written in one more commit after the assigns left.
 */
import { tx } from "../db/client.js";
import type { Deps } from "../deps.js";
import { markClaimed } from "../modules/dispatch/dispatch-claim.js";
import { flush, type Outbox, type Session } from "./session.js";

/** An agent that took its first job of a dispatch pass: its move to Claimed, due after the commit. */
export type ClaimedMove = { session: Session; jobId: string; at: string };

export class FrameBatch {
  readonly outbox: Outbox = { frames: null };
  /** The open batch's agent moves to Claimed when they are due after its commit (run's claimedAfter). */
  claimedMoves: ClaimedMove[] | null = null;
  /** Transactions committed by run(), for tests and benches. */
  commits = 0;

  constructor(
    private readonly deps: Deps,
    private readonly agentChanged: (s: Session) => void,
  ) {}

  /** Whether a batch transaction is open (frames go to the outbox). */
  get open(): boolean {
    return this.outbox.frames !== null;
  }

  /**
   * Runs fn in one transaction and sends the frames it produced once that commits. If the commit
   * fails, nothing is sent: the agents' own clocks (renew, reconnect) recover. With
   * `claimedAfter`, the agents that claims move to Claimed are written in a second commit once the
   * frames have left (submit: the assign waits for the job's writes only); otherwise in the same
   * one (a frame batch pays one commit for all of it). Returns whether it committed: a frame batch
   * that did not lost its frames' writes, and its sessions must not be acked past them (hub.ts, issue 17).
   */
  run(fn: () => void, { rethrow = false, claimedAfter = false } = {}): boolean {
    const out: [Session, string][] = [];
    const moves: ClaimedMove[] = [];
    this.outbox.frames = out;
    this.claimedMoves = claimedAfter ? moves : null;
    let committed = false;
    try {
      tx(this.deps.db, fn);
      committed = true;
      this.commits++;
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
}
