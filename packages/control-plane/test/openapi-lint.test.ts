/**
 * Issue 15 §7: the served OpenAPI document fits client generators. It walks every operation of
 * the document and every route of the app's own table (so a route added later cannot escape), and
 * lints the document with Redocly's `recommended` ruleset (`@redocly/cli lint`): 0 errors.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { API_COMPONENT_IDS } from "@outpost/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestApp, type TestApp } from "./support.js";

const REDOCLY = fileURLToPath(new URL("../node_modules/.bin/redocly", import.meta.url));
const METHODS = ["get", "post", "put", "patch", "delete"];

let t: TestApp;
let doc: any;
let dir: string;
beforeAll(async () => {
  t = await makeTestApp();
  const res = await t.api("GET", "/api/v1/openapi.json", { token: null });
  expect(res.status).toBe(200);
  doc = res.body;
  dir = mkdtempSync(join(tmpdir(), "outpost-openapi-"));
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  );

describe("the OpenAPI document for client generators", () => {
  it("documents every API route of the app's table", () => {
    const documented = new Set(operations().map((o) => o.key));
    const routes = t.app.routeAccess.filter((r) => r.url.startsWith("/api/v1/") && !["/api/v1/openapi.json", "/api/v1/agent/session", "/api/v1/events"].includes(r.url) && r.method !== "HEAD");
    expect(routes.length).toBeGreaterThan(50);
    for (const r of routes) expect(documented, `${r.method} ${r.url}`).toContain(`${r.method} ${r.url.replace(/:(\w+)/g, "{$1}")}`);
  });

  it("gives every operation a unique operationId, a summary, a 2xx answer and the error envelope for 4XX and 5XX", () => {
    const ids = new Set<string>();
    for (const { key, op } of operations()) {
      expect(op.operationId, key).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(ids.has(op.operationId), `${key}: duplicate ${op.operationId}`).toBe(false);
      ids.add(op.operationId);
      expect(op.summary, key).toMatch(/^[A-Z]/);
      expect(Object.keys(op.responses).some((c) => c.startsWith("2")), key).toBe(true);
      for (const range of ["4XX", "5XX"]) {
        expect(op.responses[range]?.content?.["application/json"]?.schema, `${key} ${range}`).toEqual({ $ref: "#/components/schemas/ErrorEnvelope" });
        expect(op.responses[range].description).not.toBe("Default Response");
      }
    }
  });

  it("names the shared schemas as components, each one referenced", () => {
    const schemas = doc.components.schemas as Record<string, unknown>;
    const text = JSON.stringify(doc);
    for (const id of ["Agent", "Pool", "Job", "Token", "ModuleVersion", "LogChunk", "ErrorEnvelope", "CreateJobBodyInput", "PublishModuleBodyInput"]) expect(Object.keys(schemas)).toContain(id);
    for (const id of Object.keys(schemas)) {
      expect(API_COMPONENT_IDS, id).toContain(id.replace(/Input$/, ""));
      expect(text, `${id} is referenced`).toContain(`"#/components/schemas/${id}"`);
    }
    expect(doc.paths["/api/v1/agents/{id}"].get.responses["200"].content["application/json"].schema.properties.details).toEqual({ $ref: "#/components/schemas/Agent" });
  });

  it("passes Redocly's recommended ruleset with 0 errors", async () => {
    const file = join(dir, "openapi.json");
    writeFileSync(file, JSON.stringify(doc));
    const { stdout } = await promisify(execFile)(REDOCLY, ["lint", "--extends", "recommended", "--format", "json", file], { cwd: dir }).catch((err: { stdout: string }) => err);
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string }[] };
    const errors = report.problems.filter((p) => p.severity === "error");
    expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
    expect(report.totals.errors).toBe(0);
    // The one warning left: no license is declared (the project has chosen none).
    expect(report.problems.map((p) => p.ruleId)).toEqual(["info-license"]);
  });
});
