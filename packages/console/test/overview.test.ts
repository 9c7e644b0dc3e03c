/** Issue 15 §5-6 in the console: the Overview page (charts, live), agent labels (list, filter, detail) and the agent detail's facts. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { screenshot, unlabelledControls, type ConsolePage } from "./support/browser.js";
import { useConsoleSuite } from "./support/console-suite.js";
import { registerAgent } from "./support/server.js";
import { seed, type Seed } from "./support/seed.js";

const suite = useConsoleSuite();
let d: Seed;
let c: ConsolePage;
let page: Page;

beforeAll(async () => {
  d = await seed(suite.server, { fleet: false });
  await suite.server.call("PATCH", `/agents/${d.agents.gpu}`, { labels: { gpu: "true", zone: "eu" } });
  await suite.server.call("PATCH", `/agents/${d.agents.build}`, { labels: { gpu: "false" } });
  await registerAgent(suite.server, d.registerToken, { name: "old-timer", version: "0.0.9" });
  await suite.server.call("POST", "/jobs", { module: "hello", function: "greet", inputs: { who: "pool" }, pool_id: d.pools.production });
});

describe("Overview", () => {
  it("shows agents by status and jobs per minute as charts, queue wait p50/p95, busiest pools, older agents and recent failures; refreshes live", async () => {
    c = await suite.open({ token: suite.server.adminToken, width: 1400 });
    page = c.page;
    await page.goto("/overview");
    const main = page.getByRole("main", { name: "Overview" });
    await main.getByRole("heading", { name: "Agents by status" }).waitFor();
    // Charts drawn by uPlot on canvases, with legends.
    await main.getByRole("img", { name: "Agents by status" }).locator("canvas").waitFor();
    await main.getByRole("img", { name: "Jobs per minute by outcome" }).locator("canvas").waitFor();
    const text = await main.innerText();
    expect(text).toMatch(/\d+ active agents/);
    expect(text).toContain("Queue wait, last 24 h");
    await expect(page.getByTestId("wait-p50").innerText()).resolves.not.toBe("");
    expect(text).toContain("old-timer");
    expect(text).toMatch(/production/i);
    const failure = main.getByRole("region", { name: "Recent failures" }).getByRole("link").first();
    await expect(failure.getAttribute("href")).resolves.toBe(`/runs/${d.runs.failed}`);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "overview");

    // Live: a new agent shows up without a reload.
    const before = Number(/(\d+) active agents/.exec(await main.innerText())![1]);
    // Its session's hello publishes the change.
    await registerAgent(suite.server, d.registerToken, { name: "late-joiner" });
    await main.getByText(`${before + 1} active agents`).waitFor();
  });
});

describe("agent labels and facts", () => {
  it("lists labels, filters by them, and shows hostname, CPU, memory, slots, labels, last seen and the current run in the detail", async () => {
    c = await suite.open({ token: suite.server.adminToken, width: 1600 });
    page = c.page;
    await page.goto("/agents");
    await page.getByRole("button", { name: "Open details of gpu-runner" }).waitFor();
    const table = page.getByRole("region", { name: "Agents" }).getByRole("table");
    const gpuRow = table.locator("tbody tr", { has: page.getByRole("button", { name: "Open details of gpu-runner", exact: true }) });
    await expect(gpuRow.innerText()).resolves.toContain("gpu=true");
    await page.getByLabel("Labels").fill("gpu=true");
    await page.waitForFunction(() => document.querySelectorAll("tbody .agent-name").length === 1);
    await expect(table.locator("tbody .agent-name").allInnerTexts()).resolves.toEqual(["gpu-runner"]);
    await page.getByLabel("Labels").fill("gpu");
    await page.waitForFunction(() => document.querySelectorAll("tbody .agent-name").length === 2);

    await page.getByRole("button", { name: "Open details of build-box-01" }).click();
    const facts = page.getByRole("definition").first().locator("xpath=ancestor::dl");
    await facts.waitFor();
    const factsText = await facts.innerText();
    expect(factsText).toContain("Hostname");
    expect(factsText).toContain("build-box-01.local");
    expect(factsText).toContain("gpu=false");
    expect(factsText).toMatch(/Slots\s*1/);
    const current = facts.getByRole("link");
    await expect(current.getAttribute("href")).resolves.toBe(`/runs/${d.runs.running}`);
    await screenshot(page, "agent-detail-facts");
  });
});
