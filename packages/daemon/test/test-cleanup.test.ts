/**
 * Every suite that runs jobs through a real outpost-agent process cleans its directory with
 * removeTestDir (support/docker.ts): an agent killed with SIGKILL leaves its jobs' outputs tmpfs
 * mounted under the data dir, and a plain rmSync then fails with EBUSY (a clean-clone CI run failed
 * profile.test.ts's cleanup so). Enumerates the suites by what they use, so a new one is covered.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const PACKAGES = fileURLToPath(new URL("../..", import.meta.url));
const suites = ["daemon/test", "daemon/test/chaos", "console/test"].flatMap((dir) =>
  readdirSync(join(PACKAGES, dir))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f)),
);

it("every suite that runs jobs on a real agent process removes its dirs with removeTestDir", () => {
  const runsJobs = suites.filter((f) => {
    const text = readFileSync(join(PACKAGES, f), "utf8");
    return /\bAGENT_BIN\b/.test(text) && /\b(TEST_IMAGE|ensureTestImage)\b/.test(text);
  });
  expect(runsJobs.length).toBeGreaterThan(5);
  expect(runsJobs.filter((f) => !/\bremoveTestDir\(/.test(readFileSync(join(PACKAGES, f), "utf8")))).toEqual([]);
});
