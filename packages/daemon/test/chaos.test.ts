/**
 * The chaos soak's short variant (issue 17), in the default run: 2 agents, a few dozen jobs and
 * one of every fault kind (agent and server kill -9, partitions shorter and longer than the
 * lease, delay, cut, a clock step under libfaketime, the server's tmpfs data dir full, this run's
 * containers killed), then every invariant. `pnpm chaos` is the 1,000-job soak.
 */
import { expect, it } from "vitest";
import { describeDocker } from "./support/docker.js";
import { runSoak } from "./chaos/soak.js";
import { verdict } from "./chaos/verdict.js";

describeDocker("chaos soak, short", () => {
  it("loses no job and runs none twice through one of every fault", { timeout: 300_000 }, async () => {
    const summary = await runSoak({ seed: 17, jobs: 24, agents: 2, slots: 3, leaseTtlS: 3, graceS: 1, faultGapMs: [500, 1500], maxFaults: 11, deadlineMs: 150_000, log: (l) => console.log(`[chaos] ${l}`) });
    console.log(JSON.stringify(summary, null, 2));
    expect(verdict(summary)).toEqual([]);
    expect(summary.lost).toBe(0);
    expect(summary.overlapping).toBe(0);
  });
});
