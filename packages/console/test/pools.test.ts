/** Agent Pools: list controls, create/edit/archive/restore, the detail pane's tabs, and server errors shown in the dialog. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { screenshot, unlabelledControls, type ConsolePage } from "./support/browser.js";
import { useConsoleSuite } from "./support/console-suite.js";
import { seed, type Seed } from "./support/seed.js";

const suite = useConsoleSuite();
let d: Seed;
let c: ConsolePage;
let page: Page;

beforeAll(async () => {
  d = await seed(suite.server, { fleet: false });
});

async function open(path = "/agents/pools", token = suite.server.adminToken) {
  c = await suite.open({ token });
  page = c.page;
  await page.goto(path);
  await page.getByRole("button", { name: "New Pool" }).waitFor();
}
const poolTable = () => page.getByRole("region", { name: "Pools" }).getByRole("table");
const poolNames = () => poolTable().locator("tbody td:first-child .link-btn").allInnerTexts();
const poolRow = (name: string) => poolTable().locator("tbody tr", { has: page.getByRole("button", { name, exact: true }) });
const countRows = (n: number) => page.waitForFunction((n) => document.querySelectorAll(".pools-table tbody tr").length === n, n);

describe("Agent Pools", () => {
  it("shows the pools list with counts and the selected pool's Overview, Agents, Users and Jobs tabs", async () => {
    await open();
    await countRows(2);
    const headers = (await poolTable().locator("thead th").allInnerTexts()).map((h) => h.replace(/[▲▼↕]/g, "").trim());
    expect(headers).toEqual(["Pool Name", "Agents", "Users", "Created", "Actions"]);
    await expect(poolRow("Production").locator("td").nth(1).innerText()).resolves.toBe("2");

    await poolRow("Production").getByRole("button", { name: "Production", exact: true }).click();
    await page.waitForURL(new RegExp(`/agents/pools/${d.pools.production}$`));
    const pane = page.getByRole("article", { name: /Production/ });
    await pane.getByText("Agents that run release and scan jobs.").waitFor();
    expect(await pane.locator("[data-stat=agents]").innerText()).toBe("2");
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await pane.locator("[data-stat=users]").innerText()).toBe("0");
    expect(await pane.locator("[data-stat=unfinished_jobs]").innerText()).toBe("1");
    const scanner = pane.locator("tbody tr", { hasText: "scanner" });
    expect(await scanner.locator("td").allInnerTexts()).toEqual(["scanner", "2.1.0", "2 of 2", "2"]);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "pools");

    await pane.getByRole("tab", { name: "Agents (2)" }).click();
    await pane.getByRole("button", { name: "Open details of gpu-runner" }).click();
    const panel = page.getByRole("region", { name: "Agent details: gpu-runner" });
    await panel.getByText("Scan cluster").waitFor();
    await panel.getByRole("button", { name: "Close agent details" }).click();
    await pane.getByRole("button", { name: "Remove gpu-runner from pool" }).click();
    await pane.getByRole("tab", { name: "Agents (1)" }).waitFor();
    await pane.getByRole("button", { name: "Open details of gpu-runner" }).waitFor({ state: "detached" });

    const me = await suite.server.call("GET", "/me");
    await pane.getByRole("tab", { name: "Users (0)" }).click();
    await pane.getByLabel("Add user by ID").fill(me.user.id);
    await pane.getByRole("button", { name: "Add user" }).click();
    await pane.locator("tbody tr", { hasText: me.user.name }).waitFor();
    await pane.getByRole("tab", { name: "Users (1)" }).waitFor();
    await pane.getByRole("button", { name: `Remove ${me.user.name} from pool` }).click();
    await pane.getByRole("tab", { name: "Users (0)" }).waitFor();
    await pane.getByText("No users assigned to this pool.").waitFor();
    await pane.getByLabel("Add user by ID").fill("00000000-0000-0000-0000-000000000000");
    await pane.getByRole("button", { name: "Add user" }).click();
    c.expectErrors(/\b4\d\d\b/);
    await pane.getByRole("alert").waitFor();

    await pane.getByRole("tab", { name: "Jobs" }).click();
    await pane.getByRole("link", { name: "Open these runs in Runs, with filters" }).click();
    await page.waitForURL(new RegExp(`/runs\\?pool=${d.pools.production}$`));
    await page.waitForFunction((id) => (document.getElementById("runs-pool") as HTMLSelectElement | null)?.value === id, d.pools.production);
    await page.goBack();
    await pane.getByRole("tab", { name: "Jobs" }).click();
    await pane.getByRole("link", { name: "hello.greet" }).click();
    await page.waitForURL(new RegExp(`/runs/${d.runs.running}$`));
  });

  it("creates a pool with New Pool, finds it with Search pools…, edits it, archives and restores it", async () => {
    await open();
    await page.getByRole("button", { name: "New Pool" }).click();
    await page.keyboard.press("Escape"); // dialogs close on Escape
    await page.getByRole("dialog", { name: "Create Agent Pool" }).waitFor({ state: "detached" });
    await page.getByRole("button", { name: "New Pool" }).click();
    const create = page.getByRole("dialog", { name: "Create Agent Pool" });
    await create.getByRole("button", { name: "Create" }).click();
    await create.getByText("Name is required.").waitFor();
    await create.getByLabel("Name").fill("GPU farm");
    await create.getByLabel("Description").fill("CUDA jobs");
    await create.getByRole("button", { name: "Create" }).click();
    await page.getByRole("article", { name: /GPU farm/ }).getByText("CUDA jobs").waitFor();
    await countRows(3);

    await page.getByPlaceholder("Search pools…").fill("gpu");
    await countRows(1);
    await poolRow("GPU farm").getByRole("button", { name: "Actions for pool GPU farm" }).click();
    await page.getByRole("menuitem", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Agent Pool" });
    expect(await edit.getByLabel("Name").inputValue()).toBe("GPU farm");
    await edit.getByLabel("Name").fill("GPU farm (EU)");
    await edit.getByRole("button", { name: "Save" }).click();
    await poolRow("GPU farm (EU)").waitFor();
    await page.getByRole("article", { name: /GPU farm \(EU\)/ }).waitFor();

    await poolRow("GPU farm (EU)").getByRole("button", { name: "Actions for pool GPU farm (EU)" }).click();
    await page.getByRole("menuitem", { name: "Archive" }).click();
    await page.getByRole("dialog", { name: "Archive pool?" }).getByRole("button", { name: "Archive" }).click();
    await page.getByText("No pools match.").waitFor();
    await page.getByLabel("Pool status").selectOption("archived");
    await poolRow("GPU farm (EU)").locator(".tag", { hasText: "Archived" }).waitFor();
    await poolRow("GPU farm (EU)").getByRole("button", { name: "Actions for pool GPU farm (EU)" }).click();
    await page.getByRole("menuitem", { name: "Restore" }).click();
    await page.getByRole("dialog", { name: "Restore pool?" }).getByRole("button", { name: "Restore" }).click();
    await page.getByText("No pools match.").waitFor();
    await page.getByLabel("Pool status").selectOption("all");
    await poolRow("GPU farm (EU)").waitFor();
  });

  it("sorts by Pool Name and Created, and pages with Load more", async () => {
    for (let i = 1; i <= 24; i++) await suite.server.call("POST", "/pools", { name: `bulk-${String(i).padStart(2, "0")}` });
    await open();
    await page.getByLabel("Pool status").selectOption("all");
    await countRows(25);
    await page.getByRole("button", { name: "Load more" }).click();
    await page.waitForFunction(() => document.querySelectorAll(".pools-table tbody tr").length > 25);
    await page.getByRole("button", { name: "Sort by Pool Name" }).click(); // descending
    const [last] = await suite.server.call<{ name: string }[]>("GET", "/pools?archived=all&sort=name&order=desc&limit=1");
    await page.waitForFunction((name) => document.querySelector(".pools-table tbody .link-btn")?.textContent === name, last!.name);
    expect(await page.locator("th", { has: page.getByRole("button", { name: "Sort by Pool Name" }) }).getAttribute("aria-sort")).toBe("descending");
    await page.getByRole("button", { name: "Sort by Created" }).click(); // oldest first
    await page.waitForFunction(() => document.querySelector(".pools-table tbody .link-btn")?.textContent === "Production");
    expect((await poolNames()).slice(0, 2)).toEqual(["Production", "Staging"]);
  });

  it("stacks list and detail at 800 px wide, the selected pool first", async () => {
    c = await suite.open({ token: suite.server.adminToken, width: 800 });
    page = c.page;
    await page.goto(`/agents/pools/${d.pools.staging}`);
    await page.getByRole("article", { name: /Staging/ }).getByText("Module coverage").waitFor();
    const list = (await page.locator(".pools-list").boundingBox())!;
    const detail = (await page.locator(".pool-detail-pane").boundingBox())!;
    expect(list.y).toBeGreaterThan(detail.y + detail.height - 1);
    expect(list.x).toBe(detail.x);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, "pools-800");
  });

  it("shows the server's message when the token may not change pools", async () => {
    const readOnly = (await suite.server.call("POST", "/tokens", { name: "viewer", scopes: ["read"] })).token;
    await open("/agents/pools", readOnly);
    await page.getByRole("button", { name: "New Pool" }).click();
    const create = page.getByRole("dialog", { name: "Create Agent Pool" });
    await create.getByLabel("Name").fill("Not allowed");
    await create.getByRole("button", { name: "Create" }).click();
    c.expectErrors(/\b403\b/);
    const alert = await create.getByRole("alert").innerText();
    expect(alert).toMatch(/agents:write/);
  });
});
