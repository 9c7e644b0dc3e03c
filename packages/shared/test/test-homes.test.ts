/**
 * Where tests live (README, "Development"): beside the source (`src/**\/*.test.ts`) only unit
 * tests, which need nothing but memory and temp files; anything that runs a real part (a SQLite
 * database, the app, a socket, a process, dockerd, a browser) lives in `<package>/test/`. This
 * walks every test file beside the source of every package, so a new one that reaches for a real
 * part fails here with the rule.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const PACKAGES = fileURLToPath(new URL("../..", import.meta.url));

/** What a unit test may not import, each a real part that belongs to `<package>/test/`. */
const REAL_PARTS: [RegExp, string][] = [
  [/from "[^"]*test-support[^"]*"/, "the test app or a protocol agent"],
  [/from "[^"]*db\/client(\.js)?"/, "a database"],
  [/from "better-sqlite3"/, "a database"],
  [/from "fastify"/, "an app"],
  [/from "ws"/, "a socket"],
  [/from "node:(net|http|https|child_process)"/, "a socket or a process"],
  [/from "dockerode"/, "dockerd"],
  [/from "playwright-core"/, "a browser"],
  [/\bmakeTestApp\b/, "the test app"],
];

function testsBesideSource(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "dist" ? [] : testsBesideSource(path);
    return /\.test\.tsx?$/.test(e.name) ? [path] : [];
  });
}

it("every test beside the source is a unit test: it imports no real part", () => {
  const files = readdirSync(PACKAGES).flatMap((p) => {
    try {
      return testsBesideSource(join(PACKAGES, p, "src"));
    } catch {
      return [];
    }
  });
  expect(files.length).toBeGreaterThan(5);
  const misplaced = files.flatMap((f) => {
    const text = readFileSync(f, "utf8");
    return REAL_PARTS.filter(([re]) => re.test(text)).map(([, what]) => `${relative(PACKAGES, f)} uses ${what}: move it to its package's test/`);
  });
  expect(misplaced).toEqual([]);
});
