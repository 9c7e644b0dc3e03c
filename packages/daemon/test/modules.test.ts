/**
 * Modules on hosts against a real registry: Debian's docker-registry on 127.0.0.1 (dockerd allows
 * plain http to 127.0.0.0/8), the test image pushed to it and its local copy removed, a real
 * outpost-server and outpost-agent as processes. Install pulls from the registry (UpdatingModule,
 * then Idle, history succeeded, a job runs); a missing tag ends UpdateFailed with the registry's
 * message; remove forgets the module. modules.json survives a restart. ModuleManager is also run
 * on its own against the registry, to see the frames it sends and its progress throttle; and, with
 * no Docker, on a modules.json it cannot use.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, type AgentFrame } from "@outpost/shared";
import { ModuleManager } from "../src/modules.js";
import { DockerRuntime } from "../src/runtime/docker.js";
import type { ContainerRuntime } from "../src/runtime/types.js";
import { describeDocker, ensureTestImage, removeTestDir, TEST_IMAGE } from "./support/docker.js";
import { AGENT_BIN, freePort, startProc, startServer, until, type Proc, type ServerProc } from "./support/processes.js";

const REGISTRY_BIN = "/usr/bin/docker-registry";
const docker = new Dockerode();

let dir: string;
let registry: ChildProcess | null = null;
let registryLog = "";
let repo: string; // 127.0.0.1:<port>/outpost-test/busybox
let server: ServerProc;
const agents: Proc[] = [];

/** Runs a docker pull/push stream to its end; throws with the daemon's message when it failed. */
async function follow(stream: NodeJS.ReadableStream): Promise<void> {
  const events = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => (err ? reject(err) : resolve(out))),
  );
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(failed.error);
}

async function startRegistry(): Promise<string> {
  const port = await freePort();
  const storage = join(dir, "registry");
  const config = join(dir, "registry.yml");
  writeFileSync(
    config,
    ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:", `    rootdirectory: ${storage}`, "  delete:", "    enabled: true", "http:", `  addr: 127.0.0.1:${port}`, ""].join("\n"),
  );
  registry = spawn(REGISTRY_BIN, ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
  registry.stdout!.on("data", (d: Buffer) => (registryLog += d.toString()));
  registry.stderr!.on("data", (d: Buffer) => (registryLog += d.toString()));
  await until("the registry to answer", async () => (await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => null))?.status === 200, 15_000);
  return `127.0.0.1:${port}`;
}

function startAgent(name: string): Proc {
  const p = startProc(AGENT_BIN, ["run", "--url", server.url, "--token", server.token, "--name", name, "--data-dir", join(dir, name), "--log-level", "info"]);
  agents.push(p);
  return p;
}

const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
const history = async (id: string) => (await api("GET", `/api/v1/agents/${id}/module-history?order=asc`)).body.details;
const statuses = async (id: string) =>
  (await api("GET", `/api/v1/agents/${id}/status-history?order=asc&limit=200`)).body.details.map((h: { to: string; reason: string }) => `${h.to}:${h.reason}`);
const modulesOf = async (id: string) => (await api("GET", `/api/v1/agents/${id}/modules`)).body.details.map((m: { name: string; version: string }) => `${m.name}@${m.version}`);
const closed = (id: string, requestId: string) =>
  until(`module request ${requestId} to end`, async () => {
    const h = (await history(id)).find((e: { id: number }) => String(e.id) === requestId);
    return h && h.outcome !== "started" ? h : null;
  }, 60_000);

