/**
 * Docker test support: is an engine reachable, build the local test image, and describeDocker.
 * A Docker suite never skips: without an engine it is one failing test saying what to start
 * (scripts/test.sh installs and starts dockerd itself).
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Dockerode from "dockerode";
import { describe, test } from "vitest";
import { TEST_RUN_LABEL_ARG } from "./test-run.js";

export const TEST_IMAGE = "outpost-test/busybox:1";

const SCRIPT = fileURLToPath(new URL("../../../../scripts/test-image.sh", import.meta.url));

export async function dockerAvailable(): Promise<boolean> {
  try {
    await new Dockerode().ping();
    return true;
  } catch {
    return false;
  }
}

/** Builds outpost-test/busybox:1 with scripts/test-image.sh when it is missing; returns its name. */
export async function ensureTestImage(): Promise<string> {
  await promisify(execFile)("bash", [SCRIPT], { env: { ...process.env, OUTPOST_TEST_IMAGE: TEST_IMAGE } });
  return TEST_IMAGE;
}

/** Force-removes this test run's containers (label outpost.test-run=<this run>) and nothing else. */
export async function removeTestRunContainers(docker = new Dockerode()): Promise<void> {
  const mine = await docker.listContainers({ all: true, filters: { label: [TEST_RUN_LABEL_ARG] } });
  await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
}

/**
 * Removes a test's temp dir after its containers: first unmounts the attempts' outputs tmpfs
 * mounts under it (an agent killed with SIGKILL leaves them), which rm cannot remove.
 */
export function removeTestDir(dir: string): void {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && m.startsWith(`${dir}/`));
  // A mount point listed twice (stacked), or unmounted meanwhile by the agent's own cleanup, is
  // already gone when its turn comes: "not mounted" is fine, anything else still fails the rm.
  for (const m of [...new Set(mounts)].reverse()) {
    try {
      execFileSync("umount", ["--lazy", m], { stdio: "pipe" });
    } catch (err) {
      if (!/not mounted|no mount point/i.test(String((err as { stderr?: Buffer }).stderr ?? err))) throw err;
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

// Suites are declared synchronously, so the engine is probed once, when this module loads.
const engineUp = await dockerAvailable();

/** describe() for suites that need a real dockerd; without one, a single test fails saying so. */
export function describeDocker(name: string, fn: () => void): void {
  if (engineUp) {
    describe(name, fn);
    return;
  }
  describe(name, () => {
    test("a Docker engine is reachable", () => {
      throw new Error("no Docker engine is reachable: run `bash scripts/test.sh` (it installs and starts dockerd) or start dockerd yourself");
    });
  });
}
