/**
 * DockerRuntime against the real dockerd: real containers from outpost-test/busybox:1, no mocks.
 * Every container carries this run's agent id, and afterAll removes them all.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, expect, test } from "vitest";
import { DockerRuntime } from "../src/runtime/docker.js";
import { RuntimeError, type ExitResult, type JobSpec, type RunningJob } from "../src/runtime/types.js";
import { describeDocker, ensureTestImage, removeTestDir, removeTestRunContainers } from "./support/docker.js";
import { TEST_RUN_ID, TEST_RUN_LABEL, TEST_RUN_LABELS } from "./support/test-run.js";

const AGENT = `test-agent-${process.pid}-${Date.now().toString(36)}`;
const docker = new Dockerode();

let image = "";
let scratch = "";
let runtime: DockerRuntime;
let seq = 0;

type Chunk = { stream: "stdout" | "stderr"; text: string };
type Ran = { job: RunningJob; exit: ExitResult; stdout: string; stderr: string; chunks: Chunk[] };

function spec(command: string[], over: Partial<JobSpec> = {}): JobSpec {
  seq += 1;
  return {
    jobId: `job-${Date.now().toString(36)}-${seq}`,
    attempt: 1,
    agentId: AGENT,
    image,
    command,
    inputs: { greeting: "hello", n: 3 },
    limits: { cpus: "1.0", mem_limit: "128m", pids_limit: 64 },
    ...over,
  };
}

function collector() {
  const chunks: Chunk[] = [];
  const sink = (stream: "stdout" | "stderr", data: Buffer) => chunks.push({ stream, text: data.toString("utf8") });
  const text = (stream: "stdout" | "stderr") =>
    chunks
      .filter((c) => c.stream === stream)
      .map((c) => c.text)
      .join("");
  return { chunks, sink, text };
}

/** Starts a job, waits for it, and returns what it printed; the caller removes it (or afterAll). */
async function run(command: string[], over: Partial<JobSpec> = {}, rt = runtime): Promise<Ran> {
  const out = collector();
  const job = await rt.start(spec(command, over), out.sink);
  const exit = await job.wait();
  return { job, exit, stdout: out.text("stdout"), stderr: out.text("stderr"), chunks: out.chunks };
}

