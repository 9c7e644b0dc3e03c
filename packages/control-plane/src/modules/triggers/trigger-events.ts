/**
 * Event triggers: a job of the trigger's org finishing, or an agent of it changing status. Each
 * trigger keeps a cursor (triggers.scheduled_through: `<completed_at>|<job id>` for jobs, the last
 * agent_status_history id for agents) and each event fires at most once per trigger (firing
 * event_key unique). The event becomes the job's `event` input. A job started by an event carries
 * chain_depth = the depth of the job behind the event + 1; past config.triggerChainLimit the firing
 * is skipped, so triggers that set each other off stop.
 */
import { and, asc, eq, gt, inArray, isNotNull, or, sql } from "drizzle-orm";
import { TERMINAL_JOB_STATUSES, type EventFilter } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { agentStatusHistory, agents, jobs, poolAgents, triggers } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { nowIso } from "../../lib/time.js";
import { fireTrigger, type Submit } from "./trigger-fire.js";
import type { TriggerRow } from "./triggers.repo.js";

const BATCH = 100;

/** Where a new (or re-enabled) event trigger starts: events from now on. */
export function eventCursorNow(db: Db, filter: EventFilter, nowMs: number): string {
  if (filter.on === "job.finished") return `${nowIso(() => nowMs)}|`;
  const last = db.select({ id: sql<number>`max(${agentStatusHistory.id})` }).from(agentStatusHistory).get();
  return String(last?.id ?? 0);
}

type Fired = { key: string; depth: number; event: Record<string, unknown> };

function depthOf(db: Db, jobId: string | null): number {
  if (!jobId) return 1;
  const row = db.select({ d: jobs.chainDepth }).from(jobs).where(eq(jobs.id, jobId)).get();
  return (row?.d ?? 0) + 1;
}

function finishedJobs(db: Db, trig: TriggerRow, filter: Extract<EventFilter, { on: "job.finished" }>, cursor: string): { events: Fired[]; next: string } {
  const [at = "", id = ""] = cursor.split("|");
  const rows = db
    .select()
    .from(jobs)
    .where(
      and(
        eq(jobs.orgId, trig.orgId),
        isNotNull(jobs.completedAt),
        inArray(jobs.status, [...TERMINAL_JOB_STATUSES]),
        or(gt(jobs.completedAt, at), and(eq(jobs.completedAt, at), gt(jobs.id, id))),
      ),
    )
    .orderBy(asc(jobs.completedAt), asc(jobs.id))
    .limit(BATCH)
    .all();
  const last = rows[rows.length - 1];
  const events = rows
    .filter((j) => (!filter.module || j.module === filter.module) && (!filter.function || j.function === filter.function) && (!filter.outcome || (filter.outcome as string[]).includes(j.status)))
    .map((j) => ({
      key: `job:${j.id}`,
      depth: j.chainDepth + 1,
      event: { type: "job.finished", job_id: j.id, module: j.module, version: j.version, function: j.function, status: j.status, error_reason: j.errorReason, completed_at: j.completedAt, trigger_id: j.triggerId },
    }));
  return { events, next: last ? `${last.completedAt}|${last.id}` : cursor };
}

function agentChanges(db: Db, trig: TriggerRow, filter: Extract<EventFilter, { on: "agent.status" }>, cursor: string): { events: Fired[]; next: string } {
  const rows = db
    .select({ h: agentStatusHistory, name: agents.name })
    .from(agentStatusHistory)
    .innerJoin(agents, eq(agents.id, agentStatusHistory.agentId))
    .where(and(eq(agents.orgId, trig.orgId), gt(agentStatusHistory.id, Number(cursor) || 0)))
    .orderBy(asc(agentStatusHistory.id))
    .limit(BATCH)
    .all();
  const last = rows[rows.length - 1];
  const inPool = (agentId: string) =>
    !filter.pool_id || Boolean(db.select().from(poolAgents).where(and(eq(poolAgents.poolId, filter.pool_id), eq(poolAgents.agentId, agentId))).get());
  const events = rows
    .filter(({ h }) => (!filter.status || (filter.status as string[]).includes(h.toStatus)) && inPool(h.agentId))
    .map(({ h, name }) => ({
      key: `agent-status:${h.id}`,
      depth: depthOf(db, h.jobId),
      event: { type: "agent.status", agent_id: h.agentId, agent_name: name, from: h.fromStatus, to: h.toStatus, reason: h.reason, job_id: h.jobId, at: h.at },
    }));
  return { events, next: last ? String(last.h.id) : cursor };
}

/** One pass of one event trigger: fires for each matching event since its cursor, then moves it. */
export async function runEventTrigger(deps: Deps, hub: Submit, trig: TriggerRow): Promise<void> {
  const { db } = deps;
  const filter = trig.event as EventFilter;
  const cursor = trig.scheduledThrough ?? eventCursorNow(db, filter, deps.clock());
  const { events, next } = filter.on === "job.finished" ? finishedJobs(db, trig, filter, cursor) : agentChanges(db, trig, filter, cursor);
  const limit = deps.config.triggerChainLimit;
  for (const e of events) {
    const skipReason = e.depth > limit ? `chain depth ${e.depth} is past the limit of ${limit} (OUTPOST_TRIGGER_CHAIN_LIMIT)` : undefined;
    await fireTrigger(deps, hub, trig, { eventKey: e.key, chainDepth: e.depth, inputs: { event: e.event }, ...(skipReason ? { skipReason } : {}) });
  }
  if (next !== cursor) db.update(triggers).set({ scheduledThrough: next }).where(eq(triggers.id, trig.id)).run();
}
