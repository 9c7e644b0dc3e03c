import type { JobMode } from "./agent.js";

/** What bench/fleet's main thread and its agent worker say to each other. */
export type FleetTask =
  /** Every credential dials at once; done when each holds `welcome` and has said `ready`. */
  | { kind: "connect"; url: string; credentials: string[]; slots: number; subprotocol: string | null }
  /** `n` requests over `concurrency` kept-alive sockets, one in flight on each (autocannon-style). */
  | { kind: "http"; url: string; method: string; path: string; headers: Record<string, string>; body: string; expect: number; n: number; concurrency: number }
  /** Closes every socket of the fleet and waits for the closes. */
  | { kind: "close" }
  /** Working agents (agent.ts) dial at once; done when all are welcomed and `expected` jobs are acked. */
  | { kind: "agentsUp"; url: string; credentials: string[]; slots: number; mode: JobMode; linesPerJob: number; expected: number }
  /** Every agent must be welcomed again by a new session: `drop` drops every socket here; else the server restarts. */
  | { kind: "storm"; drop: boolean; timeoutS: number }
  /** Every held job is finished; done when each finished is acknowledged. */
  | { kind: "finishAll"; timeoutS: number }
  | { kind: "agentsDown" }
  /** SSE followers of these jobs' logs, until each one's `end`. */
  | { kind: "follow"; url: string; token: string; jobIds: string[] };

/** Counters of the working agents: leases that ran out before their renewal came, stale answers, error frames. */
type AgentCounters = { lapsed: number; stale: number; errors: number; redials: number; minMarginMs: number | null; firstError: string | null };

export type FleetResult =
  | { kind: "connect"; seconds: number; welcomed: number; failed: number; redials: number; firstError: string | null }
  | { kind: "http"; n: number; seconds: number }
  | { kind: "close"; closed: number }
  | ({ kind: "agentsUp"; seconds: number; welcomeSeconds: number; done: number[]; held: number; lines: { sent: number; acked: number; seconds: number } } & AgentCounters)
  | ({ kind: "storm"; startedAtMs: number; backAtMs: number[]; maxWindowMs: number; held: number; lapsedDuring: number; renewedAfter: number } & AgentCounters)
  | ({ kind: "finishAll"; finished: number } & AgentCounters)
  | { kind: "agentsDown"; closed: number }
  | { kind: "follow"; lines: number; delaysMs: number[] };
