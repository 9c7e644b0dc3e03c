/**
 * The contract between the job runner and whatever runs containers. DockerRuntime implements it
 * against dockerd; tests may use a fake only if the same contract suite passes against Docker:
 * test/support/runtime-contract.ts, run against both in test/runtime-contract.test.ts (the fake
 * is test/support/memory-runtime.ts).
 */
import type { Limits } from "@outpost/shared";

/** Why starting or running a job failed, as the job's error reason says it. */
export type RuntimeFailure = "image" | "create" | "start";

export class RuntimeError extends Error {
  constructor(
    readonly reason: RuntimeFailure,
    message: string,
  ) {
    super(message);
    this.name = "RuntimeError";
  }
}

export type JobSpec = {
  jobId: string;
  attempt: number;
  agentId: string;
  image: string;
  /** argv; never passed through a shell. */
  command: string[];
  /** Written as JSON to a read-only file, /outpost/in/inputs.json, never interpolated. */
  inputs: Record<string, unknown>;
  /** Already capped by the server and the agent: cpus -> NanoCpus, mem_limit -> Memory = MemorySwap. */
  limits: Limits;
  /** Extra environment (OUTPOST_* only); inputs never go here. */
  env?: Record<string, string>;
  /** More read-only files beside inputs.json in /outpost/in (plain names such as "agent.json"): the agent's profile. */
  files?: Record<string, string>;
};

export type ExitResult = { exitCode: number; oomKilled: boolean };

/**
 * What a job left in /outpost/out when it exited (size-capped by the runtime). `overflow` says the
 * job filled its outputs dir ("outputs exceeded 1 MiB ..."): the job fails with reason outputs_exceeded.
 */
export type JobOutputs = { reportJson?: unknown; reportMarkdown?: string; error?: string; overflow?: string };

export type OutputSink = (stream: "stdout" | "stderr", data: Buffer) => void;

export interface RunningJob {
  readonly containerId: string;
  /** Resolves once the container has exited and its output streams are drained. */
  wait(): Promise<ExitResult>;
  /** SIGTERM, then SIGKILL after graceS seconds if still running. Safe to call twice or after exit. */
  stop(graceS: number): Promise<void>;
  /** The report files the job wrote; call after wait(). */
  outputs(): Promise<JobOutputs>;
  /** Removes the container and its host-side scratch dirs. Safe to call twice. */
  remove(): Promise<void>;
}

/** One progress event of a pull, as dockerd sends it ("Downloading", "abc123", "[=>  ] 1MB/4MB"). */
export type PullProgress = { status: string; id?: string; progress?: string };

export type OwnedContainer = { containerId: string; jobId: string; attempt: number; running: boolean; createdAt: string };

export interface ContainerRuntime {
  /** True when the image is present locally. */
  hasImage(image: string): Promise<boolean>;
  /** Pulls the image when it is missing; RuntimeError("image") when that fails. */
  ensureImage(image: string): Promise<void>;
  /**
   * Pulls the image from its registry even when present (a tag may have moved), passing Docker's
   * progress events on; RuntimeError("image") carrying the registry's message when the pull fails.
   */
  pullImage(image: string, onProgress: (p: PullProgress) => void): Promise<void>;
  /** Creates and starts the job's container, streaming its output to sink; RuntimeError on failure. */
  start(spec: JobSpec, sink: OutputSink): Promise<RunningJob>;
  /**
   * Re-attaches to a container of ours left by an earlier process (running or exited): its whole
   * output so far, then live output, reaches the sink in order, per stream.
   */
  adopt(owned: OwnedContainer, sink: OutputSink): Promise<RunningJob>;
  /** Containers labelled as this agent's, running or not. */
  listOwned(agentId: string): Promise<OwnedContainer[]>;
  /** Force-removes a container by id (for reaping), with its attempt's scratch dir. */
  removeContainer(containerId: string): Promise<void>;
  /**
   * At start: removes the scratch dirs (unmounting their outputs) of attempts that have no
   * container among `owned` (an earlier process died between preparing and creating, or while
   * removing), so nothing it mounted outlives it.
   */
  removeOrphanScratch(owned: OwnedContainer[]): Promise<void>;
  /** Resolves when the runtime answers (Docker's /_ping); rejects when it is unreachable. */
  ping(): Promise<void>;
}
