/**
 * A protocol-level agent for tests and benchmarks: a real `ws` client speaking the session
 * protocol, with a queue of received frames to await by type.
 */
import WebSocket from "ws";
import { PROTOCOL_VERSION, SESSION_PATH, SUBPROTOCOL, ServerFrame, parseFrame, type AgentFrame, type FrameOf } from "@outpost/shared";

export type ProtoAgent = {
  ws: WebSocket;
  frames: ServerFrame[];
  /**
   * Any object, in the envelope of this protocol version: `v` is PROTOCOL_VERSION unless the frame
   * names its own (tests send malformed frames and other versions on purpose; sendRaw sends bytes as given).
   */
  send: (frame: object) => void;
  sendRaw: (data: string | Buffer) => void;
  next: <T extends ServerFrame["type"]>(type: T, timeoutMs?: number) => Promise<FrameOf<ServerFrame, T>>;
  /**
   * A barrier: two `renew` frames with no leases, each sent once the previous `renewed` arrived.
   * The server answers in order on one socket, so when this resolves every frame it sent this
   * session in answer to what was sent before (and from the dispatch passes those frames
   * scheduled) is in `frames`: "nothing was sent" is then a fact, not a sleep. Two, because the
   * first may share a frame batch with earlier frames, whose dispatch pass runs at the end of that
   * batch, after the first `renewed` was queued; the second is handled in a later batch.
   */
  roundTrip: () => Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  close: () => void;
};

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, "ws") + SESSION_PATH;
}

/** Opens a session; resolves once open (before hello). */
export function openSession(httpUrl: string, credential: string, opts: { protocol?: string } = {}): Promise<ProtoAgent> {
  const ws = new WebSocket(wsUrl(httpUrl), opts.protocol ?? SUBPROTOCOL, { headers: { authorization: `Bearer ${credential}` } });
  const frames: ServerFrame[] = [];
  const waiters: { type: string; resolve: (f: ServerFrame) => void }[] = [];
  ws.on("message", (data) => {
    const parsed = parseFrame(ServerFrame, data.toString());
    if (!parsed.ok) throw new Error(`server sent a bad frame: ${parsed.message}`);
    const i = waiters.findIndex((w) => w.type === parsed.frame.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(parsed.frame);
    else frames.push(parsed.frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  const agent: ProtoAgent = {
    ws,
    frames,
    send: (frame) => ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...frame })),
    sendRaw: (data) => ws.send(data),
    next: (type, timeoutMs = 5000) => {
      const i = frames.findIndex((f) => f.type === type);
      if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0] as never);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${type}" frame within ${timeoutMs} ms; queued: ${frames.map((f) => f.type).join(",")}`)), timeoutMs);
        waiters.push({ type, resolve: (f) => (clearTimeout(timer), resolve(f as never)) });
      });
    },
    roundTrip: async () => {
      for (let i = 0; i < 2; i++) {
        agent.send({ v: PROTOCOL_VERSION, type: "renew", leases: [] } satisfies AgentFrame);
        const renewed = await agent.next("renewed");
        if (renewed.leases.length) throw new Error(`renew with no leases answered with ${JSON.stringify(renewed.leases)}`);
      }
    },
    closed,
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(agent));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

/** Opens a session and says hello; resolves after welcome. */
export async function connectAgent(
  httpUrl: string,
  credential: string,
  hello: Partial<Pick<FrameOf<AgentFrame, "hello">, "slots" | "modules" | "running" | "version">> = {},
): Promise<ProtoAgent> {
  const agent = await openSession(httpUrl, credential);
  agent.send({ v: PROTOCOL_VERSION, type: "hello", protocol_version: PROTOCOL_VERSION, version: hello.version ?? "0.1.0", slots: hello.slots ?? 1, modules: hello.modules ?? [], running: hello.running ?? [] } satisfies AgentFrame);
  await agent.next("welcome");
  return agent;
}
