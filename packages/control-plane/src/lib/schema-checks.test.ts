/**
 * The schema budget counts the worker's CPU time, not the wall clock (issue 17: on the loaded soak
 * host a trivial schema's check waited over 500 ms for a core and a valid job POST answered 422).
 * A stand-in worker (the same protocol as schema-worker.ts) either blocks without using CPU, as a
 * thread starved by a busy host does, or spins.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";
import { SchemaBudgetExceeded, SchemaWorker, SCHEMA_BUDGET_MS, threadCpuMs } from "./schema-checks.js";

const dir = mkdtempSync(join(tmpdir(), "outpost-schema-worker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, "worker.mjs");
writeFileSync(
  file,
  `import { parentPort } from "node:worker_threads";
import { readlinkSync } from "node:fs";
parentPort.on("message", (task) => {
  const end = Date.now() + task.schema.ms;
  if (task.schema.spin) { while (Date.now() < end) {} }
  else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, task.schema.ms);
  parentPort.postMessage({ id: task.id, errors: [] });
});
parentPort.postMessage({ ready: true, tid: Number(readlinkSync("/proc/thread-self").split("/").pop()) });
`,
);

it("a task that waits three budgets without using the CPU (a starved thread) is not refused", async () => {
  const w = new SchemaWorker(pathToFileURL(file));
  await expect(w.run({ kind: "compile", schema: { ms: SCHEMA_BUDGET_MS * 3 } })).resolves.toMatchObject({ errors: [] });
});

it("a task that spends its budget of CPU is refused, and the next one runs on a fresh worker", async () => {
  const w = new SchemaWorker(pathToFileURL(file));
  await expect(w.run({ kind: "compile", schema: { ms: SCHEMA_BUDGET_MS * 20, spin: true } })).rejects.toBeInstanceOf(SchemaBudgetExceeded);
  await expect(w.run({ kind: "compile", schema: { ms: 10 } })).resolves.toMatchObject({ errors: [] });
});

it("reads a thread's CPU time from /proc", () => {
  expect(threadCpuMs(process.pid)).toBeGreaterThan(0);
  expect(threadCpuMs(undefined)).toBeNull();
});
