/**
 * Change-event routing between the session layer and the rest of the server: the events the hub
 * publishes for what sessions did (jobChanged, agentChanged), and what it does about changes made
 * elsewhere (REST: a job pending or cancelling, an agent retired, a pool changed).
 */
import { CLOSE } from "@outpost/shared";
import { prepared } from "../db/client.js";
import type { ChangeEvent } from "../modules/events/event-bus.js";
import { sendCancel, type HubContext } from "./context.js";
import type { JobChange } from "./dispatcher.js";
import type { Session } from "./session.js";

export class ChangeRouting {
  constructor(private readonly ctx: HubContext) {}

  onChange(e: ChangeEvent): void {
    if (e.type === "job.updated") {
      if (e.status === undefined) this.onJobStatus(e.id);
      else if (e.status === "pending") this.ctx.scheduleDispatch();
    } else if (e.type === "agent.updated" && !e.fromSession) {
      this.checkRetired(e.id);
      this.ctx.scheduleDispatch();
    } else if (e.type === "pool.updated" || e.type === "container_profile.updated") {
      this.ctx.scheduleDispatch();
    }
  }

  /** An operator retired or deleted an agent: its session ends with a close code saying so. */
  private checkRetired(agentId: string): void {
    const s = this.ctx.sessions.get(agentId);
    if (!s) return;
    const archived = this.archivedOf(agentId);
    if (archived === undefined) s.ws.close(CLOSE.unauthorized, "this agent was deleted");
    else if (archived) s.ws.close(CLOSE.retired, "this agent was retired");
  }

  /** A job changed outside the session layer and published without its status (read it here). */
  onJobStatus(jobId: string): void {
    const job = prepared(
      this.ctx.deps.db,
      `select "id", "status", "agent_id" as agentId, "attempt", "org_id" as orgId, "error_reason" as errorReason from "jobs" where "id" = ?`,
    ).get(jobId) as JobChange | undefined;
    if (!job) return;
    this.act(job);
    if (job.status === "cancelling" && job.agentId) this.ctx.deps.events.publish({ type: "job.updated", id: jobId, org_id: job.orgId, status: job.status });
  }

  /** A job REST changed, as stored (DispatchCommands.jobChanged): one event, with its status. */
  jobChangedByRoute(job: JobChange): void {
    this.act(job);
    this.ctx.deps.events.publish({ type: "job.updated", id: job.id, org_id: job.orgId, status: job.status });
  }

  /** Pending: a dispatch pass. Cancelling on an agent: the agent is told to stop it. */
  private act(job: JobChange): void {
    if (job.status === "pending") this.ctx.scheduleDispatch();
    if (job.status === "cancelling" && job.agentId) {
      const s = this.ctx.sessions.get(job.agentId);
      if (s) sendCancel(s, job.id, job.attempt, job.errorReason);
    }
  }

  publishJob(jobId: string): void {
    const job = prepared(this.ctx.deps.db, `select "org_id" as orgId, "status" from "jobs" where "id" = ?`).get(jobId) as { orgId: string; status: string } | undefined;
    if (job) this.ctx.deps.events.publish({ type: "job.updated", id: jobId, org_id: job.orgId, status: job.status });
  }

  /** Whether the agent is retired (1), not (0), or gone (undefined). */
  archivedOf(agentId: string): number | undefined {
    return prepared(this.ctx.deps.db, `select "archived" from "agents" where "id" = ?`).pluck().get(agentId) as number | undefined;
  }

  jobChanged(s: Session, jobId: string, status?: string): void {
    if (status === undefined) {
      status = (prepared(this.ctx.deps.db, `select "status" from "jobs" where "id" = ?`).pluck().get(jobId) as string | undefined) ?? "deleted";
    }
    this.ctx.deps.events.publish({ type: "job.updated", id: jobId, org_id: s.orgId, status });
  }

  agentChanged(s: Session): void {
    this.ctx.deps.events.publish({ type: "agent.updated", id: s.agentId, org_id: s.orgId, fromSession: true });
  }
}
