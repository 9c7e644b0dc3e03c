/**
 * The contract every ContainerRuntime keeps (src/runtime/types.ts), as one suite function run
 * against each implementation (runtime-contract.test.ts: DockerRuntime on the real dockerd with
 * the busybox test image, and the in-memory runtime the runner's fast tests use), so a fake
 * cannot drift from the real thing. Jobs are job-script.ts acts; each fixture turns them into its
 * runtime's command. What only Docker does (hardening, cgroups, tmpfs mounts) is in
 * docker-runtime.test.ts.
 */
import { describe, expect, test, beforeAll, afterAll } from "vitest";
import type { ContainerRuntime, ExitResult, JobSpec, RunningJob } from "../../src/runtime/types.js";
import type { Act } from "./job-script.js";

export type RuntimeFixture = {
  /** beforeAll: the runtime under test (default options) and an image it has. */
  setup: () => Promise<{ runtime: ContainerRuntime; image: string }>;
  /** afterAll: removes whatever the suite left. */
  teardown: () => Promise<void>;
  /** The runtime's command for a job that does these acts. */
  command: (acts: Act[]) => string[];
  /** An image the runtime does not have and cannot pull (never a public registry). */
  missingImage: string;
  /** Whether the container still exists, asked of the engine behind the runtime. */
  exists: (containerId: string) => Promise<boolean>;
};

type Ran = { job: RunningJob; exit: ExitResult; stdout: string; stderr: string; merged: { stream: string; text: string }[] };

