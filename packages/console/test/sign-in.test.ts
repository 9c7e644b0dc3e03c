/** Signing in with a pasted token, staying signed in for the tab, signing out, and bad or revoked tokens. */
import { describe, expect, it } from "vitest";
import { screenshot, unlabelledControls } from "./support/browser.js";
import { useConsoleSuite } from "./support/console-suite.js";
import { startServer } from "./support/server.js";

const suite = useConsoleSuite();

describe("Sign in", () => {
  it("refuses a bad token with a clear message", async () => {
    const c = await suite.open();
    const { page } = c;
    c.expectErrors(/\b401\b/);
    await page.goto("/agents");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("Paste a token to sign in.").waitFor();
    await page.getByLabel("Access token").fill("opat_not-a-real-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("That token is not valid or has expired. Generate a new token and try again.").waitFor();
    await screenshot(page, "sign-in-error");
  });

  it("signs in with a token, stays signed in for the tab across reloads and deep links, and signs out", async () => {
    const c = await suite.open();
    const { page } = c;
    await page.goto("/runs");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "sign-in");
    await page.getByLabel("Access token").fill(suite.server.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Runs", exact: true }).waitFor();
    await page.goto("/agents/pools");
    await page.getByRole("button", { name: "New Pool" }).waitFor();
    await page.reload();
    await page.getByRole("button", { name: "New Pool" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("status").getByText("You have signed out.").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("outpost.token"))).toBeNull();
    await page.reload();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  });

  it("ends the session with a message when the token is revoked while signed in", async () => {
    const created = await suite.server.call("POST", "/tokens", { name: "short-lived", scopes: ["read"] });
    const c = await suite.open();
    const { page } = c;
    c.expectErrors(/\b401\b/);
    await page.goto("/agents");
    await page.getByLabel("Access token").fill(created.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Agents" }).waitFor();
    await suite.server.call("DELETE", `/tokens/${created.id}`);
    // Navigating makes the console call the API; a live refresh may notice the 401 first and end
    // the session before the click lands, which is just as right.
    await page.getByRole("link", { name: "Runs" }).click({ timeout: 3000 }).catch(() => {});
    await page.getByRole("status").getByText("Your session has ended: the token is no longer valid or has expired. Sign in again.").waitFor();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  });

  it("says so when the server cannot be reached, and offers to try again", async () => {
    const own = await startServer();
    const c = await suite.open({ on: own, token: own.adminToken });
    const { page } = c;
    await page.goto("/agents");
    await page.getByText("No agents yet.").waitFor();
    // The open change feed keeps a connection: app.close() waits for it (see the report), so drop
    // connections until the server has stopped.
    const closing = own.close();
    const drop = setInterval(() => own.t.app.server.closeAllConnections(), 20);
    await closing.finally(() => clearInterval(drop));
    c.expectErrors(/ERR_CONNECTION_REFUSED|Failed to load resource|Failed to fetch|EventSource/);
    await page.getByRole("link", { name: "Runs" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText("Cannot reach the Outpost server. Check your connection and try again.").waitFor();
    await alert.getByRole("button", { name: "Try again" }).waitFor();
    await screenshot(page, "error-unreachable");
  });

  it("answers an unknown page with a way back; loaded directly, a path outside the console's routes is a JSON 404", async () => {
    const direct = await fetch(`${suite.server.baseUrl}/nowhere`);
    expect(direct.status).toBe(404);
    expect(await direct.json()).toMatchObject({ status: "error", code: "route_not_found" });
    const c = await suite.open({ token: suite.server.adminToken });
    await c.page.goto("/agents");
    await c.page.getByRole("heading", { name: "Agents" }).waitFor();
    // Inside the app, an unknown page still gets the console's own answer.
    await c.page.evaluate(() => {
      history.pushState({}, "", "/nowhere");
      dispatchEvent(new PopStateEvent("popstate"));
    });
    await c.page.getByRole("heading", { name: "Page not found" }).waitFor();
    await c.page.getByRole("link", { name: "Go to Agents" }).click();
    await c.page.getByRole("heading", { name: "Agents" }).waitFor();
  });
});
