/**
 * Runs assigned attempts: accept, container, logs, steps, report, result. Every message carries
 * the attempt; a `stale` answer or a lease that could not be renewed stops the container and
 * forgets the attempt (self-fencing), so two attempts of one job never run at once.
 *
 * What must survive a dropped session (unacknowledged logs, the result until finished_ack) is
 * kept here and re-sent by resync() after the next welcome. Each attempt's log sequencing, acks
 * and resend are its LogStream (log-stream.ts), its step lines its StepScanner (step-scanner.ts);
 * this file keeps the attempt's lifecycle.
 */
import type { Logger } from "pino";
import {
  PROTOCOL_VERSION,
  type AgentFrame,
  type AssignFrame,
  type AttemptKey,
  type FrameOf,
  type ModuleRef,
  type ResumePoint,
  type ServerFrame,
} from "@outpost/shared";
import { RuntimeError, type ContainerRuntime, type JobOutputs, type OwnedContainer, type RunningJob } from "../runtime/types.js";
import { pullForJob } from "./image-pull.js";
import { clip, reportFrame, stepsFrame } from "./frames.js";
import { profileForJob } from "./job-profile.js";
import { LogStream, type LogStreamName } from "./log-stream.js";
import { StepScanner } from "./step-scanner.js";
import { outcomeOf, type Outcome } from "./outcome.js";

type Finished = FrameOf<AgentFrame, "finished">;
type Report = FrameOf<AgentFrame, "report">;
/** The schema's lengths of the result's message and a reject's reason. */
const MAX_FINISHED_MESSAGE = 4000;
const MAX_REJECT_REASON = 1000;

