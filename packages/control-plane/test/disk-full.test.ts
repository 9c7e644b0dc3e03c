/**
 * Issue 17: the server's disk full for a moment. A real SQLite file on a small tmpfs that the test
 * fills: every write route's failure goes through the one error handler, so a write answers 507
 * storage_full in the envelope (never a bare 500 or a hang) with a clear log line, nothing of it is
 * stored, and the same route succeeds once space returns.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createJob, createPool, expectError, makeTestApp, publish, registerAgent, type TestApp } from "./support.js";
import { operations, requestSchema, resolve } from "./openapi-walk.js";

let dir: string;
let t: TestApp;
const logged: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "outpost-disk-full-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", dir]);
  t = await makeTestApp({ db: join(dir, "outpost.db") }, { log: pino({ level: "error" }, { write: (l: string) => void logged.push(l) }) });
});
afterAll(async () => {
  await t?.close();
  execFileSync("umount", ["--lazy", dir]);
  rmSync(dir, { recursive: true, force: true });
});

function fill(): string {
  const filler = join(dir, "filler");
  const fd = openSync(filler, "w");
  try {
    for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
  } catch {
    // ENOSPC
  }
  closeSync(fd);
  return filler;
}

it("refuses writes with 507 storage_full while the disk is full, stores none of them, and recovers", async () => {
  const filler = fill();
  let refused: { status: number; body: any } | null = null;
  const stored: string[] = [];
  // The WAL may still hold free pages: write until the disk really refuses.
  for (let i = 0; i < 500 && !refused; i++) {
    const res = await t.api("POST", "/api/v1/pools", { body: { name: `full-${i}-${"x".repeat(80)}` } });
    if (res.status === 201) stored.push(res.body.details.name);
    else refused = res;
  }
  expect(refused, "the disk never refused a write").not.toBeNull();
  const body = expectError(refused!, 507, "storage_full");
  expect(body.message).toMatch(/disk is full/);
  expect(logged.join("")).toMatch(/database write failed: the disk is full/);
  rmSync(filler);
  const after = await t.api("POST", "/api/v1/pools", { body: { name: "after-full" } });
  expect(after.status, JSON.stringify(after.body)).toBe(201);
  // Every 201 is there; the refused one is not.
  const names = ((await t.api("GET", "/api/v1/pools?limit=200")).body.details as { name: string }[]).map((p) => p.name);
  for (const n of [...stored, "after-full"]) expect(names).toContain(n);
  expect(names).toHaveLength(stored.length + 1);
});

/** A body of the request schema's required fields, each a plain value of its type (enough to reach the write behind many routes). */
function minimalBody(doc: any, schema: any, depth = 0): unknown {
  const s = resolve(doc, schema);
  if (!s || depth > 4) return {};
  if (s.enum) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "object" || s.properties) {
    const out: Record<string, unknown> = {};
    for (const k of s.required ?? []) out[k] = minimalBody(doc, s.properties?.[k], depth + 1);
    return out;
  }
  if (type === "array") return [];
  if (type === "integer" || type === "number") return s.minimum ?? 1;
  if (type === "boolean") return true;
  return `full-${"x".repeat(Math.max(0, (s.minLength ?? 1) - 5))}`;
}

it("every write route, walked from the served OpenAPI document and the route table, answers 507 storage_full or a 4xx while the disk is full: never a 5xx or a hang (issue 17, as a class)", { timeout: 120_000 }, async () => {
  const doc = (await t.api("GET", "/api/v1/openapi.json")).body;
  await publish(t);
  const agent = (await registerAgent(t, { name: "disk-full-agent" })).details;
  const pool = await createPool(t, { name: "disk-full-pool" });
  const job = await createJob(t);
  const documented = operations(doc).filter((o) => o.method !== "get");
  const known = new Set(documented.map((o) => `${o.method} ${o.path}`));
  const hidden = t.app.routeAccess
    .map((r) => ({ method: r.method.toLowerCase(), path: r.url.replace(/:(\w+)/g, "{$1}"), op: {} }))
    .filter((r) => ["post", "put", "patch", "delete"].includes(r.method) && !known.has(`${r.method} ${r.path}`));
  const param = (path: string, name: string) =>
    name === "version" ? "1.0.0" : name === "name" ? "hello" : path.startsWith("/api/v1/agents") || path.startsWith("/api/v1/agent/") ? agent.id : path.startsWith("/api/v1/pools") ? pool.id : job.id;
  const filler = fill();
  // Spend the WAL's free pages first, so the walk meets a disk that refuses.
  for (let i = 0; i < 500; i++) if ((await t.api("POST", "/api/v1/pools", { body: { name: `spend-${i}-${"x".repeat(80)}` } })).status === 507) break;
  const seen: Record<string, number> = {};
  const bad: string[] = [];
  for (const { method, path, op } of [...documented, ...hidden]) {
    const url = path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(param(path, n)));
    const body = method === "delete" ? undefined : minimalBody(doc, requestSchema(doc, op));
    const res = await t.api(method.toUpperCase(), url, body === undefined ? {} : { body });
    seen[String(res.status)] = (seen[String(res.status)] ?? 0) + 1;
    if (res.status >= 500 && !(res.status === 507 && res.body?.code === "storage_full")) bad.push(`${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  }
  rmSync(filler);
  console.log(`write routes walked during a full disk: ${documented.length + hidden.length}, answers ${JSON.stringify(seen)}`);
  expect(bad).toEqual([]);
  expect(seen["507"] ?? 0, JSON.stringify(seen)).toBeGreaterThan(5);
});
