/**
 * Restarts that lose nothing (issue 4, points 2 to 4), with real processes, real signals and a
 * real dockerd: outpost-agent kill -9'd mid-job and restarted (re-attach, same container, log
 * resumed without gap or duplicate), a container that exited while the agent was down, an
 * unknown attempt's container reaped, outpost-server kill -9'd and restarted on the same port and
 * database, SIGTERM drain with a deadline, and pause/resume.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { describeDocker, ensureTestImage, removeTestDir, removeTestRunContainers, TEST_IMAGE } from "./support/docker.js";
import { AGENT_BIN, freePort, startProc, startServer, until, type Proc, type ServerProc, jobHelpers } from "./support/processes.js";

const MODULE = {
  name: "restarts",
  version: "1.0.0",
  image: TEST_IMAGE,
  functions: [
    // 40 numbered lines over ~8 s: enough time to kill the agent several times mid-job.
    { name: "count", display_name: "Count", command: ["sh", "-c", "i=1; while [ $i -le 40 ]; do echo line $i; i=$((i+1)); sleep 0.2; done"] },
    { name: "quick", display_name: "Quick", command: ["sh", "-c", "echo one; sleep 1.5; echo two; echo '{\"ok\":1}' > \"$OUTPOST_OUTPUT_DIR/report.json\"; exit 4"] },
    { name: "sleepy", display_name: "Sleepy", command: ["sh", "-c", "trap 'echo term; exit 143' TERM; echo zzz; sleep 60 & wait"] },
    { name: "short", display_name: "Short", command: ["sh", "-c", "sleep 1; echo finished"] },
  ],
};

const docker = new Dockerode();
let dir: string;
let server: ServerProc;
const procs: Proc[] = [];

function agent(name: string, extra: string[] = []): Proc {
  const p = startProc(AGENT_BIN, ["run", "--url", server.url, "--token", server.token, "--name", name, "--data-dir", join(dir, name), "--module", "restarts@1.0.0", "--cancel-grace", "2", ...extra]);
  procs.push(p);
  return p;
}
const api = (method: string, path: string, body?: unknown) => server.api(method, path, body);
const { job, settled, agentNamed } = jobHelpers(() => server.api);
const submit = async (fn: string, over: Record<string, unknown> = {}) => {
  const r = await api("POST", "/api/v1/jobs", { module: "restarts", function: fn, ...over });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.details.id as string;
};
const logText = async (id: string) => ((await api("GET", `/api/v1/jobs/${id}/logs`)).body.details as { stream: string; data: string }[]).filter((l) => l.stream !== "system").map((l) => l.data).join("");
const containersOf = async (jobId: string) => (await docker.listContainers({ all: true, filters: { label: [`outpost.job_id=${jobId}`] } })).map((c) => c.Id);

describeDocker("restarts that lose nothing", () => {
  beforeAll(async () => {
    await ensureTestImage();
    dir = mkdtempSync(join(tmpdir(), "outpost-restarts-"));
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill("SIGKILL");
    await server?.proc.kill("SIGKILL");
    await removeTestRunContainers(docker);
  });
  afterAll(() => removeTestDir(dir));

  async function withServer(args: string[] = ["--lease-ttl", "20", "--lease-grace", "5", "--heartbeat", "1"]) {
    server = await startServer(join(dir, `db-${Date.now()}.db`), args);
    expect((await api("POST", "/api/v1/modules", MODULE)).status).toBe(201);
  }

  it("kill -9 the agent five times mid-job: same container, every line exactly once, one result", async () => {
    await withServer();
    let a = agent("kilo");
    await a.waitFor(/session open/);
    const id = await submit("count");
    await until("running", async () => (await job(id)).status === "running");
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      for (const c of await containersOf(id)) seen.add(c);
      // Kill mid-stream: once this agent has stored at least one line more (or the job is over).
      const stored = (await logText(id)).split("\n").filter(Boolean).length;
      await until("another line stored", async () => (await logText(id)).split("\n").filter(Boolean).length > stored || (await job(id)).status !== "running");
      await a.kill("SIGKILL");
      a = agent("kilo");
      await a.waitFor(/session open/);
    }
    const done = await settled(id);
    for (const c of await containersOf(id)) seen.add(c);
    expect(seen.size).toBe(1);
    expect(done).toMatchObject({ status: "completed", attempt: 1, exit_code: 0 });
    expect(done.attempts).toHaveLength(1);
    const lines = (await logText(id)).split("\n").filter(Boolean);
    expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
    const agentRow = await agentNamed("kilo");
    expect(agentRow.restart_count).toBe(5);
  });

  it("reports a container that exited while the agent was down, from inspect and its logs", async () => {
    await withServer();
    let a = agent("lima");
    await a.waitFor(/session open/);
    const id = await submit("quick");
    await until("running", async () => (await job(id)).status === "running");
    await a.kill("SIGKILL");
    await until("container exited", async () => {
      const [cid] = await containersOf(id);
      return cid && (await docker.getContainer(cid).inspect()).State.Status === "exited";
    });
    a = agent("lima");
    const done = await settled(id);
    expect(done).toMatchObject({ status: "failed", exit_code: 4, error: { reason: "exit_code" }, attempt: 1, has_report: true });
    expect((await logText(id)).split("\n").filter(Boolean)).toEqual(["one", "two"]);
    await until("container removed", async () => (await containersOf(id)).length === 0);
  });

  it("stops and removes the container of an attempt the server no longer knows, and never touches unlabelled containers", async () => {
    await withServer(["--lease-ttl", "2", "--lease-grace", "1", "--heartbeat", "1"]);
    const stranger = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ["sleep", "60"], HostConfig: { NetworkMode: "none" } });
    await stranger.start();
    try {
      let a = agent("mike");
      await a.waitFor(/session open/);
      const id = await submit("sleepy", { max_attempts: 1 });
      await until("running", async () => (await job(id)).status === "running");
      await a.kill("SIGKILL");
      await until("declared lost", async () => (await job(id)).status === "failed", 20_000);
      expect((await job(id)).error.reason).toBe("agent_lost");
      expect(await containersOf(id)).toHaveLength(1); // still running, nobody watching
      a = agent("mike");
      await a.waitFor(/session open/);
      await until("stale container removed", async () => (await containersOf(id)).length === 0, 20_000);
      expect((await stranger.inspect()).State.Running).toBe(true);
    } finally {
      await stranger.remove({ force: true });
    }
  });

  it("kill -9 outpost-server with jobs running and pending: after the restart every job ends once, none lost", async () => {
    const port = String(await freePort());
    const db = join(dir, "server-restart.db");
    server = await startServer(db, ["--port", port, "--lease-ttl", "20", "--lease-grace", "10", "--heartbeat", "1"]);
    expect((await api("POST", "/api/v1/modules", MODULE)).status).toBe(201);
    const a = agent("november");
    await a.waitFor(/session open/);
    const running = await submit("count");
    const pending = [await submit("short"), await submit("short")];
    await until("running", async () => (await job(running)).status === "running");
    await server.proc.kill("SIGKILL");
    await a.waitFor(/session closed; reconnecting/); // the agent saw the server go: its next session is a reconnect
    server = await startServer(db, ["--port", port, "--lease-ttl", "20", "--lease-grace", "10", "--heartbeat", "1"], server.token);
    for (const id of [running, ...pending]) {
      const done = await settled(id);
      expect(done).toMatchObject({ status: "completed", attempt: 1 });
      expect(done.attempts).toHaveLength(1);
    }
    expect((await logText(running)).split("\n").filter(Boolean)).toHaveLength(40);
  });

  it("SIGTERM drains: no new jobs, a short job finishes, a long one is stopped at the deadline and reported; the agent ends Offline", async () => {
    await withServer();
    const a = agent("oscar", ["--slots", "2", "--drain-deadline", "3"]);
    await a.waitFor(/session open/);
    const long = await submit("sleepy");
    const short = await submit("short");
    await until("both running", async () => (await job(long)).status === "running" && (await job(short)).status === "running");
    a.child.kill("SIGTERM");
    // The drain's `ready 0` leaves at once, before the short job's `finished` on the same socket:
    // once the server has the short job completed, it has handled the `ready 0`.
    await until("short completed", async () => (await job(short)).status === "completed");
    const late = await submit("short");
    expect(await a.exited).toBe(0);
    expect(await job(short)).toMatchObject({ status: "completed" });
    expect(await job(long)).toMatchObject({ status: "failed", error: { reason: "agent_lost" } });
    expect((await job(long)).error.message).toMatch(/drain deadline/);
    expect(await job(late)).toMatchObject({ status: "pending", attempts: [] }); // never offered
    expect((await agentNamed("oscar")).status).toBe("Offline");
  });

  it("a paused agent takes no new jobs while its current one finishes; resumed, it takes them", async () => {
    await withServer();
    const a = agent("papa");
    await a.waitFor(/session open/);
    const id = (await agentNamed("papa")).id as string;
    const first = await submit("short");
    await until("running", async () => (await job(first)).status === "running");
    expect((await api("POST", `/api/v1/agents/${id}/pause`)).status).toBe(200);
    const second = await submit("short");
    expect(await settled(first)).toMatchObject({ status: "completed" });
    expect(await job(second)).toMatchObject({ status: "pending", attempts: [], waiting_reason: "Every eligible agent is paused." });
    // No sleep to prove nothing was claimed meanwhile: the job's only attempt must be claimed after the resume.
    const resumedAt = new Date().toISOString();
    expect((await api("POST", `/api/v1/agents/${id}/resume`)).status).toBe(200);
    const done = await settled(second);
    expect(done).toMatchObject({ status: "completed", attempt: 1 });
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0].claimed_at >= resumedAt, `claimed at ${done.attempts[0].claimed_at}, resumed at ${resumedAt}`).toBe(true);
  });

  it("a job whose request and function give no timeout gets the server's --default-job-timeout and is stopped at it", async () => {
    await withServer(["--lease-ttl", "20", "--lease-grace", "5", "--heartbeat", "1", "--default-job-timeout", "2"]);
    const a = agent("tango");
    await a.waitFor(/session open/);
    const id = await submit("sleepy", { max_attempts: 1 });
    expect((await job(id)).timeout_s).toBe(2);
    const done = await settled(id);
    expect(done).toMatchObject({ status: "failed", error: { reason: "timeout" } });
    expect(await logText(id)).toContain("term"); // stopped with SIGTERM first
  });
});
