/**
 * A ContainerRuntime in memory, for tests that exercise what runs on top of a runtime (the job
 * runner) without paying for containers. It honours the same contract as DockerRuntime, proven by
 * the same suite (runtime-contract.ts, run against both in runtime-contract.test.ts): output in
 * order per stream, exit codes, SIGTERM then SIGKILL after the grace (an untrapped SIGTERM is
 * ignored, as by PID 1 in a container), OOM kills, limits the host cannot honour refused,
 * /outpost/out capped, reports read capped,
 * RuntimeError reasons, listOwned / adopt / remove. Jobs are job-script.ts acts
 * (`memoryCommand`); any other command is not found, as in an image without it.
 */
import { availableParallelism } from "node:os";
import { cpusToNano, parseMemLimit } from "@outpost/shared";
import { formatBytes } from "../../src/runtime/bounded-dir.js";
import { jobOutputs, overCap, type ReportRead } from "../../src/runtime/outputs.js";
import { checkSpec } from "../../src/runtime/spec-checks.js";
import {
  RuntimeError,
  type ContainerRuntime,
  type ExitResult,
  type JobOutputs,
  type JobSpec,
  type OutputSink,
  type OwnedContainer,
  type PullProgress,
  type RunningJob,
} from "../../src/runtime/types.js";
import { MEMORY_JOB, type Act } from "./job-script.js";

export type MemoryRuntimeOptions = {
  /** Images present from the start. */
  images?: string[];
  /** Images a pull can fetch; any other pull fails with RuntimeError("image"). */
  pullable?: string[];
  reportCapBytes?: number;
  outputsBytes?: number;
};

type Stream = "stdout" | "stderr";

/** One container: its whole output so far (for adopt), its live sinks, its files in /outpost/out. */
class MemoryContainer {
  readonly output: { stream: Stream; data: Buffer }[] = [];
  readonly sinks = new Set<OutputSink>();
  readonly files = new Map<string, string>();
  overflowed = false;
  running = true;
  readonly createdAt = new Date().toISOString();
  readonly exited: Promise<ExitResult>;
  private resolveExit!: (r: ExitResult) => void;
  /** Set by a signal: wakes whatever act is waiting. */
  private wake: (() => void) | null = null;
  private onTerm: "default" | "ignore" | { exit: number } = "default";
  private killTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: string,
    readonly spec: JobSpec,
    private readonly outputsBytes: number,
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  emit(stream: Stream, text: string): void {
    const data = Buffer.from(text);
    this.output.push({ stream, data });
    for (const sink of this.sinks) sink(stream, data);
  }

  exit(exitCode: number, oomKilled = false): void {
    if (!this.running) return;
    this.running = false;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.wake?.();
    this.resolveExit({ exitCode, oomKilled });
  }

  /** SIGTERM now, SIGKILL (137) after graceS unless it has exited. */
  stop(graceS: number): void {
    if (!this.running) return;
    if (typeof this.onTerm === "object") return this.exit(this.onTerm.exit);
    if (graceS <= 0) return this.exit(137);
    this.killTimer ??= setTimeout(() => this.exit(137), graceS * 1000);
  }

  async run(acts: Act[]): Promise<void> {
    for (const a of acts) {
      if (!this.running) return;
      if ("out" in a) this.emit("stdout", a.out);
      else if ("err" in a) this.emit("stderr", a.err);
      else if ("sleep" in a) await this.pause(a.sleep * 1000);
      else if ("write" in a) this.write(a.write, a.bytes !== undefined ? "x".repeat(a.bytes) : (a.text ?? ""));
      else if ("onTerm" in a) this.onTerm = a.onTerm;
      else if ("wait" in a) await this.pause(Infinity);
      else if ("eatMemory" in a) return this.exit(137, true);
      else return this.exit(a.exit);
    }
    this.exit(0);
  }

