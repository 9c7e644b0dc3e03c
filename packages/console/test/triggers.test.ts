/**
 * Issue 12 §8: the Triggers page (list; create and edit dialogs per kind with the cron description
 * and the next five firings; the webhook secret once; the event filter; pause/resume/delete; firings
 * and deliveries; test delivery), "Retrying in N s", Triggered-by links and Re-run.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { screenshot, unlabelledControls, type ConsolePage } from "./support/browser.js";
import { useConsoleSuite } from "./support/console-suite.js";
import { firedJob, seed } from "./support/seed.js";
import { AgentDriver } from "./support/server.js";

const suite = useConsoleSuite();
let c: ConsolePage;
let page: Page;
let scheduleId: string;
let retryingRun: string;

beforeAll(async () => {
  const { agents } = await seed(suite.server, { fleet: false });
  const s = suite.server;
  // The retrying run is this schedule's: it fires within a second, then is set to its nightly time
  // (an edit restarts its cursor, so it fires no other); edge-node-berlin takes the run and fails it,
  // and the retry policy leaves it retrying.
  const nightly = { name: "nightly-greet", kind: "schedule", target: { module: "hello", function: "greet", inputs: { who: "cron" }, agent_id: agents.edge, retry: { max_attempts: 3, backoff_s: 60 } } };
  scheduleId = (await s.call<{ id: string }>("POST", "/triggers", { ...nightly, schedule: { cron: "* * * * * *" } })).id;
  retryingRun = await firedJob(s, { id: scheduleId }, () => s.call("PATCH", `/triggers/${scheduleId}`, { schedule: { cron: "0 2 * * *", timezone: "Europe/Berlin" } }));
  await (await new AgentDriver(s, agents.edge, retryingRun).claim())
    .start()
    .finish({ outcome: "failed", exitCode: 2, reason: "exit_code", message: "exit 2" })
    .settled();
  await s.call("POST", "/triggers", { name: "github-push", kind: "webhook", target: { module: "hello", function: "greet", inputs: { who: "hook" } } });
});

async function open(path: string) {
  c = await suite.open({ token: suite.server.adminToken });
  page = c.page;
  await page.goto(path);
}
const row = (name: string) => page.locator(".triggers-table tbody tr", { hasText: name });
const dialog = () => page.getByRole("dialog");

describe("Triggers page", () => {
  it("creates a schedule in its dialog, with a description of the cron expression and the next five firings from the API; edits it", async () => {
    await open("/triggers");
    await row("nightly-greet").waitFor();
    expect(await row("github-push").innerText()).toContain("/api/v1/hooks/wh_");
    expect(await row("nightly-greet").innerText()).toMatch(/Schedule/);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "triggers");

    await page.getByRole("button", { name: "New schedule" }).click();
    await dialog().getByLabel("Name").fill("hourly");
    await dialog().getByLabel("Module").fill("hello");
    await dialog().getByLabel("Function").fill("greet");
    await dialog().getByLabel("Inputs (JSON)").fill('{"who":"form"}');
    await dialog().getByLabel("Cron (5 or 6 fields)").fill("30 9 * * 1-5");
    await dialog().getByLabel("Time zone (IANA)").fill("Europe/Berlin");
    const preview = dialog().getByRole("region", { name: "Schedule preview" });
    await preview.getByText("At 09:30, Monday through Friday (Europe/Berlin)").waitFor();
    // The next five weekday mornings, in the schedule's zone (never the default expression's answer).
    const firings = preview.locator(".next-firings li");
    await firings.first().getByText(/09:30$/).waitFor();
    expect(await firings.allInnerTexts()).toHaveLength(5);
    expect((await firings.allInnerTexts()).every((t) => /^(Mon|Tue|Wed|Thu|Fri), .*09:30$/.test(t))).toBe(true);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "trigger-schedule-dialog");

    // A bad expression: the server's 422 names it (an expected 422 response).
    c.expectErrors(/\b422\b/);
    await dialog().getByLabel("Cron (5 or 6 fields)").fill("61 * * * *");
    await preview.getByText(/cron: "61 \* \* \* \*" is not a cron expression/).waitFor();
    await dialog().getByLabel("Cron (5 or 6 fields)").fill("30 9 * * 1-5");
    await dialog().getByRole("button", { name: "Create trigger" }).click();
    await dialog().waitFor({ state: "detached" });
    await row("hourly").waitFor();

    await page.getByRole("button", { name: "Edit hourly" }).click();
    expect(await dialog().getByLabel("Cron (5 or 6 fields)").inputValue()).toBe("30 9 * * 1-5");
    await dialog().getByLabel("Name").fill("weekday-morning");
    await dialog().getByLabel("If the previous run is still going").selectOption("queue");
    await dialog().getByRole("button", { name: "Save" }).click();
    await row("weekday-morning").waitFor();
    const saved = (await suite.server.call<{ name: string; schedule: { overlap: string } }[]>("GET", "/triggers?limit=100")).find((t) => t.name === "weekday-morning");
    expect(saved?.schedule.overlap).toBe("queue");
  });

  it("creates a webhook whose secret is shown once, sends it a test delivery, and shows the firing and the delivery", async () => {
    await open("/triggers");
    await page.getByRole("button", { name: "New webhook" }).click();
    await dialog().getByLabel("Name").fill("deploy-hook");
    await dialog().getByLabel("Module").fill("scanner"); // its input schema takes the delivery's `payload`
    await dialog().getByLabel("Function").fill("scan");
    await dialog().getByRole("button", { name: "Create trigger" }).click();
    const secret = page.getByRole("status", { name: "Webhook secret" });
    await secret.waitFor();
    expect(await secret.innerText()).toMatch(/owhs_/);
    expect(await secret.innerText()).toMatch(/\/api\/v1\/hooks\/wh_/);
    await screenshot(page, "trigger-webhook-secret");
    await dialog().getByRole("button", { name: "Done" }).click();
    await dialog().waitFor({ state: "detached" });
    expect(await page.getByText(/owhs_/).count()).toBe(0);

    await page.getByRole("button", { name: "Send test delivery to deploy-hook" }).click();
    await page.getByText(/Test delivery to “deploy-hook” started run/).waitFor();
    await row("deploy-hook").getByText(/started/).waitFor();
    await page.getByRole("button", { name: "Open trigger deploy-hook" }).click();
    const firings = page.getByRole("table", { name: "Recent firings" });
    await firings.getByText("started").waitFor();
    const deliveries = page.getByRole("table", { name: "Last deliveries" });
    await deliveries.getByText("accepted").waitFor();
    expect(await deliveries.innerText()).toMatch(/test-/);
    await screenshot(page, "trigger-detail");
    await firings.getByRole("link").first().click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await page.locator(".run-detail").getByRole("link", { name: "deploy-hook" }).waitFor();
  });

  it("creates an event trigger with its filter; pauses, resumes and deletes a trigger", async () => {
    await open("/triggers");
    await page.getByRole("button", { name: "New event trigger" }).click();
    await dialog().getByLabel("Name").fill("on-failure");
    await dialog().locator("#trigger-module").fill("nope");
    await dialog().locator("#trigger-function").fill("audit");
    await dialog().getByLabel("Inputs template (JSON; the event becomes “event”)").fill('{"why":"oncall"}');
    await dialog().getByLabel("Of module (any if empty)").fill("scanner");
    await dialog().getByLabel("failed").check();
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "trigger-event-dialog");
    // A target that does not resolve: the server's 422 names the field.
    c.expectErrors(/\b422\b/);
    await dialog().getByRole("button", { name: "Create trigger" }).click();
    await dialog().getByRole("alert").getByText(/target\.module/).waitFor();
    await dialog().locator("#trigger-module").fill("scanner");
    await dialog().getByRole("button", { name: "Create trigger" }).click();
    await dialog().waitFor({ state: "detached" });
    expect(await row("on-failure").innerText()).toContain("scanner finishes failed");
    const stored = (await suite.server.call<{ name: string; event: unknown }[]>("GET", "/triggers?limit=100")).find((t) => t.name === "on-failure");
    expect(stored?.event).toEqual({ on: "job.finished", module: "scanner", outcome: ["failed"] });

    await page.getByRole("button", { name: "Pause on-failure" }).click();
    await page.getByRole("button", { name: "Resume on-failure" }).waitFor();
    expect(await row("on-failure").innerText()).toContain("Paused");
    await page.getByRole("button", { name: "Resume on-failure" }).click();
    await page.getByRole("button", { name: "Pause on-failure" }).waitFor();
    await page.getByRole("button", { name: "Delete on-failure" }).click();
    await dialog().getByRole("button", { name: "Delete" }).click();
    await row("on-failure").waitFor({ state: "detached" });
  });

  it("a retrying run shows “Retrying in N s” and the failed attempt, and its Triggered by links to its trigger", async () => {
    await open(`/runs/${retryingRun}`);
    const countdown = page.locator(".retrying-in");
    await countdown.waitFor();
    expect(await countdown.innerText()).toMatch(/^Retrying in \d+ s$/);
    await page.getByText("Attempt 1 of 3 failed: exit 2").waitFor();
    await screenshot(page, "run-retrying");
    await page.getByRole("link", { name: "nightly-greet" }).click();
    await page.waitForURL(new RegExp(`/triggers/${scheduleId}$`));
    await page.locator(`.triggers-table tr[data-trigger-id="${scheduleId}"]`).waitFor();
    await page.getByRole("heading", { name: "nightly-greet" }).waitFor();
  });

  it("re-runs a run from its detail: a new manual run that links back with Re-run of", async () => {
    await open(`/runs/${retryingRun}`);
    await page.getByRole("button", { name: "Re-run" }).click();
    await page.waitForURL((url) => /\/runs\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(retryingRun));
    await page.getByRole("link", { name: retryingRun }).waitFor();
    const id = new URL(page.url()).pathname.split("/").pop()!;
    expect(await suite.server.call("GET", `/jobs/${id}`)).toMatchObject({ trigger_source: "manual", rerun_of: retryingRun });
  });
});
