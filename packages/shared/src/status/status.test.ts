import { describe, expect, it } from "vitest";
import {
  AGENT_BADGE,
  AGENT_STATUSES,
  AGENT_TRANSITIONS,
  agentStatusesLeadingTo,
  canTransitionAgent,
} from "./agent-status.js";
import {
  JOB_STATUSES,
  JOB_TRANSITIONS,
  TERMINAL_JOB_STATUSES,
  canTransitionJob,
  isTerminalJobStatus,
} from "./job-status.js";

describe("agent status table", () => {
  it("gives every status a badge group as the console reference colours them", () => {
    expect(AGENT_BADGE.Idle).toBe("green");
    expect(AGENT_BADGE.ExecutionSuccess).toBe("green");
    for (const s of ["Claimed", "ExecutingJob", "UpdatingModule"] as const) expect(AGENT_BADGE[s]).toBe("yellow");
    for (const s of ["ExecutionFailed", "UpdateFailed", "Unknown", "Canceled"] as const) expect(AGENT_BADGE[s]).toBe("red");
    expect(AGENT_BADGE.Offline).toBe("neutral");
    expect(Object.keys(AGENT_BADGE).sort()).toEqual([...AGENT_STATUSES].sort());
  });

  it("lists only known statuses as targets", () => {
    for (const targets of Object.values(AGENT_TRANSITIONS)) {
      for (const t of targets) expect(AGENT_STATUSES).toContain(t);
    }
  });

  it("lets any status fall to Unknown or Offline except itself", () => {
    for (const s of AGENT_STATUSES) {
      if (s !== "Unknown") expect(canTransitionAgent(s, "Unknown")).toBe(true);
      if (s !== "Offline") expect(canTransitionAgent(s, "Offline")).toBe(true);
    }
  });

  it("runs a job only through a claim", () => {
    expect(canTransitionAgent("Idle", "ExecutingJob")).toBe(false);
    expect(canTransitionAgent("Idle", "Claimed")).toBe(true);
    expect(canTransitionAgent("Claimed", "ExecutingJob")).toBe(true);
    expect(canTransitionAgent("ExecutingJob", "ExecutionSuccess")).toBe(true);
    expect(canTransitionAgent("Idle", "ExecutionSuccess")).toBe(false);
  });

  it("only ends a module update in Idle or UpdateFailed", () => {
    expect(canTransitionAgent("UpdatingModule", "Idle")).toBe(true);
    expect(canTransitionAgent("UpdatingModule", "UpdateFailed")).toBe(true);
    expect(canTransitionAgent("UpdatingModule", "Claimed")).toBe(false);
    expect(canTransitionAgent("Idle", "UpdateFailed")).toBe(false);
  });

  it("derives the compare-and-set guard from the table", () => {
    expect(agentStatusesLeadingTo("ExecutingJob").sort()).toEqual(
      ["Canceled", "Claimed", "ExecutionFailed", "ExecutionSuccess", "Offline", "Unknown"].sort(),
    );
  });
});

describe("job status table", () => {
  it("never leaves a terminal status", () => {
    for (const s of TERMINAL_JOB_STATUSES) {
      expect(JOB_TRANSITIONS[s]).toEqual([]);
      expect(isTerminalJobStatus(s)).toBe(true);
      for (const t of JOB_STATUSES) expect(canTransitionJob(s, t)).toBe(false);
    }
  });

  it("retries through retrying then pending", () => {
    expect(canTransitionJob("running", "retrying")).toBe(true);
    expect(canTransitionJob("retrying", "pending")).toBe(true);
    expect(canTransitionJob("running", "pending")).toBe(false);
  });

  it("cancels a pending job at once and a running one through cancelling", () => {
    expect(canTransitionJob("pending", "cancelled")).toBe(true);
    expect(canTransitionJob("running", "cancelled")).toBe(false);
    expect(canTransitionJob("running", "cancelling")).toBe(true);
    expect(canTransitionJob("cancelling", "cancelled")).toBe(true);
  });
});
