/**
 * Docker restarted under a running agent (issue 17, fault 5), for real: the agent's own private
 * dockerd (test/chaos/dockerd.ts: own socket, data and exec roots, managed containerd; the shared
 * dockerd is never touched) is killed with -9 while a job runs. The agent reports that attempt
 * failed (reason internal, the runtime unreachable), keeps its session, offers no slot while the
 * runtime is gone (a job submitted meanwhile waits instead of failing to start), removes the dead
 * attempt's container when dockerd is back, and takes jobs again.
 */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeDocker, removeTestDir, TEST_IMAGE } from "./support/docker.js";
import { AGENT_BIN, jobHelpers, startProc, startServer, until, type Proc, type ServerProc } from "./support/processes.js";
import { PrivateDockerd } from "./chaos/dockerd.js";

const MODULE = {
  name: "dr",
  version: "1.0.0",
  image: TEST_IMAGE,
  functions: [
    { name: "long", display_name: "Long", command: ["sh", "-c", "i=1; while [ $i -le 600 ]; do echo line $i; i=$((i+1)); sleep 0.1; done"] },
    { name: "short", display_name: "Short", command: ["sh", "-c", "echo done"] },
  ],
};

let dir: string;
let dockerd: PrivateDockerd;
let server: ServerProc;
let agent: Proc;

describeDocker("docker restarted under a running agent (a private dockerd)", () => {
  beforeAll(async () => {
    // Short: the dockerd socket path must fit in a unix socket address.
    dir = mkdtempSync("/tmp/outpost-dr-");
    dockerd = new PrivateDockerd(join(dir, "d"));
    await dockerd.start();
  }, 120_000);
  afterAll(async () => {
    await agent?.kill("SIGKILL");
    await server?.proc.kill("SIGKILL");
    if (!dockerd.up) await dockerd.start().catch(() => undefined);
    await dockerd.destroy();
    removeTestDir(dir);
  }, 120_000);

  it("fails the running attempt, keeps the session, takes no job while dockerd is gone, resumes when it is back", { timeout: 400_000 }, async () => {
    server = await startServer(join(dir, "outpost.db"), ["--lease-ttl", "20", "--lease-grace", "5", "--heartbeat", "1"]);
    const api = server.api;
    const { job, settled, agentNamed } = jobHelpers(() => api);
    const mod = await api("POST", "/api/v1/modules", MODULE);
    expect(mod.status, JSON.stringify(mod.body)).toBe(201);
    agent = startProc(AGENT_BIN, ["run", "--url", server.url, "--token", server.token, "--name", "dr", "--data-dir", join(dir, "agent"), "--slots", "1", "--module", "dr@1.0.0"], {
      DOCKER_HOST: dockerd.host,
    });
    await agent.waitFor(/session open/, 60_000);
    const submit = async (fn: string) => (await api("POST", "/api/v1/jobs", { module: "dr", function: fn })).body.details.id as string;

    const first = await submit("long");
    await until("the long job running", async () => (await job(first)).status === "running", 60_000);
    const container = (await dockerd.docker.listContainers({ filters: { label: [`outpost.job_id=${first}`] } }))[0]!.Id;
    const sessionsBefore = agent.output().match(/session open/g)!.length;

    const t0 = Date.now();
    const step = (what: string) => console.log(`[docker-restart] ${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
    await dockerd.kill("SIGKILL");
    step("dockerd killed");
    const failed = await settled(first, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; agent output:\n${agent.output().slice(-4000)}`);
    });
    expect(failed.status).toBe("failed");
    expect(failed.error.reason).toBe("internal");
    step(`first job ${failed.status}`);
    await agent.waitFor(/container runtime is unreachable/, 30_000);

    // Submitted while dockerd is gone: no slot is offered, so it waits (pending), it does not fail to start.
    const second = await submit("short");
    const offline = await agentNamed("dr");
    expect(offline.status).not.toBe("Offline");
    expect((await job(second)).status).toBe("pending");

    await dockerd.start();
    step("dockerd back");
    const done = await settled(second, 90_000);
    expect(done.status, JSON.stringify(done)).toBe("completed");
    expect(done.attempt).toBe(1);
    // The dead attempt's container is removed once dockerd answers again; the session never dropped.
    await until("the first attempt's container removed", async () => !(await dockerd.docker.getContainer(container).inspect().then(() => true, () => false)), 30_000);
    expect(agent.output().match(/session open/g)!.length).toBe(sessionsBefore);
  });
});
