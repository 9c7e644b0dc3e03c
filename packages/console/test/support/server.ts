/**
 * A real outpost-server for the browser suites: the real app over a real SQLite file, serving the
 * built console (packages/console/dist) on 127.0.0.1, seeded through the public REST API.
 *
 * The agent side: agents register over REST with a PAT holding agents:register, exactly as the
 * daemon does, then open a real session over `ws` (a protocol agent from
 * `@outpost/control-plane/testing`): the hub marks them connected and publishes what a daemon's
 * session would. A seeded agent says `ready 0` right after `welcome` (as a draining daemon does), so
 * the hub hands it nothing by itself; AgentDriver offers one slot when the seed wants that agent
 * to take a run, and plays the daemon's frames for it (accept, started, logs, steps, report, finished).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectAgent, makeTestApp, sampleModule, type ProtoAgent, type TestApp } from "@outpost/control-plane/testing";
import type { JobErrorReason, StepUpdate } from "@outpost/shared";

export const CONSOLE_DIST = fileURLToPath(new URL("../../dist", import.meta.url));

export interface Server {
  t: TestApp;
  /** Each registered agent's open session, by agent id. */
  sessions: Map<string, ProtoAgent>;
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
  // Leases outlast a suite: the protocol agents hold their runs without renewing them.
  const t = await makeTestApp({ consoleDir, leaseTtlS: 3600 });
  const address = await t.app.listen({ host: "127.0.0.1", port: 0 });
  const call: Server["call"] = async (method, path, body, token) => {
    const res = await t.api(method, `/api/v1${path}`, { body, token: token ?? t.adminToken });
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return (res.body as { details: any }).details;
  };
  const sessions = new Map<string, ProtoAgent>();
  return { t, sessions, baseUrl: address, adminToken: t.adminToken, call, close: async () => {
      for (const agent of sessions.values()) agent.close();
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
  /** Registered but never came up: no session, so the agent stays Offline. */
  offline?: boolean;
}

/**
 * Registers an agent the way the daemon does (PAT with agents:register) and opens its session with
 * the same modules (unless `offline`); the agent then offers no slot (ready 0) until an AgentDriver claims for it.
 */
export async function registerAgent(s: Server, registerToken: string, spec: AgentSpec): Promise<string> {
  const res = await s.t.api<{ details: { id: string }; credential: string }>("POST", "/api/v1/agent", {
    token: registerToken,
    body: {
      name: spec.name,
      hostname: `${spec.name.toLowerCase().replace(/\W+/g, "-")}.local`,
      os: { platform: spec.platform ?? "linux", distro: spec.distro ?? "Debian GNU/Linux", release: "12", kernel: "6.1.0", arch: "x64" },
      version: spec.version ?? "0.1.0",
      modules: spec.modules ?? [],
    },
  });
  if (res.status !== 201) throw new Error(`POST /agent answered ${res.status}: ${JSON.stringify(res.body)}`);
  const { details, credential } = res.body;
  if (spec.offline) return details.id;
  const agent = await connectAgent(s.baseUrl, credential, { modules: spec.modules ?? [], version: spec.version ?? "0.1.0" });
  agent.send({ type: "ready", free_slots: 0 });
  await agent.roundTrip();
  s.sessions.set(details.id, agent);
  return details.id;
}

export async function publishModules(s: Server): Promise<void> {
  // hello's greet also takes what its triggers add: a webhook's `payload`, an event trigger's `event`.
  const hello = sampleModule() as { functions: { input_schema: { properties: Record<string, unknown> } }[] };
  const greet = hello.functions[0]!;
  await s.call("POST", "/modules", { ...hello, functions: [{ ...greet, input_schema: { ...greet.input_schema, properties: { ...greet.input_schema.properties, payload: {}, event: { type: "object" } } } }] });
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

/** What a daemon does for one job, frame by frame over the agent's session; the hub stores and publishes each. */
export class AgentDriver {
  private seq = 0;
  private attempt = 0;
  constructor(
    private readonly s: Server,
    readonly agentId: string,
    readonly jobId: string,
  ) {}

  private get agent(): ProtoAgent {
    const agent = this.s.sessions.get(this.agentId);
    if (!agent) throw new Error(`agent ${this.agentId} has no session`);
    return agent;
  }

  private send(frame: { type: string } & Record<string, unknown>): this {
    this.agent.send({ ...frame, job_id: this.jobId, attempt: this.attempt });
    return this;
  }

  /** Offers one slot; the hub's dispatch pass must assign this job (then the agent offers none again). */
  async claim(): Promise<this> {
    this.agent.send({ type: "ready", free_slots: 1 });
    const assign = await this.agent.next("assign").catch(async (err: Error) => {
      const job = await this.s.call<{ status: string; agent_id: string | null }>("GET", `/jobs/${this.jobId}`);
      throw new Error(`${err.message} (job ${this.jobId}: ${JSON.stringify(job)})`);
    });
    if (assign.job_id !== this.jobId) throw new Error(`expected to be assigned ${this.jobId}, got ${assign.job_id}`);
    this.attempt = assign.attempt;
    this.seq = 0;
    return this.send({ type: "accept" });
  }

  start(): this {
    return this.send({ type: "started", container_id: `seed-${this.jobId}` });
  }

  log(data: string, stream: "stdout" | "stderr" = "stdout"): this {
    return this.send({ type: "logs", chunks: [{ seq: this.seq++, stream, data }] });
  }

  steps(steps: (Omit<StepUpdate, "output"> & { output?: string | null })[]): this {
    return this.send({ type: "steps", steps: steps.map((st) => ({ ...st, output: st.output ?? null })) });
  }

  report(report: { json?: unknown; markdown?: string }): this {
    return this.send({ type: "report", ...report });
  }

  finish(result: { outcome: "completed" | "failed" | "cancelled"; exitCode: number | null; reason: JobErrorReason | null; message: string | null }): this {
    return this.send({ type: "finished", outcome: result.outcome, exit_code: result.exitCode, reason: result.reason, message: result.message, last_seq: this.seq - 1 });
  }

  /** Resolves once the hub has handled every frame sent so far. */
  async settled(): Promise<this> {
    await this.agent.roundTrip();
    return this;
  }
}
