/**
 * Issue 9 §13: security headers on every answer (console files, the SPA fallback, every API
 * route, errors, 404s, SSE) and Cache-Control: no-store on every API answer. The API routes come
 * from the app's route table, so a new route is checked too. That the CSP lets the console run is
 * proven by the console's browser tests (packages/console/test), which load it from outpost-server.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJob, makeTestApp, publish, type TestApp } from "./support.js";

let t: TestApp;
let consoleDir: string;
beforeAll(async () => {
  consoleDir = mkdtempSync(join(tmpdir(), "outpost-console-"));
  mkdirSync(join(consoleDir, "assets"));
  writeFileSync(join(consoleDir, "index.html"), '<!doctype html><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(consoleDir, "assets", "app.js"), "console.log(1)");
  t = await makeTestApp({ consoleDir });
});
afterAll(async () => {
  await t.close();
  rmSync(consoleDir, { recursive: true, force: true });
});

function expectSecurityHeaders(h: IncomingHttpHeaders | Record<string, unknown>, what: string, api: boolean) {
  const csp = String(h["content-security-policy"]);
  expect(csp, `${what}: CSP`).toContain("default-src 'self'");
  expect(csp, `${what}: CSP`).toContain("frame-ancestors 'none'");
  expect(csp, `${what}: CSP`).toContain("script-src 'self'");
  expect(csp, `${what}: CSP`).not.toContain("unsafe-inline");
  expect(csp, `${what}: CSP`).not.toContain("upgrade-insecure-requests");
  expect(h["x-frame-options"], `${what}: X-Frame-Options`).toBe("DENY");
  expect(h["x-content-type-options"], `${what}: nosniff`).toBe("nosniff");
  expect(h["referrer-policy"], `${what}: Referrer-Policy`).toBe("no-referrer");
  if (api) expect(h["cache-control"], `${what}: Cache-Control`).toBe("no-store");
}

const fill = (url: string) => url.replace(/:[a-zA-Z]+/g, "x");

describe("security headers", () => {
  it("are on the console's index, its deep links and its static files", async () => {
    for (const url of ["/", "/runs/123", "/agents", "/assets/app.js", "/index.html"]) {
      const res = await t.app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expectSecurityHeaders(res.headers, url, false);
    }
  });

  it("are on every API route's answer, with no-store, whatever the outcome", async () => {
    let checked = 0;
    for (const r of t.app.routeAccess) {
      if (r.access === "static" || r.url === "/api/v1/events") continue; // events: a stream, below
      for (const token of [t.adminToken, null]) {
        const body = ["POST", "PATCH", "PUT"].includes(r.method) ? "{}" : undefined;
        const res = await t.app.inject({
          method: r.method as never,
          url: fill(r.url),
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
          ...(body ? { payload: body } : {}),
        });
        const what = `${r.method} ${r.url} -> ${res.statusCode}`;
        expect(res.statusCode, what).toBeLessThan(500);
        expectSecurityHeaders(res.headers, what, r.url.startsWith("/api/"));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(80);
  });

  it("are on 404s, validation errors and wrong content types", async () => {
    const cases = [
      { method: "GET", url: "/api/v1/nothing-here" },
      { method: "DELETE", url: "/api/v1/agents" },
      { method: "GET", url: "/api/v1/jobs?limit=0" },
      { method: "POST", url: "/api/v1/pools", payload: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } },
      { method: "POST", url: "/api/v1/pools", payload: "{bad", headers: { "content-type": "application/json" } },
    ];
    for (const c of cases) {
      const res = await t.app.inject({ ...c, method: c.method as never, headers: { authorization: `Bearer ${t.adminToken}`, ...c.headers } });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expectSecurityHeaders(res.headers, `${c.method} ${c.url} -> ${res.statusCode}`, true);
    }
  });

  it("are on Server-Sent Events streams (the change feed and a log follower)", async () => {
    const address = await t.app.listen({ host: "127.0.0.1", port: 0 });
    await publish(t);
    const job = await createJob(t);
    for (const url of ["/api/v1/events", `/api/v1/jobs/${job.id}/logs?follow=1`]) {
      const { status, headers } = await new Promise<{ status?: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
        const req = get(`${address}${url}`, { headers: { authorization: `Bearer ${t.adminToken}` } }, (res) => {
          resolve({ status: res.statusCode, headers: res.headers });
          req.destroy();
        });
        req.on("error", reject);
      });
      expect(status, url).toBe(200);
      expect(headers["content-type"]).toContain("text/event-stream");
      expectSecurityHeaders(headers, url, true);
    }
  });
});
