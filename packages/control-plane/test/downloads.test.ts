/** Issue 14 §3: the install script and the agent download, through the real app (the release itself: daemon/test/release.test.ts). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTestApp, type TestApp } from "../src/test-support/test-app.js";

let t: TestApp;
afterEach(async () => t?.close());

describe("downloads", () => {
  it("serves the install script with this server's URL filled in, without a token", async () => {
    t = await makeTestApp();
    const r = await t.app.inject({ method: "GET", url: "/install/agent.sh", headers: { host: "outpost.example:7070" } });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/x-shellscript/);
    expect(r.body).toMatch(/^#!\/bin\/sh\n/);
    expect(r.body).toContain('url="${OUTPOST_URL:-http://outpost.example:7070}"');
    expect(r.body).toContain("curl -fsSL http://outpost.example:7070/install/agent.sh | sudo OUTPOST_TOKEN=opat_... sh");
  });

  it("refuses a Host header that is not a plain host[:port], so nothing from it reaches a root shell", async () => {
    t = await makeTestApp();
    for (const host of ["x$(reboot)", "a`id`", "h;rm -rf /", "h'q"]) {
      const r = await t.app.inject({ method: "GET", url: "/install/agent.sh", headers: { host } });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ status: "error", code: "bad_request", message: expect.stringContaining("Host header") });
    }
  });

  it("serves the release's agent binary and checksum, and says how to get one when there is none", async () => {
    t = await makeTestApp({ releaseDir: join("/nonexistent", "release") });
    const missing = await t.app.inject({ method: "GET", url: "/downloads/outpost-agent-linux-x64" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: "error", code: "not_found", message: expect.stringContaining("pnpm release") });
    await t.close();

    const release = mkdtempSync(join(tmpdir(), "outpost-release-"));
    writeFileSync(join(release, "outpost-agent-linux-x64"), "binary");
    writeFileSync(join(release, "outpost-agent-linux-x64.sha256"), "abc  outpost-agent-linux-x64\n");
    t = await makeTestApp({ releaseDir: release });
    const bin = await t.app.inject({ method: "GET", url: "/downloads/outpost-agent-linux-x64" });
    expect(bin.statusCode).toBe(200);
    expect(bin.body).toBe("binary");
    expect((await t.app.inject({ method: "GET", url: "/downloads/outpost-agent-linux-x64.sha256" })).body).toBe("abc  outpost-agent-linux-x64\n");
  });
});
