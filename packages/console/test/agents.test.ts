/** All Agents: columns, badges, filters, search, sort, paging, the detail panel, row and bulk actions, Generate Token, live updates. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { screenshot, unlabelledControls, type ConsolePage } from "./support/browser.js";
import { useConsoleSuite } from "./support/console-suite.js";
import { registerAgent } from "./support/server.js";
import { FLEET_SIZE, seed, type Seed } from "./support/seed.js";

const suite = useConsoleSuite();
let d: Seed;
let c: ConsolePage;
let page: Page;

beforeAll(async () => {
  d = await seed(suite.server);
});

async function open(path = "/agents") {
  c = await suite.open({ token: suite.server.adminToken });
  page = c.page;
  await page.goto(path);
  await page.getByRole("button", { name: "Open details of build-box-01" }).waitFor();
}

const table = () => page.getByRole("region", { name: "Agents" }).getByRole("table");
const rows = () => table().locator("tbody tr");
const row = (name: string) => table().locator("tbody tr", { has: page.getByRole("button", { name: `Open details of ${name}`, exact: true }) });
const rowNames = () => table().locator("tbody .agent-name").allInnerTexts();

describe("All Agents", () => {
  it("shows exactly the reference's columns, colour-coded status badges, ids with copy, module chips and pool badges", async () => {
    await open();
    const headers = (await table().locator("thead th").allInnerTexts()).map((h) => h.replace(/[▲▼↕]/g, "").trim());
    expect(headers).toEqual(["", "Agent Name", "Status", "Last updated", "Version", "Host OS", "Last Restarted", "Installed Modules", "Pools", "Labels", "Actions"]);
    for (const sortable of ["Agent Name", "Status", "Last updated", "Version", "Host OS", "Last Restarted"]) {
      await expect(page.getByRole("button", { name: `Sort by ${sortable}` }).count()).resolves.toBe(1);
    }
    for (const fixed of ["Installed Modules", "Pools"]) await expect(page.getByRole("button", { name: `Sort by ${fixed}` }).count()).resolves.toBe(0);

    const badge = (name: string) => row(name).locator(".badge");
    expect([await badge("build-box-01").innerText(), await badge("build-box-01").getAttribute("data-group")]).toEqual(["Executing Job", "yellow"]);
    expect([await badge("edge-node-berlin").innerText(), await badge("edge-node-berlin").getAttribute("data-group")]).toEqual(["Execution Failed", "red"]);
    expect([await badge("gpu-runner").innerText(), await badge("gpu-runner").getAttribute("data-group")]).toEqual(["Execution Success", "green"]);
    expect([await badge("mac-mini-ci").innerText(), await badge("mac-mini-ci").getAttribute("data-group")]).toEqual(["Offline", "neutral"]);
    await expect(row("mac-mini-ci").innerText()).resolves.toContain("macOS 12");
    await expect(row("mac-mini-ci").innerText()).resolves.toContain("Unknown"); // Last Restarted

    // Agent id under the name, with a copy control.
    const build = row("build-box-01");
    // Shown by the random tail of its UUIDv7 (agents registered together share the time prefix).
    await expect(build.locator(".agent-id").innerText()).resolves.toContain(`…${d.agents.build.slice(-12)}`);
    await expect(build.locator(".agent-id span").getAttribute("title")).resolves.toBe(d.agents.build);
    await build.getByRole("button", { name: "Copy agent ID of build-box-01" }).click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(d.agents.build);
    await expect(page.locator(".detail-panel").count()).resolves.toBe(0); // the copy click did not open the row

    // Module chips: two shown, a popover with name/version, the rest behind +N more.
    await build.getByRole("button", { name: "Module hello" }).click();
    await expect(build.getByRole("dialog", { name: "Module hello" }).innerText()).resolves.toContain("Version 1.0.0");
    await page.keyboard.press("Escape");
    await build.getByRole("dialog", { name: "Module hello" }).waitFor({ state: "detached" });
    await build.getByRole("button", { name: "2 more modules on build-box-01" }).click();
    const more = await build.getByRole("dialog", { name: "2 more modules on build-box-01" }).innerText();
    expect(more).toContain("packager");
    expect(more).toContain("scanner");
    expect(await build.locator(".pool-badge").allInnerTexts()).toEqual(["Production", "Staging"]);
    await page.keyboard.press("Escape");
    await screenshot(page, "agents");
  });

  it("pages with Load more and sorts on the server by the clicked column", async () => {
    await open();
    expect(await rows().count()).toBe(50);
    await page.getByRole("button", { name: "Load more" }).click();
    await page.waitForFunction((n) => document.querySelectorAll(".agents-table tbody tr").length === n, 4 + FLEET_SIZE);
    await expect(page.getByRole("button", { name: "Load more" }).count()).resolves.toBe(0);

    await page.getByRole("button", { name: "Sort by Version" }).click(); // ascending
    await page.getByRole("button", { name: "Sort by Version" }).click(); // descending
    await page.waitForFunction(() => document.querySelector(".agents-table tbody .agent-name")?.textContent === "gpu-runner");
    expect(await page.locator("th", { has: page.getByRole("button", { name: "Sort by Version" }) }).getAttribute("aria-sort")).toBe("descending");
    expect((await rowNames()).slice(0, 2)).toEqual(["gpu-runner", "mac-mini-ci"]);

    await page.getByRole("button", { name: "Sort by Agent Name" }).click();
    await page.getByRole("button", { name: "Sort by Agent Name" }).click();
    await page.waitForFunction(() => document.querySelector(".agents-table tbody .agent-name")?.textContent === `worker-052`);
  });

  it("searches by name or by module, with the placeholder following Search by, loading further pages by itself", async () => {
    await open();
    const search = page.getByLabel("Search", { exact: true });
    expect(await search.getAttribute("placeholder")).toBe("Search agents by name…");
    await search.fill("gpu");
    await page.waitForFunction(() => document.querySelectorAll(".agents-table tbody tr").length === 1);
    expect(await rowNames()).toEqual(["gpu-runner"]);

    await page.getByLabel("Search by").selectOption("module");
    expect(await search.getAttribute("placeholder")).toBe("Search by module name or version…");
    await search.fill("hello");
    // build-box-01, edge-node-berlin and every worker: more than one page, all shown without Load more.
    await page.waitForFunction((n) => document.querySelectorAll(".agents-table tbody tr").length === n, 2 + FLEET_SIZE);
    await expect(page.getByRole("button", { name: "Load more" }).count()).resolves.toBe(0);
    await search.fill("2.1.0");
    await page.waitForFunction(() => document.querySelectorAll(".agents-table tbody tr").length === 2);
    expect(await rowNames()).toEqual(["build-box-01", "gpu-runner"]);
    await search.fill("no-such-module");
    await page.getByText("No agents match these filters.").waitFor();
    await expect(page.locator(".updated").innerText()).resolves.toMatch(/^Updated /);
  });

  it("filters by pool membership and archive status; changing archive status clears the selection", async () => {
    await open();
    await page.getByLabel("Pool membership").selectOption("in");
    await page.waitForFunction(() => document.querySelectorAll(".agents-table tbody tr").length === 2);
    expect(await rowNames()).toEqual(["build-box-01", "gpu-runner"]);
    await page.getByLabel("Pool membership").selectOption("none");
    await page.waitForFunction(() => !Array.from(document.querySelectorAll(".agents-table .agent-name")).some((e) => e.textContent === "gpu-runner"));
    await page.getByLabel("Pool membership").selectOption("any");

    await page.getByLabel("Select edge-node-berlin").check();
    await page.getByRole("region", { name: "Selected agents" }).getByText("1 agent selected").waitFor();
    await page.getByLabel("Archive status").selectOption("all");
    await page.getByRole("region", { name: "Selected agents" }).waitFor({ state: "detached" });
    expect(await page.getByLabel("Select edge-node-berlin").isChecked()).toBe(false);
  });

  it("archives and restores an agent from the row menu after confirming", async () => {
    await open();
    await row("mac-mini-ci").getByRole("button", { name: "Actions for mac-mini-ci" }).click();
    await page.getByRole("menuitem", { name: "Archive Agent" }).click();
    const dialog = page.getByRole("dialog", { name: "Archive agent?" });
    await dialog.getByRole("button", { name: "Archive Agent" }).click();
    await page.locator(".toast", { hasText: "mac-mini-ci archived." }).waitFor();
    await row("mac-mini-ci").waitFor({ state: "detached" });
    expect((await suite.server.call("GET", `/agents/${d.agents.mac}`)).archived).toBe(true);

    await page.getByLabel("Archive status").selectOption("archived");
    await row("mac-mini-ci").waitFor();
    expect(await rows().count()).toBe(1);
    await row("mac-mini-ci").getByRole("button", { name: "Actions for mac-mini-ci" }).click();
    await page.getByRole("menuitem", { name: "Restore Agent" }).click();
    await page.getByRole("dialog", { name: "Restore agent?" }).getByRole("button", { name: "Restore Agent" }).click();
    await page.getByText("No agents match these filters.").waitFor();
    expect((await suite.server.call("GET", `/agents/${d.agents.mac}`)).archived).toBe(false);
  });

  it("pauses and resumes an agent from the row menu, reachable by keyboard", async () => {
    await open();
    const menuButton = row("edge-node-berlin").getByRole("button", { name: "Actions for edge-node-berlin" });
    await menuButton.focus();
    await page.keyboard.press("Enter");
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Pause Agent");
    await page.keyboard.press("Enter");
    await row("edge-node-berlin").locator(".tag-paused").waitFor();
    expect((await suite.server.call("GET", `/agents/${d.agents.edge}`)).paused).toBe(true);
    await menuButton.click();
    await page.getByRole("menuitem", { name: "Resume Agent" }).click();
    await row("edge-node-berlin").locator(".tag-paused").waitFor({ state: "detached" });
    expect((await suite.server.call("GET", `/agents/${d.agents.edge}`)).paused).toBe(false);
  });

  it("opens the bottom detail panel on a row click, with tabs, a resizable splitter, collapse and close", async () => {
    await open();
    await row("build-box-01").getByLabel("Select build-box-01").check();
    await expect(page.locator(".detail-panel").count()).resolves.toBe(0); // a checkbox never opens the row
    await row("build-box-01").locator("td").nth(4).click(); // the Version cell
    const panel = page.getByRole("region", { name: "Agent details: build-box-01" });
    await panel.getByText("Scan cluster").waitFor();
    const head = await panel.locator(".detail-head").innerText();
    expect(head).toContain("build-box-01");
    expect(head).toContain("Executing Job");
    expect(head).toContain("Debian GNU/Linux 12");
    expect(head).toContain("v0.1.0");
    expect(await panel.locator(".module-card").count()).toBe(4);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "agent-detail");

    await panel.getByRole("tab", { name: "Modules History" }).click();
    await panel.locator(".timeline li", { hasText: "scanner" }).first().waitFor();
    await panel.getByRole("tab", { name: "Status History" }).click();
    await panel.locator(".timeline li", { hasText: "job started" }).waitFor();

    const splitter = panel.getByRole("separator", { name: "Resize agent details" });
    const before = Number(await splitter.getAttribute("aria-valuenow"));
    await splitter.focus();
    await page.keyboard.press("ArrowUp");
    expect(Number(await splitter.getAttribute("aria-valuenow"))).toBe(before + 24);
    const box = (await splitter.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 100, { steps: 4 });
    await page.mouse.up();
    expect(Number(await splitter.getAttribute("aria-valuenow"))).toBe(before + 124);

    await panel.getByRole("button", { name: "Collapse agent details" }).click();
    await panel.getByRole("tablist").waitFor({ state: "detached" });
    await panel.getByRole("button", { name: "Expand agent details" }).click();
    await panel.getByRole("tablist").waitFor();
    await panel.getByRole("button", { name: "Close agent details" }).click();
    await panel.waitFor({ state: "detached" });
  });

  it("updates rows and the open panel live from the change feed, without a reload", async () => {
    await open();
    await row("build-box-01").locator("td").nth(4).click();
    const panel = page.getByRole("region", { name: "Agent details: build-box-01" });
    await panel.getByText("Executing Job").waitFor();
    // The agent finishes its job (what its session reports): the row and the panel follow.
    d.drivers.running.report({ markdown: "done" }).finish({ outcome: "completed", exitCode: 0, reason: null, message: null });
    await row("build-box-01").locator(".badge", { hasText: "Execution Success" }).waitFor();
    await panel.locator(".detail-head .badge", { hasText: "Execution Success" }).waitFor();
    // A change made by someone else through the API.
    await suite.server.call("POST", `/agents/${d.agents.gpu}/pause`);
    await row("gpu-runner").locator(".tag-paused").waitFor();
    await suite.server.call("POST", `/agents/${d.agents.gpu}/resume`);
    await row("gpu-runner").locator(".tag-paused").waitFor({ state: "detached" });
  });

  it("Create New Pool adds the selected agents to the new pool; Add to Pool… adds them to an existing one", async () => {
    await open();
    await page.getByLabel("Select worker-001").check();
    await page.getByLabel("Select worker-002").check();
    const bar = page.getByRole("region", { name: "Selected agents" });
    await bar.getByText("2 agents selected").waitFor();
    await bar.getByRole("button", { name: "Create New Pool" }).click();
    const dialog = page.getByRole("dialog", { name: "Create Agent Pool" });
    await dialog.getByLabel("Name").fill("Night shift");
    await dialog.getByLabel("Description").fill("Batch jobs overnight");
    await dialog.getByRole("button", { name: "Create" }).click();
    await page.locator(".toast", { hasText: "Added 2 agents to new pool “Night shift”." }).waitFor();
    await row("worker-001").locator(".pool-badge", { hasText: "Night shift" }).waitFor();
    await row("worker-002").locator(".pool-badge", { hasText: "Night shift" }).waitFor();
    await bar.waitFor({ state: "detached" });

    await page.getByLabel("Select worker-003").check();
    await bar.getByRole("button", { name: "Add to Pool…" }).click();
    const add = page.getByRole("dialog", { name: "Add to Pool" });
    await add.getByLabel("Pool").selectOption({ label: "Production (2 agents)" });
    await add.getByRole("button", { name: "Add to pool" }).click();
    await page.locator(".toast", { hasText: "Added 1 agent to “Production”." }).waitFor();
    await row("worker-003").locator(".pool-badge", { hasText: "Production" }).waitFor();
    expect((await suite.server.call("GET", `/pools/${d.pools.production}`)).agent_count).toBe(3);

    // A third pool for build-box-01, added elsewhere: its row shows it live behind +1 more.
    const nightShift = (await suite.server.call<{ id: string; name: string }[]>("GET", "/pools?q=Night")).find((p) => p.name === "Night shift")!;
    await suite.server.call("POST", `/pools/${nightShift.id}/agents`, { agent_ids: [d.agents.build] });
    await row("build-box-01").getByRole("button", { name: "1 more pools of build-box-01" }).click();
    const shownPools = await row("build-box-01").locator("span.pool-badge").allInnerTexts();
    const morePools = await row("build-box-01").getByRole("dialog", { name: "1 more pools of build-box-01" }).innerText();
    expect(shownPools).toHaveLength(2);
    for (const name of ["Night shift", "Production", "Staging"]) expect(shownPools.includes(name) || morePools.includes(name)).toBe(true);
    await page.keyboard.press("Escape");

    await page.getByLabel("Select worker-004").check();
    await bar.getByRole("button", { name: "Clear selection" }).click();
    await bar.waitFor({ state: "detached" });
  });

  it("Generate Token makes a registration token (expiry, max registrations), shows it once; Copy token copies it and closes the dialog", async () => {
    await open();
    await page.getByRole("button", { name: "Generate Token" }).click();
    const dialog = page.getByRole("dialog", { name: "Generate agent token" });
    await dialog.getByRole("button", { name: "Generate" }).click();
    await dialog.getByRole("alert").getByText("Give the token a name.").waitFor();
    await dialog.getByLabel("Token name").fill("berlin edge agents");
    await dialog.getByLabel("Max registrations").fill("0");
    await dialog.getByRole("button", { name: "Generate" }).click();
    await dialog.getByRole("alert").getByText(/Max registrations must be a whole number .* \(got "0"\)/).waitFor();
    await dialog.getByLabel("Max registrations").fill("1");
    await dialog.getByLabel("Expires in").selectOption({ label: "1 hour" });
    await dialog.getByRole("button", { name: "Generate" }).click();
    const shown = page.getByRole("dialog", { name: "Your new agent token" });
    await shown.getByText("This token is shown only once.").waitFor();
    const token = await shown.getByLabel("Token “berlin edge agents”").inputValue();
    expect(token).toMatch(/^opat_/);
    const line = await shown.getByLabel("Install an agent on a Linux host with Docker (as root)").inputValue();
    expect(line).toBe(`curl -fsSL ${suite.server.baseUrl}/install/agent.sh | sudo OUTPOST_TOKEN=${token} sh`);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "generate-token");
    await shown.getByRole("button", { name: "Copy token" }).click();
    await shown.waitFor({ state: "detached" });
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(token);
    // The token is real: an agent can register with it, once; it holds agents:register only and expires in an hour.
    const id = await registerAgent(suite.server, token, { name: "registered-with-new-token" });
    expect((await suite.server.call("GET", `/agents/${id}`)).name).toBe("registered-with-new-token");
    await expect(registerAgent(suite.server, token, { name: "one-too-many" })).rejects.toThrow(/401/);
    const listed = (await suite.server.call<{ name: string; scopes: string[]; max_uses: number | null; uses_left: number | null; expires_at: string }[]>("GET", "/tokens")).find(
      (x) => x.name === "berlin edge agents",
    )!;
    expect(listed).toMatchObject({ scopes: ["agents:register"], max_uses: 1, uses_left: 0 });
    expect(Math.abs(Date.parse(listed.expires_at) - Date.now() - 3_600_000)).toBeLessThan(5 * 60_000);
  });

  it("offers the Organization picker only to users of several orgs, and filters by it", async () => {
    await open();
    await expect(page.getByLabel("Organization").count()).resolves.toBe(0);
    const me = await suite.server.call("GET", "/me");
    const org = await suite.server.call("POST", "/orgs", { slug: "research", name: "Research" });
    await suite.server.call("POST", `/orgs/${org.id}/members`, { user_id: me.user.id, role: "admin" }).catch(() => undefined);
    const researchToken = (await suite.server.call("POST", "/tokens", { name: "research agents", scopes: ["agents:register"], org: "research" })).token;
    await registerAgent(suite.server, researchToken, { name: "lab-agent" });
    await page.reload();
    const picker = page.getByLabel("Organization");
    await picker.waitFor();
    const options = await picker.locator("option").allInnerTexts();
    expect(options).toHaveLength(3);
    expect(options[0]).toBe("All organizations");
    expect(options).toContain("Research");
    await picker.selectOption("research");
    await page.waitForFunction(() => document.querySelectorAll(".agents-table tbody tr").length === 1);
    expect(await rowNames()).toEqual(["lab-agent"]);
  });

  it("fits 800 px wide: the table scrolls in its frame, the page does not", async () => {
    c = await suite.open({ token: suite.server.adminToken, width: 800 });
    page = c.page;
    await page.goto("/agents");
    await page.getByRole("button", { name: "Open details of build-box-01" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await row("gpu-runner").locator("td").nth(2).click();
    await page.getByRole("region", { name: "Agent details: gpu-runner" }).getByText("Scan cluster").waitFor();
    await screenshot(page, "agents-800");
  });

  it("moves between the tabs with the keyboard and keeps deep links", async () => {
    await open();
    await page.getByRole("tab", { name: "All Agents" }).focus();
    await page.keyboard.press("ArrowRight");
    await page.waitForURL(/\/agents\/pools$/);
    await page.getByRole("button", { name: "New Pool" }).waitFor();
    await page.reload();
    await page.getByRole("button", { name: "New Pool" }).waitFor();
    expect(await page.getByRole("tab", { name: "Agent Pools" }).getAttribute("aria-selected")).toBe("true");
  });

  it("marks the agents that run an older version than the server", async () => {
    const me = await suite.server.call<{ server_version: string }>("GET", "/me");
    const tok = (await suite.server.call<{ token: string }>("POST", "/tokens", { name: "old agents", scopes: ["agents:register"] })).token;
    await registerAgent(suite.server, tok, { name: "old-timer", version: "0.0.9" });
    await open();
    await page.getByLabel("Search", { exact: true }).fill("old-timer");
    const older = row("old-timer").locator(".badge", { hasText: "Older" });
    await older.waitFor();
    await expect(older.getAttribute("title")).resolves.toBe(`This agent runs 0.0.9, older than the server's ${me.server_version}. Upgrade: outpost-agent upgrade on the host, or POST /api/v1/pools/:id/upgrade.`);
    await page.getByLabel("Search", { exact: true }).fill("");
    for (const current of ["build-box-01", "gpu-runner"]) await expect(row(current).locator(".badge", { hasText: "Older" }).count()).resolves.toBe(0);
  });
});
