/**
 * Server-Sent Events streams (the change feed, log followers): the stream's headers and keepalive,
 * and one preClose hook per plugin that ends every open stream, so a SIGTERM never waits on a
 * console tab. Who may open one is the route's app.auth("read", { queryToken: true }).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

const KEEPALIVE_MS = 15_000;

export type SseStream = { write: (text: string) => void; end: () => void };

/** Returns `open(req, reply, onClose)` for one plugin's routes; its streams end when the server closes. */
export function sseStreams(app: FastifyInstance) {
  const open = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const end of [...open]) end();
  });
  return (req: FastifyRequest, reply: FastifyReply, onClose: () => void): SseStream => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    res.write(": connected\n\n"); // sends the headers now: a quiet stream is open at once
    const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
    let closed = false;
    const stop = () => {
      if (closed) return;
      closed = true;
      clearInterval(keepalive);
      open.delete(end);
      onClose();
    };
    const end = () => {
      stop();
      res.end();
    };
    open.add(end);
    req.raw.on("close", stop);
    return { write: (text) => void (closed || res.write(text)), end };
  };
}
