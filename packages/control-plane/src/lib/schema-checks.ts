/**
 * Compiling and validating user-written JSON Schemas off the event loop, within a time budget.
 *
 * RE2 makes each pattern linear, but a schema can still cost seconds: `allOf` over `$ref`s that
 * double at each step (24 steps, under 2 KB, took 1 s per job POST; 30 steps a minute), or many
 * patterns over a large input. So every compile and validation runs in one worker thread, one
 * task at a time; a task that has used SCHEMA_BUDGET_MS of the worker's CPU time has its worker
 * terminated (the only way to stop a synchronous loop) and is refused with a 422. The next task
 * starts a fresh worker. CPU time, not wall time (issue 17): on a loaded host a trivial schema can
 * wait longer than the budget for a core, and that is not the caller's fault; the wall clock still
 * caps a task at SCHEMA_WALL_CAP_MS. Where the thread's CPU time cannot be read (no /proc), the
 * budget is wall time.
 *
 * The worker runs dist/lib/schema-worker.js, the compiled twin of schema-worker.ts: the URL is the
 * same from src/lib (tests) and dist/lib (the server), so tests need `pnpm build` first.
 */
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { ErrorItem } from "@outpost/shared";

export const SCHEMA_BUDGET_MS = 500;
/** However starved the host, a task is refused after this long. */
export const SCHEMA_WALL_CAP_MS = 10_000;
const WORKER_URL = new URL("../../dist/lib/schema-worker.js", import.meta.url);

type TaskBody = { kind: "compile"; schema: Record<string, unknown> } | { kind: "validate"; key: string; schema: Record<string, unknown>; inputs: unknown };
export type SchemaTask = TaskBody & { id: number };
export type SchemaTaskResult = { id: number; errors: ErrorItem[] } | { id: number; compileError: string };

export class SchemaBudgetExceeded extends Error {
  constructor() {
    super(`took over ${SCHEMA_BUDGET_MS} ms`);
  }
}

type Pending = { task: SchemaTask; resolve: (r: SchemaTaskResult) => void; reject: (err: Error) => void };

/** CPU time (user + system) a thread of this process has used, ms; null when it cannot be read. */
export function threadCpuMs(tid: number | undefined): number | null {
  if (tid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS_PER_S);
  } catch {
    return null;
  }
}
/** USER_HZ: Linux reports a thread's CPU time in ticks of 1/100 s on every architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100;

export class SchemaWorker {
  private worker: Worker | null = null;
  /** The worker thread's kernel thread id (it says so when ready), for its CPU time. */
  private tid: number | undefined;
  /** The worker has loaded its modules: the budget of a task counts from here, not from start-up. */
  private ready = false;
  private queue: Pending[] = [];
  private current: (Pending & { timer: NodeJS.Timeout }) | null = null;
  private nextId = 1;

  constructor(private readonly url: URL = WORKER_URL) {}

  run(task: TaskBody): Promise<SchemaTaskResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { ...task, id: this.nextId++ }, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Worker {
    const worker = new Worker(this.url);
    worker.unref(); // an idle worker must not keep the process alive
    this.ready = false;
    worker.on("message", (message: SchemaTaskResult | { ready: true; tid?: number }) => {
      if (this.worker !== worker) return;
      if ("ready" in message) {
        this.ready = true;
        this.tid = message.tid;
        return this.pump();
      }
      const cur = this.current;
      if (!cur || cur.task.id !== message.id) return;
      clearTimeout(cur.timer);
      this.current = null;
      cur.resolve(message);
      this.pump();
    });
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      const cur = this.current;
      this.current = null;
      if (cur) {
        clearTimeout(cur.timer);
        cur.reject(err);
        return this.pump();
      }
      // It died before it was ready (it could not load): nothing queued would ever run.
      for (const p of this.queue.splice(0)) p.reject(err);
    };
    worker.on("error", lost);
    worker.on("exit", (code) => lost(new Error(`schema worker exited with code ${code}`)));
    return worker;
  }

  private pump(): void {
    if (this.current || !this.queue.length) return;
    const worker = (this.worker ??= this.spawn());
    if (!this.ready) return;
    const next = this.queue.shift()!;
    const wall0 = performance.now();
    const cpu0 = threadCpuMs(this.tid);
    const check = () => {
      const cpu = threadCpuMs(this.tid);
      const used = cpu0 !== null && cpu !== null ? cpu - cpu0 : performance.now() - wall0;
      const wall = performance.now() - wall0;
      if (used < SCHEMA_BUDGET_MS && wall < SCHEMA_WALL_CAP_MS) {
        // Not yet its budget of CPU: the host is busy, not the schema. Look again when it could be.
        this.current!.timer = setTimeout(check, Math.max(20, SCHEMA_BUDGET_MS - used));
        return;
      }
      const cur = this.current;
      this.current = null;
      this.worker = null;
      void worker.terminate();
      cur?.reject(new SchemaBudgetExceeded());
      this.pump();
    };
    this.current = { ...next, timer: setTimeout(check, SCHEMA_BUDGET_MS) };
    worker.postMessage(next.task);
  }
}

const shared = new SchemaWorker();

/** Compiles `schema`: undefined when it compiles, else why not. Throws SchemaBudgetExceeded. */
export async function compileError(schema: Record<string, unknown>): Promise<string | undefined> {
  const result = await shared.run({ kind: "compile", schema });
  return "compileError" in result ? result.compileError : undefined;
}

/** Validates `inputs`; `key` names the schema (module version and function) for the worker's cache. */
export async function validateAgainst(key: string, schema: Record<string, unknown>, inputs: unknown): Promise<SchemaTaskResult> {
  return shared.run({ kind: "validate", key, schema, inputs });
}
