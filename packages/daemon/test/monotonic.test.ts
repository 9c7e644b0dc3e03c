/**
 * Issue 17: deadlines measured on one host use a monotonic clock. Every Date.now() in the agent's
 * source is enumerated here; each must be a wall-clock reading that is meant as one (a timestamp
 * another process compares), never a deadline or an interval. A new Date.now() fails this test
 * until it is judged and listed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

/** file: why its wall-clock reads are wall-clock on purpose. */
const WALL_CLOCK_ON_PURPOSE: Record<string, string> = {
  "cli/status.ts": "outpost-agent status ages the state file's updated_at, written by another process",
  "modules.ts": "installed_at timestamps (the progress throttle takes the same injectable clock)",
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [join(dir, e.name)] : [],
  );
}

it("uses Date.now() only where a wall-clock reading is meant; deadlines and intervals use performance.now()", () => {
  const offenders = sources(SRC)
    .filter((f) => /\bDate\.now\b/.test(readFileSync(f, "utf8")))
    .map((f) => f.slice(SRC.length + 1))
    .filter((f) => !(f in WALL_CLOCK_ON_PURPOSE));
  expect(offenders).toEqual([]);
});
