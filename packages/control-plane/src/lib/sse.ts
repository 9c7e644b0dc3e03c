/**
 * Server-Sent Events streams (the change feed, log followers, and any later one): every stream is
 * opened here, so every stream gets the same guarantees:
 *
 * - memory: a consumer with more than `streamHighWaterBytes` waiting when the next event comes is
 *   dropped at once (so a stream holds at most the mark plus one event), and one
 *   that took nothing for a whole keepalive interval while data waited is dropped at the next
 *   keepalive; pull-based streams (log follow) stop reading when `write` says so and go on at
 *   `onDrain`, so a reader that keeps up is never dropped. A dropped client resumes from its last
 *   event id (see the route);
 * - a token holds at most `streamsPerToken` open streams; one more is a 429 in the error envelope;
 * - the token is re-checked at every keepalive with the app's clock (expiry, revocation, a deleted
 *   user), and a revocation over the API ends the token's streams at once (`token.revoked` on the
 *   event bus). Either way the stream says `event: unauthorized` and ends. A user who lost one of
 *   the stream's orgs has it ended plainly at the keepalive (a reconnect sees only the orgs left);
 * - one preClose hook per plugin ends every open stream, so a SIGTERM never waits on a console tab.
 *
 * A route that opens streams declares `config: { sse: true }`; opening one elsewhere is a bug and
 * throws, and `streamRoutes(deps)` lists the declared ones so tests can enumerate every stream.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { authenticate, bearerOf, userOf, type UserPrincipal } from "../plugins/auth.js";
import { ApiError, UNAUTHORIZED } from "../errors.js";
import type { Deps } from "../deps.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route may answer with a Server-Sent Events stream opened by lib/sse.ts. */
    sse?: boolean;
  }
}

/** Why a stream ended, as logged. */
export const STREAM_END = {
  unauthorized: "unauthorized",
  slowConsumer: "slow_consumer",
  serverClosing: "server_closing",
  /** The user lost an org the stream was opened with: it ends plainly, and a reconnect sees the new set. */
  orgsChanged: "orgs_changed",
  done: "done",
} as const;
type EndReason = (typeof STREAM_END)[keyof typeof STREAM_END];

export type SseStream = {
  /**
   * Sends one event. False when the consumer should be left to catch up: a pull-based stream
   * stops there and goes on at `onDrain` (false too once the stream is closed or dropped).
   */
  write: (text: string) => boolean;
  /** Calls `fn` once what is buffered has gone out; never if the stream closes first. */
  onDrain: (fn: () => void) => void;
  /** Ends the stream normally (the route's own last event already written). */
  end: () => void;
  readonly closed: boolean;
};

/** A stream request's principal and the secret it came with (re-checked at each keepalive). */
export type StreamAuth = { principal: UserPrincipal; secret: string };

type Live = { tokenId: string; end: (reason: EndReason) => void };

/** The app's open streams by token (for the cap and for revocation) and its stream routes. */
class StreamRegistry {
  readonly routes = new Set<string>();
  private readonly byToken = new Map<string, Set<Live>>();

  constructor(deps: Deps) {
    deps.events.subscribe((event) => {
      if (event.type !== "token.revoked") return;
      for (const live of [...(this.byToken.get(event.id) ?? [])]) live.end(STREAM_END.unauthorized);
    });
  }

  count(tokenId: string): number {
    return this.byToken.get(tokenId)?.size ?? 0;
  }

  add(live: Live): void {
    let set = this.byToken.get(live.tokenId);
    if (!set) this.byToken.set(live.tokenId, (set = new Set()));
    set.add(live);
  }

  remove(live: Live): void {
    const set = this.byToken.get(live.tokenId);
    set?.delete(live);
    if (set?.size === 0) this.byToken.delete(live.tokenId);
  }
}

const registries = new WeakMap<Deps, StreamRegistry>();
function registryOf(deps: Deps): StreamRegistry {
  let r = registries.get(deps);
  if (!r) registries.set(deps, (r = new StreamRegistry(deps)));
  return r;
}

/** The URLs of every route declared with `config: { sse: true }`, in registration order. */
export function streamRoutes(deps: Deps): string[] {
  return [...registryOf(deps).routes];
}

/** Open streams held by one token: what the per-token cap counts (and the streams tests read). */
export function openStreamCount(deps: Deps, tokenId: string): number {
  return registryOf(deps).count(tokenId);
}

