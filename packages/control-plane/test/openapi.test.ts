/** Issue 2 §9: an OpenAPI document generated from the zod schemas, served at /api/v1/openapi.json. */
import { PROFILE_FIELDS } from "@outpost/shared";
import { parseListAgentsReference } from "./reference.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestApp, type TestApp } from "./support.js";

let t: TestApp;
let doc: any;
beforeAll(async () => {
  t = await makeTestApp();
  const res = await t.api("GET", "/api/v1/openapi.json");
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(async () => t.close());

const ROUTES: [string, string][] = [
  ["post", "/api/v1/tokens"],
  ["get", "/api/v1/tokens"],
  ["delete", "/api/v1/tokens/{id}"],
  ["get", "/api/v1/me"],
  ["get", "/api/v1/orgs"],
  ["post", "/api/v1/orgs"],
  ["post", "/api/v1/users"],
  ["post", "/api/v1/orgs/{id}/members"],
  ["delete", "/api/v1/orgs/{id}/members/{userId}"],
  ["post", "/api/v1/agent"],
  ["get", "/api/v1/agents"],
  ["get", "/api/v1/agents/{id}"],
  ["patch", "/api/v1/agents/{id}"],
  ["delete", "/api/v1/agents/{id}"],
  ["post", "/api/v1/agents/{id}/retire"],
  ["post", "/api/v1/agents/{id}/reinstate"],
  ["post", "/api/v1/agents/{id}/pause"],
  ["post", "/api/v1/agents/{id}/resume"],
  ["get", "/api/v1/agents/{id}/status-history"],
  ["get", "/api/v1/agents/{id}/module-history"],
  ["get", "/api/v1/agents/{id}/modules"],
  ["post", "/api/v1/pools"],
  ["get", "/api/v1/pools"],
  ["get", "/api/v1/pools/{id}"],
  ["patch", "/api/v1/pools/{id}"],
  ["post", "/api/v1/pools/{id}/archive"],
  ["post", "/api/v1/pools/{id}/restore"],
  ["post", "/api/v1/pools/{id}/agents"],
  ["get", "/api/v1/pools/{id}/agents"],
  ["delete", "/api/v1/pools/{id}/agents/{agentId}"],
  ["post", "/api/v1/pools/{id}/users"],
  ["get", "/api/v1/pools/{id}/users"],
  ["delete", "/api/v1/pools/{id}/users/{userId}"],
  ["get", "/api/v1/pools/{id}/overview"],
  ["get", "/api/v1/pools/{id}/jobs"],
  ["post", "/api/v1/modules"],
  ["get", "/api/v1/modules"],
  ["get", "/api/v1/modules/{name}/{version}"],
  ["post", "/api/v1/jobs"],
  ["get", "/api/v1/jobs"],
  ["get", "/api/v1/jobs/{id}"],
  ["post", "/api/v1/jobs/{id}/cancel"],
  ["delete", "/api/v1/jobs/{id}"],
  ["post", "/api/v1/jobs/delete"],
];

describe("GET /api/v1/openapi.json", () => {
  it("is an OpenAPI 3 document with info, paths and a bearer scheme", () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(typeof doc.paths).toBe("object");
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("is served without a token", async () => {
    const res = await t.api("GET", "/api/v1/openapi.json", { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe(doc.openapi);
  });

  it("describes issue 13: the container-profile routes, every list-agents-api.txt field on the agent, and the new list filters", () => {
    const routes = [
      ["post", "/api/v1/container-profiles"],
      ["get", "/api/v1/container-profiles"],
      ["get", "/api/v1/container-profiles/{id}"],
      ["patch", "/api/v1/container-profiles/{id}"],
      ["delete", "/api/v1/container-profiles/{id}"],
      ["post", "/api/v1/container-profiles/{id}/archive"],
      ["post", "/api/v1/container-profiles/{id}/restore"],
    ];
    expect(routes.filter(([method, path]) => !doc.paths[path!]?.[method!])).toEqual([]);
    const item = doc.paths["/api/v1/agents"].get.responses["200"].content["application/json"].schema.properties.details.items;
    const props = (item.properties ?? resolve(item).properties) as Record<string, any>;
    const { example } = parseListAgentsReference();
    expect(Object.keys(example).filter((k) => !(k in props))).toEqual([]);
    expect(props.autonomy_level.enum).toEqual(["ask_before_acting", "act_within_scope", "full_autonomy"]);
    expect(props.run_state.enum).toEqual(["stopped", "running", "error"]);
    const params = doc.paths["/api/v1/agents"].get.parameters.map((p: any) => p.name);
    expect(params).toEqual(expect.arrayContaining(["autonomy_level", "container_profile"]));
    const patchBody = doc.paths["/api/v1/agents/{id}"].patch.requestBody.content["application/json"].schema;
    expect(Object.keys(patchBody.properties ?? resolve(patchBody).properties)).toEqual(expect.arrayContaining([...PROFILE_FIELDS]));
  });

  it("lists every REST route of issue 2", () => {
    const missing = ROUTES.filter(([method, path]) => !doc.paths[path]?.[method]);
    expect(missing).toEqual([]);
  });

  it("describes requests and responses from the zod schemas", () => {
    const register = doc.paths["/api/v1/agent"].post;
    const bodyRef = register.requestBody.content["application/json"].schema;
    const body = bodyRef.properties ? bodyRef : resolve(bodyRef); // a named component since issue 15 §7
    expect(body.required).toEqual(expect.arrayContaining(["name", "hostname", "os", "version"]));
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(["name", "hostname", "os", "version", "modules", "labels", "slots"]));
    const created = register.responses["201"].content["application/json"].schema;
    expect(Object.keys(created.properties)).toEqual(expect.arrayContaining(["status", "details", "credential"]));
    const agent = created.properties.details;
    const agentProps = agent.properties ?? resolve(agent).properties;
    expect(Object.keys(agentProps)).toEqual(
      expect.arrayContaining(["id", "agent_id", "name", "type", "status", "available_actions", "instance_counts", "cpus", "mem_limit", "pids_limit", "archived"]),
    );
    const list = doc.paths["/api/v1/agents"].get;
    const params = list.parameters.map((p: any) => `${p.in}:${p.name}`);
    expect(params).toEqual(expect.arrayContaining(["query:limit", "query:cursor", "query:sort", "query:order", "query:q", "query:search_by", "query:archived", "query:pool", "query:org", "query:status"]));
    const jobParams = doc.paths["/api/v1/jobs"].get.parameters.map((p: any) => p.name);
    expect(jobParams).toEqual(expect.arrayContaining(["status", "agent_id", "trigger_source", "pool_id", "from", "to"]));
    expect(doc.paths["/api/v1/agents/{id}"].get.parameters.map((p: any) => `${p.in}:${p.name}`)).toContain("path:id");
  });

  it("has unique operations and only local references that resolve", () => {
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      expect(ref!.startsWith("#/")).toBe(true);
      expect(resolve({ $ref: ref })).toBeDefined();
    }
    const ops = Object.values(doc.paths).flatMap((p: any) => Object.keys(p));
    expect(ops.every((m) => ["get", "post", "put", "patch", "delete", "head", "options", "parameters"].includes(m))).toBe(true);
  });
});

function resolve(node: any): any {
  if (!node?.$ref) return node;
  return node.$ref
    .slice(2)
    .split("/")
    .reduce((cur: any, key: string) => cur?.[key.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
}
