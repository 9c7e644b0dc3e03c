/**
 * A TCP proxy on 127.0.0.1 between one agent and the server, controlled by the soak: pass,
 * delay (every chunk held for ms), blackhole (nothing forwarded either way, sockets kept open, as
 * a dropped route looks to TCP; what was held is delivered on heal, as retransmission would) and
 * cut (every connection reset). New connections dial the server each time, so it survives the
 * server's restarts. Like TCP, it never reorders bytes: each direction of a connection is one FIFO
 * that a delay or a blackhole only holds back (issue 17: chunks on per-chunk timers overtook each
 * other when a delay ended or a blackhole began, so the server got an agent's `finished` before
 * that attempt's last `logs` frame, which no real network does).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

type Pipe = { client: Socket; upstream: Socket };

export class FaultProxy {
  private server: Server | null = null;
  private readonly pipes = new Set<Pipe>();
  private delayMs = 0;
  private holes = 0;
  /** Every direction's queue, to resume them all when a blackhole heals. */
  private readonly queues = new Set<() => void>();
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  async listen(): Promise<number> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  private accept(client: Socket): void {
    const upstream = createConnection({ host: "127.0.0.1", port: this.upstreamPort });
    const pipe = { client, upstream };
    this.pipes.add(pipe);
    const drop = () => {
      this.pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    this.forward(client, upstream);
    this.forward(upstream, client);
  }

  /** One direction: chunks leave in arrival order, each no earlier than its due time, none while a blackhole holds. */
  private forward(from: Socket, to: Socket): void {
    const queue: { due: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | null = null;
    const pump = () => {
      timer = null;
      while (queue.length && this.holes === 0) {
        const wait = queue[0]!.due - performance.now();
        if (wait > 0) {
          timer = setTimeout(pump, wait);
          return;
        }
        const { chunk } = queue.shift()!;
        if (!to.destroyed) to.write(chunk);
      }
    };
    this.queues.add(pump);
    from.once("close", () => {
      this.queues.delete(pump);
      if (timer) clearTimeout(timer);
      queue.length = 0;
    });
    from.on("data", (chunk: Buffer) => {
      queue.push({ due: performance.now() + this.delayMs, chunk });
      if (!timer) pump();
    });
  }

  /** Nothing passes until heal(); nested blackholes heal when the last one does. */
  blackhole(): () => void {
    this.holes++;
    let healed = false;
    return () => {
      if (healed) return;
      healed = true;
      if (--this.holes === 0) for (const pump of [...this.queues]) pump();
    };
  }

  delay(ms: number): () => void {
    this.delayMs = ms;
    return () => (this.delayMs = 0);
  }

  /** Resets every open connection (the agent sees its session drop). */
  cut(): number {
    const n = this.pipes.size;
    for (const p of [...this.pipes]) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    return n;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
