/**
 * Issue 9 §6: container limits are bounded to what Docker honours wherever a request accepts them.
 * The places are read from the served OpenAPI document: every request body with a cpus, mem_limit
 * or pids_limit field must have a case below, so a new one cannot escape the table.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectFieldError, makeTestApp, publish, registerAgent, sampleModule, type TestApp } from "./support.js";
import { fieldPaths, operations, requestSchema } from "./openapi-walk.js";

const LIMIT_FIELDS = ["cpus", "mem_limit", "pids_limit"] as const;
type Field = (typeof LIMIT_FIELDS)[number];

let t: TestApp;
let doc: any;
let agentId: string;
let triggerId: string;
let version = 0;
beforeAll(async () => {
  t = await makeTestApp();
  doc = (await t.api("GET", "/api/v1/openapi.json")).body;
  await publish(t);
  agentId = (await registerAgent(t)).details.id;
  triggerId = (await t.api("POST", "/api/v1/triggers", { body: { name: "limits", kind: "webhook", target: { module: "hello", function: "greet" } } })).body.details.id;
});
afterAll(async () => t.close());

/** Each place that accepts limits: the URL and a valid body without them. */
const PLACES: Record<string, () => { method: string; url: string; body: any }> = {
  "post /api/v1/jobs": () => ({ method: "POST", url: "/api/v1/jobs", body: { module: "hello", function: "greet", inputs: { who: "x" }, limits: {} } }),
  "post /api/v1/modules": () => ({ method: "POST", url: "/api/v1/modules", body: sampleModule({ version: `2.0.${version++}` }) }),
  "patch /api/v1/agents/{id}": () => ({ method: "PATCH", url: `/api/v1/agents/${agentId}`, body: {} }),
  "post /api/v1/triggers": () => ({ method: "POST", url: "/api/v1/triggers", body: { name: "t", kind: "webhook", target: { module: "hello", function: "greet", limits: {} } } }),
  "patch /api/v1/triggers/{id}": () => ({ method: "PATCH", url: `/api/v1/triggers/${triggerId}`, body: { target: { module: "hello", function: "greet", limits: {} } } }),
};

function limitPlaces() {
  return operations(doc).flatMap(({ method, path, op }) =>
    fieldPaths(doc, requestSchema(doc, op), LIMIT_FIELDS)
      .filter((p) => (LIMIT_FIELDS as readonly string[]).includes(p[p.length - 1]!))
      .map((p) => ({ key: `${method} ${path}`, path: p, field: p[p.length - 1] as Field })),
  );
}

function withValue(body: any, path: string[], value: unknown) {
  const copy = structuredClone(body);
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] ??= {};
  cur[path[path.length - 1]!] = value;
  return copy;
}

const RANGE: Record<Field, string> = { cpus: "from 0.01 to 1024", mem_limit: "from 6m (docker's minimum) to 1024g", pids_limit: "from 16 to 1000000" };
const BAD: Record<Field, unknown[]> = {
  cpus: ["0.0000000001", "0.001", "0.009", "0", "1024.5", "99999", "-1", "1e3", ""],
  mem_limit: ["0", "5m", "6291455", "1025g", "99999999999999999999g", "1t", "-1g", ""],
  pids_limit: [0, 15, 1_000_001, -1],
};
const WRONG_TYPE: Record<Field, unknown[]> = { cpus: [1, null], mem_limit: [512, null], pids_limit: ["200", 1.5, null] };
const GOOD: Record<Field, unknown[]> = { cpus: ["0.01", "1024", "1.5"], mem_limit: ["6m", "6291456", "1024g", "512M"], pids_limit: [16, 1_000_000] };

describe("limits are bounded everywhere they are accepted", () => {
  it("the OpenAPI document's request bodies with limits are exactly the places tested here", () => {
    const found = limitPlaces();
    expect(new Set(found.map((f) => f.key))).toEqual(new Set(Object.keys(PLACES)));
    // Each place takes all three.
    for (const key of Object.keys(PLACES)) expect(found.filter((f) => f.key === key).map((f) => f.field).sort()).toEqual([...LIMIT_FIELDS].sort());
  });

  it("refuses out-of-range values with a 422 naming the field and the allowed range", async () => {
    for (const { key, path, field } of limitPlaces()) {
      for (const value of BAD[field]) {
        const { method, url, body } = PLACES[key]!();
        const res = await t.api(method, url, { body: withValue(body, path, value) });
        const item = expectFieldError(res, path.join("."));
        expect(item.message, `${key} ${path.join(".")}=${JSON.stringify(value)}`).toContain(RANGE[field]);
      }
      for (const value of WRONG_TYPE[field]) {
        const { method, url, body } = PLACES[key]!();
        expectFieldError(await t.api(method, url, { body: withValue(body, path, value) }), path.join("."));
      }
    }
  });

  it("accepts the edges of each range", async () => {
    for (const { key, path, field } of limitPlaces()) {
      for (const value of GOOD[field]) {
        const { method, url, body } = PLACES[key]!();
        const res = await t.api(method, url, { body: withValue(body, path, value) });
        expect([200, 201], `${key} ${path.join(".")}=${JSON.stringify(value)}: ${JSON.stringify(res.body)}`).toContain(res.status);
      }
    }
  });

  it("refuses an agent cpus above the cores its host reports", async () => {
    const agent = (await registerAgent(t, { name: "four-core", hostname: "four.local", cpu_count: 4 })).details;
    const item = expectFieldError(await t.api("PATCH", `/api/v1/agents/${agent.id}`, { body: { cpus: "8" } }), "cpus");
    expect(item.message).toContain("at most the 4 cores");
    expect((await t.api("PATCH", `/api/v1/agents/${agent.id}`, { body: { cpus: "4" } })).status).toBe(200);
  });
});
