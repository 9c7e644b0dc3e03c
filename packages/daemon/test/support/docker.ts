/**
 * Docker test support: is an engine reachable, build the local test image, and describeDocker,
 * which skips a suite only when no engine is reachable AND CI is unset. In CI a missing engine is
 * a failure, never a silent skip.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Dockerode from "dockerode";
import { describe, test } from "vitest";

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

// Suites are declared synchronously, so the engine is probed once, when this module loads.
const engineUp = await dockerAvailable();

/** describe() for suites that need a real dockerd; see the module header for when it skips. */
export function describeDocker(name: string, fn: () => void): void {
  if (engineUp) {
    describe(name, fn);
  } else if (process.env.CI) {
    describe(name, () => {
      test("a Docker engine is reachable (required when CI is set)", () => {
        throw new Error("CI is set but no Docker engine is reachable; Docker suites must not skip in CI");
      });
    });
  } else {
    console.warn(`no Docker engine reachable and CI unset: skipping "${name}"`);
    describe.skip(name, fn);
  }
}
