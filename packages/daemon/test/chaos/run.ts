/**
 * `pnpm chaos [--seed N] [--jobs N] [--agents N] [--slots N]`: the full soak (issue 17), bounded by
 * --deadline-min (default 40). Prints the summary as JSON; exits 1 when an invariant broke.
 * Replay a run with its seed (the fault schedule is seeded; timing on a busy host still varies).
 */
import { parseArgs } from "node:util";
import { runSoak } from "./soak.js";
import { verdict } from "./verdict.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: String(Date.now() % 100000) },
    jobs: { type: "string", default: "1000" },
    agents: { type: "string", default: "4" },
    slots: { type: "string", default: "4" },
    "lease-ttl": { type: "string", default: "6" },
    "lease-grace": { type: "string", default: "3" },
    "deadline-min": { type: "string", default: "40" },
  },
});
const summary = await runSoak({
  seed: Number(values.seed),
  jobs: Number(values.jobs),
  agents: Number(values.agents),
  slots: Number(values.slots),
  leaseTtlS: Number(values["lease-ttl"]),
  graceS: Number(values["lease-grace"]),
  faultGapMs: [1500, 6000],
  deadlineMs: Number(values["deadline-min"]) * 60_000,
  log: (l) => console.error(`[chaos] ${l}`),
});
console.log(JSON.stringify(summary, null, 2));
const broken = verdict(summary);
for (const b of broken) console.error(`[chaos] BROKEN: ${b}`);
process.exit(broken.length ? 1 : 0);