/** Declares the suite; `declare` is describe, or describeDocker for an engine that must be up. */
export function runtimeContract(name: string, fixture: RuntimeFixture, declare: (name: string, fn: () => void) => void = describe): void {
  declare(`ContainerRuntime contract: ${name}`, () => {
    let runtime: ContainerRuntime;
    let image = "";
    let seq = 0;
    const agentId = `contract-${name.replace(/\W+/g, "-")}-${process.pid}`;

    beforeAll(async () => {
      ({ runtime, image } = await fixture.setup());
    });
    afterAll(() => fixture.teardown());

    test("answers ping while it is up (the runner probes it after a failed start or wait)", async () => {
      await expect(runtime.ping()).resolves.toBeUndefined();
    });

    function spec(acts: Act[] | string[], over: Partial<JobSpec> = {}): JobSpec {
      const command = typeof acts[0] === "string" ? (acts as string[]) : fixture.command(acts as Act[]);
      return { jobId: `contract-${process.pid}-${Date.now().toString(36)}-${seq++}`, attempt: 1, agentId, image, command, inputs: {}, limits: { cpus: "0.5", mem_limit: "32m", pids_limit: 64 }, ...over };
    }

    function collector() {
      const merged: { stream: string; text: string }[] = [];
      const sink = (stream: "stdout" | "stderr", data: Buffer) => {
        const last = merged.at(-1);
        if (last?.stream === stream) last.text += data.toString();
        else merged.push({ stream, text: data.toString() });
      };
      const text = (stream: string) => merged.filter((m) => m.stream === stream).map((m) => m.text).join("");
      return { merged, sink, text };
    }

    async function run(acts: Act[], over: Partial<JobSpec> = {}): Promise<Ran> {
      const out = collector();
      const job = await runtime.start(spec(acts, over), out.sink);
      const exit = await job.wait();
      return { job, exit, stdout: out.text("stdout"), stderr: out.text("stderr"), merged: out.merged };
    }

    /** Waits until the job has printed `text` (a fact, not a sleep). */
    async function printed(out: ReturnType<typeof collector>, text: string): Promise<void> {
      const deadline = performance.now() + 20_000;
      while (!out.text("stdout").includes(text)) {
        if (performance.now() > deadline) throw new Error(`the job never printed ${JSON.stringify(text)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    test("a job that exits 0 reports exit code 0 and no OOM kill; one that exits 3 reports 3", async () => {
      const ok = await run([{ out: "hi\n" }]);
      expect(ok.exit).toEqual({ exitCode: 0, oomKilled: false });
      expect(ok.stdout).toBe("hi\n");
      const three = await run([{ exit: 3 }]);
      expect(three.exit).toEqual({ exitCode: 3, oomKilled: false });
      await ok.job.remove();
      await three.job.remove();
    });

    test("stdout and stderr reach the sink in the order they were written, all of it before wait() resolves", async () => {
      const r = await run([{ out: "one\n" }, { sleep: 0.2 }, { err: "two\n" }, { sleep: 0.2 }, { out: "three\n" }]);
      expect(r.merged).toEqual([
        { stream: "stdout", text: "one\n" },
        { stream: "stderr", text: "two\n" },
        { stream: "stdout", text: "three\n" },
      ]);
      await r.job.remove();
    });

    test("stop() kills a job that ignores SIGTERM once the grace is over (137), and is safe to call again after exit", async () => {
      const out = collector();
      const job = await runtime.start(spec([{ onTerm: "ignore" }, { out: "ready\n" }, { wait: "forever" }]), out.sink);
      await printed(out, "ready");
      await job.stop(1);
      expect(await job.wait()).toEqual({ exitCode: 137, oomKilled: false });
      await job.stop(1);
      await job.remove();
    });

    test("stop() lets a job that handles SIGTERM exit with its own code", async () => {
      const out = collector();
      const job = await runtime.start(spec([{ onTerm: { exit: 0 } }, { out: "ready\n" }, { wait: "forever" }]), out.sink);
      await printed(out, "ready");
      await Promise.all([job.stop(30), job.stop(30)]); // twice, concurrently: still fine
      expect(await job.wait()).toEqual({ exitCode: 0, oomKilled: false });
      await job.remove();
    });

    test("a job over its memory limit is OOM-killed: exit 137 and oomKilled", async () => {
      const r = await run([{ eatMemory: true }], { limits: { cpus: "1.0", mem_limit: "16m", pids_limit: 64 } });
      expect(r.exit).toEqual({ exitCode: 137, oomKilled: true });
      await r.job.remove();
    });

    test("outputs() returns the report.json and report.md the job wrote, and nothing when it wrote none", async () => {
      const r = await run([{ write: "report.json", text: '{"ok":true,"items":[1,2]}' }, { write: "report.md", text: "# Report\n" }]);
      expect(await r.job.outputs()).toEqual({ reportJson: { ok: true, items: [1, 2] }, reportMarkdown: "# Report\n" });
      const none = await run([{ out: "no reports\n" }]);
      expect(await none.job.outputs()).toEqual({});
      await r.job.remove();
      await none.job.remove();
    });

    test("outputs() names an invalid report.json and a report over the cap in its error, and keeps neither", async () => {
      const r = await run([{ write: "report.json", text: "not json" }, { write: "report.md", bytes: 300_000 }]);
      const got = await r.job.outputs();
      expect(got.reportJson).toBeUndefined();
      expect(got.reportMarkdown).toBeUndefined();
      expect(got.error).toContain("report.json is not valid JSON");
      expect(got.error).toContain(`report.md is 300000 bytes, over the cap of ${256 * 1024}`);
      await r.job.remove();
    });

    test("a job writing past the 1 MiB outputs cap is refused there, and outputs() says outputs exceeded 1 MiB", async () => {
      const r = await run([{ write: "big", bytes: 2 * 1024 * 1024 }, { exit: 0 }]);
      expect(r.exit.exitCode).toBe(0);
      expect(r.stderr).toMatch(/No space left on device/);
      expect((await r.job.outputs()).overflow).toMatch(/^outputs exceeded 1 MiB/);
      await r.job.remove();
    });

    test("an image that is missing and cannot be pulled fails start, ensureImage and pullImage with reason image, naming the image", async () => {
      const err = await runtime.start(spec([{ exit: 0 }], { image: fixture.missingImage }), () => undefined).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: "RuntimeError", reason: "image" });
      expect((err as Error).message).toContain(fixture.missingImage);
      await expect(runtime.ensureImage(fixture.missingImage)).rejects.toMatchObject({ reason: "image" });
      await expect(runtime.pullImage(fixture.missingImage, () => undefined)).rejects.toMatchObject({ reason: "image" });
      expect(await runtime.hasImage(fixture.missingImage)).toBe(false);
      expect(await runtime.hasImage(image)).toBe(true);
    });

    test("a command missing from the image fails with reason start or create, naming it, and leaves no container", async () => {
      const s = spec(["/no/such/binary"]);
      const err = await runtime.start(s, () => undefined).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: "RuntimeError" });
      expect(["start", "create"]).toContain((err as { reason: string }).reason);
      expect((err as Error).message).toContain("/no/such/binary");
      expect((await runtime.listOwned(agentId)).filter((c) => c.jobId === s.jobId)).toEqual([]);
    });

    test("a job id that cannot name a container, env keys outside OUTPOST_ and input files that are not plain names are refused with reason create", async () => {
      for (const over of [{ jobId: "../escape" }, { env: { PATH: "/evil" } }, { files: { "../x.md": "x" } }, { files: { ".hidden": "x" } }] as Partial<JobSpec>[]) {
        const err = await runtime.start(spec([{ exit: 0 }], over), () => undefined).catch((e: unknown) => e);
        expect(err, JSON.stringify(over)).toMatchObject({ name: "RuntimeError", reason: "create" });
      }
    });

    test("limits the host cannot honour (memory under 6 MiB, more CPUs than it has) are refused with reason create, saying which, and leave no container", async () => {
      const small = spec([{ exit: 0 }], { limits: { cpus: "0.5", mem_limit: "4m", pids_limit: 64 } });
      await expect(runtime.start(small, () => undefined)).rejects.toMatchObject({ name: "RuntimeError", reason: "create", message: expect.stringMatching(/memory limit/i) });
      const wide = spec([{ exit: 0 }], { limits: { cpus: "64", mem_limit: "32m", pids_limit: 64 } });
      await expect(runtime.start(wide, () => undefined)).rejects.toMatchObject({ name: "RuntimeError", reason: "create", message: expect.stringMatching(/CPUs/) });
      const left = (await runtime.listOwned(agentId)).filter((c) => c.jobId === small.jobId || c.jobId === wide.jobId);
      expect(left).toEqual([]);
    });

    test("remove() takes the container away and is safe to call twice", async () => {
      const r = await run([{ exit: 0 }]);
      expect(await fixture.exists(r.job.containerId)).toBe(true);
      await r.job.remove();
      await r.job.remove();
      expect(await fixture.exists(r.job.containerId)).toBe(false);
    });

    test("listOwned lists this agent's containers, running or not, with job and attempt; removeContainer reaps one and is safe twice", async () => {
      const agent = `${agentId}-own`;
      const running = await runtime.start(spec([{ wait: "forever" }], { agentId: agent, attempt: 4 }), () => undefined);
      const done = await runtime.start(spec([{ exit: 0 }], { agentId: agent }), () => undefined);
      await done.wait();
      const owned = await runtime.listOwned(agent);
      expect(owned.map((c) => c.containerId).sort()).toEqual([running.containerId, done.containerId].sort());
      expect(owned.find((c) => c.containerId === running.containerId)).toMatchObject({ attempt: 4, running: true });
      expect(owned.find((c) => c.containerId === done.containerId)).toMatchObject({ attempt: 1, running: false });
      expect(owned.every((c) => c.jobId.startsWith("contract-") && !Number.isNaN(Date.parse(c.createdAt)))).toBe(true);
      expect(await runtime.listOwned(`${agent}-nobody`)).toEqual([]);
      await runtime.removeContainer(running.containerId);
      await runtime.removeContainer(running.containerId);
      await done.remove();
      expect(await runtime.listOwned(agent)).toEqual([]);
    });

    test("adopt() re-attaches to a running container: its whole output so far, then live output, then its exit code", async () => {
      const first = collector();
      const s = spec([{ out: "before\n" }, { sleep: 1 }, { out: "after\n" }, { exit: 3 }]);
      await runtime.start(s, first.sink);
      await printed(first, "before");
      const owned = (await runtime.listOwned(agentId)).find((c) => c.jobId === s.jobId)!;
      expect(owned.running).toBe(true);
      const second = collector();
      const adopted = await runtime.adopt(owned, second.sink);
      expect(await adopted.wait()).toEqual({ exitCode: 3, oomKilled: false });
      expect(second.text("stdout")).toBe("before\nafter\n");
      await adopted.remove();
    });
  });
}
