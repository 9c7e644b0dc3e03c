/**
 * Issue 15 §2, the agent's side: `outpost-agent run --metrics-addr` serves Prometheus metrics
 * (running jobs, free slots, Docker create/start durations, frames sent), off by default; the
 * server's /metrics sees the agent's session. Real processes, real dockerd, a real SQLite file.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeDocker, ensureTestImage, removeTestDir, TEST_IMAGE } from "./support/docker.js";
import { AGENT_BIN, freePort, jobHelpers, startProc, startServer, until, type Proc, type ServerProc } from "./support/processes.js";

const MODULE = {
  name: "m",
  version: "1.0.0",
  image: TEST_IMAGE,
  functions: [
    { name: "hi", display_name: "Hi", command: ["sh", "-c", "echo hi"] },
    { name: "nap", display_name: "Nap", command: ["sh", "-c", "echo napping; sleep 4; echo up"] },
  ],
};

let dir: string;
let server: ServerProc;
const procs: Proc[] = [];

const value = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describeDocker("agent metrics", () => {
  beforeAll(async () => {
    await ensureTestImage();
    dir = mkdtempSync(join(tmpdir(), "outpost-metrics-"));
    server = await startServer(join(dir, "outpost.db"));
    expect((await server.api("POST", "/api/v1/modules", MODULE)).status).toBe(201);
  });
  afterAll(async () => {
    for (const p of procs) await p.kill("SIGTERM");
    await server?.proc.kill("SIGTERM");
    removeTestDir(dir);
  });

  it("serves running jobs, free slots, container create/start times and frames sent on --metrics-addr; the server counts the session", async () => {
    const port = await freePort();
    const agent = startProc(AGENT_BIN, ["run", "--url", server.url, "--name", "metered", "--data-dir", join(dir, "a"), "--module", "m@1.0.0", "--metrics-addr", `127.0.0.1:${port}`, "--label", "gpu=true", "--log-format", "pretty"], {
      OUTPOST_TOKEN: server.token,
    });
    procs.push(agent);
    await agent.waitFor(/session open/);
    expect((await jobHelpers(() => server.api).agentNamed("metered")).labels).toEqual({ gpu: "true" });
    // --log-format pretty: readable lines, no JSON records.
    expect(agent.output()).toMatch(/^\[\d{4}-[\d-]+T[\d:.]+Z\] INFO: session open/m);
    expect(agent.output()).not.toMatch(/^\{/m);
    const agentMetrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

    let text = await agentMetrics();
    expect(value(text, "outpost_agent_running_jobs")).toBe(0);
    expect(value(text, "outpost_agent_free_slots")).toBe(1);
    expect(value(text, 'outpost_agent_frames_sent_total{type="ready"}')).toBeGreaterThanOrEqual(1);

    const created = await server.api("POST", "/api/v1/jobs", { module: "m", function: "hi", inputs: {} });
    expect(created.status).toBe(201);
    const done = await jobHelpers(() => server.api).settled(created.body.details.id);
    expect(done.status).toBe("completed");

    text = await agentMetrics();
    expect(value(text, 'outpost_agent_docker_seconds_count{step="create"}')).toBe(1);
    expect(value(text, 'outpost_agent_docker_seconds_count{step="start"}')).toBe(1);
    expect(value(text, 'outpost_agent_frames_sent_total{type="finished"}')).toBe(1);
    expect(value(text, 'outpost_agent_frames_sent_total{type="accept"}')).toBe(1);
    expect(value(text, "outpost_agent_running_jobs")).toBe(0);
    expect(text).toContain("outpost_agent_process_cpu_seconds_total");
    // Anything but /metrics is a 404 in the envelope.
    const other = await fetch(`http://127.0.0.1:${port}/metricz`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ status: "error", code: "route_not_found" });

    const serverText = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.token}` } })).text();
    expect(value(serverText, "outpost_sessions_connected")).toBe(1);
    expect(value(serverText, 'outpost_jobs{org="default",pool="",status="completed"}')).toBe(1);
    expect(value(serverText, "outpost_dispatch_latency_seconds_count")).toBe(1);
  });

  it("serves nothing without --metrics-addr, and refuses a malformed one before starting", async () => {
    const bad = startProc(AGENT_BIN, ["run", "--url", server.url, "--data-dir", join(dir, "b"), "--metrics-addr", "nine"], { OUTPOST_TOKEN: server.token });
    procs.push(bad);
    await bad.waitFor(/--metrics-addr="nine": must be HOST:PORT/);
  });

  it("counts frames re-sent after a reconnect (the server restarted while a job ran)", async () => {
    const port = await freePort();
    const serverPort = await freePort();
    const db = join(dir, "restart.db");
    let s2 = await startServer(db, ["--port", String(serverPort)]);
    expect((await s2.api("POST", "/api/v1/modules", MODULE)).status).toBe(201);
    const agent = startProc(AGENT_BIN, ["run", "--url", s2.url, "--name", "resender", "--data-dir", join(dir, "c"), "--module", "m@1.0.0", "--metrics-addr", `127.0.0.1:${port}`], {
      OUTPOST_TOKEN: s2.token,
    });
    procs.push(agent);
    await agent.waitFor(/session open/);
    const created = await s2.api("POST", "/api/v1/jobs", { module: "m", function: "nap", inputs: {} });
    const id = created.body.details.id as string;
    await until("the job runs", async () => (await s2.api("GET", `/api/v1/jobs/${id}`)).body.details.status === "running");
    await s2.proc.kill("SIGTERM");
    s2 = await startServer(db, ["--port", String(serverPort)], s2.token);
    procs.push(s2.proc);
    const done = await jobHelpers(() => s2.api).settled(id);
    expect(done.status).toBe("completed");
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(value(text, 'outpost_agent_frames_resent_total{type="started"}')).toBeGreaterThanOrEqual(1);
  });
});
