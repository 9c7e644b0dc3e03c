/**
 * Runs assigned attempts: accept, container, logs, steps, report, result. Every message carries
 * the attempt; a `stale` answer or a lease that could not be renewed stops the container and
 * forgets the attempt (self-fencing), so two attempts of one job never run at once.
 *
 * What must survive a dropped session (unacknowledged logs, the result until finished_ack) is
 * kept here and re-sent by resync() after the next welcome.
 */
import { StringDecoder } from "node:string_decoder";
import type { Logger } from "pino";
import {
  MAX_LOG_CHUNK_BYTES,
  MAX_STEPS,
  StepUpdate,
  type AgentFrame,
  type AssignFrame,
  type FrameOf,
  type ModuleRef,
  type ResumePoint,
  type ServerFrame,
} from "@outpost/shared";
import { RuntimeError, type ContainerRuntime, type JobOutputs, type OwnedContainer, type RunningJob } from "./runtime/types.js";
import { pullForJob } from "./image-pull.js";
import { clip, clipStepLine, logsFrame, MAX_CHUNKS_PER_FRAME, MORE_STEPS_NAME, reportFrame, stepsFrame } from "./frames.js";
import { profileForJob } from "./job-profile.js";

type Finished = FrameOf<AgentFrame, "finished">;
type Report = FrameOf<AgentFrame, "report">;
type Stream = "stdout" | "stderr" | "system";
type Chunk = { seq: number; stream: Stream; data: string };
/** The schema's lengths of the result's message and a reject's reason. */
const MAX_FINISHED_MESSAGE = 4000;
const MAX_REJECT_REASON = 1000;

/** A stdout line of this form is a step update; it stays in the log too. See docs/protocol.md. */
export const STEP_PREFIX = "::outpost::step ";
/** A longer unfinished stdout line is not kept for step parsing. */
const MAX_STEP_LINE = 8192;
/** Unacknowledged log bytes kept per attempt; past this, output is dropped with a marker. */
const MAX_BUFFERED_LOG_BYTES = 16 * 1024 * 1024;
/** How often an unreachable container runtime is probed until it answers again. */
const RUNTIME_PROBE_MS = 1000;
/** SIGTERM grace for a container of an earlier process whose attempt the server no longer knows. */
const ADOPTED_STOP_GRACE_S = 5;

/** How held attempts are keyed. */
const keyOf = (jobId: string, attempt: number): string => `${jobId}:${attempt}`;

type Held = {
  jobId: string;
  attempt: number;
  /** Null for an attempt adopted from an earlier process (only its container is known). */
  assign: AssignFrame | null;
  /** Set while an adopted container waits for welcome's resume point. */
  adopted: OwnedContainer | null;
  /** Bytes of each stream the server already has (re-read from docker after a restart). */
  skip: Record<"stdout" | "stderr", number>;
  job: RunningJob | null;
  containerId: string | null;
  nextSeq: number;
  /** Chunks not yet acknowledged, in seq order; `sent` of them went out on this session. */
  unacked: Chunk[];
  sent: number;
  bufferedBytes: number;
  dropped: boolean;
  decoders: Record<"stdout" | "stderr", StringDecoder>;
  partialLine: string;
  steps: Map<string, StepUpdate>;
  stepsDirty: boolean;
  /** Distinct steps past MAX_STEPS that were not kept (counted in the MORE_STEPS_NAME step). */
  stepsDropped: number;
  report: Report | null;
  finished: Finished | null;
  /** The result went out on this session (after every log chunk and step of the attempt). */
  resultSent: boolean;
  cancel: { reason: "cancelled" | "timeout"; graceS: number } | null;
  /** When this process saw the container running (for `outpost-agent status`). */
  startedAt?: string;
  /** Set when the agent stops the attempt because it is shutting down: the reported message. */
  shutdown?: string;
  leaseDeadlineMs: number;
  fenced: boolean;
};

export type RunnerOptions = {
  runtime: ContainerRuntime;
  agentId: string;
  slots: number;
  /** Whether this module version is installed here now (the module manager's view). */
  hasModule: (m: ModuleRef) => boolean;
  log: Logger;
  /** Sends a frame if the session is up; returns false when it is not (the frame is dropped). */
  send: (frame: AgentFrame) => boolean;
  /** True while the socket has too much unsent data: log flushing waits. */
  congested: () => boolean;
  /** Milliseconds on a monotonic clock, for lease deadlines (default performance.now): a wall-clock step never moves a fence. */
  clock?: () => number;
  /** Longest an image pull before a job's container may take, in seconds (--pull-timeout). */
  pullTimeoutS?: number;
};

