/**
 * ContainerRuntime against dockerd (dockerode). Every job container gets the hardened defaults of
 * docs ANCHORS "Container defaults": network none, no capabilities, no-new-privileges, read-only
 * root with a small noexec /tmp, a non-root user, pids/memory/cpu limits with swap equal to memory,
 * a capped json-file log, and never the Docker socket.
 *
 * Host side, each attempt owns `<scratchDir>/<jobId>-<attempt>/`: `in/inputs.json` and the
 * spec's other files (agent.json, soul.md, rules.md; mounted read-only at /outpost/in) and `out/` (mounted read-write at /outpost/out, where the job leaves
 * report.json and report.md). Every place a job can write is bounded: out/ is a size-limited tmpfs
 * the agent mounts (bounded-dir.ts), /tmp and any VOLUME the image declares are docker tmpfs mounts
 * with a size, /dev/shm has a size, the root is read-only. Docker failures surface as RuntimeError
 * with a reason; none is swallowed.
 */
import { constants as fsConstants } from "node:fs";
import { chmod, chown, mkdir, open, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import Dockerode from "dockerode";
import { registryOf, type RegistryAuth } from "./registry-auth.js";
import { cpusToNano, parseMemLimit } from "@outpost/shared";
import { mountBounded, overflowOf, unmountBounded } from "./bounded-dir.js";
import { jobOutputs, overCap, type ReportRead } from "./outputs.js";
import { checkSpec, SAFE_ID } from "./spec-checks.js";
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
} from "./types.js";

/** How long Docker took: the agent's metrics (metrics.ts) observe these. */
export type RuntimeTimings = { observe: (step: "pull" | "create" | "start", seconds: number) => void };

export type DockerRuntimeOptions = {
  docker?: Dockerode;
  /** Told the duration of every image pull, container create and container start. */
  timings?: RuntimeTimings;
  /** Credentials per registry host (registry-auth.ts), sent to dockerd with pulls from that registry. */
  registryAuth?: Map<string, RegistryAuth>;
  /** Host directory for per-attempt input/output dirs; must be visible to dockerd at the same path. */
  scratchDir: string;
  /** json-file log max-size per container (docker syntax); default "10m". */
  logMaxSize?: string;
  /** Largest report.json / report.md read back; default 256 KiB. */
  reportCapBytes?: number;
  /** Size of the job's /outpost/out (a tmpfs on the host attempt dir); default 1 MiB. */
  outputsBytes?: number;
  /** Size of the job's /tmp, /dev/shm and each VOLUME its image declares; default 64 MiB. */
  tmpBytes?: number;
  /**
   * Mount a tmpfs on each attempt's out/ (default true; it needs root). False, or when the mount is
   * refused: the documented fallback, a plain dir measured after the job exits (bounded-dir.ts).
   */
  mountOutputs?: boolean;
  /** uid:gid the job runs as; default nobody. */
  user?: string;
  /**
   * Extra labels on every container this runtime creates, and required of every container it lists
   * as its own: a test run passes `outpost.test-run=<uuid>` so it only ever sees (and cleans up) its
   * own containers, never a real agent's or another run's. The LABEL keys cannot be overridden.
   */
  labels?: Record<string, string>;
};

export const LABEL = {
  jobId: "outpost.job_id",
  attempt: "outpost.attempt",
  agentId: "outpost.agent_id",
  managed: "outpost.managed",
} as const;

const DEFAULT_REPORT_CAP = 256 * 1024;
const DEFAULT_OUTPUTS_BYTES = 1024 * 1024;
const DEFAULT_TMP_BYTES = 64 * 1024 * 1024;
/** After the container exits, how long its attach stream may take to drain before we cut it. */
const DRAIN_TIMEOUT_MS = 10_000;
/** How often a container whose output has ended is inspected while docker's wait has not answered. */
const EXIT_POLL_MS = 1000;

type DockerError = Error & { statusCode?: number; json?: { message?: string } | null };

function statusOf(err: unknown): number | undefined {
  return (err as DockerError)?.statusCode;
}

/** Docker's own message when it sent one ("No such image: ..."), else the error's. */
function dockerMessage(err: unknown): string {
  const e = err as DockerError;
  const fromJson = e?.json && typeof e.json === "object" ? e.json.message : undefined;
  return fromJson ?? (e instanceof Error ? e.message : String(err));
}

