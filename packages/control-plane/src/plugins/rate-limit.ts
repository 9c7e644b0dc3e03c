/**
 * Request limits on the expensive routes (job creation, module publish, registration, log and
 * report reads...), through @fastify/rate-limit on the app's clock. A route opts in with
 * `config: EXPENSIVE`; it is then counted per credential (token or agent: the hook is
 * preValidation, after auth, so invalid requests count too), else per client address, in its own
 * window. Over the limit: 429 in the
 * error envelope with Retry-After. The limit is high by default (OUTPOST_RATE_LIMIT_MAX), so one
 * busy client is not throttled; failed authentication has its own, tight limit (plugins/auth.ts).
 */
import type { FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import fastifyRateLimit from "@fastify/rate-limit";
import { ApiError } from "../errors.js";
import { clockStore } from "../lib/rate-limit.js";
import type { Deps } from "../deps.js";

/** Route config of an expensive route: the plugin's limits apply, counted for this route alone. */
export const EXPENSIVE = { rateLimit: {} } as const;

function keyOf(req: FastifyRequest): string {
  const p = req.principal;
  if (p?.kind === "user") return `token:${p.tokenId}`;
  if (p?.kind === "agent") return `agent:${p.agentId}`;
  return `ip:${req.ip}`;
}

export const rateLimitPlugin = fp(async (app, { deps }: { deps: Deps }) => {
  await app.register(fastifyRateLimit, {
    global: false,
    hook: "preValidation",
    max: deps.config.rateLimitMax,
    timeWindow: deps.config.rateLimitWindowS * 1000,
    store: clockStore(() => deps.clock()),
    keyGenerator: keyOf,
    errorResponseBuilder: (_req, ctx) => new ApiError("rate_limited", `Too many requests; retry after ${ctx.after}.`),
  });
});