export class JobRunner {
  private readonly held = new Map<string, Held>();
  private leaseTtlMs = 120_000;
  private draining = false;
  private flushScheduled = false;
  private readonly clock: () => number;
  private idleWaiters: (() => void)[] = [];
  /** Set while the container runtime (dockerd) is unreachable: no slot is offered until it answers again. */
  private runtimeProbe: NodeJS.Timeout | null = null;

  constructor(private readonly o: RunnerOptions) {
    this.clock = o.clock ?? (() => performance.now());
  }

  get freeSlots(): number {
    return this.draining || this.runtimeProbe ? 0 : Math.max(0, this.o.slots - this.held.size);
  }

  /** Attempts still held, for hello: the server renews their leases or answers stale. */
  runningKeys(): { job_id: string; attempt: number }[] {
    return [...this.held.values()].map((h) => ({ job_id: h.jobId, attempt: h.attempt }));
  }

  /** Held attempts with their container and when it started, for the state file. */
  runningDetails(): { job_id: string; attempt: number; container_id: string | null; started_at?: string }[] {
    return [...this.held.values()].map((h) => ({ job_id: h.jobId, attempt: h.attempt, container_id: h.containerId, ...(h.startedAt ? { started_at: h.startedAt } : {}) }));
  }

  get size(): number {
    return this.held.size;
  }

  /**
   * After welcome: start following adopted containers from where the server's log ends, re-send
   * what the last session may have lost, then announce free slots.
   */
  resync(leaseTtlS: number, resume: ResumePoint[] = []): void {
    this.leaseTtlMs = leaseTtlS * 1000;
    const now = this.clock();
    for (const r of resume) {
      const h = this.held.get(keyOf(r.job_id, r.attempt));
      if (!h?.adopted) continue;
      const owned = h.adopted;
      h.adopted = null;
      h.nextSeq = r.next_seq;
      h.skip = { stdout: r.stdout_bytes, stderr: r.stderr_bytes };
      void this.supervise(h, () => this.o.runtime.adopt(owned, (stream, data) => this.output(h, stream, data)));
    }
    for (const h of this.held.values()) {
      h.leaseDeadlineMs = Math.max(h.leaseDeadlineMs, now + this.leaseTtlMs);
      if (h.containerId && !h.adopted) this.o.send({ type: "started", job_id: h.jobId, attempt: h.attempt, container_id: h.containerId });
      h.sent = 0;
      h.resultSent = false;
      h.stepsDirty = h.steps.size > 0;
    }
    this.flush();
    for (const h of this.held.values()) this.sendResult(h);
    this.announce();
  }

  /**
   * At start, before the first hello: containers labelled as this agent's are attempts an earlier
   * process was running (or finished while nobody watched). They are held, listed in hello, and
   * followed once welcome says where their logs resume; the server answers stale for any it no
   * longer recognises, and those are stopped and removed.
   */
  adopt(owned: OwnedContainer[]): void {
    for (const c of owned) {
      if (!c.jobId || !Number.isInteger(c.attempt)) continue;
      const h = this.newHeld(c.jobId, c.attempt, null);
      h.adopted = c;
      h.containerId = c.containerId;
      this.held.set(keyOf(c.jobId, c.attempt), h);
      this.o.log.info({ job_id: c.jobId, attempt: c.attempt, container: c.containerId, running: c.running }, "re-attaching to a container left by an earlier run");
    }
  }

  announce(): void {
    this.o.send({ type: "ready", free_slots: this.freeSlots });
  }