function ignoreStatus(...codes: number[]) {
  return (err: unknown): void => {
    const code = statusOf(err);
    if (code === undefined || !codes.includes(code)) throw err;
  };
}

export class DockerRuntime implements ContainerRuntime {
  private readonly docker: Dockerode;
  private readonly scratchDir: string;
  private readonly logMaxSize: string;
  private readonly reportCapBytes: number;
  private readonly user: string;
  private readonly labels: Record<string, string>;
  private readonly outputsBytes: number;
  private readonly tmpBytes: number;
  private readonly mountOutputs: boolean;
  private readonly timings: RuntimeTimings | undefined;
  private readonly registryAuth: Map<string, RegistryAuth>;

  constructor(options: DockerRuntimeOptions) {
    this.docker = options.docker ?? new Dockerode();
    this.timings = options.timings;
    this.registryAuth = options.registryAuth ?? new Map();
    this.scratchDir = path.resolve(options.scratchDir);
    this.logMaxSize = options.logMaxSize ?? "10m";
    this.reportCapBytes = options.reportCapBytes ?? DEFAULT_REPORT_CAP;
    this.user = options.user ?? "65534:65534";
    const userPart = this.user.split(":")[0];
    if (userPart === "" || userPart === "0" || userPart === "root") {
      throw new Error(`DockerRuntime user must be non-root, got ${JSON.stringify(this.user)}`);
    }
    this.labels = { ...options.labels };
    this.outputsBytes = options.outputsBytes ?? DEFAULT_OUTPUTS_BYTES;
    this.tmpBytes = options.tmpBytes ?? DEFAULT_TMP_BYTES;
    this.mountOutputs = options.mountOutputs ?? true;
    const reserved = Object.keys(this.labels).filter((k) => (Object.values(LABEL) as string[]).includes(k));
    if (reserved.length > 0) throw new Error(`DockerRuntime labels cannot set ${reserved.join(", ")}: the runtime sets them`);
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async ensureImage(image: string): Promise<void> {
    try {
      if (await this.hasImage(image)) return;
      await this.pull(image);
    } catch (err) {
      throw new RuntimeError("image", `image ${image} is not present and could not be pulled: ${dockerMessage(err)}`);
    }
  }

  async pullImage(image: string, onProgress: (p: PullProgress) => void): Promise<void> {
    try {
      await this.pull(image, onProgress);
    } catch (err) {
      throw new RuntimeError("image", `pulling ${image} failed: ${dockerMessage(err)}`);
    }
  }

  /** Pulls image to the end of docker's progress stream; throws (a plain Error) unless it is then present. */
  private async pull(image: string, onProgress?: (p: PullProgress) => void): Promise<void> {
    const began = performance.now();
    try {
      await this.pullStream(image, onProgress);
    } finally {
      this.timings?.observe("pull", (performance.now() - began) / 1000);
    }
  }

  private async pullStream(image: string, onProgress?: (p: PullProgress) => void): Promise<void> {
    const authconfig = this.registryAuth.get(registryOf(image));
    const stream = await this.docker.pull(image, authconfig ? { authconfig } : {});
    const events = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, out: Array<{ error?: string }>) => (err ? reject(err) : resolve(out)),
        (e: { status?: string; id?: string; progress?: string }) => {
          if (onProgress && typeof e?.status === "string") onProgress({ status: e.status, ...(e.id ? { id: e.id } : {}), ...(e.progress ? { progress: e.progress } : {}) });
        },
      );
    });
    // A failed pull can end the stream cleanly, with the registry's error as its last event.
    const failed = events.find((e) => typeof e?.error === "string");
    if (failed) throw new Error(failed.errorDetail?.message ?? failed.error);
    if (!(await this.hasImage(image))) throw new Error("pull finished but the image is still missing");
  }

  async start(spec: JobSpec, sink: OutputSink): Promise<RunningJob> {
    checkSpec(spec);

    await this.ensureImage(spec.image);
    const dir = this.attemptDir(spec.jobId, spec.attempt);
    try {
      await this.prepareScratch(dir, { ...spec.files, "inputs.json": JSON.stringify(spec.inputs) });
    } catch (err) {
      await removeScratch(dir);
      throw new RuntimeError("create", `could not prepare ${dir}: ${dockerMessage(err)}`);
    }

    let container: Dockerode.Container;
    try {
      const volumes = Object.keys((await this.docker.getImage(spec.image).inspect()).Config?.Volumes ?? {});
      const began = performance.now();
      container = await this.docker.createContainer(this.createOptions(spec, dir, volumes));
      this.timings?.observe("create", (performance.now() - began) / 1000);
    } catch (err) {
      await removeScratch(dir);
      throw new RuntimeError("create", dockerMessage(err));
    }

    // From here on, any failure must take the container and the scratch dir with it.
    const discard = async (): Promise<void> => {
      await container.remove({ force: true, v: true }).catch(ignoreStatus(404, 409));
      await removeScratch(dir);
    };
    let drained: Promise<void>;
    let cutStream: () => void;
    try {
      ({ drained, cutStream } = await this.attach(container, sink));
    } catch (err) {
      await discard();
      throw new RuntimeError("create", `attach failed: ${dockerMessage(err)}`);
    }
    try {
      const began = performance.now();
      await container.start();
      this.timings?.observe("start", (performance.now() - began) / 1000);
    } catch (err) {
      cutStream();
      await discard();
      throw new RuntimeError("start", dockerMessage(err));
    }
    return new DockerJob(container, dir, drained, cutStream, this.reportCapBytes, this.outputsBytes);
  }

  async adopt(owned: OwnedContainer, sink: OutputSink): Promise<RunningJob> {
    const container = this.docker.getContainer(owned.containerId);
    // An earlier process killed between create and start left it never started: its body has not
    // run, and docker's wait would answer exit 0 at once (issue 17: "completed" with no line). Start
    // it now; the log driver keeps all of its output for the follow below.
    if ((await container.inspect()).State.Status === "created") await container.start();
    // follow: what the log driver kept so far, then live output until the container exits.
    const stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
    const { drained, cutStream } = this.demux(stream, sink);
    const dir = this.attemptDir(owned.jobId, owned.attempt);
    return new DockerJob(container, dir, drained, cutStream, this.reportCapBytes, this.outputsBytes);
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  async listOwned(agentId: string): Promise<OwnedContainer[]> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.agentId}=${agentId}`, `${LABEL.managed}=true`, ...Object.entries(this.labels).map(([k, v]) => `${k}=${v}`)] },
    });
    return list.map((c) => ({
      containerId: c.Id,
      jobId: c.Labels[LABEL.jobId] ?? "",
      attempt: Number(c.Labels[LABEL.attempt] ?? Number.NaN),
      running: c.State === "running",
      createdAt: new Date(c.Created * 1000).toISOString(),
    }));
  }

  /** Force-removes a container and, when it is one of ours, its attempt's scratch dir (unmounting its outputs). */
  async removeContainer(containerId: string): Promise<void> {
    const container = this.docker.getContainer(containerId);
    const labels = (await container.inspect().catch(() => undefined))?.Config?.Labels ?? {};
    await container.remove({ force: true, v: true }).catch(ignoreStatus(404, 409));
    const jobId = labels[LABEL.jobId];
    const attempt = Number(labels[LABEL.attempt]);
    if (labels[LABEL.managed] === "true" && jobId && SAFE_ID.test(jobId) && Number.isInteger(attempt)) await removeScratch(this.attemptDir(jobId, attempt));
  }

  async removeOrphanScratch(owned: OwnedContainer[]): Promise<void> {
    const keep = new Set(owned.map((c) => path.basename(this.attemptDir(c.jobId, c.attempt))));
    const entries = await readdir(this.scratchDir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory() && !keep.has(e.name)) await removeScratch(path.join(this.scratchDir, e.name));
  }

  /** `<scratchDir>/<jobId>-<attempt>`: the attempt's in/ and out/ dirs. */
  private attemptDir(jobId: string, attempt: number): string {
    return path.join(this.scratchDir, `${jobId}-${attempt}`);
  }

  /**
   * in/ (the files, by plain name) is root-owned and world-readable; out/ must be writable by the job's (non-root) user and is
   * a tmpfs of outputsBytes when the agent may mount one (else a plain dir, checked after exit).
   */
  private async prepareScratch(dir: string, files: Record<string, string>): Promise<void> {
    await removeScratch(dir); // a stale dir (and mount) from a crashed run of this attempt
    const inDir = path.join(dir, "in");
    const outDir = path.join(dir, "out");
    await mkdir(inDir, { recursive: true, mode: 0o755 });
    await mkdir(outDir, { recursive: true });
    await chmod(dir, 0o755);
    await chmod(inDir, 0o755);
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(inDir, name);
      await writeFile(file, content, { mode: 0o644 });
      await chmod(file, 0o644); // the umask may have narrowed it
    }
    const [uid, gid] = this.user.split(":").map((s) => Number(s));
    if (this.mountOutputs && Number.isInteger(uid) && (await mountBounded(outDir, this.outputsBytes, uid!, Number.isInteger(gid) ? gid! : uid!))) return;
    if (process.getuid?.() === 0 && Number.isInteger(uid)) {
      await chown(outDir, uid!, Number.isInteger(gid) ? gid! : uid!);
      await chmod(outDir, 0o755);
    } else {
      await chmod(outDir, 0o777);
    }
  }

  private createOptions(spec: JobSpec, dir: string, imageVolumes: string[] = []): Dockerode.ContainerCreateOptions {
    const memory = parseMemLimit(spec.limits.mem_limit);
    const env: Record<string, string> = {
      ...spec.env,
      // Last, so spec.env cannot redirect them.
      OUTPOST_JOB_ID: spec.jobId,
      OUTPOST_ATTEMPT: String(spec.attempt),
      OUTPOST_INPUTS: "/outpost/in/inputs.json",
      OUTPOST_OUTPUT_DIR: "/outpost/out",
    };
    return {
      name: `outpost-${spec.jobId}-${spec.attempt}`,
      Image: spec.image,
      // argv as given; Entrypoint stays the image's (none for most job images, so Cmd runs as is).
      Cmd: spec.command,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      User: this.user,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      NetworkDisabled: true,
      Labels: {
        ...this.labels,
        [LABEL.jobId]: spec.jobId,
        [LABEL.attempt]: String(spec.attempt),
        [LABEL.agentId]: spec.agentId,
        [LABEL.managed]: "true",
      },
      HostConfig: {
        NetworkMode: "none",
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Privileged: false,
        ReadonlyRootfs: true,
        // Every writable place has a size: an image's VOLUME would otherwise be an unbounded anonymous volume.
        Tmpfs: Object.fromEntries([
          ...imageVolumes.filter((v) => !v.startsWith("/outpost/")).map((v) => [v, `rw,noexec,nosuid,nodev,size=${this.tmpBytes}`]),
          ["/tmp", `rw,noexec,nosuid,nodev,size=${this.tmpBytes}`],
        ]),
        ShmSize: this.tmpBytes,
        Binds: [`${path.join(dir, "in")}:/outpost/in:ro`, `${path.join(dir, "out")}:/outpost/out:rw`],
        NanoCpus: cpusToNano(spec.limits.cpus),
        Memory: memory,
        MemorySwap: memory,
        PidsLimit: spec.limits.pids_limit,
        LogConfig: { Type: "json-file", Config: { "max-size": this.logMaxSize, "max-file": "1" } },
        AutoRemove: false,
        RestartPolicy: { Name: "no" },
      },
    };
  }

  /**
   * Attaches before start so no early output is lost. Demuxes into two synchronous writers, so
   * chunks reach the sink in the order docker framed them, across stdout and stderr.
   */
  private async attach(container: Dockerode.Container, sink: OutputSink): Promise<{ drained: Promise<void>; cutStream: () => void }> {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream & {
      destroy?: () => void;
    };
    return this.demux(stream, sink);
  }

  private demux(stream: NodeJS.ReadableStream & { destroy?: () => void }, sink: OutputSink): { drained: Promise<void>; cutStream: () => void } {
    const writer = (name: "stdout" | "stderr") =>
      new Writable({
        write(chunk: Buffer, _enc, done) {
          sink(name, chunk);
          done();
        },
      });
    this.docker.modem.demuxStream(stream, writer("stdout"), writer("stderr"));
    const drained = new Promise<void>((resolve) => {
      stream.once("end", () => resolve());
      stream.once("close", () => resolve());
      // `on`, not `once`: a second unhandled 'error' would crash the daemon. A broken attach loses
      // only live output; the exit code still comes from wait/inspect.
      stream.on("error", () => resolve());
    });
    return { drained, cutStream: () => stream.destroy?.() };
  }
}

class DockerJob implements RunningJob {
  private exited: Promise<ExitResult> | undefined;

  constructor(
    private readonly container: Dockerode.Container,
    private readonly dir: string,
    private readonly drained: Promise<void>,
    private readonly cutStream: () => void,
    private readonly reportCapBytes: number,
    private readonly outputsBytes: number,
  ) {}

  get containerId(): string {
    return this.container.id;
  }

  wait(): Promise<ExitResult> {
    this.exited ??= this.waitOnce();
    return this.exited;
  }

  private async waitOnce(): Promise<ExitResult> {
    const StatusCode = await this.exitCode();
    // The attach stream normally ends right after exit; never hang on one that doesn't.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.cutStream();
        resolve();
      }, DRAIN_TIMEOUT_MS);
    });
    await Promise.race([this.drained, timedOut]);
    clearTimeout(timer);
    const info = await this.container.inspect();
    return { exitCode: info.State.ExitCode ?? StatusCode, oomKilled: info.State.OOMKilled === true };
  }

  /**
   * The container's exit code from docker's wait. A dockerd that dies mid-wait leaves that request
   * hanging for ever (docker-modem ends no response cut off after its headers), so once the output
   * stream has ended the container is also polled with inspect: an exit is seen, and an
   * unreachable dockerd throws (the runner then stops taking jobs until it answers again).
   */
  private async exitCode(): Promise<number> {
    let done = false;
    const waited = (this.container.wait() as Promise<{ StatusCode: number }>).then((r) => r.StatusCode);
    const polled = this.drained.then(async () => {
      while (!done) {
        const info = await this.container.inspect();
        if (!info.State.Running) return info.State.ExitCode;
        await new Promise((r) => setTimeout(r, EXIT_POLL_MS));
      }
      return new Promise<number>(() => {}); // wait answered first
    });
    try {
      return await Promise.race([waited, polled]);
    } finally {
      done = true;
      waited.catch(() => undefined);
      polled.catch(() => undefined);
    }
  }

  async stop(graceS: number): Promise<void> {
    // 304: already stopped; 404: already removed.
    await this.container.stop({ t: graceS }).catch(ignoreStatus(304, 404));
  }

  async outputs(): Promise<JobOutputs> {
    const out = path.join(this.dir, "out");
    const overflow = await overflowOf(out, this.outputsBytes);
    return jobOutputs(overflow, await readCapped(path.join(out, "report.json"), this.reportCapBytes), await readCapped(path.join(out, "report.md"), this.reportCapBytes));
  }

  async remove(): Promise<void> {
    this.cutStream();
    await this.container.remove({ force: true, v: true }).catch(ignoreStatus(404, 409));
    await removeScratch(this.dir);
  }
}

/** Unmounts the attempt's outputs tmpfs, if any, then removes its scratch dir. */
async function removeScratch(dir: string): Promise<void> {
  await unmountBounded(path.join(dir, "out"));
  await rm(dir, { recursive: true, force: true });
}

/**
 * Reads a file the job wrote, without trusting it: no symlinks followed (it could point at a host
 * file), no blocking on a FIFO, regular files only, at most capBytes. Missing -> neither field.
 */
async function readCapped(file: string, capBytes: number): Promise<ReportRead> {
  const name = path.basename(file);
  let handle;
  try {
    handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return {};
    if (code === "ELOOP") return { error: `${name} is a symlink; not read` };
    return { error: `${name} could not be read: ${(err as Error).message}` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { error: `${name} is not a regular file` };
    if (stat.size > capBytes) return { error: overCap(name, stat.size, capBytes) };
    const buf = Buffer.alloc(capBytes + 1);
    const { bytesRead } = await handle.read(buf, 0, capBytes + 1, 0);
    if (bytesRead > capBytes) return { error: `${name} is over ${capBytes} bytes, over the cap of ${capBytes}` };
    return { text: buf.subarray(0, bytesRead).toString("utf8") };
  } finally {
    await handle.close();
  }
}
