/**
 * outpost-agent's lifecycle: check modules against the catalog and local images, register (or
 * re-register, counting a restart), reap containers a previous process left, then hold the
 * session and run what it is given until told to stop.
 */
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import pinoPretty from "pino-pretty";
import { agentLabelsOf, labelsOf, type AgentConfig } from "./config.js";
import { FatalError } from "./errors.js";
import { catalogImage, readCredential, register } from "./host/identity.js";
import { forgetToken } from "./host/forget-token.js";
import { hostFacts } from "./host/system-info.js";
import { DockerRuntime } from "./runtime/docker.js";
import type { ContainerRuntime } from "./runtime/types.js";
import { JobRunner } from "./jobs/runner.js";
import { ModuleManager } from "./modules.js";
import { AgentSession } from "./session/connection.js";
import { StateFile } from "./host/state-file.js";
import { DAEMON_VERSION } from "./version.js";
import { UPGRADE_REQUESTED, writeUpgradeRequest } from "./install/upgrade-request.js";
import { AgentMetrics } from "./metrics.js";
import { readRegistryAuth } from "./runtime/registry-auth.js";

/** The agent's logger: pino at --log-level, JSON or (--log-format pretty) pino-pretty lines, credentials and tokens censored. */
export function agentLogger(config: Pick<AgentConfig, "logLevel" | "logFormat">): Logger {
  const options = { level: config.logLevel, redact: ["credential", "token", "*.credential", "*.token", "auth"] };
  if (config.logFormat !== "pretty") return pino(options);
  return pino(options, pinoPretty({ sync: true, colorize: false, translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'", ignore: "pid,hostname" }));
}

function registryAuthOf(config: AgentConfig) {
  if (!config.registryAuth) return undefined;
  try {
    return readRegistryAuth(config.registryAuth);
  } catch (err) {
    throw new FatalError(`--registry-auth ${(err as Error).message}`);
  }
}

/** done: null when stopped, else why it stopped: a refusal, or UPGRADE_REQUESTED (the server asked it to upgrade). */
/** metricsPort: where --metrics-addr is served (the bound port, for `:0`), else null. */
export type RunningAgent = { agentId: string; stop: () => Promise<void>; done: Promise<string | null>; metricsPort: number | null };

/** opts.configFile: the --config file run read, from which the token is removed once registered. */
export async function startAgent(config: AgentConfig, opts: { log?: Logger; runtime?: ContainerRuntime; configFile?: string } = {}): Promise<RunningAgent> {
  const log = opts.log ?? agentLogger(config);
  // The credential lives here: the owner's alone, even when an earlier version made it 0755.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(config.dataDir, 0o700);
  const metrics = new AgentMetrics({ running: () => runner?.runningKeys().length ?? 0, freeSlots: () => runner?.freeSlots ?? 0 });
  const runtime = opts.runtime ?? new DockerRuntime({ scratchDir: join(config.dataDir, "jobs"), labels: labelsOf(config), timings: metrics, registryAuth: registryAuthOf(config) });
  const startedAt = new Date().toISOString();
  // Docker may be restarting as the agent starts (issue 17): wait for it rather than exit.
  for (let said = false; !(await runtime.ping().then(() => true, () => false)); said = true) {
    if (!said) log.warn("the container runtime is unreachable; waiting for it before starting");
    await new Promise((r) => setTimeout(r, 1000));
  }

  // Modules: in the catalog, and their image here. A module that fails either check stops the start.
  const stored = readCredential(config.dataDir);
  if (stored || config.token) {
    for (const m of config.modules) {
      const image = await catalogImage({ ...config, stored }, m);
      if (image === undefined) throw new FatalError(`--module ${m.name}@${m.version}: that version is not in the catalog of ${config.url}; publish it first`);
      if (image !== null && !(await runtime.hasImage(image))) throw new FatalError(`--module ${m.name}@${m.version}: its image ${image} is not present on this host; load or pull it first`);
    }
  }

  // Modules the server installed earlier (modules.json) plus the flags; install/remove requests go here.
  const modules = await ModuleManager.load({ dataDir: config.dataDir, runtime, log, flags: config.modules, send: (f) => session.send(f) });
  const facts = await hostFacts();
  const cred = await register({
    url: config.url,
    dataDir: config.dataDir,
    token: config.token,
    stored,
    body: {
      name: config.name ?? facts.hostname,
      hostname: facts.hostname,
      os: facts.os,
      version: DAEMON_VERSION,
      modules: modules.list(),
      ...(agentLabelsOf(config) ? { labels: agentLabelsOf(config) } : {}),
      slots: config.slots,
      cpu_count: facts.cpu_count,
      memory_bytes: facts.memory_bytes,
      started_at: startedAt,
      ...config.profileFields,
    },
  });
  log.info({ agent_id: cred.agent_id, url: config.url }, "registered");
  if (opts.configFile) {
    try {
      if (forgetToken(opts.configFile)) log.info({ config: opts.configFile }, "the agent has its credential: removed the token from the config file");
    } catch (err) {
      log.warn({ config: opts.configFile, err: (err as Error).message }, "cannot remove the token from the config file; remove it by hand");
    }
  }

  // Nothing is tracked yet, so any container labelled as ours was started by an earlier process.
  const leftovers = await runtime.listOwned(cred.agent_id);
  await runtime.removeOrphanScratch(leftovers);

  let finish!: (reason: string | null) => void;
  const done = new Promise<string | null>((r) => (finish = r));
  const session: AgentSession = new AgentSession(
    { url: config.url, credential: cred.credential, log },
    {
      hello: () => ({ version: DAEMON_VERSION, slots: config.slots, modules: modules.list(), os: facts.os, running: runner.runningKeys() }),
      welcome: (w) => (metrics.resync(() => runner.resync(w.lease_ttl_s, w.resume)), modules.resend()),
      frame: (f) => (f.type === "module" ? modules.handle(f) : f.type === "upgrade" ? onUpgrade(f.version) : runner.handle(f)),
      fatal: (message) => void stop(message),
      onState: (connected) => state.update({ connected }),
    },
  );
  const runner: JobRunner = new JobRunner({
    runtime,
    agentId: cred.agent_id,
    slots: config.slots,
    hasModule: (m) => modules.has(m),
    log,
    send: (f) => {
      const sent = session.send(f);
      if (sent) metrics.frameSent(f.type);
      return sent;
    },
    congested: () => session.congested,
    pullTimeoutS: config.pullTimeoutS,
  });
  runner.adopt(leftovers);
  // For `outpost-agent status`; the running list is refreshed with the tick.
  const state = new StateFile(config.dataDir, (err) => log.warn({ err: err.message }, "cannot write the state file"));
  state.update({ agent_id: cred.agent_id, url: config.url, version: DAEMON_VERSION, pid: process.pid, since: startedAt, connected: false, running: [] });
  const ticker = setInterval(() => {
    runner.tick();
    state.update({ running: runner.runningDetails() });
  }, 1000);
  session.start();
  const metricsServer = config.metricsAddr ? await metrics.serve(config.metricsAddr) : null;
  if (metricsServer) log.info({ addr: config.metricsAddr, port: metricsServer.port }, "serving metrics at /metrics");

  // The server asks for its version: leave the request for the service's ExecStartPre, drain, exit 75.
  const onUpgrade = (version: string) => {
    if (version === DAEMON_VERSION) return log.info({ version }, "asked to upgrade to the version already running; nothing to do");
    log.info({ from: DAEMON_VERSION, to: version }, "upgrade requested by the server: draining, then exiting for the service to upgrade and restart");
    writeUpgradeRequest(config.dataDir, version);
    void stop(UPGRADE_REQUESTED);
  };

  let stopping: Promise<void> | null = null;
  const stop = (reason: string | null = null) =>
    (stopping ??= (async () => {
      clearInterval(ticker);
      await runner.drain(config.drainDeadlineS, config.cancelGraceS);
      runner.close();
      await session.stop();
      state.update({ connected: false, running: runner.runningDetails() });
      state.flush();
      await metricsServer?.close();
      finish(reason);
    })());
  return { agentId: cred.agent_id, stop: () => stop(null), done, metricsPort: metricsServer?.port ?? null };
}
