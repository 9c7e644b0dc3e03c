/**
 * Issue 9 §5: every route declares who may call it, and the declaration is enforced. The routes
 * come from the app's own table (app.routeAccess, filled by an onRoute hook), so a route added
 * later is walked too; a route that declares nothing makes buildApp throw.
 */
import Fastify from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TOKEN_SCOPES, type TokenScope } from "@outpost/shared";
import { authPlugin } from "../src/plugins/auth.js";
import { expectError, makeTestApp, registerAgent, UNAUTHORIZED_BODY, type TestApp } from "./support.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp({ authFailMax: 100_000 });
});
afterEach(async () => t.close());

/** Routes that take no bearer credential, and why. Anything else must name a scope. */
const OPEN_ROUTES: Record<string, string> = {
  "GET /healthz": "public",
  "HEAD /healthz": "public",
  "GET /readyz": "public",
  "HEAD /readyz": "public",
  "GET /api/v1/openapi.json": "public",
  "HEAD /api/v1/openapi.json": "public",
  "GET /api/v1/shared/reports/:secret": "share-link",
  "HEAD /api/v1/shared/reports/:secret": "share-link",
  // Webhook deliveries: the signature over timestamp and body is the credential.
  "POST /api/v1/hooks/:public_id": "public",
  // Joining a host: the install script, the agent binary and its checksum hold nothing secret.
  "GET /downloads/outpost-agent-linux-x64": "public",
  "HEAD /downloads/outpost-agent-linux-x64": "public",
  "GET /downloads/outpost-agent-linux-x64.sha256": "public",
  "HEAD /downloads/outpost-agent-linux-x64.sha256": "public",
  "GET /install/agent.sh": "public",
  "HEAD /install/agent.sh": "public",
};

const fill = (url: string) => url.replace(/:[a-zA-Z]+/g, "x");

async function call(method: string, url: string, token: string) {
  const body = ["POST", "PATCH", "PUT"].includes(method) ? "{}" : undefined;
  const res = await t.app.inject({
    method: method as never,
    url,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { payload: body } : {}),
  });
  let parsed: unknown = res.body;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    // HEAD: no body
  }
  return { status: res.statusCode, body: parsed as any };
}

describe("route access", () => {
  it("lists every route with its access, and only the allow-listed ones take no bearer credential", () => {
    const routes = t.app.routeAccess;
    expect(routes.length).toBeGreaterThan(40);
    const known = new Set<string>([...TOKEN_SCOPES, "agent", "agents:register|agent"]);
    for (const r of routes) {
      const key = `${r.method} ${r.url}`;
      if (known.has(r.access)) continue;
      expect(OPEN_ROUTES[key], `${key} is ${r.access}: not in the open-route allow-list`).toBe(r.access);
    }
    // The stream routes are in the table like any other.
    expect(routes).toContainEqual(expect.objectContaining({ method: "GET", url: "/api/v1/events", access: "read" }));
    expect(routes).toContainEqual(expect.objectContaining({ method: "GET", url: "/api/v1/jobs/:id/logs", access: "read" }));
  });

  it("refuses every scoped route to a token holding every scope but the one the route declares", async () => {
    const tokens = new Map<TokenScope, string>();
    const lacking = (scope: TokenScope) => {
      if (!tokens.has(scope)) {
        const scopes = TOKEN_SCOPES.filter((s) => s !== scope && s !== "admin");
        tokens.set(scope, t.mint({ user: `lacks-${scope}`, name: `lacks-${scope}`, scopes }));
      }
      return tokens.get(scope)!;
    };
    let checked = 0;
    for (const r of t.app.routeAccess) {
      if (!(TOKEN_SCOPES as readonly string[]).includes(r.access) && r.access !== "agents:register|agent") continue;
      const scope = (r.access === "agents:register|agent" ? "agents:register" : r.access) as TokenScope;
      const res = await call(r.method, fill(r.url), lacking(scope));
      expect(res.status, `${r.method} ${r.url} (needs ${scope})`).toBe(403);
      if (r.method !== "HEAD") expectError(res, 403, "forbidden");
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });

  it("refuses every user route to an agent credential and every agent route to a PAT", async () => {
    const { credential } = await registerAgent(t);
    for (const r of t.app.routeAccess) {
      if (r.access === "agent") {
        const res = await call(r.method, fill(r.url), t.adminToken);
        expect(res.status, `${r.method} ${r.url} with a PAT`).toBe(401);
      } else if ((TOKEN_SCOPES as readonly string[]).includes(r.access)) {
        const res = await call(r.method, fill(r.url), credential);
        expect(res.status, `${r.method} ${r.url} with an agent credential`).toBe(401);
        if (r.method !== "HEAD") expect(res.body).toEqual(UNAUTHORIZED_BODY);
      }
    }
  });

  it("does not let a token with only agents:register or jobs:write read logs or open the change feed", async () => {
    for (const scopes of [["agents:register"], ["jobs:write"]] as TokenScope[][]) {
      const token = t.mint({ user: `only-${scopes[0]}`, name: "narrow", scopes });
      for (const url of ["/api/v1/jobs/x/logs", "/api/v1/jobs/x/logs?follow=1", "/api/v1/events"]) {
        expectError(await call("GET", url, token), 403, "forbidden");
        const viaQuery = await t.app.inject({ method: "GET", url: `${url}${url.includes("?") ? "&" : "?"}token=${token}` });
        expect(viaQuery.statusCode, `${url} with ?token=`).toBe(403);
      }
    }
  });

  it("refuses to build an app with a route that declares no access", async () => {
    const app = Fastify();
    await app.register(authPlugin, { deps: t.deps });
    expect(() => app.get("/api/v1/forgotten", async () => ({ ok: true }))).toThrow(/GET \/api\/v1\/forgotten declares no access/);
    await app.close();
  });
});
