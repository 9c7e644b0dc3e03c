/**
 * The phases that live in their own files, with their options (run.ts spreads PHASE_OPTIONS into
 * its own and runs each phase named in --phases).
 */
import { logsPhase } from "./logs.js";
import type { PhaseContext } from "./phase.js";
import { spreadPhase } from "./spread.js";
import { stormPhase } from "./storm.js";

export const PHASE_OPTIONS = {
  /** Storm: agents holding a running job through both storms (of --agents connected), and their lease TTL (s; the product default). */
  "storm-jobs": { type: "string", default: "2000" },
  "storm-lease-ttl": { type: "string", default: "120" },
  /** Spread: one-slot agents and no-op jobs; the bench/dispatch setup (4 x 8 slots) runs --spread-base-jobs. */
  "spread-agents": { type: "string", default: "1000" },
  "spread-jobs": { type: "string", default: "100000" },
  "spread-base-jobs": { type: "string", default: "20000" },
  /** Logs: jobs printing at once, lines each, and how many of them a follower follows. */
  "log-jobs": { type: "string", default: "200" },
  "log-lines": { type: "string", default: "2000" },
  "log-followers": { type: "string", default: "5" },
} as const;

export const PHASES: Record<string, (ctx: PhaseContext) => Promise<void>> = { storm: stormPhase, spread: spreadPhase, logs: logsPhase };
