/** Issue 12 §7: start a run from a form generated from the function's input schema (a manual run); re-run and cancel several selected runs. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { screenshot, unlabelledControls, type ConsolePage } from "./support/browser.js";
import { useConsoleSuite } from "./support/console-suite.js";
import { seed, type Seed } from "./support/seed.js";

const suite = useConsoleSuite();
let d: Seed;
let c: ConsolePage;
let page: Page;

const DEPLOY_SCHEMA = {
  type: "object",
  properties: {
    env: { type: "string", enum: ["staging", "production"], title: "Environment", description: "Where to deploy." },
    replicas: { type: "integer", minimum: 1, default: 2 },
    ratio: { type: "number" },
    dry_run: { type: "boolean", title: "Dry run" },
    note: { type: "string" },
    options: { type: "object", properties: { region: { type: "string" } } },
  },
  required: ["env", "note"],
  additionalProperties: false,
};

beforeAll(async () => {
  d = await seed(suite.server, { fleet: false });
  await suite.server.call("POST", "/modules", {
    name: "deploy",
    version: "1.0.0",
    image: "outpost-test/busybox:1",
    functions: [{ name: "roll", display_name: "Rolling deploy", command: ["sh", "-c", "echo roll"], input_schema: DEPLOY_SCHEMA }],
  });
});

async function open(path = "/runs") {
  c = await suite.open({ token: suite.server.adminToken });
  page = c.page;
  await page.goto(path);
  await page.getByRole("heading", { name: "Runs", exact: true }).waitFor();
}
const dialog = () => page.getByRole("dialog");

describe("Runs actions", () => {
  it("starts a run from a form generated from the function's input schema; the run is manual, by the signed-in user", async () => {
    await open();
    await page.getByRole("button", { name: "Start run" }).click();
    await dialog().getByLabel("Module").selectOption("deploy");
    await dialog().getByLabel("Function").selectOption("roll");
    // One control per property, of its type; the required ones marked; the default filled in.
    expect(await dialog().getByLabel("Environment").evaluate((el) => el.tagName)).toBe("SELECT");
    expect(await dialog().getByLabel("replicas").inputValue()).toBe("2");
    expect(await dialog().getByLabel("replicas").getAttribute("step")).toBe("1");
    expect(await dialog().getByLabel("Dry run").getAttribute("type")).toBe("checkbox");
    expect(await dialog().getByLabel("options (JSON)").evaluate((el) => el.tagName)).toBe("TEXTAREA");
    await dialog().getByText("Where to deploy.").waitFor();
    expect(await unlabelledControls(page)).toEqual([]);

    // A required field left empty is named before anything is sent.
    await dialog().getByRole("button", { name: "Start run" }).click();
    await dialog().getByRole("alert").getByText("Environment is required.").waitFor();

    await dialog().getByLabel("Environment").selectOption("production");
    await dialog().getByLabel("replicas").fill("3");
    await dialog().getByLabel("ratio").fill("0.5");
    await dialog().getByLabel("Dry run").check();
    await dialog().getByLabel("note").fill("hotfix");
    await dialog().getByLabel("options (JSON)").fill('{"region":"eu-1"}');
    await screenshot(page, "start-run");
    await dialog().getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const id = new URL(page.url()).pathname.split("/").pop()!;
    await page.locator(".run-detail h2", { hasText: "deploy.roll" }).waitFor();
    const job = await suite.server.call("GET", `/jobs/${id}`);
    expect(job).toMatchObject({ module: "deploy", function: "roll", trigger_source: "manual", triggered_by: "admin" });
    expect(job.inputs).toEqual({ env: "production", replicas: 3, ratio: 0.5, dry_run: true, note: "hotfix", options: { region: "eu-1" } });
  });

  it("re-runs and cancels several selected runs at once", async () => {
    await open();
    const row = (id: string) => page.locator(`.runs-table tbody tr[data-run-id="${id}"]`);
    await row(d.runs.completed).waitFor();
    const before = (await suite.server.call<unknown[]>("GET", "/jobs?limit=100")).length;
    await row(d.runs.completed).getByRole("checkbox").check();
    await row(d.runs.failed).getByRole("checkbox").check();
    const bar = page.getByRole("region", { name: "Selected runs" });
    await bar.getByText("2 runs selected").waitFor();
    await screenshot(page, "runs-bulk");
    await bar.getByRole("button", { name: "Re-run" }).click();
    await page.getByText("Started 2 re-runs.").waitFor();
    const jobs = await suite.server.call<{ rerun_of: string | null; trigger_source: string }[]>("GET", "/jobs?limit=100");
    expect(jobs.length).toBe(before + 2);
    expect(jobs.filter((j) => j.rerun_of).map((j) => [j.rerun_of, j.trigger_source]).sort()).toEqual(
      [
        [d.runs.completed, "manual"],
        [d.runs.failed, "manual"],
      ].sort(),
    );

    // Cancel: the live one is cancelled, the finished one is named as refused.
    await row(d.runs.pending).getByRole("checkbox").check();
    await row(d.runs.failed).getByRole("checkbox").check();
    await bar.getByRole("button", { name: "Cancel runs" }).click();
    await page.getByText(/Cancel requested for 1 run\. 1 run not cancelled/).waitFor();
    expect((await suite.server.call<{ status: string }>("GET", `/jobs/${d.runs.pending}`)).status).toBe("cancelled");
  });
});
