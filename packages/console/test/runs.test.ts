/** Runs: the list and its filters, run detail (facts, error step, steps, live logs, report, share, download), cancel, delete, live updates. */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { openConsole, screenshot, unlabelledControls, type ConsolePage } from "./support/browser.js";
import { useConsoleSuite } from "./support/console-suite.js";
import { seed, type Seed } from "./support/seed.js";

const suite = useConsoleSuite();
let d: Seed;
let c: ConsolePage;
let page: Page;

beforeAll(async () => {
  d = await seed(suite.server, { fleet: false });
});

async function open(path = "/runs", width = 1280) {
  c = await suite.open({ token: suite.server.adminToken, width });
  page = c.page;
  await page.goto(path);
  if (!path.startsWith("/runs/")) await page.getByRole("heading", { name: "Runs", exact: true }).waitFor();
  else await page.locator(".run-detail h2").waitFor();
}
const runRows = () => page.locator(".runs-table tbody tr");
const runRow = (id: string) => page.locator(`.runs-table tbody tr[data-run-id="${id}"]`);
const rowCount = (n: number) => page.waitForFunction((n) => document.querySelectorAll(".runs-table tbody tr").length === n, n);
const detail = () => page.getByRole("complementary", { name: /\./ });

describe("Runs", () => {
  it("lists runs with their status labels, newest first", async () => {
    await open();
    await rowCount(4);
    expect(await runRows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run-id")))).toEqual([d.runs.pending, d.runs.running, d.runs.failed, d.runs.completed]);
    expect(await page.locator(".runs-table tbody .badge").allInnerTexts()).toEqual(["Pending", "Running", "Failed", "Completed"]);
    await expect(runRow(d.runs.pending).innerText()).resolves.toContain("Waiting");
    await screenshot(page, "runs");
  });

  it("filters by status, agent, trigger source, pool and date range", async () => {
    await open();
    await rowCount(4);
    await page.getByLabel("Status").selectOption("failed");
    await rowCount(1);
    await runRow(d.runs.failed).waitFor();
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Agent").selectOption({ label: "gpu-runner" });
    await rowCount(1);
    await runRow(d.runs.completed).waitFor();
    await page.getByLabel("Agent").selectOption("");
    await page.getByLabel("Trigger source").selectOption("webhook");
    await rowCount(1);
    await runRow(d.runs.running).waitFor();
    await page.getByLabel("Trigger source").selectOption("");
    await page.getByLabel("Pool").selectOption({ label: "Staging" });
    await rowCount(1);
    await runRow(d.runs.pending).waitFor();
    await page.getByLabel("Pool").selectOption("");
    await rowCount(4);
    await page.getByLabel("From").fill("2099-01-01T00:00");
    await page.getByText("No runs match these filters.").waitFor();
    await page.getByLabel("From").fill("2000-01-01T00:00");
    await page.getByLabel("To").fill("2099-01-01T00:00");
    await rowCount(4);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await rowCount(4);
  });

  it("keeps filters in the URL: a filtered view survives a reload and opening a run; View runs on an agent links here", async () => {
    await open(`/runs?status=failed`);
    await rowCount(1);
    expect(await page.getByLabel("Status").inputValue()).toBe("failed");
    await page.reload();
    await runRow(d.runs.failed).getByRole("button", { name: /Open run/ }).click();
    await page.waitForURL(new RegExp(`/runs/${d.runs.failed}\\?status=failed$`));
    await detail().getByRole("button", { name: "Close run details" }).click();
    await page.waitForURL(/\/runs\?status=failed$/);
    await rowCount(1);

    await page.goto("/agents");
    await page.getByRole("button", { name: "Open details of gpu-runner" }).click();
    await page.getByRole("region", { name: "Agent details: gpu-runner" }).getByRole("link", { name: "View runs" }).click();
    await page.waitForURL(new RegExp(`/runs\\?agent=${d.agents.gpu}$`));
    await rowCount(1);
    await runRow(d.runs.completed).waitFor();
    // The select shows the filter once the agents list it picks from has loaded.
    await page.waitForFunction((id) => (document.getElementById("runs-agent") as HTMLSelectElement | null)?.value === id, d.agents.gpu);
  });

  it("shows a completed run's facts, steps, logs and report inline, with a share link that opens without signing in, and a download", async () => {
    await open();
    await runRow(d.runs.completed).locator("td").nth(2).click();
    await page.waitForURL(new RegExp(`/runs/${d.runs.completed}$`));
    const run = detail();
    await run.getByRole("heading", { name: "Report" }).waitFor();
    const facts = await run.locator(".facts").innerText();
    for (const text of ["Completed", "nightly-scan", "Schedule", "gpu-runner", "Started", "Completed", "Duration", "scanner 2.1.0"]) expect(facts).toContain(text);
    await expect(run.locator(".code-block").first().innerText()).resolves.toContain('"cluster": "eu-1"');
    await run.getByText("2 of 2 done").waitFor();
    await run.getByLabel("Run logs").getByText("3 namespaces scanned").waitFor();
    const report = run.locator(".report");
    await report.getByRole("heading", { name: "Cluster scan" }).waitFor();
    await report.getByRole("cell", { name: "payments" }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "run-completed");

    const [download] = await Promise.all([page.waitForEvent("download"), run.getByRole("button", { name: "Download" }).click()]);
    expect(download.suggestedFilename()).toBe(`report-${d.runs.completed}.md`);
    expect(readFileSync((await download.path())!, "utf8")).toContain("# Cluster scan");

    await run.getByRole("button", { name: "Share link" }).click();
    const url = await run.getByLabel(/Read-only link, expires/).inputValue();
    expect(url).toMatch(new RegExp(`^${suite.server.baseUrl}/shared/reports/oshr_`));
    const stranger = await openConsole(suite.browser, suite.server.baseUrl); // no token
    await stranger.page.goto(url);
    await stranger.page.getByRole("heading", { name: "Cluster scan" }).waitFor();
    await stranger.page.getByText("read-only link").waitFor();
    await screenshot(stranger.page, "shared-report");
    expect(stranger.errors()).toEqual([]);
    await stranger.context.close();
  });

  it("shows a failed run's error with the failing step and its stderr", async () => {
    await open(`/runs/${d.runs.failed}`);
    const run = detail();
    const error = run.getByRole("alert", { name: "Error details" });
    await error.waitFor();
    const text = await error.innerText();
    expect(text).toContain("The function exited with an error");
    expect(text).toContain("Failed at step greet");
    expect(text).toContain("Process exited with code 2");
    await run.locator(".log-stderr", { hasText: "the greeting service refused" }).waitFor();
    await run.locator(".step-failed", { hasText: "greet" }).waitFor();
    await screenshot(page, "run-failed");
  });

  it("follows a running run live: logs, steps, status and report arrive without a reload", async () => {
    await open(`/runs/${d.runs.running}`);
    const run = detail();
    const logs = run.getByLabel("Run logs");
    await logs.getByText("building…").waitFor();
    await run.getByText("Live", { exact: true }).waitFor();
    await run.getByText("1 of 3 done").waitFor();
    await screenshot(page, "run-running");

    const driver = d.drivers.running;
    driver.log("compiled 42 files\n");
    await logs.getByText("compiled 42 files").waitFor();
    driver.steps([{ name: "build", status: "completed" }, { name: "publish", status: "running" }]);
    await run.getByText("2 of 3 done").waitFor();
    driver
      .log("published\n")
      .steps([{ name: "publish", status: "completed" }])
      .report({ markdown: "## Release\n\nPublished **v1.2.3**." })
      .finish({ outcome: "completed", exitCode: 0, reason: null, message: null });
    await run.locator(".run-detail-head .badge", { hasText: "Completed" }).waitFor();
    await run.locator(".report").getByRole("heading", { name: "Release" }).waitFor();
    await logs.getByText("published").waitFor();
    await run.getByText("Live", { exact: true }).waitFor({ state: "detached" });
    await runRow(d.runs.running).locator(".badge", { hasText: "Completed" }).waitFor();
  });

  it("shows a run created elsewhere without a reload, and cancels a pending run after confirming", async () => {
    await open();
    await rowCount(4);
    const created = await suite.server.call("POST", "/jobs", { module: "hello", function: "greet", inputs: { who: "later" }, pool_id: d.pools.staging });
    await runRow(created.id).waitFor();
    await runRow(created.id).getByRole("button", { name: /Open run/ }).click();
    const run = detail();
    // Pending: the detail says why it waits.
    expect((await run.locator(".fact-note").innerText()).length).toBeGreaterThan(5);
    await run.getByRole("button", { name: "Cancel run" }).click();
    await page.getByRole("dialog", { name: "Cancel this run?" }).getByRole("button", { name: "Cancel run" }).click();
    await run.locator(".run-detail-head .badge", { hasText: "Cancelled" }).waitFor();
    await runRow(created.id).locator(".badge", { hasText: "Cancelled" }).waitFor();
    expect((await suite.server.call("GET", `/jobs/${created.id}`)).status).toBe("cancelled");
  });

  it("deletes the selected runs and their reports after confirming", async () => {
    await open();
    await page.getByLabel(`Select run scanner.scan ${d.runs.completed}`).check();
    await page.getByLabel(`Select run hello.greet ${d.runs.failed}`).check();
    const bar = page.getByRole("region", { name: "Selected runs" });
    await bar.getByText("2 runs selected").waitFor();
    await bar.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog", { name: "Delete 2 runs?" }).getByRole("button", { name: "Delete" }).click();
    await page.locator(".toast", { hasText: "Deleted 2 runs and their reports." }).waitFor();
    await runRow(d.runs.completed).waitFor({ state: "detached" });
    await runRow(d.runs.failed).waitFor({ state: "detached" });
    expect((await suite.server.t.api("GET", `/api/v1/jobs/${d.runs.completed}`)).status).toBe(404);
    expect((await suite.server.t.api("GET", `/api/v1/jobs/${d.runs.completed}/report`)).status).toBe(404);
  });

  it("at 800 px wide, an open run takes the page and Close returns to the list", async () => {
    await open(`/runs/${d.runs.running}`, 800);
    const run = detail();
    await run.getByLabel("Run logs").waitFor();
    expect(await page.locator(".runs-list").isVisible()).toBe(false);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, "run-detail-800");
    await run.getByRole("button", { name: "Close run details" }).click();
    await page.waitForURL(/\/runs$/);
    await page.locator(".runs-list").waitFor();
    await screenshot(page, "runs-800");
  });
});
