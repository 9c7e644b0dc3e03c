/**
 * outpost-agent's Prometheus metrics (prom-client), served on `--metrics-addr HOST:PORT` (off by
 * default; no credential, so bind it to loopback or a scrape-only network): running jobs, free
 * slots, Docker pull / create / start durations, frames sent and re-sent after a reconnect.
 */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RuntimeTimings } from "./runtime/docker.js";

export class AgentMetrics implements RuntimeTimings {
  readonly registry = new Registry();
  private readonly docker: Histogram<"step">;
  private readonly sent: Counter<"type">;
  private readonly resent: Counter<"type">;
  private resending = 0;

  constructor(state: { running: () => number; freeSlots: () => number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "outpost_agent_" });
    new Gauge({ name: "outpost_agent_running_jobs", help: "Jobs this agent holds.", registers, collect() { this.set(state.running()); } });
    new Gauge({ name: "outpost_agent_free_slots", help: "Slots free for new jobs (0 while draining).", registers, collect() { this.set(state.freeSlots()); } });
    this.docker = new Histogram({
      name: "outpost_agent_docker_seconds",
      help: "Docker steps: pull (an image missing on the host), create and start (a job's container).",
      labelNames: ["step"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 900],
      registers,
    });
    this.sent = new Counter({ name: "outpost_agent_frames_sent_total", help: "Frames sent to the server, by type.", labelNames: ["type"], registers });
    this.resent = new Counter({
      name: "outpost_agent_frames_resent_total",
      help: "Frames sent again after a reconnect (what the last session may have lost), by type.",
      labelNames: ["type"],
      registers,
    });
  }

  observe(step: "pull" | "create" | "start", seconds: number): void {
    this.docker.observe({ step }, seconds);
  }

  /** Counts a frame the session accepted. */
  frameSent(type: string): void {
    this.sent.inc({ type });
    if (this.resending) this.resent.inc({ type });
  }

  /** Runs fn (the runner's resync after welcome) counting what it sends as re-sent too. */
  resync(fn: () => void): void {
    this.resending++;
    try {
      fn();
    } finally {
      this.resending--;
    }
  }

  /** Serves GET /metrics on addr (`HOST:PORT`, or `:PORT` for 127.0.0.1); resolves once listening, with the bound port. */
  async serve(addr: string): Promise<{ port: number; close: () => Promise<void> }> {
    const { host, port } = parseAddr(addr);
    const server: Server = createServer((req, res) => {
      if (req.method === "GET" && req.url?.split("?")[0] === "/metrics") {
        this.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      } else res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ status: "error", code: "route_not_found", message: "Only GET /metrics here." }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const bound = server.address();
    return {
      port: typeof bound === "object" && bound ? bound.port : port,
      close: () => new Promise((r) => server.close(() => r())),
    };
  }
}

/** `HOST:PORT`, `[::1]:PORT` or `:PORT` (127.0.0.1). */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--metrics-addr ${JSON.stringify(addr)}: give HOST:PORT, e.g. 127.0.0.1:9464`);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}
