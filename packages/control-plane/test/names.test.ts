/**
 * Issue 9 §12: no request field takes control characters. The walk covers every field of every
 * route's request schemas (body, query, params) from the app's route table: each must refuse C0
 * controls, DEL and C1 controls, except the free-text fields named below, which take tab and
 * newline but no other control character. A new field, on a new or old route, is walked too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { expectFieldError, makeTestApp, publish, registerAgent, sampleModule, sampleRegistration, type TestApp } from "./support.js";

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => t.close());

const CONTROLS = { NUL: "\u0000", newline: "\n", "carriage return": "\r", tab: "\t", ESC: "\u001b", "unit separator": "\u001f", DEL: "\u007f", "C1 NEL": "\u0085", "C1 CSI": "\u009b" };
const WHITESPACE = new Set(["newline", "carriage return", "tab"]);

/** Free text: tab and newlines are fine. Every other string field is name-like. */
const FREE_TEXT = new Set(["body.description", "body.functions[].command[]", "body.soul_md", "body.rules_md", "body.skills[].tools[].description"]);
/** JSON documents of the caller's own shape (validated against the function's input_schema, or being one). */
const OPAQUE = new Set(["body.inputs", "body.target.inputs", "body.payload", "body.functions[].input_schema", "body.tools_config"]);

type Leaf = { path: string; schema: z.ZodType };

/** The fields of a schema, down through objects, arrays, records and wrappers (zod 4 definitions). */
function leaves(schema: z.ZodType, path: string, out: Leaf[] = []): Leaf[] {
  const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def;
  if (OPAQUE.has(path)) return out;
  switch (def.type) {
    case "object":
      for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>)) leaves(value, `${path}.${key}`, out);
      return out;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "nonoptional":
    case "catch":
      return leaves(def.innerType, path, out);
    case "array":
      return leaves(def.element, `${path}[]`, out);
    case "record":
      leaves(def.keyType, `${path}{key}`, out);
      return leaves(def.valueType, `${path}{}`, out);
    case "union":
      (def.options as z.ZodType[]).forEach((o, i) => leaves(o, `${path}|${i}`, out));
      return out;
    default:
      out.push({ path, schema });
      return out;
  }
}

function routeLeaves(): { route: string; leaf: Leaf }[] {
  const all: { route: string; leaf: Leaf }[] = [];
  for (const r of t.app.routeAccess) {
    for (const part of ["body", "querystring", "params"] as const) {
      const schema = r.schema[part];
      if (schema instanceof z.ZodType) for (const leaf of leaves(schema, part === "querystring" ? "query" : part)) all.push({ route: `${r.method} ${r.url}`, leaf });
    }
  }
  return all;
}

describe("control characters in request fields", () => {
  it("are refused by every name-like field of every route, and only tab and newline pass the free-text fields", () => {
    const all = routeLeaves();
    expect(all.length).toBeGreaterThan(100);
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (const { route, leaf } of all) {
      seen.add(leaf.path);
      const free = FREE_TEXT.has(leaf.path);
      for (const [name, c] of Object.entries(CONTROLS)) {
        const accepted = leaf.schema.safeParse(`ab${c}cd`).success;
        if (accepted !== (free && WHITESPACE.has(name))) wrong.push(`${route} ${leaf.path} ${accepted ? "accepts" : "refuses"} ${name}`);
      }
    }
    expect(wrong).toEqual([]);
    // The walk reaches the fields the issue names.
    for (const path of ["body.name", "body.hostname", "body.os.distro", "body.labels{key}", "body.labels{}", "body.functions[].display_name", "body.functions[].name", "body.org", "query.q", "query.cursor", "params.id"]) {
      expect(seen, path).toContain(path);
    }
    for (const path of [...FREE_TEXT]) expect(seen, `free-text ${path} still exists`).toContain(path);
  });

  it("answer 422 naming the field through the API", async () => {
    const cases: [string, string, unknown, string][] = [
      ["POST", "/api/v1/agent", sampleRegistration({ name: "box\u0000one" }), "name"],
      ["POST", "/api/v1/agent", sampleRegistration({ hostname: "h\nx" }), "hostname"],
      ["POST", "/api/v1/pools", { name: "pool\u001b[31m" }, "name"],
      ["POST", "/api/v1/tokens", { name: "ci\r\nX-Injected: 1", scopes: ["read"] }, "name"],
      ["POST", "/api/v1/orgs", { slug: "acme", name: "Acme\u0085" }, "name"],
      ["POST", "/api/v1/users", { name: "eve\u007f" }, "name"],
      ["POST", "/api/v1/modules", sampleModule({ description: "nul\u0000" }), "description"],
    ];
    for (const [method, url, body, path] of cases) {
      const item = expectFieldError(await t.api(method, url, { body }), path);
      expect(item.message).toContain("control characters");
    }
    const fn = sampleModule().functions[0]!;
    expectFieldError(await t.api("POST", "/api/v1/modules", { body: sampleModule({ functions: [{ ...fn, display_name: "Greet\n" + "x" }] }) }), "functions.0.display_name");
    const agent = (await registerAgent(t)).details;
    expectFieldError(await t.api("PATCH", `/api/v1/agents/${agent.id}`, { body: { name: "a\tb" } }), "name");
    expectFieldError(await t.api("GET", `/api/v1/agents?q=${encodeURIComponent("a\u0000")}`), "q");
    // Host facts are trimmed first: a trailing newline read from the OS is not a reason to refuse an agent.
    const host = (await registerAgent(t, { name: "host", hostname: "box.local\n", os: { ...sampleRegistration().os, distro: "Debian\n" } })).details;
    expect(host).toMatchObject({ hostname: "box.local" });
    // Free text keeps its newlines; names keep their ordinary spaces and non-ASCII letters.
    await publish(t, { version: "2.0.0", description: "line one\nline two\ttabbed" });
    expect((await t.api("POST", "/api/v1/pools", { body: { name: "Équipe de nuit ✓", description: "a\nb" } })).status).toBe(201);
  });
});
