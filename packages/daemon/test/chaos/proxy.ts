/**
 * A TCP proxy on 127.0.0.1 between one agent and the server, controlled by the soak: pass,
 * delay (every chunk held for ms), blackhole (nothing forwarded either way, sockets kept open, as
 * a dropped route looks to TCP; what was held is delivered on heal, as retransmission would) and
 * cut (every connection reset). New connections dial the server each time, so it survives the
 * server's restarts.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

type Pipe = { client: Socket; upstream: Socket };

export class FaultProxy {
  private server: Server | null = null;
  private readonly pipes = new Set<Pipe>();
  private delayMs = 0;
  private holes = 0;
  private readonly held: (() => void)[] = [];
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

  private forward(from: Socket, to: Socket): void {
    from.on("data", (chunk) => {
      const send = () => {
        if (!to.destroyed) to.write(chunk);
      };
      if (this.holes > 0) this.held.push(send);
      else if (this.delayMs > 0) setTimeout(() => (this.holes > 0 ? this.held.push(send) : send()), this.delayMs);
      else send();
    });
  }

  /** Nothing passes until heal(); nested blackholes heal when the last one does. */
  blackhole(): () => void {
    this.holes++;
    let healed = false;
    return () => {
      if (healed) return;
      healed = true;
      if (--this.holes === 0) for (const send of this.held.splice(0)) send();
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
    this.held.splice(0);
    return n;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