  /** A write past the outputs cap is refused (ENOSPC), as on the agent's tmpfs. */
  private write(name: string, text: string): void {
    const used = [...this.files].reduce((n, [f, t]) => n + (f === name ? 0 : Buffer.byteLength(t)), 0);
    if (used + Buffer.byteLength(text) > this.outputsBytes) {
      this.overflowed = true;
      this.emit("stderr", `sh: write error: No space left on device\n`);
      return;
    }
    this.files.set(name, text);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === Infinity ? null : setTimeout(resolve, ms);
      this.wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  read(name: string, capBytes: number): ReportRead {
    const text = this.files.get(name);
    if (text === undefined) return {};
    const size = Buffer.byteLength(text);
    return size > capBytes ? { error: overCap(name, size, capBytes) } : { text };
  }
}

/** Limits dockerd refuses at create, with its messages (an allocating act is OOM-killed whatever the limit). */
function refuseLimits(spec: JobSpec): void {
  if (parseMemLimit(spec.limits.mem_limit) < 6 * 1024 * 1024) throw new RuntimeError("create", "Minimum memory limit allowed is 6MB");
  const cpus = availableParallelism();
  if (cpusToNano(spec.limits.cpus) > cpus * 1e9) throw new RuntimeError("create", `Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
}

export class MemoryRuntime implements ContainerRuntime {
  private readonly images: Set<string>;
  private readonly pullable: Set<string>;
  private readonly containers = new Map<string, MemoryContainer>();
  /** Attempts (`jobId-attempt`) with a scratch dir, as DockerRuntime keeps them on disk. */
  readonly scratch = new Set<string>();
  private readonly reportCapBytes: number;
  private readonly outputsBytes: number;
  private nextId = 1;

  constructor(options: MemoryRuntimeOptions = {}) {
    this.images = new Set(options.images ?? []);
    this.pullable = new Set(options.pullable ?? []);
    this.reportCapBytes = options.reportCapBytes ?? 256 * 1024;
    this.outputsBytes = options.outputsBytes ?? 1024 * 1024;
  }

  async hasImage(image: string): Promise<boolean> {
    return this.images.has(image);
  }

  async ensureImage(image: string): Promise<void> {
    if (this.images.has(image)) return;
    if (!this.pullable.has(image)) throw new RuntimeError("image", `image ${image} is not present and could not be pulled: no registry has it`);
    this.images.add(image);
  }

  async pullImage(image: string, onProgress: (p: PullProgress) => void): Promise<void> {
    if (!this.pullable.has(image)) throw new RuntimeError("image", `pulling ${image} failed: no registry has it`);
    onProgress({ status: "Pulling fs layer", id: "layer1" });
    onProgress({ status: "Pull complete", id: "layer1" });
    this.images.add(image);
  }

  async start(spec: JobSpec, sink: OutputSink): Promise<RunningJob> {
    checkSpec(spec);
    await this.ensureImage(spec.image);
    refuseLimits(spec);
    const [cmd, script] = spec.command;
    if (cmd !== MEMORY_JOB || script === undefined) throw new RuntimeError("start", `exec: ${JSON.stringify(cmd)}: stat ${cmd}: no such file or directory`);
    const c = new MemoryContainer(`mem${this.nextId++}`, spec, this.outputsBytes);
    this.containers.set(c.id, c);
    this.scratch.add(`${spec.jobId}-${spec.attempt}`);
    c.sinks.add(sink);
    setImmediate(() => void c.run(JSON.parse(script) as Act[]));
    return this.handle(c, sink);
  }

  async adopt(owned: OwnedContainer, sink: OutputSink): Promise<RunningJob> {
    const c = this.containers.get(owned.containerId);
    if (!c) throw new Error(`no such container: ${owned.containerId}`);
    // Everything so far, then live output: the replay is synchronous, so nothing falls between.
    for (const o of c.output) sink(o.stream, o.data);
    c.sinks.add(sink);
    return this.handle(c, sink);
  }

  /** Set to stand for a runtime that stopped answering (dockerd restarting). */
  unreachable = false;

  async ping(): Promise<void> {
    if (this.unreachable) throw new Error("the in-memory runtime is unreachable");
  }

  async listOwned(agentId: string): Promise<OwnedContainer[]> {
    return [...this.containers.values()]
      .filter((c) => c.spec.agentId === agentId)
      .map((c) => ({ containerId: c.id, jobId: c.spec.jobId, attempt: c.spec.attempt, running: c.running, createdAt: c.createdAt }));
  }

  async removeContainer(containerId: string): Promise<void> {
    const c = this.containers.get(containerId);
    if (!c) return;
    c.exit(137);
    c.sinks.clear();
    this.containers.delete(containerId);
    this.scratch.delete(`${c.spec.jobId}-${c.spec.attempt}`);
  }

  async removeOrphanScratch(owned: OwnedContainer[]): Promise<void> {
    const keep = new Set(owned.map((c) => `${c.jobId}-${c.attempt}`));
    for (const dir of [...this.scratch]) if (!keep.has(dir)) this.scratch.delete(dir);
  }

  private handle(c: MemoryContainer, sink: OutputSink): RunningJob {
    const runtime = this;
    return {
      containerId: c.id,
      wait: () => c.exited,
      stop: async (graceS: number) => {
        c.stop(graceS);
        await c.exited;
      },
      outputs: async (): Promise<JobOutputs> =>
        jobOutputs(c.overflowed ? `outputs exceeded ${formatBytes(runtime.outputsBytes)}` : undefined, c.read("report.json", runtime.reportCapBytes), c.read("report.md", runtime.reportCapBytes)),
      remove: async () => {
        c.sinks.delete(sink);
        await runtime.removeContainer(c.id);
      },
    };
  }
}
