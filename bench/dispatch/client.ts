/**
 * The bench's client side, run in a worker thread so the server keeps the main thread (and a core)
 * to itself: lean protocol agents over real `ws`, a keep-alive HTTP submitter and the echo client
 * of the baseline. Frames are JSON.parse'd without zod: the agents trust the server under test, so
 * the client's own cost stays small.
 */
import { Agent as HttpAgent, request } from "node:http";
import { parentPort } from "node:worker_threads";
import WebSocket from "ws";
import { PROTOCOL_VERSION, SESSION_PATH, SUBPROTOCOL } from "@outpost/shared";
import { JOB_BODY, MODULE, type ClientResult, type ClientTask } from "./protocol.js";
import { nowMs, summarize } from "./stats.js";

type Frame = { type: string; job_id?: string; attempt?: number; status?: string };

const http = new HttpAgent({ keepAlive: true, maxSockets: 64 });

/** POST /api/v1/jobs over a kept-alive socket; resolves with the status code. */
function submitJob(httpUrl: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${httpUrl}/api/v1/jobs`,
      { method: "POST", agent: http, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(JOB_BODY) } },
      (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 201 ? resolve(201) : reject(new Error(`POST /api/v1/jobs: HTTP ${res.statusCode}`))));
      },
    );
    req.on("error", reject);
    req.end(JOB_BODY);
  });
}

/**
 * A protocol agent that runs every job as a no-op: accept, started and finished in one go, then
 * announces the slot free again. `onFrame` sees every frame first (the latency run times assigns).
 */
class LeanAgent {
  free: number;
  finished = 0;
  onFrame: (f: Frame) => void = () => {};
  onFinishedAck: () => void = () => {};
  autoRun = true;

  private constructor(
    readonly ws: WebSocket,
    readonly slots: number,
  ) {
    this.free = slots;
    ws.on("message", (data) => this.receive(JSON.parse(data.toString()) as Frame));
  }

  static open(httpUrl: string, credential: string, slots: number): Promise<LeanAgent> {
    const ws = new WebSocket(httpUrl.replace(/^http/, "ws") + SESSION_PATH, SUBPROTOCOL, { headers: { authorization: `Bearer ${credential}` }, perMessageDeflate: false });
    ws.on("error", (err) => console.error("agent socket error", err));
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new LeanAgent(ws, slots)));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`session: HTTP ${res.statusCode}`)));
    });
  }

  hello(): void {
    this.send({ type: "hello", protocol_version: PROTOCOL_VERSION, version: "bench", slots: this.slots, modules: [MODULE], running: [] });
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  private receive(f: Frame): void {
    this.onFrame(f);
    if (f.type === "assign" && this.autoRun) this.run(f.job_id!, f.attempt!);
    else if (f.type === "finished_ack") {
      this.finished++;
      this.onFinishedAck();
    } else if (f.type === "error" || f.type === "stale") console.error("server said", f);
  }

  run(jobId: string, attempt: number): void {
    this.free--;
    const ref = { job_id: jobId, attempt };
    this.send({ type: "accept", ...ref });
    this.send({ type: "started", ...ref, container_id: "noop" });
    this.send({ type: "finished", ...ref, outcome: "completed", exit_code: 0, reason: null, message: null, last_seq: -1 });
    this.free++;
    this.send({ type: "ready", free_slots: this.free });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }
}

async function connectAll(httpUrl: string, credentials: string[], slots: number): Promise<LeanAgent[]> {
  const agents = await Promise.all(credentials.map((c) => LeanAgent.open(httpUrl, c, slots)));
  return agents;
}

function waitWelcome(agents: LeanAgent[]): Promise<void> {
  return Promise.all(
    agents.map(
      (a) =>
        new Promise<void>((resolve) => {
          const prev = a.onFrame;
          a.onFrame = (f) => {
            if (f.type === "welcome") {
              a.onFrame = prev;
              resolve();
            }
          };
        }),
    ),
  ).then(() => undefined);
}

/** Baseline (a): one round trip to the echo server, which commits one insert before it answers. */
async function echo(task: Extract<ClientTask, { kind: "echo" }>): Promise<ClientResult> {
  const ws = new WebSocket(task.url, { perMessageDeflate: false });
  await new Promise((r) => ws.once("open", r));
  const rtts: number[] = [];
  let pending: ((v: unknown) => void) | null = null;
  ws.on("message", () => pending?.(null));
  for (let i = 0; i < task.warmup + task.n; i++) {
    const t0 = nowMs();
    await new Promise((r) => {
      pending = r;
      ws.send(JSON.stringify({ type: "ping", seq: i }));
    });
    if (i >= task.warmup) rtts.push(nowMs() - t0);
  }
  ws.close();
  return { kind: "echo", rtt: summarize(rtts) };
}

/** Submit one job at a time with every agent idle; time until an agent holds the assign. */
async function latency(task: Extract<ClientTask, { kind: "latency" }>): Promise<ClientResult> {
  const agents = await connectAll(task.httpUrl, task.credentials, 1);
  const welcomed = waitWelcome(agents);
  for (const a of agents) a.hello();
  await welcomed;
  const assignMs: number[] = [];
  const replyMs: number[] = [];
  for (let i = 0; i < task.warmup + task.n; i++) {
    let t0 = 0;
    const assigned = new Promise<number>((resolve) => {
      for (const a of agents) {
        a.onFrame = (f) => {
          if (f.type === "assign") resolve(nowMs());
        };
      }
    });
    const acked = new Promise<void>((resolve) => {
      for (const a of agents) a.onFinishedAck = resolve;
    });
    t0 = nowMs();
    await submitJob(task.httpUrl, task.token);
    const replied = nowMs();
    const at = await assigned;
    await acked; // the job ran to the end: every agent is idle again before the next submission
    if (i >= task.warmup) {
      assignMs.push(at - t0);
      replyMs.push(replied - t0);
    }
  }
  await Promise.all(agents.map((a) => a.close()));
  return { kind: "latency", assign: summarize(assignMs), httpReply: summarize(replyMs) };
}

/** Bulk submission over HTTP with `concurrency` requests in flight. */
async function submit(task: Extract<ClientTask, { kind: "submit" }>): Promise<ClientResult> {
  let next = 0;
  const t0 = nowMs();
  const lane = async () => {
    while (next < task.n) {
      next++;
      await submitJob(task.httpUrl, task.token);
    }
  };
  await Promise.all(Array.from({ length: task.concurrency }, lane));
  return { kind: "submit", n: task.n, seconds: (nowMs() - t0) / 1000 };
}

/** Agents connect and drain the queue; done when `expected` results are acknowledged. */
async function throughput(task: Extract<ClientTask, { kind: "throughput" }>): Promise<ClientResult> {
  const agents = await connectAll(task.httpUrl, task.credentials, task.slots);
  let done = 0;
  let t0 = 0;
  const finished = new Promise<number>((resolve) => {
    for (const a of agents) {
      a.onFinishedAck = () => {
        if (++done === task.expected) resolve(nowMs());
      };
    }
  });
  t0 = nowMs();
  for (const a of agents) a.hello();
  const t1 = await finished;
  await Promise.all(agents.map((a) => a.close()));
  return { kind: "throughput", completed: done, seconds: (t1 - t0) / 1000 };
}

/** The main thread submits; each assign's arrival time goes back to it once that job has finished. */
async function serviceLatency(task: Extract<ClientTask, { kind: "serviceLatency" }>): Promise<ClientResult> {
  const agents = await connectAll(task.httpUrl, task.credentials, 1);
  const welcomed = waitWelcome(agents);
  for (const a of agents) a.hello();
  await welcomed;
  let assignedAt = 0;
  let done = 0;
  const all = new Promise<void>((resolve) => {
    for (const a of agents) {
      a.onFrame = (f) => {
        if (f.type === "assign") assignedAt = nowMs();
      };
      a.onFinishedAck = () => {
        parentPort!.postMessage({ assignedAt });
        if (++done === task.n) resolve();
      };
    }
  });
  parentPort!.postMessage({ ready: true });
  await all;
  await Promise.all(agents.map((a) => a.close()));
  return { kind: "serviceLatency", n: done };
}

const tasks = { echo, latency, submit, serviceLatency, throughput } as const;

parentPort!.on("message", (task: ClientTask) => {
  (tasks[task.kind] as (t: ClientTask) => Promise<ClientResult>)(task).then(
    (r) => parentPort!.postMessage({ ok: true, result: r }),
    (err: Error) => parentPort!.postMessage({ ok: false, error: err.stack ?? String(err) }),
  );
});
