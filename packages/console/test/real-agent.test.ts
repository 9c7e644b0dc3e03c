/**
 * A real outpost-agent process (packages/daemon) registers with a token, connects over its
 * WebSocket session and runs a job in a real container on dockerd; the console shows it all live:
 * the agent appearing and going Idle, then the run's logs, steps, status and report; then a webhook
 * trigger's job, from a signed delivery over HTTP to the Completed run its firing links to.
 * Needs a Docker engine (describeDocker: without one the suite fails, saying so).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, openConsole, screenshot, type ConsolePage } from "./support/browser.js";
import { signDelivery } from "@outpost/control-plane/testing";
import { startServer, type Server } from "./support/server.js";
import { describeDocker, ensureTestImage, removeTestDir, TEST_IMAGE as IMAGE } from "../../daemon/test/support/docker.js";

const AGENT_BIN = fileURLToPath(new URL("../../daemon/bin/outpost-agent.js", import.meta.url));
const STEP = (name: string, status: string) => `echo '::outpost::step {"name":"${name}","status":"${status}"}'`;

describeDocker("A real outpost-agent in the console", () => {
  let s: Server;
  let browser: Browser;
  let c: ConsolePage;
  let agent: ChildProcess | null = null;
  let agentOutput = "";
  let dataDir: string;

  beforeAll(async () => {
    await ensureTestImage();
    s = await startServer();
    await s.call("POST", "/modules", {
      name: "release",
      version: "1.0.0",
      image: IMAGE,
      functions: [
        {
          name: "ship",
          display_name: "Ship a release",
          command: ["sh", "-c", [STEP("build", "running"), 'echo "building $(cat "$OUTPOST_INPUTS")"', STEP("build", "completed"), STEP("publish", "running"), "echo published", STEP("publish", "completed"), `printf '# Shipped\\n\\nAll **3** artifacts published.\\n' > "$OUTPOST_OUTPUT_DIR/report.md"`].join("; ")],
          input_schema: { type: "object", properties: { tag: { type: "string" } } },
        },
      ],
    });
    dataDir = mkdtempSync(join(tmpdir(), "outpost-console-agent-"));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent!.once("exit", resolve));
      agent.kill("SIGTERM");
      await exited;
    }
    await c?.context.close();
    await browser?.close();
    await s?.close();
    if (dataDir) removeTestDir(dataDir);
  });

  it("shows the agent arrive and go Idle, then follows its job live to a Completed run with a report", async () => {
    c = await openConsole(browser, s.baseUrl, { token: s.adminToken });
    const { page } = c;
    await page.goto("/agents");
    await page.getByText("No agents yet.").waitFor();

    const registerToken = (await s.call("POST", "/tokens", { name: "real agent", scopes: ["agents:register", "read"] })).token;
    agent = spawn(process.execPath, [AGENT_BIN, "run", "--url", s.baseUrl, "--token", registerToken, "--name", "real-agent", "--data-dir", dataDir, "--module", "release@1.0.0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    agent.stdout!.on("data", (d: Buffer) => (agentOutput += d.toString()));
    agent.stderr!.on("data", (d: Buffer) => (agentOutput += d.toString()));

    // Appears without a reload (agent.updated on the change feed), then connects: Idle.
    const row = page.locator("tbody tr", { has: page.getByRole("button", { name: "Open details of real-agent" }) });
    try {
      await row.locator(".badge", { hasText: "Idle" }).waitFor({ timeout: 20_000 });
    } catch (err) {
      throw new Error(`${String(err)}\nagent output:\n${agentOutput.slice(-3000)}`);
    }
    await row.getByRole("button", { name: "Module release" }).waitFor();
    const agentId = (await row.getAttribute("data-agent-id"))!;

    await page.getByRole("link", { name: "Runs" }).click();
    await page.getByText("No runs yet.").waitFor();
    const job = await s.call("POST", "/jobs", { module: "release", function: "ship", inputs: { tag: "v1.2.3" }, agent_id: agentId });
    const runRow = page.locator(`.runs-table tbody tr[data-run-id="${job.id}"]`);
    await runRow.getByRole("button", { name: /Open run/ }).click();
    const run = page.locator(".run-detail");
    await run.locator(".run-detail-head .badge", { hasText: "Completed" }).waitFor({ timeout: 30_000 });
    await run.getByLabel("Run logs").getByText('building {"tag":"v1.2.3"}').waitFor();
    await run.getByLabel("Run logs").getByText("published").waitFor();
    await run.getByText("2 of 2 done").waitFor();
    await run.locator(".report").getByRole("heading", { name: "Shipped" }).waitFor();
    await runRow.locator(".badge", { hasText: "Completed" }).waitFor();
    await screenshot(page, "run-real-agent");
    expect(c.errors()).toEqual([]);
  });

  it("runs a webhook trigger's job end to end: a signed delivery over HTTP, the real agent runs it, the trigger's firing links to the Completed run", async () => {
    const agentId = (await s.call<{ id: string; name: string }[]>("GET", "/agents?limit=10")).find((a) => a.name === "real-agent")!.id;
    const hook = await s.call<{ id: string; hook_path: string; secret: string }>("POST", "/triggers", {
      name: "release-hook",
      kind: "webhook",
      target: { module: "release", function: "ship", inputs: { tag: "from-hook" }, agent_id: agentId },
    });
    const body = JSON.stringify({ ref: "refs/tags/v2" });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${s.baseUrl}${hook.hook_path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-outpost-timestamp": timestamp, "x-outpost-delivery": "delivery-1", "x-outpost-signature-256": signDelivery(hook.secret, timestamp, body) },
      body,
    });
    expect(res.status).toBe(202);
    const jobId = ((await res.json()) as { details: { job_id: string } }).details.job_id;

    const { page } = c;
    await page.goto(`/triggers/${hook.id}`);
    const firing = page.getByRole("table", { name: "Recent firings" }).getByRole("link", { name: jobId });
    await firing.click();
    const run = page.locator(".run-detail");
    await run.locator(".run-detail-head .badge", { hasText: "Completed" }).waitFor({ timeout: 30_000 });
    await run.getByLabel("Run logs").getByText(/building .*"from-hook".*refs\/tags\/v2/).waitFor();
    await run.getByRole("link", { name: "release-hook" }).waitFor();
    expect(await run.innerText()).toContain("(Webhook)");
    await screenshot(page, "run-triggered-real-agent");
    expect(await s.call("GET", `/jobs/${jobId}`)).toMatchObject({ status: "completed", trigger_source: "webhook", triggered_by: "release-hook", trigger_id: hook.id });
    expect(c.errors()).toEqual([]);
  });
});
