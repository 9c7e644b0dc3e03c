/**
 * A real outpost-server for the browser suites: the real app over a real SQLite file, serving the
 * built console (packages/console/dist) on 127.0.0.1, seeded through the public REST API.
 *
 * The agent side: agents register over REST with a PAT holding agents:register, exactly as the
 * daemon does. Job progress goes through the dispatch core the agent session calls (the claim through
 * the real dispatcher, one pass for the agent's session), and the change events the session publishes are published here,
 * so the console sees what it would see with a connected daemon.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  appendLogs,
  dispatchHarness,
  finishAttempt,
  makeTestApp,
  recordReport,
  recordSteps,
  sampleModule,
  startAttempt,
  type AttemptResult,
  type DispatchHarness,
  type TestApp,
} from "@outpost/control-plane/testing";
import type { StepUpdate } from "@outpost/shared";

export const CONSOLE_DIST = fileURLToPath(new URL("../../dist", import.meta.url));
const LEASE_MS = 10 * 60_000;

export interface Server {
  t: TestApp;
  /** Claims through the real dispatcher (one pass for an agent's session, no socket). */
  dispatch: DispatchHarness;
  baseUrl: string;
  adminToken: string;
  /** REST call as admin (or `token`); throws on an unexpected status so seeding fails loudly. */
  call: <T = any>(method: string, path: string, body?: unknown, token?: string) => Promise<T>;
  close: () => Promise<void>;
}

export async function startServer(): Promise<Server> {
  if (!existsSync(`${CONSOLE_DIST}/index.html`)) throw new Error(`The console is not built (${CONSOLE_DIST}): run pnpm build first.`);
  // A private copy: a `pnpm build` elsewhere empties dist/ while it runs, which must not break a suite mid-way.
  const consoleDir = mkdtempSync(join(tmpdir(), "outpost-console-"));
  cpSync(CONSOLE_DIST, consoleDir, { recursive: true });
  const t = await makeTestApp({ consoleDir });
  const address = await t.app.listen({ host: "127.0.0.1", port: 0 });
  const call: Server["call"] = async (method, path, body, token) => {
    const res = await t.api(method, `/api/v1${path}`, { body, token: token ?? t.adminToken });
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return (res.body as { details: any }).details;
  };
  return { t, dispatch: dispatchHarness(t.deps), baseUrl: address, adminToken: t.adminToken, call, close: async () => {
      await t.close();
      rmSync(consoleDir, { recursive: true, force: true });
    },
  };
}

export interface AgentSpec {
  name: string;
  modules?: { name: string; version: string }[];
  platform?: string;
  distro?: string;
  version?: string;
}

/** Registers an agent the way the daemon does (PAT with agents:register) and marks its session connected. */
export async function registerAgent(s: Server, registerToken: string, spec: AgentSpec): Promise<string> {
  const details = await s.call<{ id: string }>(
    "POST",
    "/agent",
    {
      name: spec.name,
      hostname: `${spec.name.toLowerCase().replace(/\W+/g, "-")}.local`,
      os: { platform: spec.platform ?? "linux", distro: spec.distro ?? "Debian GNU/Linux", release: "12", kernel: "6.1.0", arch: "x64" },
      version: spec.version ?? "0.1.0",
      modules: spec.modules ?? [],
    },
    registerToken,
  );
  // No WebSocket session in this suite: mark the agent connected as its session would.
  s.t.deps.db.$client.prepare("UPDATE agents SET connected = 1 WHERE id = ?").run(details.id);
  return details.id;
}

export async function publishModules(s: Server): Promise<void> {
  await s.call("POST", "/modules", sampleModule());
  await s.call(
    "POST",
    "/modules",
    sampleModule({
      name: "scanner",
      version: "2.1.0",
      functions: [
        { name: "scan", display_name: "Scan cluster", command: ["sh", "-c", "echo scan"], input_schema: { type: "object" } },
        { name: "audit", display_name: "Audit images", command: ["sh", "-c", "echo audit"], input_schema: { type: "object" } },
      ],
    }),
  );
}

/** What the agent session does for one job, step by step; each call publishes what the session would. */
export class AgentDriver {
  private seq = 0;
  private attempt = 0;
  constructor(
    private readonly s: Server,
    readonly agentId: string,
    readonly jobId: string,
  ) {}

  private get ref() {
    return { jobId: this.jobId, attempt: this.attempt, agentId: this.agentId };
  }

  private publish(...types: ("job.updated" | "agent.updated" | "job.log")[]) {
    const orgId = (this.s.t.deps.db.$client.prepare("SELECT org_id FROM agents WHERE id = ?").get(this.agentId) as { org_id: string }).org_id;
    for (const type of types) this.s.t.deps.events.publish({ type, id: type === "agent.updated" ? this.agentId : this.jobId, org_id: orgId } as never);
  }

  claim(): this {
    const claimed = this.s.dispatch.claim(this.agentId, new Date().toISOString(), LEASE_MS);
    if (claimed?.job_id !== this.jobId) throw new Error(`expected to claim ${this.jobId}, got ${claimed?.job_id ?? "nothing"}`);
    this.attempt = claimed.attempt;
    this.seq = 0;
    this.publish("job.updated", "agent.updated");
    return this;
  }

  start(): this {
    if (startAttempt(this.s.t.deps.db, this.ref, new Date().toISOString(), LEASE_MS) === "stale") throw new Error("start was stale");
    this.publish("job.updated", "agent.updated");
    return this;
  }

  log(data: string, stream: "stdout" | "stderr" = "stdout"): this {
    appendLogs(this.s.t.deps.db, this.ref, [{ seq: this.seq++, stream, data }], new Date().toISOString());
    this.publish("job.log");
    return this;
  }

  steps(steps: (Omit<StepUpdate, "output"> & { output?: string | null })[]): this {
    recordSteps(this.s.t.deps.db, this.ref, steps.map((st) => ({ ...st, output: st.output ?? null })), new Date().toISOString());
    this.publish("job.updated");
    return this;
  }

  report(report: { json?: unknown; markdown?: string }): this {
    recordReport(this.s.t.deps.db, this.ref, report, new Date().toISOString());
    this.publish("job.updated");
    return this;
  }

  finish(result: AttemptResult): this {
    finishAttempt(this.s.t.deps.db, this.ref, result, new Date().toISOString());
    this.publish("job.updated", "agent.updated");
    return this;
  }
}
