/**
 * The data the browser suites start from, all through the product's own paths: a PAT with
 * agents:register, two published modules, named agents (each with a real session) plus a fleet
 * large enough to page, two pools, and runs in each interesting state (completed with a report,
 * failed at a step, running with logs and steps, pending), each started the way its provenance
 * says: a schedule firing, the console (manual), a signed webhook delivery, an agent-status event.
 */
import { signDelivery, until } from "@outpost/control-plane/testing";
import { AgentDriver, publishModules, registerAgent, type Server } from "./server.js";

export interface Seed {
  registerToken: string;
  agents: Record<"build" | "gpu" | "edge" | "mac", string>;
  fleet: string[];
  pools: { production: string; staging: string };
  runs: { completed: string; failed: string; running: string; pending: string };
  drivers: { running: AgentDriver };
}

export const FLEET_SIZE = 52;

export const REPORT_MD = [
  "# Cluster scan",
  "",
  "Scanned **3** namespaces; `1` finding needs attention.",
  "",
  "| Namespace | Findings |",
  "|---|---|",
  "| default | 0 |",
  "| payments | 1 |",
  "",
  "- Rotate the payments service account key",
].join("\n");

export async function seed(s: Server, opts: { fleet?: boolean } = {}): Promise<Seed> {
  const registerToken = (await s.call<{ token: string }>("POST", "/tokens", { name: "fleet registration", scopes: ["agents:register", "read"] })).token;
  await publishModules(s);
  const hello = { name: "hello", version: "1.0.0" };
  const scanner = { name: "scanner", version: "2.1.0" };
  const agents = {
    build: await registerAgent(s, registerToken, { name: "build-box-01", modules: [hello, scanner, { name: "linter", version: "0.3.0" }, { name: "packager", version: "1.2.0" }] }),
    gpu: await registerAgent(s, registerToken, { name: "gpu-runner", modules: [scanner], distro: "Ubuntu", version: "0.2.0" }),
    edge: await registerAgent(s, registerToken, { name: "edge-node-berlin", modules: [hello] }),
    mac: await registerAgent(s, registerToken, { name: "mac-mini-ci", modules: [], platform: "darwin", distro: "macOS", version: "0.1.5", offline: true }),
  };
  const fleet: string[] = [];
  if (opts.fleet !== false) {
    for (let i = 1; i <= FLEET_SIZE; i++) fleet.push(await registerAgent(s, registerToken, { name: `worker-${String(i).padStart(3, "0")}`, modules: [hello] }));
  }
  const production = (await s.call<{ id: string }>("POST", "/pools", { name: "Production", description: "Agents that run release and scan jobs." })).id;
  const staging = (await s.call<{ id: string }>("POST", "/pools", { name: "Staging", description: "Pre-release checks." })).id;
  await s.call("POST", `/pools/${production}/agents`, { agent_ids: [agents.build, agents.gpu] });
  await s.call("POST", `/pools/${staging}/agents`, { agent_ids: [agents.build] });

  // One at a time: each run is created, then claimed by the agent that offers a slot for it, so claims are deterministic.
  // A schedule firing every second (overlap "skip": no second job while the first is active),
  // paused once it fired; the tick after the pause waits out any pass already under way.
  const schedule = await trigger(s, { name: "nightly-scan", kind: "schedule", target: { module: "scanner", function: "scan", inputs: { cluster: "eu-1" }, agent_id: agents.gpu }, schedule: { cron: "* * * * * *" } });
  const completed = await firedJob(s, schedule);
  const completedDriver = await new AgentDriver(s, agents.gpu, completed).claim();
  await completedDriver
    .start()
    .steps([
      { name: "fetch", status: "completed" },
      { name: "scan", status: "completed", output: "3 namespaces" },
    ])
    .log("scanning eu-1\n")
    .log("3 namespaces scanned\n")
    .report({ markdown: REPORT_MD, json: { findings: 1 } })
    .finish({ outcome: "completed", exitCode: 0, reason: null, message: null })
    .settled();

  // Started from the console: its client header makes the run manual.
  const manual = await s.t.api<{ details: { id: string } }>("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "berlin" }, agent_id: agents.edge, max_attempts: 1 }, headers: { "x-outpost-client": "console" } });
  if (manual.status !== 201) throw new Error(`POST /jobs answered ${manual.status}: ${JSON.stringify(manual.body)}`);
  const failed = manual.body.details.id;
  const failedDriver = await new AgentDriver(s, agents.edge, failed).claim();
  await failedDriver
    .start()
    .steps([
      { name: "prepare", status: "completed" },
      { name: "greet", status: "failed", output: "exit 2" },
    ])
    .log("greeting berlin\n")
    .log("error: the greeting service refused\n", "stderr")
    .finish({ outcome: "failed", exitCode: 2, reason: "exit_code", message: "Process exited with code 2" })
    .settled();

  // An event trigger on Staging's agents starting a job: it fires when build-box-01 starts the webhook's run below.
  const event = await trigger(s, { name: "staging busy", kind: "event", target: { module: "hello", function: "greet", inputs: { who: "staging" }, pool_id: staging }, event: { on: "agent.status", pool_id: staging, status: ["ExecutingJob"] } });
  const hook = await trigger(s, { name: "github push", kind: "webhook", target: { module: "hello", function: "greet", inputs: { who: "world" }, pool_id: production } });
  const running = await deliver(s, hook, { ref: "refs/heads/main" });
  const runningDriver = (await new AgentDriver(s, agents.build, running).claim())
    .start()
    .steps([
      { name: "checkout", status: "completed" },
      { name: "build", status: "running" },
      { name: "publish", status: "pending" },
    ])
    .log("checking out main\n")
    .log("building…\n");
  await runningDriver.settled();

  // No agent in Staging offers a slot (build-box-01 is busy, and no seeded agent offers one by itself): this one waits.
  const pending = await firedJob(s, event);
  return { registerToken, agents, fleet, pools: { production, staging }, runs: { completed, failed, running, pending }, drivers: { running: runningDriver } };
}

type Trigger = { id: string; hook_path?: string; secret?: string };

async function trigger(s: Server, body: Record<string, unknown>): Promise<Trigger> {
  return s.call<Trigger>("POST", "/triggers", body);
}

/**
 * The first job a schedule or event trigger fired; then `stop` (by default a pause) keeps it from
 * firing another, and the tick after it waits out any pass already under way.
 */
export async function firedJob(s: Server, t: { id: string }, stop = () => s.call("POST", `/triggers/${t.id}/pause`)): Promise<string> {
  const jobId = await until(`a job of trigger ${t.id}`, async () => (await s.call<{ job_id: string | null }[]>("GET", `/triggers/${t.id}/firings`)).find((f) => f.job_id)?.job_id ?? undefined);
  await stop();
  // The app's decoration (typed in the server's app.ts, which this package does not see).
  await (s.t.app as unknown as { scheduler: { tick: () => Promise<void> } }).scheduler.tick();
  return jobId;
}

/** A signed delivery to a webhook trigger, over HTTP as a sender makes it; the job it started. */
async function deliver(s: Server, t: Trigger, payload: unknown): Promise<string> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${s.baseUrl}${t.hook_path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-outpost-timestamp": timestamp, "x-outpost-delivery": `seed-${t.id}`, "x-outpost-signature-256": signDelivery(t.secret!, timestamp, body) },
    body,
  });
  if (res.status !== 202) throw new Error(`the webhook delivery answered ${res.status}: ${await res.text()}`);
  const delivery = ((await res.json()) as { details: { job_id: string | null; error: string | null } }).details;
  if (!delivery.job_id) throw new Error(`the webhook delivery started no job: ${delivery.error}`);
  return delivery.job_id;
}
