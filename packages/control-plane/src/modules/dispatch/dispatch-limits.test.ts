import { describe, expect, it } from "vitest";
import { effectiveLimits } from "./dispatch-limits.js";

const agent = { cpus: "2.0", mem_limit: "1g", pids_limit: 200 };

describe("effective job limits", () => {
  it("falls back from the job to the function to the agent", () => {
    expect(effectiveLimits(agent, {}, {})).toEqual(agent);
    expect(effectiveLimits(agent, { cpus: "0.5", pids_limit: 50 }, {})).toEqual({ cpus: "0.5", mem_limit: "1g", pids_limit: 50 });
    expect(effectiveLimits(agent, { cpus: "0.5" }, { cpus: "1.5", mem_limit: "256m" })).toEqual({ cpus: "1.5", mem_limit: "256m", pids_limit: 200 });
  });

  it("never goes above what the agent allows", () => {
    expect(effectiveLimits(agent, { mem_limit: "4g" }, { cpus: "8", pids_limit: 10_000 })).toEqual(agent);
  });

  it("never gives more cores than the agent's host reports", () => {
    expect(effectiveLimits({ ...agent, cpus: "64" }, {}, { cpus: "8" }, 4)).toEqual({ ...agent, cpus: "4" });
    expect(effectiveLimits(agent, {}, { cpus: "1.5" }, 4)).toEqual({ ...agent, cpus: "1.5" });
    expect(effectiveLimits(agent, {}, {}, null)).toEqual(agent);
  });

  it("keeps values stored before the ranges were enforced inside what Docker honours", () => {
    const legacy = { cpus: "0.0000000001", mem_limit: "99999999999999999999g", pids_limit: 0 };
    expect(effectiveLimits(legacy, {}, {})).toEqual({ cpus: "0.01", mem_limit: "1024g", pids_limit: 16 });
  });
});