/**
 * The user behind a stream request, authenticated by the route's app.auth("read", { queryToken: true }),
 * and the secret it came with (bearer header, else ?token=, since EventSource sends no headers).
 */
export function streamAuth(req: FastifyRequest): StreamAuth {
  const principal = userOf(req);
  const secret = bearerOf(req.headers.authorization) ?? (req.query as { token?: string } | undefined)?.token;
  if (!secret) throw UNAUTHORIZED;
  return { principal, secret };
}

const UNAUTHORIZED_EVENT = `event: unauthorized\ndata: ${JSON.stringify(UNAUTHORIZED.body())}\n\n`;

/** Returns `open(req, reply, auth, onClose)` for one plugin's routes; its streams end when the server closes. */
export function sseStreams(app: FastifyInstance, deps: Deps) {
  const registry = registryOf(deps);
  const open = new Set<Live>();
  app.addHook("onRoute", (route) => {
    if (route.config?.sse) registry.routes.add(route.url);
  });
  app.addHook("preClose", async () => {
    for (const live of [...open]) live.end(STREAM_END.serverClosing);
  });

  return (req: FastifyRequest, reply: FastifyReply, auth: StreamAuth, onClose: () => void): SseStream => {
    if (!req.routeOptions.config.sse) throw new Error(`${req.routeOptions.url} opens a stream without config.sse`);
    const { streamsPerToken, streamHighWaterBytes, streamKeepaliveS } = deps.config;
    const tokenId = auth.principal.tokenId;
    if (openStreamCount(deps, tokenId) >= streamsPerToken) {
      throw new ApiError("rate_limited", `This token already holds ${streamsPerToken} open streams, the most allowed; close one first.`);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    res.write(": connected\n\n"); // sends the headers now: a quiet stream is open at once

    let closed = false;
    // Set at a keepalive that found the consumer behind; cleared by a drain. Still set at the next
    // keepalive means a whole interval without taking a byte.
    let behindSinceTick = false;
    res.on("drain", () => (behindSinceTick = false));

    const stop = () => {
      if (closed) return;
      closed = true;
      clearInterval(keepalive);
      open.delete(live);
      registry.remove(live);
      onClose();
    };
    const end = (reason: EndReason) => {
      if (closed) return;
      deps.log.debug({ route: req.routeOptions.url, tokenId, reason }, "stream ended");
      const stuck = res.writableNeedDrain;
      stop();
      // A consumer that is behind would keep the socket (and what waits for it) until it read: cut
      // it, unless the stream simply finished, whose tail (`event: end`) it may still be reading:
      // then it gets one keepalive interval to take it.
      if (reason === STREAM_END.done) {
        res.end();
        if (stuck) {
          const cut = setTimeout(() => res.destroy(), streamKeepaliveS * 1000);
          res.once("finish", () => clearTimeout(cut)).once("close", () => clearTimeout(cut));
        }
        return;
      }
      if (reason === STREAM_END.slowConsumer || stuck) return void res.destroy();
      if (reason === STREAM_END.unauthorized) res.write(UNAUTHORIZED_EVENT);
      res.end();
    };
    // Checked before writing: one event bigger than the mark (a 128 KiB log chunk) is not a slow
    // consumer; more than the mark still waiting when the next event comes is.
    const write = (text: string): boolean => {
      if (closed) return false;
      if (res.writableLength > streamHighWaterBytes) {
        end(STREAM_END.slowConsumer);
        return false;
      }
      return res.write(text);
    };
    const keepalive = setInterval(() => {
      if (res.writableNeedDrain && behindSinceTick) return end(STREAM_END.slowConsumer);
      behindSinceTick = res.writableNeedDrain;
      const again = authenticate(deps, auth.secret);
      if (again?.kind !== "user" || again.tokenId !== tokenId) return end(STREAM_END.unauthorized);
      if (auth.principal.orgIds.some((id) => !again.orgIds.includes(id))) return end(STREAM_END.orgsChanged);
      write(": keepalive\n\n");
    }, streamKeepaliveS * 1000);
    const live: Live = { tokenId, end };
    open.add(live);
    registry.add(live);
    res.on("close", stop);

    return {
      write,
      onDrain: (fn) => {
        if (closed) return;
        if (!res.writableNeedDrain) setImmediate(fn);
        else res.once("drain", () => closed || fn());
      },
      end: () => end(STREAM_END.done),
      get closed() {
        return closed;
      },
    };
  };
}
