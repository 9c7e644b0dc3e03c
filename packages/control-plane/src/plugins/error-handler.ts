/**
 * Maps every failure to the reference envelope. Bad input is a 4xx naming the field and the value;
 * anything unexpected is logged and answered with a bare 500.
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { isConsoleRoute, type ErrorItem } from "@outpost/shared";
import { ApiError } from "../errors.js";

const FASTIFY_CODES: Record<string, ApiError["code"]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "bad_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "bad_request",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
  FST_ERR_CTP_INVALID_TYPE: "unsupported_media_type",
};

function valueAt(req: FastifyRequest, context: string | undefined, path: string[]): unknown {
  const root: unknown =
    context === "querystring" ? req.query : context === "params" ? req.params : context === "headers" ? undefined : req.body;
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value) ?? String(value);
  return `got ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}

export function validationItems(req: FastifyRequest, err: FastifyError): ErrorItem[] {
  const context = err.validationContext;
  return (err.validation ?? []).map((v) => {
    const path = v.instancePath.split("/").filter(Boolean);
    const field = path.length ? path.join(".") : context === "body" ? "body" : String(context);
    return { path: field, message: `${v.message ?? "invalid"} (${describeValue(valueAt(req, context, path))})` };
  });
}

/**
 * `spaFallback`: the console is served, so a GET of one of the console's own routes
 * (CONSOLE_ROUTES: /runs/123, /agents/x) answers its index.html; every other unknown path,
 * `/metricz` as much as `/api/v1/nope`, is a JSON 404 in the envelope. Fastify
 * allows one not-found handler per prefix, so this is the only place that sets it.
 */
/**
 * Errors the router raises before any route (or the error handler) is chosen: a path segment over
 * maxParamLength, a malformed percent-encoding. Passed as Fastify's `frameworkErrors` option so
 * they too answer in the envelope instead of Fastify's own body.
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  if (err.code === "FST_ERR_MAX_PARAM_LENGTH") return reply.code(414).send(new ApiError("uri_too_long").body());
  if (err.code === "FST_ERR_BAD_URL") return reply.code(400).send(new ApiError("bad_request", "The URL is malformed (bad percent-encoding).").body());
  reply.log.error({ err }, "router error");
  return reply.code(500).send(new ApiError("internal").body());
}

/**
 * HTTP-level failures Node's parser raises before Fastify sees a request (headers over the limit,
 * a request line that is not HTTP, a client too slow): answered on the raw socket, in the envelope.
 * Passed as Fastify's `clientErrorHandler` option.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const error =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? new ApiError("request_timeout")
      : err.code === "HPE_HEADER_OVERFLOW"
        ? new ApiError("headers_too_large")
        : new ApiError("bad_request", "The request is not valid HTTP.");
  const body = JSON.stringify(error.body());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${error.http} ${STATUS_CODES[error.http]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

export function installErrorHandler(app: FastifyInstance, { spaFallback = false }: { spaFallback?: boolean } = {}) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    try {
      return answer(err, req, reply);
    } catch (failure) {
      // An error handler that throws would leave the answer to Fastify's fallback, in its own shape.
      req.log.error({ err, failure }, "error handler failed");
      return reply.code(500).send(new ApiError("internal").body());
    }
  });

  function answer(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
    if (err instanceof ApiError) return reply.code(err.http).send(err.body());
    if (hasZodFastifySchemaValidationErrors(err) || err.validation) {
      return reply.code(422).send(ApiError.validation(validationItems(req, err)).body());
    }
    const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (mapped) return reply.code(new ApiError(mapped).http).send(new ApiError(mapped, err.message).body());
    if ((err as { code?: string }).code === "SQLITE_FULL") {
      // The transaction rolled back: the caller learns nothing was stored, the operator why.
      req.log.error({ code: "SQLITE_FULL", method: req.method, url: req.routeOptions.url }, "database write failed: the disk is full; the request was refused with 507 and nothing of it was stored");
      return reply.code(507).send(new ApiError("storage_full").body());
    }
    if (err.statusCode === 429) return reply.code(429).send(new ApiError("rate_limited").body());
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ status: "error", code: "bad_request", message: err.message });
    }
    req.log.error({ err }, "unhandled error");
    return reply.code(500).send(new ApiError("internal").body());
  }

  // Only JSON bodies: Fastify's built-in text/plain parser would turn a wrong content type into a
  // confusing 422 ("expected object, received string") instead of 415.
  app.removeContentTypeParser("text/plain");

  app.setNotFoundHandler((req, reply) => {
    if (spaFallback && req.method === "GET" && isConsoleRoute(req.url.split("?")[0]!)) return reply.sendFile("index.html");
    return reply.code(404).send(new ApiError("route_not_found", `No route ${req.method} ${req.url.split("?")[0]}.`).body());
  });
}
