/**
 * Issue 12 end to end: outpost-server and outpost-agent as processes, a real dockerd. A signed
 * webhook delivery starts a job the agent runs with the payload as input; its finishing sets off an
 * event trigger whose job runs too; a every-second schedule starts a job that runs. Each job
 * carries its trigger's provenance.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { signDelivery } from "../../control-plane/src/modules/triggers/trigger-webhook.js";
import { describeDocker, ensureTestImage, removeTestDir, TEST_IMAGE } from "./support/docker.js";
import { AGENT_BIN, jobHelpers, startProc, startServer, until, type Proc, type ServerProc } from "./support/processes.js";

const MODULE = {
  name: "trig",
  version: "1.0.0",
  image: TEST_IMAGE,
  functions: [{ name: "show", display_name: "Show", command: ["sh", "-c", 'cat "$OUTPOST_INPUTS"; echo'], input_schema: { type: "object" } }],
};

let dir: string;
let server: ServerProc;
let agent: Proc;
const { job, settled } = jobHelpers(() => server.api);
const logsOf = async (id: string) => ((await server.api("GET", `/api/v1/jobs/${id}/logs`)).body.details as { data: string }[]).map((l) => l.data).join("");
const createTrigger = async (body: Record<string, unknown>) => {
  const res = await server.api("POST", "/api/v1/triggers", { target: { module: "trig", function: "show", inputs: { from: body.name } }, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details;
};
const jobsOf = async (triggerId: string) => ((await server.api("GET", "/api/v1/jobs?limit=100")).body.details as any[]).filter((j) => j.trigger_id === triggerId);

describeDocker("triggers with a real agent", () => {
  beforeAll(async () => {
    await ensureTestImage();
    dir = mkdtempSync(join(tmpdir(), "outpost-triggers-e2e-"));
    server = await startServer(join(dir, "outpost.db"), ["--heartbeat", "1"]);
    expect((await server.api("POST", "/api/v1/modules", MODULE)).status).toBe(201);
    agent = startProc(AGENT_BIN, ["run", "--url", server.url, "--token", server.token, "--name", "trig-e2e", "--data-dir", join(dir, "agent"), "--module", "trig@1.0.0"]);
    await agent.waitFor(/session open/);
  });

  afterAll(async () => {
    await agent?.kill("SIGTERM");
    await server?.proc.kill("SIGTERM");
    removeTestDir(dir);
  });

  it("a signed webhook delivery runs a job with its payload; its finishing fires an event trigger whose job runs too", async () => {
    const hook = await createTrigger({ name: "gh-push", kind: "webhook" });
    const follow = await createTrigger({ name: "after-push", kind: "event", event: { on: "job.finished", module: "trig", outcome: ["completed"] } });
    const body = JSON.stringify({ ref: "refs/heads/main" });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await fetch(server.url + hook.hook_path, {
      method: "POST",
      headers: { "content-type": "application/json", "x-outpost-timestamp": timestamp, "x-outpost-delivery": "push-1", "x-outpost-signature-256": signDelivery(hook.secret, timestamp, body) },
      body,
    });
    const delivery = (await res.json()) as any;
    expect(res.status, JSON.stringify(delivery)).toBe(202);
    const done = await settled(delivery.details.job_id);
    expect(done).toMatchObject({ status: "completed", trigger_source: "webhook", triggered_by: "gh-push", trigger_id: hook.id });
    expect(await logsOf(done.id)).toContain('"payload":{"ref":"refs/heads/main"}');

    const next = await until("the event trigger's job", async () => (await jobsOf(follow.id))[0]);
    const finished = await settled(next.id);
    expect(finished).toMatchObject({ status: "completed", trigger_source: "event", triggered_by: "after-push", chain_depth: 1 });
    expect(await logsOf(finished.id)).toContain(`"job_id":"${done.id}"`);
  });

  it("an every-second schedule starts a job the agent runs", async () => {
    const sched = await createTrigger({ name: "every-second", kind: "schedule", schedule: { cron: "* * * * * *", overlap: "skip" } });
    const first = await until("the schedule's first job", async () => (await jobsOf(sched.id))[0]);
    expect((await server.api("POST", `/api/v1/triggers/${sched.id}/pause`)).status).toBe(200);
    const done = await settled(first.id);
    expect(done).toMatchObject({ status: "completed", trigger_source: "schedule", triggered_by: "every-second" });
    expect(await job(done.id)).toMatchObject({ inputs: { from: "every-second" } });
  });
});
