/**
 * Response headers for every answer, through @fastify/helmet: a Content-Security-Policy that lets
 * the built console run (its index.html loads one module script and one stylesheet from /assets,
 * talks to its own origin with fetch and EventSource, and uses a data: favicon; React sets styles
 * through the CSSOM, which style-src does not govern) and nothing else; no framing
 * (frame-ancestors 'none' and X-Frame-Options DENY); nosniff; Referrer-Policy no-referrer. API
 * answers also carry Cache-Control: no-store (the SSE streams set it themselves, lib/sse.ts).
 *
 * HSTS is left to whoever terminates TLS: outpost-server speaks plain HTTP, and
 * upgrade-insecure-requests would send the console's own requests to an https:// that is not there.
 * Answers written before any hook runs (the router's 414 and bad-URL errors, Node's own
 * client errors) carry none of these: they are JSON error envelopes with no content to protect.
 */
import fp from "fastify-plugin";
import fastifyHelmet from "@fastify/helmet";

export const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    imgSrc: ["'self'", "data:"],
    objectSrc: ["'none'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'"],
  },
};

export const securityHeadersPlugin = fp(async (app) => {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    strictTransportSecurity: false,
  });
  app.addHook("onRequest", async (req, reply) => {
    if (req.url.startsWith("/api/")) reply.header("cache-control", "no-store");
  });
});
