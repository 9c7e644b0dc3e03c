/**
 * Issue 9 §11: failed authentication is limited per client address and per token prefix on every
 * authenticated route, and the expensive routes have a request limit; both answer 429 in the
 * error envelope with Retry-After. Time is the app's clock, moved by the test: nothing sleeps.
 */
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, type ServerConfig } from "../src/config.js";
import { generateSecret } from "../src/lib/secrets.js";
import { expectError, makeTestApp, type TestApp } from "./support.js";

let t: TestApp;
let now = Date.parse("2026-01-01T00:00:00.000Z");
afterEach(async () => t?.close());

async function app(overrides: Partial<ServerConfig>) {
  t = await makeTestApp(overrides);
  now = Date.parse("2026-01-01T00:00:00.000Z");
  t.deps.clock = () => now;
}

const fill = (url: string) => url.replace(/:[a-zA-Z]+/g, "x");

async function call(method: string, url: string, opts: { token?: string; ip?: string } = {}) {
  const body = ["POST", "PATCH", "PUT"].includes(method) ? "{}" : undefined;
  const res = await t.app.inject({
    method: method as never,
    url,
    remoteAddress: opts.ip ?? "127.0.0.1",
    headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { payload: body } : {}),
  });
  let parsed: unknown = res.body;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    // HEAD: no body
  }
  return { status: res.statusCode, body: parsed as any, headers: res.headers };
}

function expect429(res: Awaited<ReturnType<typeof call>>, method: string, what: string) {
  expect(res.status, what).toBe(429);
  expect(Number(res.headers["retry-after"]), `${what}: Retry-After`).toBeGreaterThan(0);
  if (method !== "HEAD") expectError(res, 429, "rate_limited");
}

describe("failed authentication", () => {
  it("answers 429 with Retry-After once an address has failed too often, even to a right token, until the window passes", async () => {
    await app({ authFailMax: 3, authFailWindowS: 60 });
    for (let i = 0; i < 3; i++) expect((await call("GET", "/api/v1/me", { token: generateSecret("pat") })).status).toBe(401);
    expect429(await call("GET", "/api/v1/me", { token: generateSecret("pat") }), "GET", "4th failure");
    // A right guess is refused too, or the limit would still tell a brute-forcer which guess was right.
    const blocked = await call("GET", "/api/v1/me", { token: t.adminToken });
    expect429(blocked, "GET", "right token from a blocked address");
    expect(Number(blocked.headers["retry-after"])).toBeLessThanOrEqual(60);
    // Another address is not affected; a request without any credential is not a guess.
    expect((await call("GET", "/api/v1/me", { token: t.adminToken, ip: "10.0.0.2" })).status).toBe(200);
    expect((await call("GET", "/api/v1/me")).status).toBe(401);
    now += 60_000;
    expect((await call("GET", "/api/v1/me", { token: t.adminToken })).status).toBe(200);
  });

  it("limits failures per token prefix across addresses", async () => {
    await app({ authFailMax: 3 });
    const target = generateSecret("pat");
    const samePrefix = (_i: number) => target.slice(0, 9) + generateSecret("pat").slice(9);
    for (let i = 0; i < 3; i++) expect((await call("GET", "/api/v1/me", { token: samePrefix(i), ip: `10.0.1.${i}` })).status).toBe(401);
    expect429(await call("GET", "/api/v1/me", { token: samePrefix(9), ip: "10.0.1.99" }), "GET", "same prefix, new address");
    expect((await call("GET", "/api/v1/me", { token: generateSecret("pat"), ip: "10.0.1.99" })).status).toBe(401);
  });

  it("applies on every authenticated route, bearer or ?token=, PAT or agent credential", async () => {
    await app({ authFailMax: 1 });
    let checked = 0;
    for (const [i, r] of t.app.routeAccess.entries()) {
      if (["public", "share-link", "static"].includes(r.access)) continue;
      const ip = `10.1.${Math.floor(i / 250)}.${i % 250}`;
      const kind = r.access === "agent" ? "agent" : "pat";
      const what = `${r.method} ${r.url}`;
      expect((await call(r.method, fill(r.url), { token: generateSecret(kind), ip })).status, what).toBe(401);
      expect429(await call(r.method, fill(r.url), { token: generateSecret(kind), ip }), r.method, what);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
    // EventSource's ?token= counts as a presented credential too.
    expect((await call("GET", `/api/v1/events?token=${generateSecret("pat")}`, { ip: "10.2.0.1" })).status).toBe(401);
    expect((await call("GET", `/api/v1/events?token=${generateSecret("pat")}`, { ip: "10.2.0.1" })).status).toBe(429);
  });
});

describe("expensive routes", () => {
  const MUST_BE_LIMITED = [
    "POST /api/v1/jobs",
    "POST /api/v1/jobs/delete",
    "POST /api/v1/modules",
    "POST /api/v1/agent",
    "GET /api/v1/jobs/:id/logs",
    "GET /api/v1/jobs/:id/report",
    "GET /api/v1/jobs/:id/report/download",
    "POST /api/v1/jobs/:id/report/share",
    "GET /api/v1/shared/reports/:secret",
  ];

  it("limits each expensive route per credential with 429 and Retry-After, valid or not, until the window passes", async () => {
    await app({ rateLimitMax: 2, rateLimitWindowS: 30 });
    const limited = t.app.routeAccess.filter((r) => r.limited);
    expect(limited.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(MUST_BE_LIMITED));
    for (const r of limited) {
      const what = `${r.method} ${r.url}`;
      for (let i = 0; i < 2; i++) expect((await call(r.method, fill(r.url), { token: t.adminToken })).status, what).not.toBe(429);
      expect429(await call(r.method, fill(r.url), { token: t.adminToken }), r.method, what);
    }
    // Per credential: another token has its own count.
    const other = t.mint({ user: "other", name: "other", scopes: ["jobs:write", "read"] });
    expect((await call("POST", "/api/v1/jobs", { token: other })).status).toBe(422);
    now += 30_000;
    expect((await call("POST", "/api/v1/jobs", { token: t.adminToken })).status).toBe(422);
  });

  it("is generous by default and configurable by env and flag", () => {
    const defaults = loadConfig({}, {});
    expect(defaults.rateLimitMax).toBeGreaterThanOrEqual(50_000);
    expect(defaults.authFailMax).toBe(20);
    const env = { OUTPOST_AUTH_FAIL_MAX: "5", OUTPOST_AUTH_FAIL_WINDOW_S: "120", OUTPOST_RATE_LIMIT_MAX: "10", OUTPOST_RATE_LIMIT_WINDOW_S: "7" };
    expect(loadConfig({}, env)).toMatchObject({ authFailMax: 5, authFailWindowS: 120, rateLimitMax: 10, rateLimitWindowS: 7 });
    expect(loadConfig({ rateLimitMax: "3" }, env).rateLimitMax).toBe(3);
    expect(() => loadConfig({}, { OUTPOST_AUTH_FAIL_MAX: "0" })).toThrow(/OUTPOST_AUTH_FAIL_MAX="0"/);
  });
});
