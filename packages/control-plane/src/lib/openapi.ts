/**
 * The OpenAPI document for client generators (issue 15 §7), applied to every route when the
 * document is built, so a route added later cannot escape:
 * - an operationId and a summary on every operation: the route's own `schema.operationId` /
 *   `schema.summary`, else derived from its method and path (`GET /api/v1/agents/:id/modules` is
 *   `getAgentsByIdModules`, "List agent modules");
 * - every error answer documented: 4XX and 5XX with the error envelope;
 * - the shared schemas named in components/schemas (API_COMPONENTS in @outpost/shared), referenced
 *   where routes use them.
 * test/openapi-lint.test.ts lints the served document with Redocly's `recommended` ruleset.
 */
import { API_COMPONENTS, ErrorEnvelope } from "@outpost/shared";
import type { SwaggerTransform, SwaggerTransformObject } from "@fastify/swagger";
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from "fastify-type-provider-zod";

type Route = { schema?: Record<string, any>; url: string; route?: { method?: string | string[] } };

const words = (s: string) => s.split(/[-_.]/).filter(Boolean);
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const singular = (s: string) => (s.endsWith("ies") ? s.slice(0, -3) + "y" : s.endsWith("ses") ? s.slice(0, -2) : s.endsWith("s") && !s.endsWith("ss") ? s.slice(0, -1) : s);

/** `getAgentsByIdModules`: the method, then each path segment, parameters as `ById` (`:public_id` as `ByPublicId`). */
export function operationIdFor(method: string, url: string): string {
  const segs = url.replace(/^\/api\/v1\/?/, "").split("/").filter(Boolean);
  const parts = segs.map((s) => (s.startsWith(":") ? "By" + words(s.slice(1)).map(cap).join("") : words(s).map(cap).join("")));
  return method.toLowerCase() + parts.join("");
}

/** Where the derived summary would read badly; any route may also set `schema.summary` itself. */
const SUMMARIES: Record<string, string> = {
  "GET /api/v1/me": "Get the caller: user, orgs, token, server version",
  "POST /api/v1/agent": "Register an agent, or update it with its own credential",
  "POST /api/v1/agents/:id/modules": "Install or update a module on an agent",
  "DELETE /api/v1/agents/:id/modules/:name": "Remove a module from an agent",
  "POST /api/v1/orgs/:id/members": "Add a member to an org",
  "DELETE /api/v1/orgs/:id/members/:userId": "Remove a member from an org",
  "POST /api/v1/pools/:id/agents": "Add agents to a pool",
  "DELETE /api/v1/pools/:id/agents/:agentId": "Remove an agent from a pool",
  "POST /api/v1/pools/:id/users": "Add users to a pool",
  "DELETE /api/v1/pools/:id/users/:userId": "Remove a user from a pool",
  "GET /api/v1/pools/:id/overview": "Get a pool's overview",
  "POST /api/v1/pools/:id/modules": "Install a module on every agent of a pool",
  "POST /api/v1/pools/:id/upgrade": "Upgrade a pool's agents to the server's version",
  "POST /api/v1/modules": "Publish a module version",
  "GET /api/v1/modules/:name/:version": "Get a module version",
  "POST /api/v1/jobs": "Create a job",
  "POST /api/v1/jobs/delete": "Delete jobs",
  "GET /api/v1/jobs/:id/logs": "Read or follow (Server-Sent Events) a job's log",
  "GET /api/v1/jobs/:id/report": "Get a job's report",
  "GET /api/v1/jobs/:id/report/download": "Download a job's report",
  "POST /api/v1/jobs/:id/report/share": "Share a job's report",
  "GET /api/v1/shared/reports/:secret": "Read a shared report",
  "GET /api/v1/agent/modules/:name/:version": "Get a module version for an agent",
};

/** "List agents", "Get agent", "Create pool", "Retire agent"; SUMMARIES where that reads badly. */
export function summaryFor(method: string, url: string): string {
  const known = SUMMARIES[`${method.toUpperCase()} ${url}`];
  if (known) return known;
  const segs = url.replace(/^\/api\/v1\/?/, "").split("/").filter(Boolean);
  const named = segs.filter((s) => !s.startsWith(":"));
  const last = segs[segs.length - 1] ?? "";
  const onItem = last.startsWith(":");
  const m = method.toUpperCase();
  // POST /things/:id/verb is an action on one thing.
  const action = m === "POST" && segs.length >= 3 && segs[segs.length - 2]!.startsWith(":") && !["agents", "users", "modules", "members", "share"].includes(last) ? last : null;
  if (action) return `${cap(words(action).join(" "))} ${named.slice(0, -1).map((s) => singular(words(s).join(" "))).join(" ")}`;
  const plural = m === "GET" && !onItem;
  const noun = named.map((s, i) => (i < named.length - 1 || !plural ? singular(words(s).join(" ")) : words(s).join(" "))).join(" ");
  const verb = m === "GET" ? (onItem ? "Get" : "List") : m === "POST" ? "Create" : m === "PATCH" ? "Update" : m === "PUT" ? "Replace" : m === "DELETE" ? "Delete" : m;
  return `${verb} ${noun || "root"}`;
}

const inner = createJsonSchemaTransform({ schemaRegistry: API_COMPONENTS }) as unknown as SwaggerTransform;
const ERRORS = { "4XX": ErrorEnvelope, "5XX": ErrorEnvelope };

export const openapiTransform: SwaggerTransform = (document) => {
  const doc = document as unknown as Route;
  const schema = doc.schema;
  if (!schema || schema.hide) return inner(document);
  const method = [doc.route?.method ?? "get"].flat()[0]!;
  const withDocs = {
    ...schema,
    operationId: schema.operationId ?? operationIdFor(method, doc.url),
    summary: schema.summary ?? summaryFor(method, doc.url),
    response: { ...ERRORS, ...(schema.response ?? {}) },
  };
  const out = inner({ ...document, schema: withDocs } as typeof document) as { schema: Record<string, any>; url: string };
  const response = out.schema.response as Record<string, unknown>;
  // A route answering something other than JSON (a file download) declares no response schema.
  if (!Object.keys(response).some((code) => code.startsWith("2"))) {
    response["200"] = { description: "Success: the file itself (not the JSON envelope)", content: { "application/octet-stream": { schema: { type: "string" } } } };
  }
  return out;
};

const components = createJsonSchemaTransformObject({ schemaRegistry: API_COMPONENTS });

/**
 * The components, keeping only those the paths reach (each registered schema comes as an input and
 * an output variant, and a body has no use for its output one), and the error answers described.
 */
export const openapiTransformObject: SwaggerTransformObject = (document) => {
  const doc = components(document) as { paths?: Record<string, Record<string, any>>; components?: { schemas?: Record<string, unknown> } };
  const schemas = doc.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/")) {
        const id = v.slice("#/components/schemas/".length);
        if (!used.has(id)) {
          used.add(id);
          visit(schemas[id]);
        }
      } else visit(v);
    }
  };
  visit(doc.paths);
  for (const id of Object.keys(schemas)) if (!used.has(id)) delete schemas[id];
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item)) {
      const res = (op as { responses?: Record<string, { description?: string }> }).responses ?? {};
      if (res["4XX"]) res["4XX"].description = "Refused: the error envelope, with the field and value for a 422";
      if (res["5XX"]) res["5XX"].description = "Failed: the error envelope, without internals";
    }
  }
  return doc;
};
