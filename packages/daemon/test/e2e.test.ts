/**
 * End to end with real processes: outpost-server and outpost-agent started from their bin
 * scripts, a real dockerd running the jobs in the locally built busybox image, a real SQLite
 * file. Short leases and heartbeats keep the fault tests quick.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeDocker, ensureTestImage, removeTestDir, removeTestRunContainers, TEST_IMAGE } from "./support/docker.js";
import { AGENT_BIN, SERVER_BIN, apiClient, startProc, until, type Proc, jobHelpers } from "./support/processes.js";

const STEP = (name: string, status: string) => `echo '::outpost::step {"name":"${name}","status":"${status}"}'`;

const MODULE = {
  name: "e2e",
  version: "1.0.0",
  image: TEST_IMAGE,
  functions: [
    {
      name: "work",
      display_name: "Work",
      command: [
        "sh",
        "-c",
        [
          "echo start",
          STEP("build", "running"),
          'cat "$OUTPOST_INPUTS"; echo',
          "echo to-stderr >&2",
          STEP("build", "completed"),
          `echo '{"passed":3}' > "$OUTPOST_OUTPUT_DIR/report.json"`,
          `echo '# All good' > "$OUTPOST_OUTPUT_DIR/report.md"`,
        ].join("; "),
      ],
      input_schema: { type: "object", properties: { who: { type: "string" } } },
    },
    { name: "fail", display_name: "Fail", command: ["sh", "-c", "echo failing; exit 3"] },
    {
      // 250 steps with names past the limit and outputs that JSON-escape six-fold, 2 MB of NUL bytes
      // (six-fold too), and a 3 MB line: together they made frames over the server's limit.
      name: "noisy",
      display_name: "Noisy",
      command: [
        "sh",
        "-c",
        [
          "n=$(head -c 300 /dev/zero | tr '\\0' n)",
          "o=$(i=0; while [ $i -lt 1290 ]; do printf '%s' '\\u0001'; i=$((i+1)); done)",
          `i=1; while [ $i -le 250 ]; do echo "::outpost::step {\\"name\\":\\"s$i $n\\",\\"status\\":\\"completed\\",\\"output\\":\\"$o\\"}"; i=$((i+1)); done`,
          "head -c 2000000 /dev/zero; echo",
          "head -c 3000000 /dev/zero | tr '\\0' x; echo",
          "echo all-done",
        ].join("; "),
      ],
    },
    { name: "oom", display_name: "Eat memory", command: ["sh", "-c", "a=xxxxxxxxxxxxxxxx; while true; do a=$a$a; done"], defaults: { mem_limit: "16m" } },
    { name: "wait", display_name: "Wait", command: ["sh", "-c", "trap 'echo got TERM; exit 143' TERM; echo waiting; sleep 300 & wait"] },
    { name: "slow", display_name: "Slow", command: ["sh", "-c", "echo slow; sleep 4; echo done"] },
  ],
};

let dir: string;
let server: Proc;
let url: string;
let api: ReturnType<typeof apiClient>;
let token: string;
const agents: Proc[] = [];

function startAgent(name: string, extra: string[] = [], withToken = true): Proc {
  const p = startProc(AGENT_BIN, [
    "run",
    "--url",
    url,
    ...(withToken ? ["--token", token] : []),
    "--name",
    name,
    "--data-dir",
    join(dir, name),
    "--module",
    "e2e@1.0.0",
    "--cancel-grace",
    "2",
    ...extra,
  ]);
  agents.push(p);
  return p;
}

const { job, settled, agentNamed } = jobHelpers(() => api);
const runJob = async (fn: string, over: Record<string, unknown> = {}) => {
  const r = await api("POST", "/api/v1/jobs", { module: "e2e", function: fn, inputs: {}, ...over });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.details.id as string;
};

describeDocker("outpost-server and outpost-agent as processes", () => {
  beforeAll(async () => {
    await ensureTestImage();
    dir = mkdtempSync(join(tmpdir(), "outpost-e2e-"));
    server = startProc(SERVER_BIN, ["serve", "--port", "0", "--db", join(dir, "outpost.db"), "--lease-ttl", "3", "--lease-grace", "2", "--heartbeat", "1", "--log-level", "warn"]);
    url = (await server.waitFor(/Outpost is up at (\S+)/))[1]!;
    token = readFileSync((await server.waitFor(/Bootstrap admin token written to (\S+) /))[1]!, "utf8").trim();
    api = apiClient(url, token);
    expect((await api("POST", "/api/v1/modules", MODULE)).status).toBe(201);
  });

  afterAll(async () => {
    for (const a of agents) await a.kill("SIGKILL");
    await server?.kill("SIGTERM");
    await removeTestRunContainers();
    removeTestDir(dir);
  });

  it("registers, keeps its credential 0600, reports host facts and modules, and runs a job with logs, steps and a report", async () => {
    const a = startAgent("alpha");
    await a.waitFor(/session open/);
    const cred = statSync(join(dir, "alpha", "credential.json"));
    expect(cred.mode & 0o777).toBe(0o600);
    const agent = await agentNamed("alpha");
    expect(agent).toMatchObject({ status: "Idle", version: "0.1.0" });
    expect(agent.os.platform).toBe("linux");
    expect(agent.modules.map((m: { name: string; version: string }) => `${m.name}@${m.version}`)).toEqual(["e2e@1.0.0"]);

    const id = await runJob("work", { inputs: { who: "world; rm -rf /" } });
    const done = await settled(id);
    expect(done).toMatchObject({ status: "completed", exit_code: 0, error: null, attempt: 1, has_report: true });
    expect(done.attempts).toHaveLength(1);
    expect(done.steps).toEqual([expect.objectContaining({ name: "build", status: "completed" })]);
    const logs = (await api("GET", `/api/v1/jobs/${id}/logs`)).body.details as { stream: string; data: string }[];
    const text = logs.map((l) => l.data).join("");
    expect(text).toContain("start");
    expect(text).toContain('{"who":"world; rm -rf /"}'); // inputs arrive as a file, verbatim
    expect(logs.some((l) => l.stream === "stderr" && l.data.includes("to-stderr"))).toBe(true);
    const report = (await api("GET", `/api/v1/jobs/${id}/report`)).body.details;
    expect(report.json).toEqual({ passed: 3 });
    expect(report.markdown).toContain("# All good");
    const history = (await api("GET", `/api/v1/agents/${agent.id}/status-history`)).body.details.map((h: { to: string }) => h.to);
    expect(history).toEqual(expect.arrayContaining(["Idle", "Claimed", "ExecutingJob", "ExecutionSuccess"]));
  });

  it("a job printing 250 long step names and huge lines completes without its session ever closing; steps capped at 200 with a marker", async () => {
    const a = startAgent("noisy");
    await a.waitFor(/session open/);
    const done = await settled(await runJob("noisy", { agent_id: (await agentNamed("noisy")).id }));
    expect(done).toMatchObject({ status: "completed", exit_code: 0 });
    expect(done.steps).toHaveLength(200);
    expect(done.steps[0].name).toMatch(/^s1 n+…$/);
    expect(done.steps[0].name.length).toBe(200);
    expect(done.steps[198].name).toMatch(/^s199 /);
    expect(done.steps[199]).toMatchObject({ name: "(more than 200 steps: the rest are not shown)", status: "skipped", output: "51 more step(s) not shown" });
    const text = ((await api("GET", `/api/v1/jobs/${done.id}/logs`)).body.details as { data: string }[]).map((l) => l.data).join("");
    expect(text).toContain("more than 200 steps");
    expect(text).toContain("all-done");
    expect(a.output().match(/session open/g)).toHaveLength(1);
    expect(a.output()).not.toMatch(/session closed|frame not sent/);
    await a.kill("SIGTERM");
  });

  it("fails a job with its exit code, and an out-of-memory job with oom_killed", async () => {
    const failed = await settled(await runJob("fail"));
    expect(failed).toMatchObject({ status: "failed", exit_code: 3, error: { reason: "exit_code" } });
    const oom = await settled(await runJob("oom"));
    expect(oom).toMatchObject({ status: "failed", exit_code: 137, error: { reason: "oom_killed" } });
  });

  it("cancels a running job: SIGTERM, then cancelled, container removed", async () => {
    const id = await runJob("wait");
    await until("running", async () => (await job(id)).status === "running");
    expect((await api("POST", `/api/v1/jobs/${id}/cancel`)).status).toBe(200);
    const done = await settled(id);
    expect(done).toMatchObject({ status: "cancelled", error: { reason: "cancelled" } });
    const logs = (await api("GET", `/api/v1/jobs/${id}/logs`)).body.details.map((l: { data: string }) => l.data).join("");
    expect(logs).toContain("got TERM");
    await until("container removed", async () => {
      const docker = new Dockerode();
      const left = await docker.listContainers({ all: true, filters: { label: [`outpost.job_id=${id}`] } });
      return left.length === 0;
    });
  });

  it("times a job out from claim time: failed with reason timeout", async () => {
    const done = await settled(await runJob("wait", { timeout_s: 2 }));
    expect(done).toMatchObject({ status: "failed", error: { reason: "timeout" } });
  });

  it("counts a restart and reuses its credential without a token", async () => {
    const a = agents[0]!;
    expect(await a.kill("SIGTERM")).toBe(0);
    const again = startAgent("alpha", [], false);
    await again.waitFor(/session open/);
    const agent = await agentNamed("alpha");
    expect(agent.restart_count ?? agent.restarts).toBe(1);
    expect((await api("GET", "/api/v1/agents?archived=all")).body.details.filter((x: { name: string }) => x.name === "alpha")).toHaveLength(1);
    await again.kill("SIGTERM");
  });

  it("re-queues a job once when its agent is SIGKILLed mid-job, and another agent finishes it", async () => {
    const a = startAgent("bravo");
    await a.waitFor(/session open/);
    const id = await runJob("slow");
    await until("running on bravo", async () => (await job(id)).status === "running");
    await a.kill("SIGKILL");
    const b = startAgent("charlie");
    await b.waitFor(/session open/);
    const done = await settled(id);
    expect(done.status).toBe("completed");
    expect(done.attempt).toBe(2);
    expect(done.attempts.map((x: { outcome: string }) => x.outcome)).toEqual(["lost", "completed"]);
    const charlie = await agentNamed("charlie");
    expect(done.attempts[1].agent_id).toBe(charlie.id);
    await b.kill("SIGTERM");
  });

  it("stops with what to do when the credential is refused, and on bad settings or unknown modules", async () => {
    const bogus = join(dir, "bogus");
    mkdirSync(bogus, { recursive: true });
    writeFileSync(join(bogus, "credential.json"), JSON.stringify({ url, agent_id: "x", credential: "oagt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000", registered_at: "2026-01-01T00:00:00Z" }));
    const refused = startAgent("bogus", [], false);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toMatch(/revoked or is unknown[^\n]*--token/);

    const bad = startProc(AGENT_BIN, ["run", "--url", "ftp://x", "--slots", "0", "--module", "nope"]);
    expect(await bad.exited).toBe(1);
    const lines = bad.output().trim().split("\n");
    expect(lines.some((l) => l.includes("--url") && l.includes("ftp://x"))).toBe(true);
    expect(lines.some((l) => l.includes("--slots") && l.includes("0"))).toBe(true);
    expect(lines.some((l) => l.includes("--module") && l.includes("nope"))).toBe(true);

    const unknown = startProc(AGENT_BIN, ["run", "--url", url, "--token", token, "--data-dir", join(dir, "delta"), "--module", "e2e@9.9.9"]);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toMatch(/e2e@9\.9\.9.*not in the catalog/);

    expect((await api("POST", "/api/v1/modules", { ...MODULE, name: "noimage", image: "outpost-test/absent:1" })).status).toBe(201);
    const noImage = startProc(AGENT_BIN, ["run", "--url", url, "--token", token, "--data-dir", join(dir, "echo"), "--module", "noimage@1.0.0"]);
    expect(await noImage.exited).toBe(2);
    expect(noImage.output()).toMatch(/noimage@1\.0\.0.*outpost-test\/absent:1 is not present/);
  });

  it("keeps serving after an agent sends garbage", async () => {
    const { default: WebSocket } = await import("ws");
    const ws = new WebSocket(url.replace("http", "ws") + "/api/v1/agent/session", "outpost.agent.v1", { headers: { authorization: "Bearer oagt_nope" } });
    await new Promise((r) => ws.on("error", r).on("unexpected-response", r));
    expect((await api("GET", "/healthz")).status).toBe(200);
  });
});
