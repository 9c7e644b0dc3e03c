/**
 * Bounds on request input that hold for every route, checked before any route code (or auth) runs:
 *
 * - JSON bodies nest at most MAX_JSON_DEPTH levels. Everything that later walks a body recursively
 *   (zod, Ajv compiling a schema and validating inputs, canonical comparison, the 422's value
 *   preview) relies on this; 5,000 levels overflowed the stack and answered 500. The depth is
 *   counted on the text, in one pass, before JSON.parse.
 * - Each query parameter comes at most once (lists are comma-separated): `?token=a&token=b` reached
 *   route code as an array, which the schema-less SSE routes took for a string and answered 500.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../errors.js";

export const MAX_JSON_DEPTH = 64;

/** Index of the first bracket that opens level `max + 1`, or -1. Brackets inside strings do not count. */
export function depthExceededAt(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}

/**
 * Fastify's own JSON parser (prototype poisoning refused, empty and malformed bodies its errors),
 * behind the depth check. Also used by routes that read their body raw first (webhook deliveries).
 */
export function boundedJsonParser(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser("error", "ignore");
  return (req: FastifyRequest, text: string, done: (err: Error | null, body?: unknown) => void) => {
    const at = depthExceededAt(text, MAX_JSON_DEPTH);
    if (at >= 0) {
      const message = `is nested more than ${MAX_JSON_DEPTH} levels deep (level ${MAX_JSON_DEPTH + 1} opens at character ${at})`;
      return done(ApiError.validation([{ path: "body", message }]), undefined);
    }
    parseJson(req, text, done);
  };
}

export function installInputBounds(app: FastifyInstance) {
  // Fastify's own JSON parser (prototype poisoning refused, empty and malformed bodies its errors),
  // behind the depth check; bodyLimit still applies before either runs.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, boundedJsonParser(app));

  app.addHook("onRequest", async (req) => {
    const query = req.query as Record<string, unknown> | undefined;
    if (!query || typeof query !== "object") return;
    const repeated = Object.entries(query).filter(([, v]) => Array.isArray(v));
    if (repeated.length) {
      throw ApiError.validation(
        repeated.map(([key, v]) => ({ path: key, message: `give this query parameter once, comma-separating a list (got ${(v as unknown[]).length} values)` })),
      );
    }
  });
}
