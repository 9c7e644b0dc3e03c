/** A raw keep-alive HTTP/1.1 client for the benches (bench/dispatch, bench/fleet). */
import { connect, type Socket } from "node:net";

/**
 * HTTP/1.1 over one kept-alive socket, like wrk or autocannon: each request's bytes are built once
 * and a response is read just far enough to know its status and length, so the client's own cost
 * (Node's http client spends ~50 us per request) stays out of the figures. One request in flight.
 */
export class RawHttp {
  private buffered = Buffer.alloc(0);
  private waiting: { expect: number; what: string; resolve: () => void; reject: (err: Error) => void } | null = null;

  private constructor(
    private readonly socket: Socket,
    readonly host: string,
  ) {
    socket.on("data", (chunk) => this.receive(chunk));
    socket.on("error", (err) => this.waiting?.reject(err));
  }

  static open(httpUrl: string): Promise<RawHttp> {
    const url = new URL(httpUrl);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true }, () => resolve(new RawHttp(socket, url.host)));
      socket.once("error", reject);
    });
  }

  /** The bytes of one request, to send as often as needed. */
  build(method: string, path: string, headers: Record<string, string> = {}, body = ""): Buffer {
    const head = [`${method} ${path} HTTP/1.1`, `Host: ${this.host}`, "Connection: keep-alive", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (body) head.push(`Content-Length: ${Buffer.byteLength(body)}`);
    return Buffer.from(`${head.join("\r\n")}\r\n\r\n${body}`);
  }

  /** Resolves once the whole response is in; rejects on a status other than `expect`. */
  send(request: Buffer, expect: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting = { expect, what: request.subarray(0, request.indexOf("\r\n")).toString(), resolve, reject };
      this.socket.write(request);
    });
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const end = this.buffered.indexOf("\r\n\r\n");
    if (end < 0 || !this.waiting) return;
    const head = this.buffered.subarray(0, end).toString("latin1");
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffered.length < end + 4 + length) return;
    const body = this.buffered.subarray(end + 4, end + 4 + length).toString("utf8");
    this.buffered = this.buffered.subarray(end + 4 + length);
    const status = Number(head.slice(9, 12));
    const { expect, what, resolve, reject } = this.waiting;
    this.waiting = null;
    if (status === expect) resolve();
    else reject(new Error(`${what}: HTTP ${status} ${body.slice(0, 300)}`));
  }

  close(): void {
    this.socket.end();
  }
}
