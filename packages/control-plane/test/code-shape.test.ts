/**
 * Issue 16: the shape of the control plane's code, checked over every file so a later addition
 * cannot slip past (docs/architecture.md, "Feature folders").
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../src");
const MODULES = join(SRC, "modules");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => relative(SRC, join(e.parentPath, e.name)));
}
const text = (file: string) => readFileSync(join(SRC, file), "utf8");

describe("feature folders", () => {
  it("name every file for the feature: <feature>.<role>.ts or <feature>-<part>.ts (singular or plural)", () => {
    const wrong: string[] = [];
    for (const feature of readdirSync(MODULES)) {
      const singular = feature.replace(/s$/, "");
      for (const file of readdirSync(join(MODULES, feature))) {
        const ok = [feature, singular].some((f) => file.startsWith(`${f}.`) || file.startsWith(`${f}-`));
        if (!ok) wrong.push(`modules/${feature}/${file}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("keep queries out of route files: a routes file reads and writes through its feature's repo and service", () => {
    const routeFiles = sourceFiles(MODULES).filter((f) => f.endsWith(".routes.ts"));
    expect(routeFiles.length).toBeGreaterThanOrEqual(15);
    const querying = routeFiles.filter((f) => /from "drizzle-orm"|db\/schema\.js"|\.\$client\b|\bprepared\(/.test(text(f))).sort();
    expect(querying).toEqual([]);
  });
});

describe("one helper per pattern", () => {
  it("writes the success envelope only in lib/reply.ts", () => {
    expect(sourceFiles(SRC).filter((f) => /status: "success"/.test(text(f)))).toEqual(["lib/reply.ts"]);
  });

  it("pages every list through keysetPage: cursors are encoded and decoded only in lib/cursor.ts", () => {
    expect(sourceFiles(SRC).filter((f) => /\b(encodeCursor|decodeCursor)\(/.test(text(f)))).toEqual(["lib/cursor.ts"]);
  });

  it("archives and restores through lib/archive.ts alone", () => {
    expect(sourceFiles(SRC).filter((f) => /archivedAt: archived \?/.test(text(f)))).toEqual(["lib/archive.ts"]);
  });
});

describe("the route table", () => {
  it("is kept once, by plugins/auth.ts (app.routeAccess): nothing else decorates the app with a list of routes", () => {
    expect(sourceFiles(SRC).filter((f) => /decorate\("route\w*"/.test(text(f)))).toEqual(["plugins/auth.ts"]);
  });
});

/** Production functions only tests call, each still to be replaced by the fact a test can observe. */
const TEST_ONLY: string[] = [];

describe("production code", () => {
  it("has no exported function that only tests call: every one is called from src/ outside tests", () => {
    const production = sourceFiles(SRC).filter((f) => !f.startsWith("test-support/") && f !== "testing.ts" && f !== "index.ts");
    const texts = production.map(text);
    const unused: string[] = [];
    for (const [i, file] of production.entries()) {
      for (const m of texts[i]!.matchAll(/^export (?:async )?function (\w+)|^export class (\w+)/gm)) {
        const name = (m[1] ?? m[2])!;
        const uses = texts.reduce((n, t) => n + (t.match(new RegExp(`\\b${name}\\b`, "g"))?.length ?? 0), 0);
        if (uses < 2 && !TEST_ONLY.includes(name)) unused.push(`${file}: ${name}`);
      }
    }
    expect(unused).toEqual([]);
  });
});
