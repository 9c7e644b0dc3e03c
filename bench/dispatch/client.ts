/**
 * The bench's client side, run in a worker thread so the server keeps the main thread (and a core)
 * to itself: lean protocol agents over real `ws`, raw keep-alive HTTP submitters and the echo client
 * of the baseline. Frames are JSON.parse'd without zod: the agents trust the server under test, so
 * the client's own cost stays small.
 */
import { parentPort } from "node:worker_threads";
import WebSocket from "ws";
import { PROTOCOL_VERSION, SESSION_PATH, SUBPROTOCOL, type AgentFrame } from "@outpost/shared";
import { JOB_BODY, MODULE, type ClientResult, type ClientTask } from "./protocol.js";
import { nowMs, summarize } from "./stats.js";
import { RawHttp } from "./raw-http.js";

type Frame = { type: string; job_id?: string; attempt?: number; status?: string };

/** POST /api/v1/jobs with the bench's job body, as bytes for RawHttp. */
function createJobRequest(http: RawHttp, token: string): Buffer {
  return http.build("POST", "/api/v1/jobs", { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, JOB_BODY);
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
    this.send({ v: PROTOCOL_VERSION, type: "hello", protocol_version: PROTOCOL_VERSION, version: "bench", slots: this.slots, modules: [MODULE], running: [] });
  }

  send(frame: AgentFrame): void {
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
    this.send({ v: PROTOCOL_VERSION, type: "accept", ...ref });
    this.send({ v: PROTOCOL_VERSION, type: "started", ...ref, container_id: "noop" });
    this.send({ v: PROTOCOL_VERSION, type: "finished", ...ref, outcome: "completed", exit_code: 0, reason: null, message: null, last_seq: -1 });
    this.free++;
    this.send({ v: PROTOCOL_VERSION, type: "ready", free_slots: this.free });
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

/** Baseline (a): round trips to the echo server, which commits one insert before it answers. */
class EchoClient {
  private pending: (() => void) | null = null;
  private seq = 0;
  private constructor(private readonly ws: WebSocket) {
    ws.on("message", () => this.pending?.());
  }

  static async open(url: string): Promise<EchoClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((r) => ws.once("open", r));
    return new EchoClient(ws);
  }

  /** One round trip, in milliseconds. */
  async once(): Promise<number> {
    const t0 = nowMs();
    await new Promise<void>((r) => {
      this.pending = r;
      this.ws.send(JSON.stringify({ type: "ping", seq: this.seq++ }));
    });
    return nowMs() - t0;
  }

  close(): void {
    this.ws.close();
  }
}

/** Baseline (a) in a tight loop: one round trip after another. */
async function echo(task: Extract<ClientTask, { kind: "echo" }>): Promise<ClientResult> {
  const client = await EchoClient.open(task.url);
  const rtts: number[] = [];
  for (let i = 0; i < task.warmup + task.n; i++) {
    const rtt = await client.once();
    if (i >= task.warmup) rtts.push(rtt);
  }
  client.close();
  return { kind: "echo", rtt: summarize(rtts) };
}

/** Submit one job at a time with every agent idle; time until an agent holds the assign. */
async function latency(task: Extract<ClientTask, { kind: "latency" }>): Promise<ClientResult> {
  const agents = await connectAll(task.httpUrl, task.credentials, 1);
  const welcomed = waitWelcome(agents);
  for (const a of agents) a.hello();
  await welcomed;
  const echoClient = await EchoClient.open(task.echoUrl);
  const http = await RawHttp.open(task.httpUrl);
  const post = createJobRequest(http, task.token);
  const health = http.build("GET", "/healthz");
  const assignMs: number[] = [];
  const replyMs: number[] = [];
  const echoMs: number[] = [];
  const healthMs: number[] = [];
  for (let i = 0; i < task.warmup + task.n; i++) {
    const rtt = await echoClient.once(); // the baseline, in the same cadence as the submissions
    const h0 = nowMs();
    await http.send(health, 200); // what one HTTP exchange with this server costs, for reference
    const healthRtt = nowMs() - h0;
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
    await http.send(post, 201);
    const replied = nowMs();
    const at = await assigned;
    await acked; // the job ran to the end: every agent is idle again before the next submission
    if (i >= task.warmup) {
      assignMs.push(at - t0);
      replyMs.push(replied - t0);
      echoMs.push(rtt);
      healthMs.push(healthRtt);
    }
  }
  echoClient.close();
  http.close();
  await Promise.all(agents.map((a) => a.close()));
  return { kind: "latency", assign: summarize(assignMs), httpReply: summarize(replyMs), echo: summarize(echoMs), health: summarize(healthMs) };
}

/** Bulk submission over HTTP with `concurrency` requests in flight. */
async function submit(task: Extract<ClientTask, { kind: "submit" }>): Promise<ClientResult> {
  const lanes = await Promise.all(Array.from({ length: task.concurrency }, () => RawHttp.open(task.httpUrl)));
  let next = 0;
  const t0 = nowMs();
  const lane = async (http: RawHttp) => {
    const post = createJobRequest(http, task.token);
    while (next < task.n) {
      next++;
      await http.send(post, 201);
    }
  };
  await Promise.all(lanes.map(lane));
  const seconds = (nowMs() - t0) / 1000;
  for (const http of lanes) http.close();
  return { kind: "submit", n: task.n, seconds };
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

/**
 * The main thread submits; each assign's arrival time goes back to it once that job has finished.
 * Before each submission the main thread asks for one echo round trip (`{ echoOnce: true }`), so
 * the baseline is sampled in the same cadence, interleaved.
 */
async function serviceLatency(task: Extract<ClientTask, { kind: "serviceLatency" }>): Promise<ClientResult> {
  const echoClient = await EchoClient.open(task.echoUrl);
  const onEcho = (m: { echoOnce?: boolean }) => {
    if (m.echoOnce) void echoClient.once().then((rtt) => parentPort!.postMessage({ echoRtt: rtt }));
  };
  parentPort!.on("message", onEcho);
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
  parentPort!.off("message", onEcho);
  echoClient.close();
  await Promise.all(agents.map((a) => a.close()));
  return { kind: "serviceLatency", n: done };
}

const tasks = { echo, latency, submit, serviceLatency, throughput } as const;

parentPort!.on("message", (task: ClientTask | { echoOnce: true }) => {
  if (!("kind" in task)) return; // serviceLatency's echo requests
  (tasks[task.kind] as (t: ClientTask) => Promise<ClientResult>)(task).then(
    (r) => parentPort!.postMessage({ ok: true, result: r }),
    (err: Error) => parentPort!.postMessage({ ok: false, error: err.stack ?? String(err) }),
  );
});
