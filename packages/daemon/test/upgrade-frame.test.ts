/**
 * Issue 14 §4, the agent's side of a pool upgrade: the real control plane (in this process,
 * listening on port 0, real SQLite) sends `upgrade` over the session to a real outpost-agent
 * process; the agent leaves the request for the unit's ExecStartPre in its data dir, drains and
 * exits 75 (which systemd restarts). Asked for the version it already runs, it carries on.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeTestApp, type TestApp } from "../../control-plane/src/test-support/test-app.js";
import { DAEMON_VERSION } from "../src/version.js";
import { describeDocker, removeTestDir } from "./support/docker.js";
import { AGENT_BIN, startProc, until, type Proc } from "./support/processes.js";

let t: TestApp;
let url: string;
let dir: string;
const procs: Proc[] = [];
beforeAll(async () => {
  t = await makeTestApp();
  url = await t.app.listen({ host: "127.0.0.1", port: 0 });
  dir = mkdtempSync(join(tmpdir(), "outpost-upgrade-"));
});
afterAll(async () => {
  for (const p of procs) await p.kill("SIGKILL");
  await t?.close();
  if (dir) removeTestDir(dir);
});

describeDocker("the upgrade frame", () => {
  it("ignores an upgrade to its own version, and for another one leaves upgrade-requested, drains and exits 75", async () => {
    const data = join(dir, "data");
    const agent = startProc(AGENT_BIN, ["run", "--url", url, "--token", t.adminToken, "--name", "up", "--data-dir", data]);
    procs.push(agent);
    await agent.waitFor(/session open/, 60_000);
    const id = await until("the agent's session", async () => {
      const a = (await t.api("GET", "/api/v1/agents?q=up&search_by=name")).body.details.find((x: { name: string }) => x.name === "up");
      return a?.connected ? (a.id as string) : null;
    });

    expect(t.app.hub.sendUpgrade(id, DAEMON_VERSION)).toBe(true);
    await agent.waitFor(/already running; nothing to do/);
    expect(existsSync(join(data, "upgrade-requested"))).toBe(false);

    expect(t.app.hub.sendUpgrade(id, "99.0.0")).toBe(true);
    expect(await agent.exited).toBe(75);
    expect(JSON.parse(readFileSync(join(data, "upgrade-requested"), "utf8"))).toMatchObject({ version: "99.0.0" });
    expect(agent.output()).toContain("exiting 75 for the service to upgrade and restart it");
  });
});