  handle(frame: ServerFrame): void {
    switch (frame.type) {
      case "assign":
        return void this.onAssign(frame);
      case "renewed":
        for (const l of frame.leases) {
          const h = this.held.get(keyOf(l.job_id, l.attempt));
          if (h) h.leaseDeadlineMs = this.clock() + this.leaseTtlMs;
        }
        return;
      case "cancel": {
        const h = this.held.get(keyOf(frame.job_id, frame.attempt));
        if (!h || h.cancel) return;
        h.cancel = { reason: frame.reason, graceS: frame.grace_s };
        this.o.log.info({ job_id: frame.job_id, attempt: frame.attempt, reason: frame.reason }, "stopping the job's container");
        void h.job?.stop(frame.grace_s);
        return;
      }
      case "stale": {
        // An adopted container the server no longer recognises gets a short SIGTERM grace first.
        const key = keyOf(frame.job_id, frame.attempt);
        return void this.fence(key, frame.message, this.held.get(key)?.adopted ? ADOPTED_STOP_GRACE_S : 0);
      }
      case "logs_ack": {
        const h = this.held.get(keyOf(frame.job_id, frame.attempt));
        if (!h) return;
        let n = 0;
        while (n < h.unacked.length && h.unacked[n]!.seq <= frame.acked_seq) {
          h.bufferedBytes -= h.unacked[n]!.data.length;
          n++;
        }
        h.unacked.splice(0, n);
        h.sent = Math.max(0, h.sent - n);
        return;
      }
      case "finished_ack": {
        const key = keyOf(frame.job_id, frame.attempt);
        const h = this.held.get(key);
        if (!h) return;
        this.release(key, h);
        return;
      }
      default:
        return;
    }
  }

  /** Lease upkeep, called every few seconds: renew what is held, fence what lapsed. */
  tick(): void {
    const now = this.clock();
    for (const [key, h] of this.held) {
      if (now > h.leaseDeadlineMs) this.fence(key, `lease not renewed for ${this.leaseTtlMs / 1000} s`);
    }
    if (this.held.size) this.o.send({ type: "renew", leases: this.runningKeys() });
  }

  /**
   * SIGTERM: takes no new work, lets running attempts finish until deadlineS, then stops the rest
   * (SIGTERM, graceS, SIGKILL) and reports them failed. Resolves when every result is acknowledged
   * or ackWaitMs after the last one was sent.
   */
  async drain(deadlineS: number, graceS: number, ackWaitMs = 5000): Promise<void> {
    this.draining = true;
    this.announce();
    for (const [key, h] of this.held) if (h.adopted) await this.fence(key, "agent shutting down before re-attaching");
    const idle = () => (this.held.size ? new Promise<void>((r) => this.idleWaiters.push(r)) : Promise.resolve());
    const timer = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
    await Promise.race([idle(), timer(deadlineS * 1000)]);
    for (const h of this.held.values()) {
      if (h.finished || !h.job) continue;
      h.shutdown = `the agent shut down and stopped this job after its drain deadline of ${deadlineS} s`;
      this.o.log.warn({ job_id: h.jobId, attempt: h.attempt }, "drain deadline passed; stopping the job");
      void h.job.stop(graceS);
    }
    await Promise.race([idle(), timer(graceS * 1000 + ackWaitMs)]);
  }

