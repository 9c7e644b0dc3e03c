/**
 * A raw TCP client that sends one GET, reads the response head, and never reads again: the slow
 * consumer of the stream tests. Nothing is read after the head, so the kernel buffers fill and
 * stay full and the server sees write() back up.
 */
import { connect, type Socket } from "node:net";

export function stalledReader(url: string, path: string, token: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => {
      s.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${token}\r\naccept: text/event-stream\r\n\r\n`);
    });
    s.once("error", reject);
    s.once("data", (head) => {
      s.pause();
      const status = head.toString().split("\r\n")[0];
      if (status?.startsWith("HTTP/1.1 200")) resolve(s);
      else {
        s.destroy();
        reject(new Error(`stalled reader got ${status}`));
      }
    });
  });
}
