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
