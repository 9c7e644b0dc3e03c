/** Issue 12 §8: the Triggers page (list, create each kind, webhook secret once, pause/resume/delete), "Retrying in N s", Triggered-by links. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { screenshot, unlabelledControls } from "./support/browser.js";
import { useConsoleSuite } from "./support/console-suite.js";
import { seed } from "./support/seed.js";

const suite = useConsoleSuite();
let page: Page;
let scheduleId: string;
let retryingRun: string;

beforeAll(async () => {
  await seed(suite.server, { fleet: false });
  const s = suite.server;
  scheduleId = (await s.call<{ id: string }>("POST", "/triggers", { name: "nightly-greet", kind: "schedule", target: { module: "hello", function: "greet", inputs: { who: "cron" } }, schedule: { cron: "0 2 * * *", timezone: "Europe/Berlin" } })).id;
  await s.call("POST", "/triggers", { name: "github-push", kind: "webhook", target: { module: "hello", function: "greet", inputs: { who: "hook" } } });
  retryingRun = (await s.call<{ id: string }>("POST", "/jobs", { module: "hello", function: "greet", inputs: { who: "retry" }, retry: { max_attempts: 3, backoff_s: 10 } })).id;
  // As the retry path leaves it after a failed attempt of a job this schedule started (test/retry.test.ts covers the path itself).
  s.t.deps.db.$client
    .prepare(`update jobs set status = 'retrying', attempt = 1, retry_at = ?, error_reason = 'exit_code', error_message = 'exit 2', trigger_source = 'schedule', triggered_by = 'nightly-greet', trigger_id = ? where id = ?`)
    .run(new Date(Date.now() + 60_000).toISOString(), scheduleId, retryingRun);
});

async function open(path: string) {
  page = (await suite.open({ token: suite.server.adminToken })).page;
  await page.goto(path);
}
const row = (name: string) => page.locator(".triggers-table tbody tr", { hasText: name });

describe("Triggers page", () => {
  it("lists triggers with kind, next firing or URL, and enabled; creates a schedule and a webhook (secret once); pauses, resumes and deletes", async () => {
    await open("/triggers");
    await page.getByRole("heading", { name: "Triggers" }).waitFor();
    await row("nightly-greet").waitFor();
    expect(await row("github-push").innerText()).toContain("/api/v1/hooks/wh_");
    expect(await row("nightly-greet").innerText()).toMatch(/schedule/);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "triggers");

    await page.getByLabel("Name").fill("hourly");
    await page.getByLabel("Cron").fill("0 * * * *");
    await page.getByLabel("Module").fill("hello");
    await page.getByLabel("Function").fill("greet");
    await page.getByLabel("Inputs (JSON)").fill('{"who":"form"}');
    await page.getByRole("button", { name: "Create trigger" }).click();
    await row("hourly").waitFor();

    await page.getByLabel("Name").fill("deploy-hook");
    await page.getByLabel("Kind").selectOption("webhook");
    await page.getByLabel("Module").fill("scanner"); // its input schema takes the delivery's `payload`
    await page.getByLabel("Function").fill("scan");
    await page.getByRole("button", { name: "Create trigger" }).click();
    const secret = page.getByRole("status", { name: "Webhook secret" });
    await secret.waitFor();
    expect(await secret.innerText()).toMatch(/owhs_/);
    await screenshot(page, "triggers-webhook-secret");

    await page.getByRole("button", { name: "Send test delivery to deploy-hook" }).click();
    await page.getByText(/Test delivery to “deploy-hook” started run/).waitFor();
    expect(await row("deploy-hook").innerText()).toContain("started");

    await page.getByRole("button", { name: "Pause hourly" }).click();
    await page.getByRole("button", { name: "Resume hourly" }).waitFor();
    expect(await row("hourly").innerText()).toContain("Paused");
    await page.getByRole("button", { name: "Resume hourly" }).click();
    await page.getByRole("button", { name: "Pause hourly" }).waitFor();
    await page.getByRole("button", { name: "Delete hourly" }).click();
    await row("hourly").waitFor({ state: "detached" });
  });

  it("a retrying run shows “Retrying in N s”, and its Triggered by links to its trigger", async () => {
    await open(`/runs/${retryingRun}`);
    const countdown = page.locator(".retrying-in");
    await countdown.waitFor();
    expect(await countdown.innerText()).toMatch(/^Retrying in \d+ s$/);
    await screenshot(page, "run-retrying");
    await page.getByRole("link", { name: "nightly-greet" }).click();
    await page.waitForURL(new RegExp(`/triggers/${scheduleId}$`));
    await page.locator(`.triggers-table tr[data-trigger-id="${scheduleId}"]`).waitFor();
  });

  it("re-runs a run from its detail: a new run that links back with Re-run of", async () => {
    await open(`/runs/${retryingRun}`);
    await page.getByRole("button", { name: "Re-run" }).click();
    await page.waitForURL((url) => /\/runs\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(retryingRun));
    await page.getByRole("link", { name: retryingRun }).waitFor();
  });
});
