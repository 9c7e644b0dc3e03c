/** What the bench's main thread and its client worker say to each other. */
import type { Summary } from "./stats.js";

export type ClientTask =
  | { kind: "echo"; url: string; warmup: number; n: number }
  /** REST submissions one at a time, each after one echo round trip (the interleaved baseline). */
  | { kind: "latency"; httpUrl: string; echoUrl: string; token: string; credentials: string[]; warmup: number; n: number }
  | { kind: "submit"; httpUrl: string; token: string; n: number; concurrency: number }
  /**
   * Agents idle; the main thread creates each job through the jobs service, the worker posts
   * `{ assignedAt }` per job, and `{ echoRtt }` for each `{ echoOnce: true }` the main thread sends.
   */
  | { kind: "serviceLatency"; httpUrl: string; echoUrl: string; credentials: string[]; n: number }
  | { kind: "throughput"; httpUrl: string; credentials: string[]; slots: number; expected: number };

export type ClientResult =
  | { kind: "echo"; rtt: Summary }
  /** `health`: GET /healthz round trips on the same socket, one before each submission. */
  | { kind: "latency"; assign: Summary; httpReply: Summary; echo: Summary; health: Summary }
  | { kind: "submit"; n: number; seconds: number }
  | { kind: "serviceLatency"; n: number }
  | { kind: "throughput"; completed: number; seconds: number };

/** The job every bench submission creates: the sample module's no-op function. */
export const JOB_BODY = JSON.stringify({ module: "hello", function: "greet", inputs: { who: "bench" } });
export const MODULE = { name: "hello", version: "1.0.0" };
