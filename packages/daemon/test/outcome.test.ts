/** outcomeOf: what an exited attempt is reported as, in order of precedence. */
import { describe, expect, it } from "vitest";
import { outcomeOf } from "../src/jobs/outcome.js";

const ok = { exitCode: 0, oomKilled: false };
const oom = { exitCode: 137, oomKilled: true };

describe("outcomeOf", () => {
  it("exit 0 completes; any other code fails with reason exit_code, naming it", () => {
    expect(outcomeOf({ exit: ok, outputs: {} })).toEqual({ outcome: "completed", exit_code: 0, reason: null, message: null });
    expect(outcomeOf({ exit: { exitCode: 3, oomKilled: false }, outputs: {} })).toEqual({ outcome: "failed", exit_code: 3, reason: "exit_code", message: "the command exited with code 3" });
  });

  it("an OOM kill fails with reason oom_killed, naming the limit when known", () => {
    expect(outcomeOf({ exit: oom, outputs: {}, memLimit: "64m" })).toEqual({ outcome: "failed", exit_code: 137, reason: "oom_killed", message: "killed by the kernel: over its memory limit of 64m" });
    expect(outcomeOf({ exit: oom, outputs: {} }).message).toBe("killed by the kernel: over its memory limit");
  });

  it("an outputs overflow fails a job that exited 0, with the runtime's message", () => {
    expect(outcomeOf({ exit: ok, outputs: { overflow: "outputs exceeded 1 MiB" } })).toEqual({ outcome: "failed", exit_code: 0, reason: "outputs_exceeded", message: "outputs exceeded 1 MiB" });
  });

  it("precedence: shutdown, then cancel (or timeout), then OOM, then overflow, then the exit code", () => {
    const all = { exit: oom, outputs: { overflow: "outputs exceeded 1 MiB" }, memLimit: "64m" };
    expect(outcomeOf({ ...all, shutdown: "drained", cancel: { reason: "cancelled" } })).toEqual({ outcome: "failed", exit_code: 137, reason: "agent_lost", message: "drained" });
    expect(outcomeOf({ ...all, cancel: { reason: "cancelled" } })).toEqual({ outcome: "cancelled", exit_code: 137, reason: "cancelled", message: "stopped on request" });
    expect(outcomeOf({ ...all, cancel: { reason: "timeout" } })).toEqual({ outcome: "cancelled", exit_code: 137, reason: "cancelled", message: "stopped: the job timed out" });
    expect(outcomeOf(all).reason).toBe("oom_killed");
    expect(outcomeOf({ ...all, exit: { exitCode: 1, oomKilled: false } }).reason).toBe("outputs_exceeded");
  });
});
