/**
 * Issue 15 §4: a job whose image is missing on the host pulls it in the open: `Pulling image ...`
 * with progress in its log and a `pulling` phase in the run detail; the pull has its own limit
 * (--pull-timeout) and the job's timeout does not run meanwhile. Real processes, real dockerd, a
 * real registry (docker-registry on loopback; a second one over the same storage wanting a password,
 * made with htpasswd from apache2-utils) and a registry that never answers.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PULLING_STEP } from "@outpost/shared";
import { describeDocker, ensureTestImage, removeTestDir, removeTestRunContainers, TEST_IMAGE } from "./support/docker.js";
import { AGENT_BIN, freePort, jobHelpers, startCommand, startProc, startServer, until, type Proc, type ServerProc } from "./support/processes.js";
import { TEST_RUN_LABEL_ARG } from "./support/test-run.js";

let dir: string;
let server: ServerProc;
let registry: Proc;
let registryPort: number;
let hanging: Server;
const sockets: Socket[] = [];
const procs: Proc[] = [];
let pushed: string;
let stuckImage: string;
let privateImage: string;
let authed: Proc;
const PASSWORD = "s3cret-registry-pass";

describeDocker("image pulls", () => {
  beforeAll(async () => {
    await ensureTestImage();
    dir = mkdtempSync(join(tmpdir(), "outpost-pull-"));
    registryPort = await freePort();
    writeFileSync(
      join(dir, "registry.yml"),
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "registry")}\nhttp:\n  addr: 127.0.0.1:${registryPort}\n`,
    );
    registry = startCommand("docker-registry", ["serve", join(dir, "registry.yml")], { env: process.env });
    await until("the registry", async () => (await fetch(`http://127.0.0.1:${registryPort}/v2/`).catch(() => null))?.ok);
    // Our own tag of the test image, pushed, then removed here: the job must pull it back.
    pushed = `127.0.0.1:${registryPort}/outpost-pull/busybox:${randomUUID().slice(0, 8)}`;
    execFileSync("docker", ["tag", TEST_IMAGE, pushed]);
    execFileSync("docker", ["push", "--quiet", pushed]);
    execFileSync("docker", ["rmi", pushed]);
    // The same storage behind a registry that wants a password (htpasswd): a private registry.
    const authPort = await freePort();
    execFileSync("htpasswd", ["-Bbc", join(dir, "htpasswd"), "ci", PASSWORD]);
    writeFileSync(
      join(dir, "registry-auth.yml"),
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "registry")}\nhttp:\n  addr: 127.0.0.1:${authPort}\nauth:\n  htpasswd:\n    realm: outpost-test\n    path: ${join(dir, "htpasswd")}\n`,
    );
    const authRegistry = startCommand("docker-registry", ["serve", join(dir, "registry-auth.yml")], { env: process.env });
    procs.push(authRegistry);
    await until("the private registry", async () => (await fetch(`http://127.0.0.1:${authPort}/v2/`).catch(() => null))?.status === 401);
    privateImage = pushed.replace(`127.0.0.1:${registryPort}`, `127.0.0.1:${authPort}`);
    writeFileSync(join(dir, "docker-config.json"), JSON.stringify({ auths: { [`127.0.0.1:${authPort}`]: { auth: Buffer.from(`ci:${PASSWORD}`).toString("base64") } } }));
    // A "registry" that accepts connections and never answers: only --pull-timeout ends that pull.
    const stuckPort = await freePort();
    hanging = createServer((s) => void sockets.push(s)).listen(stuckPort, "127.0.0.1");
    stuckImage = `127.0.0.1:${stuckPort}/outpost-pull/never:1`;

    server = await startServer(join(dir, "outpost.db"));
    const module = {
      name: "pull",
      version: "1.0.0",
      image: TEST_IMAGE,
      functions: [
        { name: "fresh", display_name: "Fresh", image: pushed, command: ["sh", "-c", "echo ran"] },
        { name: "stuck", display_name: "Stuck", image: stuckImage, command: ["sh", "-c", "echo never"] },
        { name: "private", display_name: "Private", image: privateImage, command: ["sh", "-c", "echo private-ran"] },
      ],
    };
    expect((await server.api("POST", "/api/v1/modules", module)).status).toBe(201);
    const agent = startProc(
      AGENT_BIN,
      ["run", "--url", server.url, "--name", "puller", "--data-dir", join(dir, "a"), "--module", "pull@1.0.0", "--pull-timeout", "3", "--container-label", TEST_RUN_LABEL_ARG],
      { OUTPOST_TOKEN: server.token },
    );
    procs.push(agent);
    await agent.waitFor(/session open/);
    authed = startProc(
      AGENT_BIN,
      ["run", "--url", server.url, "--name", "authed", "--data-dir", join(dir, "b"), "--module", "pull@1.0.0", "--registry-auth", join(dir, "docker-config.json"), "--log-level", "debug", "--container-label", TEST_RUN_LABEL_ARG],
      { OUTPOST_TOKEN: server.token },
    );
    procs.push(authed);
    await authed.waitFor(/session open/);
  });
  afterAll(async () => {
    for (const p of procs) await p.kill("SIGTERM");
    await server?.proc.kill("SIGTERM");
    await registry?.kill("SIGTERM");
    for (const s of sockets) s.destroy();
    hanging?.close();
    await removeTestRunContainers();
    for (const image of [pushed, privateImage]) {
      try {
        execFileSync("docker", ["rmi", image], { stdio: "ignore" });
      } catch {
        // not pulled
      }
    }
    removeTestDir(dir);
  });

  it("pulls a missing image in the open: Pulling image with progress in the log, a pulling phase, then the job runs", async () => {
    const { job } = jobHelpers(() => server.api);
    const created = await server.api("POST", "/api/v1/jobs", { module: "pull", function: "fresh", inputs: {} });
    expect(created.status).toBe(201);
    const id = created.body.details.id as string;
    const done = await until("the job to end", async () => {
      const j = await job(id);
      return ["completed", "failed"].includes(j.status) ? j : null;
    }, 60_000);
    expect(done).toMatchObject({ status: "completed", phase: null });
    expect(done.steps).toEqual([expect.objectContaining({ name: PULLING_STEP, status: "completed" })]);
    const log = ((await server.api("GET", `/api/v1/jobs/${id}/logs`)).body.details as { data: string }[]).map((c) => c.data).join("");
    expect(log).toContain(`Pulling image ${pushed} ...`);
    expect(log).toMatch(/Pull complete|Download complete|Digest: sha256/);
    expect(log).toContain(`Pulled image ${pushed} in `);
    expect(log).toContain("ran");
  });

  it("stops a pull at --pull-timeout: the job fails with reason image, not timeout, however short its own timeout", async () => {
    const puller = (await jobHelpers(() => server.api).agentNamed("puller")).id;
    const created = await server.api("POST", "/api/v1/jobs", { module: "pull", function: "stuck", inputs: {}, timeout_s: 1, max_attempts: 1, agent_id: puller });
    const id = created.body.details.id as string;
    const { job } = jobHelpers(() => server.api);
    await until("the pulling phase", async () => (await job(id)).phase === "pulling");
    const done = await jobHelpers(() => server.api).settled(id);
    expect(done).toMatchObject({ status: "failed", error: { reason: "image" } });
    expect(done.error.message).toContain("--pull-timeout");
    expect(done.steps).toEqual([expect.objectContaining({ name: PULLING_STEP, status: "failed" })]);
  });

  it("pulls from a private registry with --registry-auth (Docker config.json format), and never logs the password", async () => {
    const { settled, agentNamed } = jobHelpers(() => server.api);
    const run = async (agent: string) => {
      const r = await server.api("POST", "/api/v1/jobs", { module: "pull", function: "private", inputs: {}, max_attempts: 1, agent_id: (await agentNamed(agent)).id });
      return settled(r.body.details.id as string);
    };
    const refused = await run("puller");
    expect(refused).toMatchObject({ status: "failed", error: { reason: "image" } });
    const done = await run("authed");
    expect(done).toMatchObject({ status: "completed" });
    const log = ((await server.api("GET", `/api/v1/jobs/${done.id}/logs`)).body.details as { data: string }[]).map((c) => c.data).join("");
    expect(log).toContain(`Pulling image ${privateImage} ...`);
    expect(log).toContain("private-ran");
    expect(log).not.toContain(PASSWORD);
    expect(authed.output()).not.toContain(PASSWORD);
    expect(authed.output()).not.toContain(Buffer.from(`ci:${PASSWORD}`).toString("base64"));
  });
});
