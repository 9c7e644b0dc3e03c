/**
 * The data the browser suites start from, all through the public REST API: a PAT with
 * agents:register, two published modules, named agents plus a fleet large enough to page, two
 * pools, and runs in each interesting state (completed with a report, failed at a step, running
 * with logs and steps, pending).
 */
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
    mac: await registerAgent(s, registerToken, { name: "mac-mini-ci", modules: [], platform: "darwin", distro: "macOS", version: "0.1.5" }),
  };
  const fleet: string[] = [];
  if (opts.fleet !== false) {
    for (let i = 1; i <= FLEET_SIZE; i++) fleet.push(await registerAgent(s, registerToken, { name: `worker-${String(i).padStart(3, "0")}`, modules: [hello] }));
  }
  const production = (await s.call<{ id: string }>("POST", "/pools", { name: "Production", description: "Agents that run release and scan jobs." })).id;
  const staging = (await s.call<{ id: string }>("POST", "/pools", { name: "Staging", description: "Pre-release checks." })).id;
  await s.call("POST", `/pools/${production}/agents`, { agent_ids: [agents.build, agents.gpu] });
  await s.call("POST", `/pools/${staging}/agents`, { agent_ids: [agents.build] });

  // The server sets a run's provenance from the credential (api, by the token's user); the other
  // sources have no REST caller yet, so the seed writes them on the row as their trigger would.
  const job = async ({ trigger_source, triggered_by, ...body }: Record<string, unknown>) => {
    const id = (await s.call<{ id: string }>("POST", "/jobs", body)).id;
    if (trigger_source) s.t.deps.db.$client.prepare("UPDATE jobs SET trigger_source = ? WHERE id = ?").run(trigger_source, id);
    if (triggered_by) s.t.deps.db.$client.prepare("UPDATE jobs SET triggered_by = ? WHERE id = ?").run(triggered_by, id);
    return id;
  };
  // One at a time: each is claimed by its agent before the next is created, so claims are deterministic.
  const completed = await job({ module: "scanner", function: "scan", inputs: { cluster: "eu-1" }, agent_id: agents.gpu, trigger_source: "schedule", triggered_by: "nightly-scan" });
  new AgentDriver(s, agents.gpu, completed)
    .claim()
    .start()
    .steps([
      { name: "fetch", status: "completed" },
      { name: "scan", status: "completed", output: "3 namespaces" },
    ])
    .log("scanning eu-1\n")
    .log("3 namespaces scanned\n")
    .report({ markdown: REPORT_MD, json: { findings: 1 } })
    .finish({ outcome: "completed", exitCode: 0, reason: null, message: null });

  const failed = await job({ module: "hello", function: "greet", inputs: { who: "berlin" }, agent_id: agents.edge, trigger_source: "manual", max_attempts: 1 });
  new AgentDriver(s, agents.edge, failed)
    .claim()
    .start()
    .steps([
      { name: "prepare", status: "completed" },
      { name: "greet", status: "failed", output: "exit 2" },
    ])
    .log("greeting berlin\n")
    .log("error: the greeting service refused\n", "stderr")
    .finish({ outcome: "failed", exitCode: 2, reason: "exit_code", message: "Process exited with code 2", step: "greet" });

  const running = await job({ module: "hello", function: "greet", inputs: { who: "world" }, pool_id: production, trigger_source: "webhook", triggered_by: "github push" });
  const runningDriver = new AgentDriver(s, agents.build, running)
    .claim()
    .start()
    .steps([
      { name: "checkout", status: "completed" },
      { name: "build", status: "running" },
      { name: "publish", status: "pending" },
    ])
    .log("checking out main\n")
    .log("building…\n");

  // No agent in Staging is free (build-box-01 is busy): this one waits.
  const pending = await job({ module: "hello", function: "greet", inputs: { who: "staging" }, pool_id: staging, trigger_source: "event" });
  return { registerToken, agents, fleet, pools: { production, staging }, runs: { completed, failed, running, pending }, drivers: { running: runningDriver } };
}
