/**
 * The README's run command (scripts/up.sh), as a newcomer would use it: it brings up
 * outpost-server, a local outpost-agent and the sample module, prints the URL and where the admin
 * token is (a 0600 file; the token itself is never printed), and a job submitted with that token
 * completes with its logs readable. The local agent registered with a one-use registration token,
 * and no process shows a token on its command line. The build is done by the test command
 * already, so OUTPOST_SKIP_BUILD skips it here.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
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

  it("brings Outpost up, prints URL and the admin token's 0600 file, and runs a sample job to completion", async () => {
    const [, url, tokenFile] = await until("up.sh to print its URL and token file", async () => /Outpost is up at (\S+)\s[\s\S]*Admin token file: (\S+) \(mode 0600/.exec(out), 90_000);
    await until("the local agent's session", async () => /session open/.test(out), 60_000);
    const token = readFileSync(tokenFile!, "utf8").trim();
    expect(token).toMatch(/^opat_/);
    const modeOf = (p: string) => statSync(p).mode & 0o777;
    expect({ data: modeOf(data), token: modeOf(tokenFile!), log: modeOf(join(data, "server.log")), db: modeOf(join(data, "outpost.db")) }).toEqual({ data: 0o700, token: 0o600, log: 0o600, db: 0o600 });
    expect(out).not.toContain(token);
    expect(out).not.toMatch(/opat_[0-9A-Za-z]{20,}/);
    // What ps shows of up.sh's processes (the ones naming this data dir) carries no token.
    const ps = spawnSync("ps", ["-eww", "-o", "args="], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.includes(data));
    expect(ps.some((l) => l.includes("outpost-agent"))).toBe(true);
    for (const line of ps) expect(line).not.toMatch(/opat_/);
    const api = apiClient(url!, token);
    // The agent registered with a registration token: one use, spent, and expiring soon.
    const tokens = (await api("GET", "/api/v1/tokens")).body.details as { name: string; scopes: string[]; max_uses: number | null; uses: number; uses_left: number | null; expires_at: string | null }[];
    const reg = tokens.find((x) => x.name === "up.sh local agent");
    expect(reg).toMatchObject({ scopes: ["agents:register"], max_uses: 1, uses: 1, uses_left: 0 });
    expect(Date.parse(reg!.expires_at!) - Date.now()).toBeLessThan(11 * 60_000);
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

  it("asks no public registry: no script pulls an image", () => {
    const scripts = join(ROOT, "scripts");
    const files = readdirSync(scripts, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect(readFileSync(join(f.parentPath, f.name), "utf8"), f.name).not.toMatch(/docker\s+pull|\.pull\(/);
  });
});
