/**
 * The README's run command (scripts/up.sh), as a newcomer would use it: it brings up
 * outpost-server, a local outpost-agent and the sample module, prints the URL and an admin token,
 * and a job submitted with that token completes with its logs readable. The build is done by the
 * test command already, so OUTPOST_SKIP_BUILD skips it here.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { describeDocker, removeTestDir } from "./support/docker.js";
import { TEST_RUN_LABEL_ARG } from "./support/test-run.js";
import { apiClient, until } from "./support/processes.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describeDocker("scripts/up.sh", () => {
  const data = mkdtempSync(join(tmpdir(), "outpost-up-"));
  const child = spawn("bash", ["scripts/up.sh", "--port", "0"], { cwd: ROOT, env: { ...process.env, OUTPOST_DATA: data, OUTPOST_SKIP_BUILD: "1", OUTPOST_CONTAINER_LABELS: TEST_RUN_LABEL_ARG }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));

  afterAll(async () => {
    if (child.pid) process.kill(-child.pid, "SIGTERM");
    await new Promise((r) => child.on("exit", r));
    removeTestDir(data);
  });

  it("brings Outpost up, prints URL and token, and runs a sample job to completion", async () => {
    const [, url, token] = await until("up.sh to print its URL and token", async () => /Outpost is up at (\S+)\s[\s\S]*Admin token: (opat_\S+)/.exec(out), 90_000);
    await until("the local agent's session", async () => /session open/.test(out), 60_000);
    const api = apiClient(url!, token!);
    const created = await api("POST", "/api/v1/jobs", { module: "hello", function: "greet", inputs: { who: "me" } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.details.id as string;
    const done = await until("the job to end", async () => {
      const j = (await api("GET", `/api/v1/jobs/${id}`)).body.details;
      return ["completed", "failed", "cancelled"].includes(j.status) ? j : null;
    }, 60_000);
    expect(done.status).toBe("completed");
    const logs = (await api("GET", `/api/v1/jobs/${id}/logs`)).body.details.map((l: { data: string }) => l.data).join("");
    expect(logs).toContain("hello from outpost");
    expect(logs).toContain('{"who":"me"}');
    const console = await fetch(url!);
    expect(console.status).toBe(200);
  });
});
