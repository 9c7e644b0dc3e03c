/** Status badges. Agent colours come from AGENT_BADGE (the reference's four groups), run labels from RUN_STATUS_LABEL. */
import { AGENT_BADGE, RUN_STATUS_LABEL, type BadgeGroup } from "@outpost/shared";
import type { AgentStatus, JobStatus } from "../api/types";

const RUN_BADGE: Record<JobStatus, BadgeGroup> = {
  pending: "neutral",
  claimed: "yellow",
  running: "yellow",
  cancelling: "yellow",
  retrying: "yellow",
  completed: "green",
  failed: "red",
  cancelled: "red",
};

/** "ExecutingJob" -> "Executing Job": the status name, spaced for reading. */
export function spacedStatus(status: string): string {
  return status.replace(/([a-z])([A-Z])/g, "$1 $2");
}

export function Badge({ group, children, title }: { group: BadgeGroup; children: string; title?: string }) {
  return (
    <span className={`badge badge-${group}`} data-group={group} title={title}>
      {children}
    </span>
  );
}

export function AgentStatusBadge({ status }: { status: AgentStatus }) {
  const group = AGENT_BADGE[status] ?? "neutral";
  return (
    <Badge group={group} title={status}>
      {spacedStatus(status)}
    </Badge>
  );
}

export function RunStatusBadge({ status }: { status: JobStatus }) {
  return <Badge group={RUN_BADGE[status] ?? "neutral"}>{RUN_STATUS_LABEL[status] ?? status}</Badge>;
}