const sh = (script: string) => ["sh", "-c", script];

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeDocker("DockerRuntime", () => {
  beforeAll(async () => {
    image = await ensureTestImage();
    scratch = await mkdtemp(path.join(os.tmpdir(), "outpost-runtime-"));
    runtime = new DockerRuntime({ docker, scratchDir: scratch, labels: TEST_RUN_LABELS });
  });

  afterAll(async () => {
    await removeTestRunContainers(docker);
    if (scratch) removeTestDir(scratch);
  });

  test("a job that exits 0 reports exit code 0 and no OOM kill", async () => {
    const { job, exit, stdout } = await run(["echo", "hi"]);
    expect(exit).toEqual({ exitCode: 0, oomKilled: false });
    expect(stdout).toBe("hi\n");
    await job.remove();
  });

  test("a job that exits nonzero reports its exit code", async () => {
    const { job, exit } = await run(sh("exit 3"));
    expect(exit).toEqual({ exitCode: 3, oomKilled: false });
    await job.remove();
  });

  test("stdout and stderr both reach the sink, in the order they were written", async () => {
    const { job, chunks } = await run(
      sh("echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three; sleep 0.2; echo four >&2"),
    );
    // Merge consecutive chunks of the same stream: docker may split or join writes.
    const merged: Chunk[] = [];
    for (const c of chunks) {
      const last = merged.at(-1);
      if (last && last.stream === c.stream) last.text += c.text;
      else merged.push({ ...c });
    }
    expect(merged).toEqual([
      { stream: "stdout", text: "one\n" },
      { stream: "stderr", text: "two\n" },
      { stream: "stdout", text: "three\n" },
      { stream: "stderr", text: "four\n" },
    ]);
    await job.remove();
  });

  test("inputs are readable at /outpost/in/inputs.json and cannot be written", async () => {
    const { job, exit, stdout } = await run(
      sh(
        'cat "$OUTPOST_INPUTS"; echo; ' +
          "if echo x > /outpost/in/inputs.json 2>/dev/null; then echo WROTE; else echo DENIED; fi; " +
          'echo "$OUTPOST_JOB_ID $OUTPOST_ATTEMPT $OUTPOST_OUTPUT_DIR"',
      ),
      { jobId: "inputs-job", attempt: 2, inputs: { greeting: "hello", list: [1, 2] } },
    );
    expect(exit.exitCode).toBe(0);
    const [json, verdict, env] = stdout.trim().split("\n");
    expect(JSON.parse(json!)).toEqual({ greeting: "hello", list: [1, 2] });
    expect(verdict).toBe("DENIED");
    expect(env).toBe("inputs-job 2 /outpost/out");
    await job.remove();
  });

  test("spec files sit read-only beside inputs.json; a name that is not a plain file name is refused before any container exists", async () => {
    const { job, stdout } = await run(sh("cat /outpost/in/soul.md; if echo x > /outpost/in/soul.md 2>/dev/null; then echo WROTE; else echo DENIED; fi"), {
      jobId: "files-job",
      files: { "soul.md": "# Soul\n" },
    });
    expect(stdout).toBe("# Soul\nDENIED\n");
    await job.remove();
    for (const name of ["../escape.md", "a/b.md", ".hidden"]) {
      const err = await runtime.start(spec(["true"], { jobId: "bad-files-job", files: { [name]: "x" } }), () => undefined).catch((e: unknown) => e);
      expect(err, name).toMatchObject({ name: "RuntimeError", reason: "create" });
    }
    expect((await docker.listContainers({ all: true, filters: { name: ["outpost-bad-files-job-"] } })).length).toBe(0);
  });

  test("the root filesystem is read-only while /tmp and /outpost/out are writable", async () => {
    const { job, stdout } = await run(
      sh(
        "if touch /x 2>/dev/null; then echo ROOT_WRITABLE; else echo ROOT_RO; fi; " +
          "echo tmp-ok > /tmp/t && cat /tmp/t; echo out-ok > /outpost/out/f && cat /outpost/out/f",
      ),
    );
    expect(stdout.split("\n")).toEqual(["ROOT_RO", "tmp-ok", "out-ok", ""]);
    await job.remove();
  });

  test("the job runs as uid and gid 65534", async () => {
    const { job, stdout } = await run(sh("id -u; id -g"));
    expect(stdout).toBe("65534\n65534\n");
    await job.remove();
  });

  test("the job has no network: only lo exists", async () => {
    const { job, stdout } = await run(["ls", "/sys/class/net"]);
    expect(stdout.trim().split(/\s+/)).toEqual(["lo"]);
    await job.remove();
  });

  test("the container is created with the hardened options, limits and labels", async () => {
    const s = spec(["true"], { limits: { cpus: "1.5", mem_limit: "64m", pids_limit: 48 } });
    const job = await runtime.start(s, () => undefined);
    await job.wait();
    const info = await docker.getContainer(job.containerId).inspect();
    const hc = info.HostConfig;
    expect(info.Name).toBe(`/outpost-${s.jobId}-1`);
    expect(hc.CapDrop).toEqual(["ALL"]);
    expect(hc.CapAdd ?? []).toEqual([]);
    expect(hc.SecurityOpt).toEqual(["no-new-privileges"]);
    expect(hc.Privileged).toBe(false);
    expect(hc.ReadonlyRootfs).toBe(true);
    expect(hc.NetworkMode).toBe("none");
    expect(hc.Tmpfs).toEqual({ "/tmp": `rw,noexec,nosuid,nodev,size=${64 * 1024 * 1024}` });
    expect(hc.ShmSize).toBe(64 * 1024 * 1024);
    expect(hc.PidsLimit).toBe(48);
    expect(hc.Memory).toBe(64 * 1024 * 1024);
    expect(hc.MemorySwap).toBe(hc.Memory);
    expect(hc.NanoCpus).toBe(1_500_000_000);
    expect(hc.LogConfig).toEqual({ Type: "json-file", Config: { "max-size": "10m", "max-file": "1" } });
    expect(info.Config.User).toBe("65534:65534");
    expect(info.Config.Cmd).toEqual(["true"]);
    expect(info.Config.Labels).toMatchObject({
      "outpost.job_id": s.jobId,
      "outpost.attempt": "1",
      "outpost.agent_id": AGENT,
      "outpost.managed": "true",
    });
    const mounts = info.Mounts.map((m) => ({ dest: m.Destination, rw: m.RW, src: m.Source }));
    expect(mounts.map((m) => m.dest).sort()).toEqual(["/outpost/in", "/outpost/out"]);
    expect(mounts.find((m) => m.dest === "/outpost/in")?.rw).toBe(false);
    expect(mounts.find((m) => m.dest === "/outpost/out")?.rw).toBe(true);
    expect(JSON.stringify(info.Mounts) + JSON.stringify(hc.Binds)).not.toContain("docker.sock");
    await job.remove();
  });

  test("a job over its memory limit is OOM-killed: exit 137 and oomKilled", async () => {
    const { job, exit } = await run(sh("a=x; while true; do a=$a$a; done"), {
      limits: { cpus: "1.0", mem_limit: "16m", pids_limit: 64 },
    });
    expect(exit).toEqual({ exitCode: 137, oomKilled: true });
    await job.remove();
  });

  test("a fork bomb is held to pids_limit 32: forks fail and the cgroup never passes 32", async () => {
    const pids = "/sys/fs/cgroup/pids"; // cgroup v1; v2 puts the files at /sys/fs/cgroup
    const { job, exit, stdout, stderr } = await run(
      sh(
        `d=${pids}; [ -f $d/pids.max ] || d=/sys/fs/cgroup; ` +
          "(i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done); " +
          // Builtins only from here: the cgroup is full, so no more forks.
          "read c < $d/pids.current; read m < $d/pids.max; echo current=$c max=$m",
      ),
      { limits: { cpus: "1.0", mem_limit: "64m", pids_limit: 32 } },
    );
    expect(exit.exitCode).toBe(0);
    expect(stderr).toContain("can't fork");
    const m = /current=(\d+) max=(\d+)/.exec(stdout);
    expect(stdout).toMatch(/current=\d+ max=32/);
    expect(Number(m![1])).toBeLessThanOrEqual(32);
    expect(m![2]).toBe("32");
    const info = await docker.getContainer(job.containerId).inspect();
    expect(info.HostConfig.PidsLimit).toBe(32);
    await job.remove(); // exit of PID 1 already took the sleeps down; remove is the backstop
  });

  test("the cpu quota is visible in the container's cgroup", async () => {
    const { job, stdout } = await run(
      sh(
        "if [ -f /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max; " +
          'else echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi',
      ),
      { limits: { cpus: "0.5", mem_limit: "64m", pids_limit: 64 } },
    );
    expect(stdout.trim()).toBe("50000 100000");
    await job.remove();
  });

  test("stop() kills a job that ignores SIGTERM once the grace period is over", async () => {
    const out = collector();
    const job = await runtime.start(spec(sh("trap '' TERM; echo ready; sleep 300 & wait")), out.sink);
    await until(() => out.text("stdout").includes("ready"));
    const t0 = Date.now();
    await job.stop(2);
    const exit = await job.wait();
    const elapsed = (Date.now() - t0) / 1000;
    expect(exit.exitCode).toBe(137);
    expect(elapsed).toBeGreaterThanOrEqual(1.5);
    expect(elapsed).toBeLessThan(2 + 5);
    await job.stop(2); // after exit: no error
    await job.remove();
  });

  test("stop() lets a cooperative job exit on SIGTERM", async () => {
    const out = collector();
    const job = await runtime.start(
      spec(sh("trap 'echo got-term; exit 0' TERM; echo ready; sleep 300 & wait")),
      out.sink,
    );
    await until(() => out.text("stdout").includes("ready"));
    const t0 = Date.now();
    await Promise.all([job.stop(30), job.stop(30)]); // twice, concurrently: still fine
    const exit = await job.wait();
    expect(exit.exitCode).toBe(0);
    expect((Date.now() - t0) / 1000).toBeLessThan(10);
    expect(out.text("stdout")).toContain("got-term");
    await job.remove();
  });

  test("outputs() returns the report.json and report.md the job wrote", async () => {
    const { job } = await run(
      sh(`echo '{"ok":true,"items":[1,2]}' > "$OUTPOST_OUTPUT_DIR/report.json"; printf '# Report\\n' > /outpost/out/report.md`),
    );
    expect(await job.outputs()).toEqual({ reportJson: { ok: true, items: [1, 2] }, reportMarkdown: "# Report\n" });
    await job.remove();
  });

  test("outputs() is empty when the job wrote no reports", async () => {
    const { job } = await run(["true"]);
    expect(await job.outputs()).toEqual({});
    await job.remove();
  });

  test("outputs() gives an error string for an oversize report and for invalid JSON", async () => {
    const small = new DockerRuntime({ docker, scratchDir: scratch, reportCapBytes: 1024, labels: TEST_RUN_LABELS });
    const { job } = await run(
      sh("head -c 2000 /dev/zero | tr '\\0' x > /outpost/out/report.md; echo 'not json' > /outpost/out/report.json"),
      {},
      small,
    );
    const got = await job.outputs();
    expect(got.reportJson).toBeUndefined();
    expect(got.reportMarkdown).toBeUndefined();
    expect(got.error).toContain("report.json is not valid JSON");
    expect(got.error).toContain("report.md is 2000 bytes, over the cap of 1024");
    await job.remove();
  });

  test("outputs() does not follow a report symlinked to a host file", async () => {
    const { job } = await run(sh("ln -s /etc/hostname /outpost/out/report.md"));
    const got = await job.outputs();
    expect(got.reportMarkdown).toBeUndefined();
    expect(got.error).toContain("report.md is a symlink");
    await job.remove();
  });

  test("a missing image that cannot be pulled is a RuntimeError with reason image", async () => {
    // A registry on 127.0.0.1 where nothing listens: the pull fails at once, and no public registry is asked.
    const missing = "127.0.0.1:9/outpost-test/does-not-exist:0";
    const err = await runtime.start(spec(["true"], { image: missing }), () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).reason).toBe("image");
    expect((err as RuntimeError).message).toContain(missing);
    await expect(runtime.ensureImage(missing)).rejects.toMatchObject({ reason: "image" });
    expect(await runtime.hasImage(missing)).toBe(false);
    expect(await runtime.hasImage(image)).toBe(true);
  });

  test("a command missing from the image fails to start and leaves no container or scratch dir", async () => {
    const s = spec(["/no/such/binary"]);
    const err = await runtime.start(s, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(["start", "create"]).toContain((err as RuntimeError).reason);
    expect((err as RuntimeError).message).toContain("/no/such/binary");
    const owned = await runtime.listOwned(AGENT);
    expect(owned.filter((c) => c.jobId === s.jobId)).toEqual([]);
    expect(existsSync(path.join(scratch, `${s.jobId}-1`))).toBe(false);
  });

  test("env keys outside OUTPOST_ are refused before anything is created", async () => {
    const err = await runtime.start(spec(["true"], { env: { PATH: "/evil" } }), () => undefined).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: "create" });
  });

  test("the runtime refuses to run jobs as root", () => {
    expect(() => new DockerRuntime({ docker, scratchDir: scratch, user: "0:0" })).toThrow(/non-root/);
    expect(() => new DockerRuntime({ docker, scratchDir: scratch, user: "root" })).toThrow(/non-root/);
  });

  test("remove() leaves no container and no scratch dir, and is safe to call twice", async () => {
    const s = spec(sh("echo x > /outpost/out/f"));
    const out = collector();
    const job = await runtime.start(s, out.sink);
    await job.wait();
    const dir = path.join(scratch, `${s.jobId}-1`);
    expect(existsSync(path.join(dir, "out", "f"))).toBe(true);
    await job.remove();
    await job.remove();
    await expect(docker.getContainer(job.containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(existsSync(dir)).toBe(false);
  });

  test("listOwned finds this agent's containers by label, running or not, and no one else's", async () => {
    const agent = `${AGENT}-own`;
    const running = await runtime.start(spec(["sleep", "30"], { agentId: agent, attempt: 4 }), () => undefined);
    const done = await runtime.start(spec(["true"], { agentId: agent }), () => undefined);
    await done.wait();
    const owned = await runtime.listOwned(agent);
    expect(owned).toHaveLength(2);
    const r = owned.find((c) => c.containerId === running.containerId);
    expect(r).toMatchObject({ attempt: 4, running: true });
    expect(r?.jobId).toMatch(/^job-/);
    expect(Number.isNaN(Date.parse(r!.createdAt))).toBe(false);
    expect(owned.find((c) => c.containerId === done.containerId)?.running).toBe(false);
    expect(await runtime.listOwned(`${AGENT}-nobody`)).toEqual([]);
    const runningDir = path.join(scratch, `${r!.jobId}-4`);
    expect(existsSync(runningDir)).toBe(true);
    await runtime.removeContainer(running.containerId);
    expect(existsSync(runningDir)).toBe(false); // reaped with its scratch dir (its outputs tmpfs unmounted)
    await runtime.removeContainer(running.containerId); // gone already: no error
    await done.remove();
    expect(await runtime.listOwned(agent)).toEqual([]);
  });

  test("every writable place is bounded: an image VOLUME is a sized tmpfs (no anonymous volume), /outpost/out a 1 MiB tmpfs", async () => {
    // An image declaring a VOLUME, made by this test from the test image and removed after it.
    const tag = `outpost-test/volume:${TEST_RUN_ID}`;
    const base = await docker.createContainer({ Image: image, Cmd: ["true"], Labels: TEST_RUN_LABELS });
    await base.commit({ repo: "outpost-test/volume", tag: TEST_RUN_ID, changes: "VOLUME /data" });
    await base.remove({ force: true });
    try {
      const { job, exit, stderr } = await run(sh("dd if=/dev/zero of=/data/big bs=1M count=100 && exit 0; df -k /data /outpost/out | tail -2 >&2; exit 7"), { image: tag });
      expect(exit.exitCode, stderr).toBe(7);
      expect(stderr).toMatch(/No space left on device/);
      const info = await docker.getContainer(job.containerId).inspect();
      expect(info.HostConfig.Tmpfs?.["/data"]).toBe(`rw,noexec,nosuid,nodev,size=${64 * 1024 * 1024}`);
      expect(info.Mounts.filter((m) => m.Type === "volume")).toEqual([]);
      // df inside: /outpost/out is 1024 KiB, /data 65536 KiB.
      expect(stderr).toMatch(/\s1024\s/);
      expect(stderr).toMatch(/\s65536\s/);
      await job.remove();
    } finally {
      await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    }
  });

  test("without the outputs mount (the fallback), out/ is a plain dir and outputs() still reports an overflow past the cap", async () => {
    const plain = new DockerRuntime({ docker, scratchDir: scratch, labels: TEST_RUN_LABELS, mountOutputs: false });
    const { job, exit } = await run(sh("dd if=/dev/zero of=/outpost/out/big bs=1M count=2"), {}, plain);
    expect(exit.exitCode).toBe(0);
    expect((await job.outputs()).overflow).toBe("outputs exceeded 1 MiB");
    const within = await run(sh("echo '{}' > /outpost/out/report.json"), {}, plain);
    expect(await within.job.outputs()).toEqual({ reportJson: {} });
    await job.remove();
    await within.job.remove();
  });

  test("removeOrphanScratch unmounts and removes the scratch dirs of attempts with no container, and keeps the others", async () => {
    const own = await mkdtemp(path.join(os.tmpdir(), "outpost-orphans-"));
    try {
      const rt = new DockerRuntime({ docker, scratchDir: own, labels: TEST_RUN_LABELS });
      const agent = `${AGENT}-orphans`;
      const kept = await rt.start(spec(["true"], { agentId: agent }), () => undefined);
      const orphan = await rt.start(spec(["true"], { agentId: agent, attempt: 2 }), () => undefined);
      await Promise.all([kept.wait(), orphan.wait()]);
      await docker.getContainer(orphan.containerId).remove({ force: true }); // gone behind the runtime's back
      const dirs = readdirSync(own).sort();
      expect(dirs).toHaveLength(2);
      await rt.removeOrphanScratch(await rt.listOwned(agent));
      expect(readdirSync(own)).toEqual(dirs.filter((d) => d.endsWith("-1")));
      await kept.remove();
      expect(readdirSync(own)).toEqual([]);
    } finally {
      removeTestDir(own);
    }
  });

  test("extra labels go on every container, and only containers carrying them all are listed as owned", async () => {
    const agent = `${AGENT}-labels`;
    const job = await runtime.start(spec(["true"], { agentId: agent }), () => undefined);
    await job.wait();
    expect((await docker.getContainer(job.containerId).inspect()).Config.Labels).toMatchObject({ [TEST_RUN_LABEL]: TEST_RUN_ID, "outpost.managed": "true" });
    // Another run (or a real agent with no extra labels) sees the same agent id but not this container.
    const otherRun = new DockerRuntime({ docker, scratchDir: scratch, labels: { [TEST_RUN_LABEL]: `${TEST_RUN_ID}-other` } });
    expect(await otherRun.listOwned(agent)).toEqual([]);
    expect((await runtime.listOwned(agent)).map((c) => c.containerId)).toEqual([job.containerId]);
    await job.remove();
    expect(() => new DockerRuntime({ docker, scratchDir: scratch, labels: { "outpost.agent_id": "x" } })).toThrow(/outpost.agent_id/);
  });

  test("adopting a container that was created but never started (its agent killed in between) runs its body, once", async () => {
    const c = await docker.createContainer({ Image: image, Cmd: sh("echo one; echo two"), Labels: { ...TEST_RUN_LABELS } });
    let out = "";
    const job = await runtime.adopt({ containerId: c.id, jobId: `adopt-created-${seq++}`, attempt: 1, running: false, createdAt: new Date().toISOString() }, (_s, d) => (out += d.toString()));
    expect(await job.wait()).toMatchObject({ exitCode: 0 });
    expect(out).toBe("one\ntwo\n");
    await job.remove();
  });
});
