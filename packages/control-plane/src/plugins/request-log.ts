/**
 * One info record per answered request: the request id (Fastify's `reqId`, also in every record
 * the request's own logger writes), method, URL with secrets redacted, the route's pattern, status
 * and duration. Agent sessions log their own open and close (session/session.routes.ts).
 */
import fp from "fastify-plugin";
import { redactSecrets } from "../lib/log.js";

export const requestLogPlugin = fp(async (app) => {
  app.addHook("onResponse", async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        url: redactSecrets(req.url),
        route: req.routeOptions.url ?? null,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      "request",
    );
  });
});
