/**
 * Real processes for end-to-end tests: outpost-server and outpost-agent started from their built
 * bin scripts, with output captured, waited on by pattern, and killed with real signals.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TEST_RUN_LABEL_ARG } from "./test-run.js";

export const SERVER_BIN = fileURLToPath(new URL("../../../control-plane/bin/outpost-server.js", import.meta.url));
export const AGENT_BIN = fileURLToPath(new URL("../../bin/outpost-agent.js", import.meta.url));

export type Proc = {
  child: ChildProcess;
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  kill: (signal?: NodeJS.Signals) => Promise<number | null>;
};

/** Agents started here label their job containers with this test run (see test-run.ts). opts.stdin: written to the process's stdin, which is then closed (else stdin is /dev/null). */
export function startProc(bin: string, args: string[], env: Record<string, string> = {}, opts: { stdin?: string } = {}): Proc {
  return startCommand(process.execPath, [bin, ...args], { env: { ...process.env, OUTPOST_CONTAINER_LABELS: TEST_RUN_LABEL_ARG, ...env }, stdin: opts.stdin });
}

/** Any executable (a release binary, a shell), with exactly the given environment and directory. */
export function startCommand(command: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; stdin?: string }): Proc {
  const child = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    output: () => out,
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    exited,
    kill: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls fn until it returns something truthy. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A tiny REST client for the control plane with a bearer token. */
export function apiClient(url: string, token: string) {
  return async <T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

export type ServerProc = { proc: Proc; url: string; token: string; api: ReturnType<typeof apiClient> };

/**
 * Starts outpost-server on dbFile; the token is the bootstrap one (first start) or `token`.
 * `env`: extra environment (the soak's libfaketime); `timeoutMs`: how long it may take to come up.
 */
export async function startServer(dbFile: string, args: string[] = [], token?: string, opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ServerProc> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const proc = startProc(SERVER_BIN, ["serve", "--db", dbFile, "--log-level", "warn", ...(args.includes("--port") ? [] : ["--port", "0"]), ...args], opts.env ?? {});
  const url = (await proc.waitFor(/Outpost is up at (\S+)/, timeoutMs))[1]!;
  const tok = token ?? readFileSync((await proc.waitFor(/Bootstrap admin token written to (\S+) /, timeoutMs))[1]!, "utf8").trim();
  return { proc, url, token: tok, api: apiClient(url, tok) };
}

/** A free TCP port on 127.0.0.1 (for a server that must come back on the same address). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

type Api = ReturnType<typeof apiClient>;

/** Job helpers over a REST client: read one, wait for it to end, find an agent by name. */
export function jobHelpers(api: () => Api) {
  const job = async (id: string) => (await api()("GET", `/api/v1/jobs/${id}`)).body.details;
  return {
    job,
    settled: (id: string, timeoutMs = 60_000) =>
      until(`job ${id} to end`, async () => {
        const j = await job(id);
        return ["completed", "failed", "cancelled"].includes(j.status) ? j : null;
      }, timeoutMs),
    agentNamed: async (name: string) =>
      (await api()("GET", `/api/v1/agents?q=${name}&search_by=name&archived=all`)).body.details.find((a: { name: string }) => a.name === name),
  };
}
