/**
 * The real dispatcher (session/dispatcher.ts) without sockets, for tests of the dispatch core:
 * each agent gets a plain send target as its session, and `claim` runs one dispatch pass for that
 * agent alone at a given time and lease, returning the assign frame it was sent. It is the pass
 * the hub runs when a session offers a free slot: the same claimant load, claim, agent move and
 * frame, in the same batch.
 */
import type { FrameOf, ServerFrame } from "@outpost/shared";
import { FrameBatch } from "../session/batch.js";
import { ChangeRouting } from "../session/change-routing.js";
import type { HubContext } from "../session/context.js";
import { Dispatcher } from "../session/dispatcher.js";
import type { Session } from "../session/session.js";
import type { Deps } from "../deps.js";

export type Assign = FrameOf<ServerFrame, "assign">;

export type DispatchHarness = {
  /** One pass for `agentId`'s session with one free slot, at `at`, leases of `leaseMs`: what it was assigned, or null. */
  claim: (agentId: string, at: string, leaseMs: number) => Assign | null;
};

export function dispatchHarness(deps: Deps): DispatchHarness {
  let now = new Date(deps.clock()).toISOString();
  let lease = 60_000;
  const sessions = new Map<string, Session>();
  const ctx: HubContext = {
    deps,
    sessions,
    get leaseMs() {
      return lease;
    },
    now: () => now,
    scheduleDispatch: (s) => dispatcher.schedule(s),
    jobChanged: (s, id, status) => changes.jobChanged(s, id, status),
    agentChanged: (s) => changes.agentChanged(s),
  };
  const changes = new ChangeRouting(ctx);
  const dispatcher = new Dispatcher(ctx, new FrameBatch(deps, ctx.agentChanged), () => false);
  return {
    claim(agentId, at, leaseMs) {
      now = at;
      lease = leaseMs;
      const row = deps.db.$client.prepare(`select "org_id" from "agents" where "id" = ?`).get(agentId) as { org_id: string } | undefined;
      const frames: ServerFrame[] = [];
      const session = { agentId, orgId: row?.org_id ?? "", said: true, freeSlots: 1, closed: false, congested: false, send: (f: ServerFrame) => frames.push(f) } as unknown as Session;
      sessions.clear();
      sessions.set(agentId, session);
      dispatcher.schedule(session);
      dispatcher.dispatch();
      return (frames.find((f) => f.type === "assign") as Assign | undefined) ?? null;
    },
  };
}
