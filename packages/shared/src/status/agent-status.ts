/**
 * Agent statuses, their console badge group and the transitions the control plane allows.
 * Every status change is one guarded write (see control-plane agents repo) checked against
 * AGENT_TRANSITIONS, and recorded in the agent's status history.
 */
import { z } from "zod";

export const AGENT_STATUSES = [
  "Idle",
  "Claimed",
  "ExecutingJob",
  "ExecutionSuccess",
  "ExecutionFailed",
  "Canceled",
  "UpdatingModule",
  "UpdateFailed",
  "Unknown",
  "Offline",
] as const;
export const AgentStatus = z.enum(AGENT_STATUSES);
export type AgentStatus = z.infer<typeof AgentStatus>;

export const BADGE_GROUPS = ["green", "yellow", "red", "neutral"] as const;
export type BadgeGroup = (typeof BADGE_GROUPS)[number];

/** Colours as agents-and-pools-console.txt gives them: healthy, in progress, error, other. */
export const AGENT_BADGE: Record<AgentStatus, BadgeGroup> = {
  Idle: "green",
  ExecutionSuccess: "green",
  Claimed: "yellow",
  ExecutingJob: "yellow",
  UpdatingModule: "yellow",
  ExecutionFailed: "red",
  UpdateFailed: "red",
  Canceled: "red",
  Unknown: "red",
  Offline: "neutral",
};

/**
 * list-agents-api.txt's three-valued `status`, returned as `run_state` (the console's statuses
 * above win the `status` name): stopped when the agent is not connected, error after a failed job
 * or module update or while silent, running otherwise.
 */
export const RUN_STATES = ["stopped", "running", "error"] as const;
export type RunState = (typeof RUN_STATES)[number];
export const RUN_STATE: Record<AgentStatus, RunState> = {
  Idle: "running",
  Claimed: "running",
  ExecutingJob: "running",
  ExecutionSuccess: "running",
  Canceled: "running",
  UpdatingModule: "running",
  ExecutionFailed: "error",
  UpdateFailed: "error",
  Unknown: "error",
  Offline: "stopped",
};

/** Statuses an agent settles in between jobs: it can take new work from any of them. */
const AT_REST = ["Idle", "ExecutionSuccess", "ExecutionFailed", "Canceled", "UpdateFailed"] as const;

/**
 * from -> allowed targets. Going Unknown (silent session) and Offline (session closed) is allowed
 * from everywhere; a reconnecting agent goes back to Idle, or straight to ExecutingJob/Claimed when
 * it reports work still running. With several slots an agent can claim while executing.
 */
export const AGENT_TRANSITIONS: Record<AgentStatus, readonly AgentStatus[]> = {
  Offline: ["Idle", "Claimed", "ExecutingJob", "UpdatingModule", "Unknown"],
  Unknown: ["Idle", "Claimed", "ExecutingJob", "UpdatingModule", "Offline"],
  Idle: ["Claimed", "UpdatingModule", "Unknown", "Offline"],
  Claimed: ["ExecutingJob", "Idle", "ExecutionFailed", "Canceled", "Claimed", "Unknown", "Offline"],
  ExecutingJob: [
    "ExecutionSuccess",
    "ExecutionFailed",
    "Canceled",
    "Claimed",
    "Idle",
    "Unknown",
    "Offline",
  ],
  ExecutionSuccess: ["Idle", "Claimed", "ExecutingJob", "UpdatingModule", "Unknown", "Offline"],
  ExecutionFailed: ["Idle", "Claimed", "ExecutingJob", "UpdatingModule", "Unknown", "Offline"],
  Canceled: ["Idle", "Claimed", "ExecutingJob", "UpdatingModule", "Unknown", "Offline"],
  UpdatingModule: ["Idle", "UpdateFailed", "Unknown", "Offline"],
  UpdateFailed: ["Idle", "Claimed", "UpdatingModule", "Unknown", "Offline"],
};

export function canTransitionAgent(from: AgentStatus, to: AgentStatus): boolean {
  return AGENT_TRANSITIONS[from].includes(to);
}

/** The statuses from which `to` may be entered: the guard of the compare-and-set write. */
export function agentStatusesLeadingTo(to: AgentStatus): AgentStatus[] {
  return AGENT_STATUSES.filter((from) => canTransitionAgent(from, to));
}

export function isAgentAtRest(status: AgentStatus): boolean {
  return (AT_REST as readonly string[]).includes(status);
}

export const AGENT_TRANSITION_REASONS = {
  registered: "registered",
  connected: "connected",
  disconnected: "disconnected",
  heartbeatMissed: "heartbeat_missed",
  jobClaimed: "job_claimed",
  jobStarted: "job_started",
  jobSucceeded: "job_succeeded",
  jobFailed: "job_failed",
  jobCancelled: "job_cancelled",
  claimReleased: "claim_released",
  moduleUpdate: "module_update",
  moduleUpdateFailed: "module_update_failed",
  moduleUpdated: "module_updated",
} as const;
