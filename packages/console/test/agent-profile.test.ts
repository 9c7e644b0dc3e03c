/** Issue 13 in the console: the agent panel's Profile tab (view, edit, container profile picker) and the list's autonomy / container profile filters. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { screenshot, unlabelledControls, type ConsolePage } from "./support/browser.js";
import { useConsoleSuite } from "./support/console-suite.js";
import { registerAgent } from "./support/server.js";

const suite = useConsoleSuite();
let c: ConsolePage;
let page: Page;
let ids: { reviewer: string; plain: string };
let profiles: { python: string; node: string };

const SOUL = ["# Reviewer", "", "Careful, **brief** and kind.", "", "- reads every diff", "- asks when unsure"].join("\n");

beforeAll(async () => {
  const s = suite.server;
  const token = (await s.call<{ token: string }>("POST", "/tokens", { name: "reg", scopes: ["agents:register", "read"] })).token;
  profiles = {
    python: (await s.call<{ id: string }>("POST", "/container-profiles", { name: "python", docker_image: "python:3.12-slim" })).id,
    node: (await s.call<{ id: string }>("POST", "/container-profiles", { name: "node", docker_image: "node:20" })).id,
  };
  ids = {
    reviewer: await registerAgent(s, token, { name: "reviewer" }),
    plain: await registerAgent(s, token, { name: "plain-agent" }),
  };
  await s.call("PATCH", `/agents/${ids.reviewer}`, {
    description: "Reviews pull requests",
    autonomy_level: "ask_before_acting",
    models: ["claude-sonnet", "gpt-4o"],
    skills: [{ name: "code-review", tools: [{ name: "git", description: "version control" }, { name: "ripgrep", install_method: "apt" }] }],
    container_profile_id: profiles.python,
    soul_md: SOUL,
    rules_md: "1. Never push to main\n2. Keep comments short",
  });
});

async function openPanel(name: string) {
  c = await suite.open({ token: suite.server.adminToken });
  page = c.page;
  await page.goto("/agents");
  await page.getByRole("button", { name: `Open details of ${name}`, exact: true }).click();
  const panel = page.getByRole("region", { name: `Agent details: ${name}` });
  await panel.getByRole("tab", { name: "Profile" }).click();
  return panel;
}

const rowNames = () => page.getByRole("region", { name: "Agents" }).locator("tbody .agent-name").allInnerTexts();

describe("Profile tab", () => {
  it("shows description, autonomy level, models, skills with tools, the container profile, and soul and rules as Markdown", async () => {
    const panel = await openPanel("reviewer");
    const facts = await panel.locator(".facts").innerText();
    for (const text of ["Reviews pull requests", "Ask before acting", "claude-sonnet, gpt-4o", "python", "python:3.12-slim"]) expect(facts).toContain(text);
    const skills = panel.getByRole("region", { name: "Skills and tools" });
    await expect(skills.locator(".module-card-head").innerText()).resolves.toContain("code-review");
    expect(await skills.getByRole("list", { name: "Tools of code-review" }).locator("li").allInnerTexts()).toEqual(["git (builtin)", "ripgrep (apt)"]);
    const soul = panel.getByRole("region", { name: "Soul" });
    // Rendered, not shown as source: a heading, bold text and a list.
    await expect(soul.getByRole("heading", { name: "Reviewer" }).count()).resolves.toBe(1);
    await expect(soul.locator("strong").innerText()).resolves.toBe("brief");
    expect(await soul.locator("li").allInnerTexts()).toEqual(["reads every diff", "asks when unsure"]);
    expect(await panel.getByRole("region", { name: "Rules" }).locator("li").allInnerTexts()).toEqual(["Never push to main", "Keep comments short"]);
    expect(await unlabelledControls(page)).toEqual([]);
    await panel.getByRole("region", { name: "Rules" }).scrollIntoViewIfNeeded(); // the rendered soul and rules in the shot
    await screenshot(page, "agent-profile");
  });

  it("edits the profile: autonomy, models, container profile picker and the Markdown editors with a live preview; saved values come back from the API", async () => {
    const panel = await openPanel("plain-agent");
    await expect(panel.locator(".facts").innerText()).resolves.toContain("Act within scope"); // the reference's default
    await panel.getByRole("button", { name: "Edit profile" }).click();
    const form = panel.getByRole("form", { name: "Edit profile" });
    await form.getByLabel("Description").fill("Builds images");
    await form.getByLabel("Autonomy level").selectOption("full_autonomy");
    await form.getByLabel("Models (one per line)").fill("model-a\n\nmodel-b\n");
    const picker = form.getByLabel("Container profile");
    expect(await picker.locator("option").allInnerTexts()).toEqual(["None", "node (node:20)", "python (python:3.12-slim)"]);
    await picker.selectOption(profiles.node);
    await form.getByLabel("Soul (Markdown)", { exact: true }).fill("## Builder\n\nFast.");
    await form.getByRole("region", { name: "Soul (Markdown) preview" }).getByRole("heading", { name: "Builder" }).waitFor();
    await form.getByLabel("Rules (Markdown)", { exact: true }).fill("- pin versions");
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "agent-profile-edit");
    await form.getByRole("button", { name: "Save profile" }).click();
    await form.waitFor({ state: "detached" });
    await panel.locator(".facts", { hasText: "Full autonomy" }).waitFor();
    await expect(panel.locator(".facts").innerText()).resolves.toContain("node:20");
    await panel.getByRole("region", { name: "Soul" }).getByRole("heading", { name: "Builder" }).waitFor();
    const saved = await suite.server.call("GET", `/agents/${ids.plain}`);
    expect(saved).toMatchObject({ description: "Builds images", autonomy_level: "full_autonomy", models: ["model-a", "model-b"], container_profile_id: profiles.node, soul_md: "## Builder\n\nFast.", rules_md: "- pin versions" });
  });

  it("shows the server's 422 when a value is refused, and saves nothing", async () => {
    const panel = await openPanel("reviewer");
    c.expectErrors(/422/);
    await panel.getByRole("button", { name: "Edit profile" }).click();
    const form = panel.getByRole("form", { name: "Edit profile" });
    await form.getByLabel("Rules (Markdown)", { exact: true }).fill("x".repeat(64 * 1024 + 1));
    await form.getByRole("button", { name: "Save profile" }).click();
    await expect(form.getByRole("alert").innerText()).resolves.toMatch(/rules_md.*65537 bytes/);
    expect((await suite.server.call("GET", `/agents/${ids.reviewer}`)).rules_md).toBe("1. Never push to main\n2. Keep comments short");
  });
});

describe("agents list filters", () => {
  it("filters by autonomy level and by container profile, on the server", async () => {
    c = await suite.open({ token: suite.server.adminToken });
    page = c.page;
    await page.goto("/agents");
    await page.getByRole("button", { name: "Open details of reviewer", exact: true }).waitFor();
    await page.getByLabel("Autonomy level").selectOption("ask_before_acting");
    await page.waitForFunction(() => document.querySelectorAll(".agents-table tbody .agent-name").length === 1);
    expect(await rowNames()).toEqual(["reviewer"]);
    await page.getByLabel("Autonomy level").selectOption("");
    await page.getByLabel("Container profile").selectOption({ label: "python" });
    await page.waitForFunction(() => document.querySelectorAll(".agents-table tbody .agent-name").length === 1);
    expect(await rowNames()).toEqual(["reviewer"]);
    await page.getByLabel("Container profile").selectOption("none");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".agents-table tbody .agent-name")).every((e) => e.textContent !== "reviewer"));
    expect(await rowNames()).not.toContain("reviewer");
  });
});