/** How soon a flush that found the socket congested tries again. */
const CONGESTED_RETRY_MS = 20;
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
  job: RunningJob | null;
  containerId: string | null;
  /** The agent's logger bound to this attempt (job_id, attempt): no call site names them by hand. */
  logger: Logger;
  /** The attempt's log: seq, chunks held until acknowledged, resend (log-stream.ts). */
  log: LogStream;
  /** The attempt's steps, from its stdout and the agent's own (step-scanner.ts). */
  steps: StepScanner;
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
  runningKeys(): AttemptKey[] {
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
      h.log.resumeAt(r.next_seq, { stdout: r.stdout_bytes, stderr: r.stderr_bytes });
      void this.supervise(h, () => this.o.runtime.adopt(owned, (stream, data) => this.output(h, stream, data)));
    }
    for (const h of this.held.values()) {
      h.leaseDeadlineMs = Math.max(h.leaseDeadlineMs, now + this.leaseTtlMs);
      if (h.containerId && !h.adopted) this.o.send({ v: PROTOCOL_VERSION, type: "started", job_id: h.jobId, attempt: h.attempt, container_id: h.containerId } satisfies AgentFrame);
      h.log.rewind();
      h.resultSent = false;
      h.steps.dirty = h.steps.size > 0;
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
      h.logger.info({ container: c.containerId, running: c.running }, "re-attaching to a container left by an earlier run");
    }
  }

  announce(): void {
    this.o.send({ v: PROTOCOL_VERSION, type: "ready", free_slots: this.freeSlots } satisfies AgentFrame);
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
        h.logger.info({ reason: frame.reason }, "stopping the job's container");
        void h.job?.stop(frame.grace_s);
        return;
      }
      case "stale": {
        // An adopted container the server no longer recognises gets a short SIGTERM grace first.
        const key = keyOf(frame.job_id, frame.attempt);
        return void this.fence(key, frame.message, this.held.get(key)?.adopted ? ADOPTED_STOP_GRACE_S : 0);
      }
      case "logs_ack": {
        this.held.get(keyOf(frame.job_id, frame.attempt))?.log.ack(frame.acked_seq);
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
    if (this.held.size) this.o.send({ v: PROTOCOL_VERSION, type: "renew", leases: this.runningKeys() } satisfies AgentFrame);
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
      h.logger.warn("drain deadline passed; stopping the job");
      void h.job.stop(graceS);
    }
    await Promise.race([idle(), timer(graceS * 1000 + ackWaitMs)]);
  }

  private newHeld(jobId: string, attempt: number, assign: AssignFrame | null): Held {
    const log = new LogStream({ job_id: jobId, attempt });
    const steps = new StepScanner({ note: (line) => this.note(h, line), changed: () => this.scheduleFlush() });
    const h: Held = {
      jobId,
      attempt,
      assign,
      adopted: null,
      job: null,
      containerId: null,
      logger: this.o.log.child({ job_id: jobId, attempt }),
      log,
      steps,
      report: null,
      finished: null,
      resultSent: false,
      cancel: null,
      leaseDeadlineMs: this.clock() + this.leaseTtlMs,
      fenced: false,
    };
    return h;
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
      this.o.send({ v: PROTOCOL_VERSION, type: "reject", ...ref, reason: clip(reason, MAX_REJECT_REASON) } satisfies AgentFrame);
      return;
    }
    const h = this.newHeld(a.job_id, a.attempt, a);
    this.held.set(key, h);
    // Accept before anything is created: a refused accept (stale) fences before the container exists.
    this.o.send({ v: PROTOCOL_VERSION, type: "accept", ...ref } satisfies AgentFrame);
    h.logger.info({ image: a.image }, "running job");
    void this.supervise(h, async () => {
      await pullForJob(this.o.runtime, a.image, this.o.pullTimeoutS ?? 900, { note: (l) => this.note(h, l), step: (st) => h.steps.set(st) }, this.clock);
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
    this.o.send({ v: PROTOCOL_VERSION, type: "started", ...ref, container_id: h.containerId } satisfies AgentFrame);
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
    this.finish(h, outcomeOf({ exit, outputs, shutdown: h.shutdown, cancel: h.cancel, memLimit: h.assign?.limits.mem_limit }));
  }

  private finish(h: Held, r: Outcome): void {
    if (h.fenced) return;
    this.flush();
    h.finished = { v: PROTOCOL_VERSION, type: "finished", job_id: h.jobId, attempt: h.attempt, ...r, message: r.message === null ? null : clip(r.message, MAX_FINISHED_MESSAGE), last_seq: h.log.lastSeq };
    h.logger.info({ outcome: r.outcome, reason: r.reason }, "job finished");
    this.sendResult(h);
  }

  /**
   * The result goes out only after every log chunk (and the steps) of the attempt: the server
   * stores nothing of an attempt once it is finished, so a chunk held back by a congested socket and
   * sent after the result would be refused as stale and then dropped on finished_ack (issue 17: a
   * completed job with log lines missing). flush() sends it once the chunks are out.
   */
  private sendResult(h: Held): void {
    if (!h.finished || h.resultSent || h.log.unsent > 0 || h.steps.dirty) return;
    h.resultSent = true;
    if (h.report) this.o.send(h.report);
    this.o.send(h.finished);
  }

  /** The result is recorded: the container goes, the slot frees. */
  private release(key: string, h: Held): void {
    this.held.delete(key);
    void h.job?.remove().catch((err: Error) => h.logger.warn({ err }, "could not remove the container"));
    this.announce();
    this.wakeIfIdle();
  }

  /** Stops and forgets an attempt without reporting it: it is not ours any more. */
  private async fence(key: string, why: string, graceS = 0): Promise<void> {
    const h = this.held.get(key);
    if (!h || h.fenced) return;
    h.fenced = true;
    this.held.delete(key);
    h.logger.warn({ why }, "stopping an attempt that is no longer ours");
    try {
      // An adopted container not yet followed has no handle. A never-started one is removed
      // without being started (adopt() would start it: its body must not run for a stale attempt).
      if (!h.job && h.adopted && !h.adopted.running) await this.o.runtime.removeContainer(h.adopted.containerId);
      const job = h.job ?? (h.adopted?.running ? await this.o.runtime.adopt(h.adopted, () => {}) : null);
      await job?.stop(graceS);
      await job?.remove();
    } catch (err) {
      h.logger.warn({ err }, "could not stop the container");
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
    const { skipped, text } = h.log.decode(stream, data);
    // Re-read after a restart: the server already has the skipped bytes. The stdout line they end
    // in may be a step line whose rest is still to come, so its start seeds the step scanner.
    if (stream === "stdout") h.steps.carry(skipped);
    if (text) this.appendLog(h, stream, text);
  }

  private appendLog(h: Held, stream: LogStreamName, text: string): void {
    if (stream === "stdout") h.steps.scan(text);
    h.log.append(stream, text);
    this.scheduleFlush();
  }

  private note(h: Held, line: string): void {
    this.appendLog(h, "system", `${line}\n`);
  }

  /** The container exited: what the decoders held, then the unfinished last line for steps. */
  private endLine(h: Held): void {
    for (const { stream, text } of h.log.endDecoders()) this.appendLog(h, stream, text);
    h.steps.end();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Sends unsent chunks and dirty steps for every attempt, respecting socket backpressure: on a
   * congested socket it stops and tries again CONGESTED_RETRY_MS later; with the session down it
   * stops (resync sends everything again after the next welcome).
   */
  flush(): void {
    for (const h of this.held.values()) {
      const logs = h.log.flush(this.o);
      if (logs === "congested") return void setTimeout(() => this.scheduleFlush(), CONGESTED_RETRY_MS);
      if (logs === "down") return;
      if (h.steps.dirty && this.o.send(stepsFrame({ job_id: h.jobId, attempt: h.attempt }, h.steps.steps))) h.steps.dirty = false;
      this.sendResult(h);
    }
  }
}
