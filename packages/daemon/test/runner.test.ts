/**
 * JobRunner against the real DockerRuntime, with the session replaced by a frame recorder: the
 * order of frames per attempt, outputs and /tmp bounded by Docker, failure reasons for image and
 * start errors, and a step line cut by the resume point of a re-attach (docker logs). What needs
 * no Docker (rejects, fencing, logs and steps on the wire) is in runner-memory.test.ts.
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import pino from "pino";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PROTOCOL_VERSION, type AgentFrame, type AssignFrame } from "@outpost/shared";
import { DockerRuntime } from "../src/runtime/docker.js";
import { isMountPoint } from "../src/runtime/bounded-dir.js";
import { describeDocker, ensureTestImage, removeTestDir, removeTestRunContainers, TEST_IMAGE } from "./support/docker.js";
import { TEST_RUN_LABELS } from "./support/test-run.js";
import { until } from "./support/processes.js";
import { AGENT_ID, assign as assignTo, makeRunner as makeRunnerOn } from "./support/runner-harness.js";

let scratch: string;
const dockerRuntime = () => new DockerRuntime({ scratchDir: scratch, labels: TEST_RUN_LABELS });
const assign = (over: Partial<AssignFrame> = {}) => assignTo(TEST_IMAGE, over);
const makeRunner = (opts: { slots?: number; resync?: boolean } = {}) => makeRunnerOn(dockerRuntime(), opts);

describeDocker("JobRunner on Docker", () => {
  beforeAll(async () => {
    await ensureTestImage();
    scratch = mkdtempSync(join(tmpdir(), "outpost-runner-"));
  });
  afterAll(async () => {
    await removeTestRunContainers();
    removeTestDir(scratch);
  });

  it("accepts before starting, then started, logs, steps and finished, and removes the container on finished_ack", async () => {
    const r = makeRunner();
    const a = assign({ command: ["sh", "-c", `echo one; echo '::outpost::step {"name":"s1","status":"completed"}'; echo two >&2`] });
    r.runner.handle(a);
    const fin = await r.finished(a.job_id);
    expect(fin).toMatchObject({ outcome: "completed", exit_code: 0, reason: null });
    const types = r.of(a.job_id).map((f) => f.type);
    expect(types[0]).toBe("accept");
    expect(types.indexOf("started")).toBeGreaterThan(0);
    expect(types.indexOf("finished")).toBe(types.length - 1);
    const chunks = r.of(a.job_id).flatMap((f) => (f.type === "logs" ? f.chunks : []));
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(fin.last_seq).toBe(chunks.length - 1);
    expect(r.of(a.job_id).some((f) => f.type === "steps" && f.steps[0]?.name === "s1")).toBe(true);
    const started = r.of(a.job_id).find((f) => f.type === "started") as Extract<AgentFrame, { type: "started" }>;
    r.runner.handle({ v: PROTOCOL_VERSION, type: "finished_ack", job_id: a.job_id, attempt: 1, status: "completed" });
    await until("container removed", async () => !(await new Dockerode().listContainers({ all: true, filters: { id: [started.container_id] } })).length);
    expect(r.runner.size).toBe(0);
  });

  it("sends the result only after every log chunk, though the socket was congested when the job ended (issue 17: a completed job with no stored lines)", async () => {
    let congested = true;
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
    const r = makeRunnerOn(dockerRuntime(), { over: { congested: () => congested, log } });
    const a = assign({ command: ["sh", "-c", "echo one; echo two; echo three"] });
    r.runner.handle(a);
    // The job has ended (the runner logged its result) while the socket is still congested.
    await until("the job's result decided", async () => lines.some((l) => l.includes(a.job_id) && l.includes("job finished")));
    expect(r.of(a.job_id).map((f) => f.type)).not.toContain("finished");
    congested = false;
    const fin = await r.finished(a.job_id);
    const types = r.of(a.job_id).map((f) => f.type);
    expect(types.indexOf("finished")).toBe(types.length - 1);
    const chunks = r.of(a.job_id).flatMap((f) => (f.type === "logs" ? f.chunks : []));
    expect(chunks.map((c) => c.data).join("")).toBe("one\ntwo\nthree\n");
    expect(fin.last_seq).toBe(chunks.length - 1);
  });

  it("a job writing 300 MB to /outpost/out fails with reason outputs_exceeded at the 1 MiB cap, and the host dir stays small", async () => {
    const r = makeRunner();
    // dd stops at the first refused write; the job then exits 0 on purpose: the overflow alone fails it.
    const a = assign({ command: ["sh", "-c", "dd if=/dev/zero of=/outpost/out/big bs=1M count=300; echo '{}' > /outpost/out/report.json; exit 0"] });
    r.runner.handle(a);
    const fin = await r.finished(a.job_id);
    expect(fin).toMatchObject({ outcome: "failed", reason: "outputs_exceeded", exit_code: 0 });
    expect(fin.message).toMatch(/^outputs exceeded 1 MiB/);
    const out = join(scratch, `${a.job_id}-1`, "out");
    expect(await isMountPoint(out)).toBe(true); // the agent runs as root here: a tmpfs, not the host disk
    expect(statSync(join(out, "big")).size).toBeLessThanOrEqual(1024 * 1024);
    const logs = r.of(a.job_id).flatMap((f) => (f.type === "logs" ? f.chunks.map((c) => c.data) : [])).join("");
    expect(logs).toMatch(/No space left on device/);
    r.runner.handle({ v: PROTOCOL_VERSION, type: "finished_ack", job_id: a.job_id, attempt: 1, status: "failed" });
    await until("scratch dir removed (and unmounted)", async () => !existsSync(join(scratch, `${a.job_id}-1`)));
  });

  it("a job writing 300 MB to /tmp is refused past its tmpfs size and fails; nothing reaches the host", async () => {
    const r = makeRunner();
    const a = assign({ command: ["sh", "-c", "dd if=/dev/zero of=/tmp/big bs=1M count=300"], limits: { cpus: "0.5", mem_limit: "256m", pids_limit: 64 } });
    r.runner.handle(a);
    const fin = await r.finished(a.job_id);
    expect(fin).toMatchObject({ outcome: "failed", reason: "exit_code" });
    const logs = r.of(a.job_id).flatMap((f) => (f.type === "logs" ? f.chunks.map((c) => c.data) : [])).join("");
    expect(logs).toMatch(/No space left on device/);
    expect(readdirSync(join(scratch, `${a.job_id}-1`, "out"))).toEqual([]);
    r.runner.handle({ v: PROTOCOL_VERSION, type: "finished_ack", job_id: a.job_id, attempt: 1, status: "failed" });
    await until("scratch dir removed (and unmounted)", async () => !existsSync(join(scratch, `${a.job_id}-1`)));
  });

  it("fails with reason image when the image cannot be had, and start when the command is missing", async () => {
    const r = makeRunner();
    const noImage = assign({ image: "127.0.0.1:1/outpost/missing:1" });
    r.runner.handle(noImage);
    expect(await r.finished(noImage.job_id)).toMatchObject({ outcome: "failed", reason: "image" });
    const noCmd = assign({ command: ["/no/such/binary"] });
    r.runner.handle(noCmd);
    const fin = await r.finished(noCmd.job_id);
    expect(fin.outcome).toBe("failed");
    expect(["start", "create"]).toContain(fin.reason);
  });

  it("a never-started container of an earlier process that the server calls stale is removed without its body ever running (issue 17: adopt() would start it beside the live attempt)", async () => {
    const docker = new Dockerode();
    const jobId = `rj-created-${process.pid}-${Date.now().toString(36)}`;
    const c = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ["sh", "-c", "echo ran"], Labels: { ...TEST_RUN_LABELS, "outpost.job_id": jobId, "outpost.attempt": "1" } });
    const since = Math.floor(Date.now() / 1000) - 1;
    const r = makeRunner({ resync: false });
    r.runner.adopt([{ containerId: c.id, jobId, attempt: 1, running: false, createdAt: new Date().toISOString() }]);
    r.runner.handle({ v: PROTOCOL_VERSION, type: "stale", job_id: jobId, attempt: 1, message: "not yours" });
    await until("container removed", async () => !(await docker.listContainers({ all: true, filters: { id: [c.id] } })).length);
    const stream = (await docker.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { type: ["container"], container: [c.id] } })) as NodeJS.ReadableStream;
    let raw = "";
    for await (const chunk of stream) raw += chunk.toString();
    const actions = raw.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { Action: string }).Action);
    expect(actions).toContain("destroy");
    expect(actions).not.toContain("start");
    expect(r.of(jobId).map((f) => f.type)).toEqual([]);
  });

  it("completes a step line that the resume point of a restart cut in two", async () => {
    const first = makeRunner();
    const half = '::outpost::step {"name":"build",';
    const a = assign({ command: ["sh", "-c", `printf '%s' '${half}'; sleep 1; echo '"status":"completed"}'; sleep 30`] });
    first.runner.handle(a);
    const logged = () => first.of(a.job_id).flatMap((f) => (f.type === "logs" ? f.chunks.map((c) => c.data) : [])).join("");
    await until("the first half logged", async () => logged().includes(half));
    // Another agent process adopts the container; the server's log ends after the first half.
    const owned = (await new DockerRuntime({ scratchDir: scratch, labels: TEST_RUN_LABELS }).listOwned(AGENT_ID)).filter((c) => c.jobId === a.job_id);
    expect(owned).toHaveLength(1);
    const second = makeRunner({ resync: false });
    second.runner.adopt(owned);
    second.runner.resync(60, [{ job_id: a.job_id, attempt: 1, next_seq: 1, stdout_bytes: Buffer.byteLength(half), stderr_bytes: 0 }]);
    const steps = await until("the step, completed", async () =>
      second.of(a.job_id).find((f) => f.type === "steps" && f.steps.some((st) => st.name === "build" && st.status === "completed")),
    );
    expect(steps).toMatchObject({ type: "steps", job_id: a.job_id, attempt: 1, steps: [{ name: "build", status: "completed", output: null }] });
    // The log goes on from the resume point: the first half is not sent again.
    const resent = second.of(a.job_id).flatMap((f) => (f.type === "logs" ? f.chunks.map((c) => c.data) : [])).join("");
    expect(resent.startsWith('"status":"completed"}')).toBe(true);
  });

});
