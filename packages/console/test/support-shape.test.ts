/**
 * Issue 16 point 3: the browser suites reach the server only the way its users do (REST, the agent
 * session protocol, signed webhook deliveries), never by writing its database or publishing its
 * change events themselves. Checked over every file under test/, so a later suite or helper cannot
 * slip past.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const TEST_DIR = import.meta.dirname;
const SELF = relative(TEST_DIR, import.meta.filename);

/** What a suite would use to set a state behind the product's back. */
const BACKDOORS: [string, RegExp][] = [
  ["the SQLite handle", /\$client\b/],
  ["the app's database", /\bdeps\s*\.\s*db\b/],
  ["an SQL write", /\b(update\s+\w+\s+set|insert\s+into|delete\s+from)\b/i],
  ["a hand-published change event", /\bevents\s*\.\s*publish\b/],
  ["the dispatch core's writers", /\b(dispatchHarness|startAttempt|finishAttempt|appendLogs|recordSteps|recordReport|markClaimed)\b/],
];

const files = readdirSync(TEST_DIR, { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile() && e.name.endsWith(".ts"))
  .map((e) => relative(TEST_DIR, join(e.parentPath, e.name)))
  .filter((f) => f !== SELF);

describe("console test support", () => {
  it("covers the suites and their support files", () => {
    expect(files).toEqual(expect.arrayContaining(["support/seed.ts", "support/server.ts", "agents.test.ts", "triggers.test.ts"]));
  });

  it("sets no agent or job state directly: no database handle, SQL write, hand-published event or dispatch-core call", () => {
    const found = files.flatMap((f) => {
      const text = readFileSync(join(TEST_DIR, f), "utf8");
      return BACKDOORS.filter(([, re]) => re.test(text)).map(([what]) => `${f}: ${what}`);
    });
    expect(found).toEqual([]);
  });
});
