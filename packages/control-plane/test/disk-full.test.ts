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
import { expectError, makeTestApp, type TestApp } from "./support.js";

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
