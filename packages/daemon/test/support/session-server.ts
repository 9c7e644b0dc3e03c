/** The server side of AgentSession tests: a real `ws` server on 127.0.0.1:0 at the session path, speaking the session subprotocol. */
import { WebSocketServer } from "ws";
import { SESSION_PATH, SUBPROTOCOL } from "@outpost/shared";

export async function sessionServer(): Promise<{ wss: WebSocketServer; port: number }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: SESSION_PATH, handleProtocols: (p) => (p.has(SUBPROTOCOL) ? SUBPROTOCOL : false) });
  const { port } = await new Promise<{ port: number }>((r) => wss.once("listening", () => r(wss.address() as { port: number })));
  return { wss, port };
}