describeDocker("modules on hosts, pulled from a real registry", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "outpost-modules-"));
    await ensureTestImage();
    const host = await startRegistry();
    repo = `${host}/outpost-test/busybox`;
    // Push the test image as repo:1, then drop the local tag so the agent must pull it.
    await docker.getImage(TEST_IMAGE).tag({ repo, tag: "1" });
    await follow((await docker.getImage(`${repo}:1`).push({ authconfig: { serveraddress: host } })) as unknown as NodeJS.ReadableStream);
    await docker.getImage(`${repo}:1`).remove();
    expect(await docker.getImage(`${repo}:1`).inspect().then(() => true, () => false)).toBe(false);

    server = await startServer(join(dir, "outpost.db"), ["--heartbeat", "1"]);
    const fn = { name: "hi", display_name: "Hi", command: ["sh", "-c", "echo hello from the registry image"] };
    expect((await api("POST", "/api/v1/modules", { name: "reg", version: "1.0.0", image: `${repo}:1`, functions: [fn] })).status).toBe(201);
    expect((await api("POST", "/api/v1/modules", { name: "reg", version: "2.0.0", image: `${repo}:no-such-tag`, functions: [fn] })).status).toBe(201);
  });

  afterAll(async () => {
    for (const a of agents) await a.kill("SIGKILL");
    await server?.proc.kill("SIGTERM");
    registry?.kill("SIGTERM");
    if (repo) await docker.getImage(`${repo}:1`).remove().catch(() => {});
    removeTestDir(dir);
  });

  it("installs from the registry (UpdatingModule, then Idle), records it, runs its job, keeps it across a restart; a missing tag ends UpdateFailed with the registry's message; remove forgets it", async () => {
    let agent = startAgent("mod");
    await agent.waitFor(/session open/);
    const id = (await api("GET", "/api/v1/agents?q=mod&search_by=name")).body.details[0].id as string;
    expect(await modulesOf(id)).toEqual([]);

    // A job for the module waits, saying why.
    const job = await api("POST", "/api/v1/jobs", { module: "reg", version: "1.0.0", function: "hi", inputs: {} });
    expect(job.status).toBe(201);
    const jobId = job.body.details.id as string;
    expect((await api("GET", `/api/v1/jobs/${jobId}`)).body.details.waiting_reason).toBe("No eligible agent has module reg@1.0.0 installed.");

    // ---- install: pulled from the registry ----
    const install = await api("POST", `/api/v1/agents/${id}/modules`, { name: "reg", version: "1.0.0" });
    expect(install.status, JSON.stringify(install.body)).toBe(202);
    expect(install.body.details).toMatchObject({ action: "install", from_version: null, to_version: "1.0.0", image: `${repo}:1` });
    const installed = await closed(id, install.body.details.request_id);
    console.log("install history entry:", JSON.stringify(installed));
    expect(installed).toMatchObject({ module: "reg", action: "install", to_version: "1.0.0", outcome: "succeeded" });
    expect(installed.message).toContain(`installed reg@1.0.0 from ${repo}:1`);
    expect(await docker.getImage(`${repo}:1`).inspect().then(() => true, () => false)).toBe(true);
    const file = JSON.parse(readFileSync(join(dir, "mod", "modules.json"), "utf8"));
    expect(file.modules).toMatchObject([{ name: "reg", version: "1.0.0", image: `${repo}:1` }]);
    expect(await modulesOf(id)).toEqual(["reg@1.0.0"]);
    // The agent logged pull progress; the server got it as module_progress before the result.
    expect(agent.output()).toMatch(/pulling module image/);

    // The waiting job runs on it.
    const done = await until("the job to end", async () => {
      const j = (await api("GET", `/api/v1/jobs/${jobId}`)).body.details;
      return ["completed", "failed", "cancelled"].includes(j.status) ? j : null;
    }, 60_000);
    expect(done).toMatchObject({ status: "completed", exit_code: 0, agent_id: id });
    const logs = (await api("GET", `/api/v1/jobs/${jobId}/logs`)).body.details.map((c: { data: string }) => c.data).join("");
    expect(logs).toContain("hello from the registry image");
    const seq = await statuses(id);
    console.log("status history:", seq.join(" -> "));
    const u = seq.indexOf("UpdatingModule:module_update");
    expect(u).toBeGreaterThan(0);
    expect(seq[u + 1]).toBe("Idle:module_updated");

    // ---- restart: modules.json is reported again, nothing changes in the history ----
    const before = (await history(id)).length;
    await agent.kill("SIGTERM");
    agent = startAgent("mod");
    await agent.waitFor(/session open/);
    await until("Idle again", async () => (await api("GET", `/api/v1/agents/${id}`)).body.details.status === "Idle");
    expect(await modulesOf(id)).toEqual(["reg@1.0.0"]);
    expect((await history(id)).length).toBe(before);

    // ---- update to a tag the registry does not have ----
    const update = await api("POST", `/api/v1/agents/${id}/modules`, { name: "reg", version: "2.0.0" });
    expect(update.status, JSON.stringify(update.body)).toBe(202);
    expect(update.body.details).toMatchObject({ action: "update", from_version: "1.0.0", to_version: "2.0.0" });
    const failed = await closed(id, update.body.details.request_id);
    console.log("failed update history entry:", JSON.stringify(failed));
    expect(failed).toMatchObject({ action: "update", from_version: "1.0.0", to_version: "2.0.0", outcome: "failed" });
    expect(failed.message).toContain("manifest unknown"); // the registry's own error
    expect((await api("GET", `/api/v1/agents/${id}`)).body.details.status).toBe("UpdateFailed");
    expect((await statuses(id)).slice(-2)).toEqual(["UpdatingModule:module_update", "UpdateFailed:module_update_failed"]);
    expect(await modulesOf(id)).toEqual(["reg@1.0.0"]);

    // ---- remove ----
    const remove = await api("DELETE", `/api/v1/agents/${id}/modules/reg`);
    expect(remove.status, JSON.stringify(remove.body)).toBe(202);
    const removed = await closed(id, remove.body.details.request_id);
    expect(removed).toMatchObject({ module: "reg", action: "remove", from_version: "1.0.0", to_version: null, outcome: "succeeded" });
    expect(await modulesOf(id)).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, "mod", "modules.json"), "utf8")).modules).toEqual([]);
    expect((await statuses(id)).at(-1)).toBe("Idle:module_updated");
    const next = await api("POST", "/api/v1/jobs", { module: "reg", version: "1.0.0", function: "hi", inputs: {} });
    expect((await api("GET", `/api/v1/jobs/${next.body.details.id}`)).body.details.waiting_reason).toBe("No eligible agent has module reg@1.0.0 installed.");
    expect(existsSync(join(dir, "mod", "modules.json"))).toBe(true);
  });
  it("ModuleManager sends pulling progress then one result per request, at most one progress frame per 500 ms, and keeps unsent results for the next welcome", async () => {
    const image = `${repo}:1`;
    await docker.getImage(image).remove().catch(() => {});
    const runtime = new DockerRuntime({ scratchDir: join(dir, "mm-jobs") });
    const run = async (clock: () => number, link = { up: true }) => {
      const frames: AgentFrame[] = [];
      const dataDir = mkdtempSync(join(dir, "mm-"));
      const m = await ModuleManager.load({ dataDir, runtime, log: pino({ level: "silent" }), flags: [], send: (f) => (link.up ? (frames.push(f), true) : false), clock });
      await docker.getImage(image).remove().catch(() => {});
      m.handle({ v: PROTOCOL_VERSION, type: "module", action: "install", request_id: "7", name: "reg", version: "1.0.0", image });
      await m.idle();
      return { m, frames, dataDir };
    };
    // A clock that never moves: only the first "pulling" line goes out, however many events docker sends.
    const frozen = await run(() => 0);
    expect(frozen.frames.map((f) => f.type)).toEqual(["module_progress", "module_result"]);
    expect(frozen.frames[0]).toEqual({ v: PROTOCOL_VERSION, type: "module_progress", request_id: "7", name: "reg", version: "1.0.0", message: `pulling ${image}` });
    expect(frozen.frames[1]).toMatchObject({ type: "module_result", request_id: "7", action: "install", outcome: "succeeded" });
    expect(frozen.m.has({ name: "reg", version: "1.0.0" })).toBe(true);
    // A clock that moves 1 s per event: each docker event is forwarded, each naming what it is.
    let t = 0;
    const moving = await run(() => (t += 1000));
    const progress = moving.frames.filter((f) => f.type === "module_progress");
    console.log("progress frames:", progress.map((f) => (f as { message: string }).message).join(" | "));
    expect(progress.length).toBeGreaterThan(1);
    expect(moving.frames.at(-1)!.type).toBe("module_result");
    // Session down: the result is kept and sent by resend() (after the next welcome).
    const link = { up: false };
    const offline = await run(() => 0, link);
    expect(offline.frames).toEqual([]);
    link.up = true;
    offline.m.resend();
    expect(offline.frames).toMatchObject([{ type: "module_result", request_id: "7", outcome: "succeeded" }]);
  });
});

