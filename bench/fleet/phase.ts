/** What run.ts hands the phases that live in their own files (storm.ts, spread.ts, logs.ts). */
import type { FleetResult, FleetTask } from "./protocol.js";

export type Ask = <K extends FleetTask["kind"]>(task: Extract<FleetTask, { kind: K }>) => Promise<Extract<FleetResult, { kind: K }>>;

export type PhaseContext = {
  ask: Ask;
  /** The JSON results file's object: each phase adds its own key. */
  results: Record<string, unknown>;
  load: () => string;
  /** run.ts's options, as strings (each phase reads its own). */
  args: Record<string, string | undefined>;
};

export const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
export const rate = (v: number) => `${Math.round(v).toLocaleString("en-US")} /s`;
export { summarize, type Summary } from "../dispatch/stats.js";