  private newHeld(jobId: string, attempt: number, assign: AssignFrame | null): Held {
    return {
      jobId,
      attempt,
      assign,
      adopted: null,
      skip: { stdout: 0, stderr: 0 },
      job: null,
      containerId: null,
      nextSeq: 0,
      unacked: [],
      sent: 0,
      bufferedBytes: 0,
      dropped: false,
      decoders: { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") },
      partialLine: "",
      steps: new Map(),
      stepsDirty: false,
      stepsDropped: 0,
      report: null,
      finished: null,
      resultSent: false,
      cancel: null,
      leaseDeadlineMs: this.clock() + this.leaseTtlMs,
      fenced: false,
    };
  }

  private onAssign(a: AssignFrame): void {
    const key = keyOf(a.job_id, a.attempt);
    const ref = { job_id: a.job_id, attempt: a.attempt };
    if (this.held.has(key)) return;
    const installed = this.o.hasModule({ name: a.module, version: a.version });
    if (this.draining || this.runtimeProbe || this.held.size >= this.o.slots || !installed) {
      const reason = this.draining
        ? "agent shutting down"
        : this.runtimeProbe
          ? "the container runtime is unreachable here"
          : !installed
            ? `module ${a.module}@${a.version} is not installed here`
            : "no free slot";
      this.o.send({ type: "reject", ...ref, reason: clip(reason, MAX_REJECT_REASON) });
      return;
    }
    const h = this.newHeld(a.job_id, a.attempt, a);
    this.held.set(key, h);
    // Accept before anything is created: a refused accept (stale) fences before the container exists.
    this.o.send({ type: "accept", ...ref });
    this.o.log.info({ job_id: a.job_id, attempt: a.attempt, image: a.image }, "running job");
    void this.supervise(h, async () => {
      await pullForJob(this.o.runtime, a.image, this.o.pullTimeoutS ?? 900, { note: (l) => this.note(h, l), step: (st) => this.setStep(h, st) }, this.clock);
      return this.o.runtime.start(
        { jobId: a.job_id, attempt: a.attempt, agentId: this.o.agentId, image: a.image, command: a.command, inputs: a.inputs, limits: a.limits, ...(a.profile ? profileForJob(a.profile) : {}) },
        (stream, data) => this.output(h, stream, data),
      );
    });
  }

  /** Starts (or re-attaches to) the attempt's container, waits for it, and reports the result. */
  private async supervise(h: Held, launch: () => Promise<RunningJob>): Promise<void> {
    const ref = { job_id: h.jobId, attempt: h.attempt };
    try {
      h.job = await launch();
    } catch (err) {
      if (await this.runtimeGone(err)) return this.finish(h, { outcome: "failed", exit_code: null, reason: "internal", message: `the container runtime became unreachable: ${(err as Error).message}` });
      const reason = err instanceof RuntimeError ? err.reason : "create";
      return this.finish(h, { outcome: "failed", exit_code: null, reason, message: (err as Error).message });
    }
    h.containerId = h.job.containerId;
    if (h.fenced) return void h.job.stop(0).then(() => h.job!.remove());
    h.startedAt ??= new Date().toISOString();
    this.o.send({ type: "started", ...ref, container_id: h.containerId });
    if (h.cancel) void h.job.stop(h.cancel.graceS);
    let exit;
    try {
      exit = await h.job.wait();
    } catch (err) {
      await this.runtimeGone(err);
      return this.finish(h, { outcome: "failed", exit_code: null, reason: "internal", message: `lost track of the container: ${(err as Error).message}` });
    }
    if (h.fenced) return;
    this.endLine(h);
    const outputs: JobOutputs = await h.job.outputs().catch((err: Error) => ({ error: err.message }));
    if (outputs.reportJson !== undefined || outputs.reportMarkdown !== undefined) {
      const built = reportFrame(ref, outputs.reportJson, outputs.reportMarkdown);
      if ("frame" in built) h.report = built.frame;
      else this.note(h, `outpost-agent: report not kept: ${built.error}`);
    }
    if (outputs.error) this.note(h, `outpost-agent: report not kept: ${outputs.error}`);
    const memLimit = h.assign ? ` of ${h.assign.limits.mem_limit}` : "";
    if (h.shutdown) {
      this.finish(h, { outcome: "failed", exit_code: exit.exitCode, reason: "agent_lost", message: h.shutdown });
    } else if (h.cancel) {
      this.finish(h, { outcome: "cancelled", exit_code: exit.exitCode, reason: "cancelled", message: h.cancel.reason === "timeout" ? "stopped: the job timed out" : "stopped on request" });
    } else if (exit.oomKilled) {
      this.finish(h, { outcome: "failed", exit_code: exit.exitCode, reason: "oom_killed", message: `killed by the kernel: over its memory limit${memLimit}` });
    } else if (outputs.overflow) {
      this.finish(h, { outcome: "failed", exit_code: exit.exitCode, reason: "outputs_exceeded", message: outputs.overflow });
    } else if (exit.exitCode === 0) {
      this.finish(h, { outcome: "completed", exit_code: 0, reason: null, message: null });
    } else {
      this.finish(h, { outcome: "failed", exit_code: exit.exitCode, reason: "exit_code", message: `the command exited with code ${exit.exitCode}` });
    }
  }

  private finish(h: Held, r: Omit<Finished, "type" | "job_id" | "attempt" | "last_seq">): void {
    if (h.fenced) return;
    this.flush();
    h.finished = { type: "finished", job_id: h.jobId, attempt: h.attempt, ...r, message: r.message === null ? null : clip(r.message, MAX_FINISHED_MESSAGE), last_seq: h.nextSeq - 1 };
    this.o.log.info({ job_id: h.jobId, attempt: h.attempt, outcome: r.outcome, reason: r.reason }, "job finished");
    this.sendResult(h);
  }

  /**
   * The result goes out only after every log chunk (and the steps) of the attempt: the server
   * stores nothing of an attempt once it is finished, so a chunk held back by a congested socket and
   * sent after the result would be refused as stale and then dropped on finished_ack (issue 17: a
   * completed job with log lines missing). flush() sends it once the chunks are out.
   */
  private sendResult(h: Held): void {
    if (!h.finished || h.resultSent || h.sent < h.unacked.length || h.stepsDirty) return;
    h.resultSent = true;
    if (h.report) this.o.send(h.report);
    this.o.send(h.finished);
  }

  /** The result is recorded: the container goes, the slot frees. */
  private release(key: string, h: Held): void {
    this.held.delete(key);
    void h.job?.remove().catch((err: Error) => this.o.log.warn({ err, key }, "could not remove the container"));
    this.announce();
    this.wakeIfIdle();
  }

  /** Stops and forgets an attempt without reporting it: it is not ours any more. */
  private async fence(key: string, why: string, graceS = 0): Promise<void> {
    const h = this.held.get(key);
    if (!h || h.fenced) return;
    h.fenced = true;
    this.held.delete(key);
    this.o.log.warn({ key, why }, "stopping an attempt that is no longer ours");
    try {
      // An adopted container not yet followed has no handle. A never-started one is removed
      // without being started (adopt() would start it: its body must not run for a stale attempt).
      if (!h.job && h.adopted && !h.adopted.running) await this.o.runtime.removeContainer(h.adopted.containerId);
      const job = h.job ?? (h.adopted?.running ? await this.o.runtime.adopt(h.adopted, () => {}) : null);
      await job?.stop(graceS);
      await job?.remove();
    } catch (err) {
      this.o.log.warn({ err, key }, "could not stop the container");
    }
    if (!this.draining) this.announce();
    this.wakeIfIdle();
  }

  /**
   * After a failed start or wait: is the runtime itself gone (dockerd stopped)? Then no slot is
   * offered (ready 0, assigns rejected) and it is probed every second; when it answers again the
   * containers it kept of attempts no longer held are removed and the slots are offered again.
   */
  private async runtimeGone(err: unknown): Promise<boolean> {
    if (this.runtimeProbe) return true;
    if (await this.o.runtime.ping().then(() => true, () => false)) return false;
    if (this.runtimeProbe) return true;
    this.o.log.error({ err }, "the container runtime is unreachable; taking no jobs until it answers again");
    this.runtimeProbe = setInterval(() => void this.probeRuntime(), RUNTIME_PROBE_MS);
    this.announce();
    return true;
  }

  private probing = false;
  private async probeRuntime(): Promise<void> {
    if (this.probing || !this.runtimeProbe) return;
    this.probing = true;
    try {
      await this.o.runtime.ping();
      const owned = await this.o.runtime.listOwned(this.o.agentId);
      for (const c of owned) {
        const h = this.held.get(keyOf(c.jobId, c.attempt));
        if (!h || h.finished) await this.o.runtime.removeContainer(c.containerId).catch((err: Error) => this.o.log.warn({ err, container: c.containerId }, "could not remove the container"));
      }
      clearInterval(this.runtimeProbe);
      this.runtimeProbe = null;
      this.o.log.info({ removed: owned.length }, "the container runtime answers again; taking jobs");
      this.announce();
    } catch {
      // still down: the next probe tries again
    } finally {
      this.probing = false;
    }
  }

  /** Stops the runtime probe (the agent is stopping). */
  close(): void {
    if (this.runtimeProbe) clearInterval(this.runtimeProbe);
    this.runtimeProbe = null;
  }

  /** Once nothing is held, resolves whoever drain() left waiting for that. */
  private wakeIfIdle(): void {
    if (!this.held.size) for (const w of this.idleWaiters.splice(0)) w();
  }

  // ---- output ----

  private output(h: Held, stream: "stdout" | "stderr", data: Buffer): void {
    if (h.skip[stream] > 0) {
      // Re-read after a restart: the server already has these bytes. The stdout line they end in
      // may be a step line whose rest is still to come, so its start seeds the step scanner.
      const n = Math.min(h.skip[stream], data.length);
      h.skip[stream] -= n;
      if (stream === "stdout") this.carryLineStart(h, data.subarray(0, n));
      data = data.subarray(n);
      if (!data.length) return;
    }
    const text = h.decoders[stream].write(data);
    if (text) this.append(h, stream, text);
  }

  private append(h: Held, stream: Stream, text: string): void {
    if (stream === "stdout") this.scanSteps(h, text);
    if (h.dropped) return;
    if (h.bufferedBytes + text.length > MAX_BUFFERED_LOG_BYTES) {
      h.dropped = true;
      text = "[outpost-agent: the server is not keeping up; further output of this attempt was dropped]\n";
      stream = "system";
    }
    for (let i = 0; i < text.length; i += MAX_LOG_CHUNK_BYTES / 4) {
      const data = text.slice(i, i + MAX_LOG_CHUNK_BYTES / 4); // <= 4 bytes per UTF-16 unit in UTF-8 worst case
      h.unacked.push({ seq: h.nextSeq++, stream, data });
      h.bufferedBytes += data.length;
    }
    this.scheduleFlush();
  }

  private note(h: Held, line: string): void {
    this.append(h, "system", `${line}\n`);
  }

  /** Skipped stdout bytes: keep what follows their last newline as the start of the current line. */
  private carryLineStart(h: Held, skipped: Buffer): void {
    const nl = skipped.lastIndexOf(0x0a);
    const start = (nl < 0 ? h.partialLine : "") + skipped.subarray(nl + 1).toString("utf8");
    h.partialLine = start.length > MAX_STEP_LINE ? "" : start;
  }

  private scanSteps(h: Held, text: string): void {
    const lines = (h.partialLine + text).split("\n");
    h.partialLine = lines.pop() ?? "";
    if (h.partialLine.length > MAX_STEP_LINE) h.partialLine = "";
    for (const line of lines) this.stepLine(h, line);
  }

  private endLine(h: Held): void {
    for (const stream of ["stdout", "stderr"] as const) {
      const rest = h.decoders[stream].end();
      if (rest) this.append(h, stream, rest);
    }
    if (h.partialLine) this.stepLine(h, h.partialLine);
    h.partialLine = "";
  }

  private stepLine(h: Held, line: string): void {
    if (!line.startsWith(STEP_PREFIX)) return;
    let value: unknown;
    try {
      value = JSON.parse(line.slice(STEP_PREFIX.length));
    } catch {
      return this.note(h, `outpost-agent: ignored a step line that is not JSON: ${line.slice(0, 200)}`);
    }
    const step = StepUpdate.safeParse(clipStepLine(value));
    if (!step.success) return this.note(h, `outpost-agent: ignored a step line: ${step.error.issues[0]?.path.join(".")}: ${step.error.issues[0]?.message}`);
    if (!h.steps.has(step.data.name) && h.steps.size >= MAX_STEPS - (h.stepsDropped > 0 ? 0 : 1)) {
      // Past the cap: the last place is a marker step counting what was left out.
      if (h.stepsDropped++ === 0) this.note(h, `outpost-agent: this job reported more than ${MAX_STEPS} steps; the rest are not shown`);
      h.steps.set(MORE_STEPS_NAME, { name: MORE_STEPS_NAME, status: "skipped", output: `${h.stepsDropped} more step(s) not shown` });
    } else {
      h.steps.set(step.data.name, step.data);
    }
    h.stepsDirty = true;
    this.scheduleFlush();
  }

  /** A step the agent itself reports (the image pull), sent like the job's own. */
  private setStep(h: Held, step: StepUpdate): void {
    h.steps.set(step.name, step);
    h.stepsDirty = true;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends unsent chunks and dirty steps for every attempt, respecting socket backpressure. */
  flush(): void {
    for (const h of this.held.values()) {
      const ref = { job_id: h.jobId, attempt: h.attempt };
      while (h.sent < h.unacked.length) {
        if (this.o.congested()) return void setTimeout(() => this.scheduleFlush(), 20);
        const frame = logsFrame(ref, h.unacked.slice(h.sent, h.sent + MAX_CHUNKS_PER_FRAME));
        if (!this.o.send(frame)) return;
        h.sent += frame.chunks.length;
      }
      if (h.stepsDirty && this.o.send(stepsFrame(ref, [...h.steps.values()]))) h.stepsDirty = false;
      this.sendResult(h);
    }
  }
}