describe("ModuleManager.load on a modules.json it cannot use", () => {
  it("warns and ignores a file that is not JSON or not the expected shape, keeping the flags", async () => {
    const root = mkdtempSync(join(tmpdir(), "outpost-modules-file-"));
    // Every image is present: only the file's contents decide.
    const runtime = { hasImage: async () => true } as unknown as ContainerRuntime;
    try {
      for (const [name, text] of [["not-json", "{ not json"], ["wrong-shape", JSON.stringify({ modules: [{ name: "x" }] })]]) {
        const dataDir = join(root, name!);
        mkdirSync(dataDir);
        writeFileSync(join(dataDir, "modules.json"), text!);
        const lines: string[] = [];
        const log = pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
        const m = await ModuleManager.load({ dataDir, runtime, log, flags: [{ name: "flag", version: "1.0.0" }], send: () => true });
        expect(m.list(), name).toEqual([{ name: "flag", version: "1.0.0" }]);
        expect(lines.map((l) => JSON.parse(l).msg), name).toEqual(["modules.json is not valid; ignoring it"]);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("installs a module without an image of its own (image \"\") without pulling anything, and keeps it across a reload", async () => {
    const root = mkdtempSync(join(tmpdir(), "outpost-modules-noimage-"));
    // Any call to Docker fails the test: there is nothing to pull or look for.
    const touched: string[] = [];
    const runtime = {
      hasImage: async (image: string) => (touched.push(`hasImage ${image}`), false),
      pullImage: async (image: string) => (touched.push(`pullImage ${image}`), undefined),
    } as unknown as ContainerRuntime;
    try {
      const frames: AgentFrame[] = [];
      const m = await ModuleManager.load({ dataDir: root, runtime, log: pino({ level: "silent" }), flags: [], send: (f) => (frames.push(f), true) });
      m.handle({ v: PROTOCOL_VERSION, type: "module", action: "install", request_id: "9", name: "bare", version: "1.0.0", image: "" });
      await m.idle();
      expect(frames).toMatchObject([{ type: "module_result", request_id: "9", action: "install", outcome: "succeeded", message: "installed bare@1.0.0 (no image of its own)" }]);
      const again = await ModuleManager.load({ dataDir: root, runtime, log: pino({ level: "silent" }), flags: [], send: () => true });
      expect(again.has({ name: "bare", version: "1.0.0" })).toBe(true);
      expect(touched).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
