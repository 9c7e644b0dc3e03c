/**
 * Issue 2 §3 and §9: the error envelope for every failure, never a 500 for bad input (a seeded
 * fuzz over every route of the app's table), one 401 body for every authentication failure, and token format checks
 * that refuse before any database lookup.
 */
import { connect } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateSecret } from "../src/lib/secrets.js";
import { encodeCursor } from "../src/lib/cursor.js";
import { streamRoutes } from "../src/lib/sse.js";
import {
  createJob,
  createPool,
  expectError,
  expectFieldError,
  makeTestApp,
  publish,
  registerAgent,
  UNAUTHORIZED_BODY,
  type TestApp,
} from "./support.js";

let t: TestApp;
beforeEach(async () => {
  // This file sends hundreds of bad credentials on purpose: the failed-auth limit (test/rate-limit.test.ts) is lifted.
  t = await makeTestApp({ authFailMax: 100_000 });
});
afterEach(async () => t.close());

async function raw(method: string, url: string, payload?: string | Buffer, headers: Record<string, string> = {}, token: string | null = t.adminToken) {
  const res = await t.app.inject({
    method: method as never,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(payload !== undefined ? { payload } : {}),
  });
  let body: unknown = res.body;
  try {
    body = JSON.parse(res.body);
  } catch {
    // leave as text
  }
  return { status: res.statusCode, body: body as any, headers: res.headers };
}

describe("the error envelope", () => {
  it("answers malformed JSON with 400 bad_request", async () => {
    for (const payload of ["{bad", '{"name": }', "[1,2", "nul", '{"name":"x"}garbage']) {
      const res = await raw("POST", "/api/v1/pools", payload, { "content-type": "application/json" });
      expectError(res, 400, "bad_request");
    }
  });

  it("answers an empty JSON body where one is required with 400 or 422, never 500", async () => {
    const res = await raw("POST", "/api/v1/pools", "", { "content-type": "application/json" });
    expect([400, 422]).toContain(res.status);
    expectError(res, res.status);
  });

  it("answers a body over the limit with 413 payload_too_large", async () => {
    const big = JSON.stringify({ name: "x", description: "y".repeat(1024 * 1024 + 10) });
    expectError(await raw("POST", "/api/v1/pools", big, { "content-type": "application/json" }), 413, "payload_too_large");
  });

  it("answers a wrong content type with 415 unsupported_media_type", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"]) {
      expectError(await raw("POST", "/api/v1/pools", "name=x", { "content-type": type }), 415, "unsupported_media_type");
    }
  });

  it("answers an unknown route or method with 404 route_not_found", async () => {
    for (const [method, url] of [["GET", "/api/v1/nope"], ["GET", "/api/v2/agents"], ["PUT", "/api/v1/pools"], ["POST", "/api/v1/agents/x/explode"], ["GET", "/api/v1/agents/x/y/z"]]) {
      const err = expectError(await raw(method!, url!), 404, "route_not_found");
      expect(err.message).toContain(url!.split("?")[0]);
    }
  });

  it("answers router-level failures in the envelope too: an overlong path segment (414) and bad percent-encoding (400)", async () => {
    expectError(await raw("GET", `/api/v1/agents/${"a".repeat(500)}`), 414, "uri_too_long");
    expectError(await raw("POST", `/api/v1/jobs/${"a".repeat(500)}/cancel`), 414, "uri_too_long");
    expectError(await raw("GET", "/api/v1/agents/%ff"), 400, "bad_request");
    expectError(await raw("GET", "/api/v1/agents/%E0%A4%A"), 400, "bad_request");
  });

  it("answers a cursor this server did not issue with 422 naming cursor, on every paged list", async () => {
    const agent = (await registerAgent(t)).details;
    const forged = [encodeCursor(t.deps.db, "abc", "x"), encodeCursor(t.deps.db, null, "x"), "!!", Buffer.from("{}").toString("base64url")];
    for (const url of ["/api/v1/agents", "/api/v1/pools", "/api/v1/jobs", "/api/v1/modules", "/api/v1/tokens", `/api/v1/agents/${agent.id}/status-history`, `/api/v1/agents/${agent.id}/module-history`]) {
      for (const cursor of forged) {
        const res = await t.api("GET", `${url}?cursor=${encodeURIComponent(cursor)}`);
        expect(res.status, `${url} ${cursor}`).toBeLessThan(500);
        if (res.status !== 200) expectFieldError(res, "cursor");
      }
      expectFieldError(await t.api("GET", `${url}?cursor=!!`), "cursor");
    }
    for (const url of [`/api/v1/agents/${agent.id}/status-history`, `/api/v1/agents/${agent.id}/module-history`]) {
      expectFieldError(await t.api("GET", `${url}?cursor=${encodeCursor(t.deps.db, "abc", "x")}`), "cursor");
      expectFieldError(await t.api("GET", `${url}?cursor=${encodeCursor(t.deps.db, 1.5, "x")}`), "cursor");
    }
  });

  it("answers validation failures with 422 validation_errors naming each field and the value received", async () => {
    const res = await t.api("POST", "/api/v1/pools", { body: { name: 42, description: ["no"] } });
    const err = expectError(res, 422, "validation_errors");
    expect(err.errors!.map((e) => e.path).sort()).toEqual(["description", "name"]);
    expect(err.errors!.find((e) => e.path === "name")!.message).toContain("42");
    expect(err.message).toMatch(/^(name|description): /);
    const q = expectFieldError(await t.api("GET", "/api/v1/agents?limit=abc"), "limit");
    expect(q.message).toContain("abc");
    const nested = expectFieldError(await t.api("POST", "/api/v1/agent", { body: { name: "x", hostname: "h", version: "1", os: { platform: "linux", arch: 64 } } }), "os.arch");
    expect(nested.message).toContain("64");
    // A body that is not an object at all names the body.
    const notObject = expectError(await raw("POST", "/api/v1/pools", "[1,2,3]", { "content-type": "application/json" }), 422, "validation_errors");
    expect(notObject.errors![0]!.path).toBe("body");
  });

  it("never leaks internals: error bodies carry only status, code, message and errors", async () => {
    const res = await raw("POST", "/api/v1/pools", "{bad", { "content-type": "application/json" });
    expect(Object.keys(res.body).sort()).toEqual(["code", "message", "status"]);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js|node_modules|stack/);
  });
});

/** Sends raw bytes to a listening server and returns the whole answer (the server closes). */
function rawHttp(port: number, request: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.on("data", (d) => (data += d.toString()));
    socket.on("error", () => {}); // the server may reset after answering
    socket.on("close", () => {
      const m = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n([^]*)$/.exec(data);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(data.slice(0, 200))}`));
      resolve({ status: Number(m[1]), body: JSON.parse(m[2]!) });
    });
    socket.write(request);
  });
}

describe("HTTP-level failures on a real listening server", () => {
  it("answers oversized headers (431) and requests that are not HTTP (400) in the envelope", async () => {
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const port = (t.app.server.address() as { port: number }).port;
    const huge = await rawHttp(port, `GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`);
    expectError(huge, 431, "headers_too_large");
    const garbage = await rawHttp(port, "THIS IS NOT HTTP\r\n\r\n");
    expectError(garbage, 400, "bad_request");
    const badHeader = await rawHttp(port, "GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n");
    expectError(badHeader, 400, "bad_request");
    // The server still serves.
    const ok = await fetch(`http://127.0.0.1:${port}/api/v1/me`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(ok.status).toBe(200);
  });
});

describe("authentication failures", () => {
  /**
   * Every route that takes a bearer credential, from the app's own route table (app.routeAccess), so a
   * route added later is walked too; path params are filled with "x". HEAD answers like its GET.
   */
  const bearerRoutes = (): [string, string][] =>
    t.app.routeAccess
      .filter((r) => !["public", "share-link", "static"].includes(r.access) && r.method !== "HEAD")
      .map((r) => [r.method, r.url.replace(/:[a-zA-Z_]+/g, "x")]);

  it("gives the identical 401 body for every kind of bad credential on every route", async () => {
    const revoked = (await t.api("POST", "/api/v1/tokens", { body: { name: "gone", scopes: ["read"] } })).body.details;
    await t.api("DELETE", `/api/v1/tokens/${revoked.id}`);
    const valid = generateSecret("pat");
    const headers: (Record<string, string> | undefined)[] = [
      undefined,
      { authorization: "" },
      { authorization: "Bearer" },
      { authorization: "Bearer " },
      { authorization: `Basic ${Buffer.from("admin:admin").toString("base64")}` },
      { authorization: `Token ${t.adminToken}` },
      { authorization: `Bearer ${t.adminToken} extra` },
      { authorization: "Bearer nonsense" },
      { authorization: "Bearer opat_" },
      { authorization: `Bearer ${valid}` }, // well-formed, unknown
      { authorization: `Bearer ${revoked.token}` },
      { authorization: `Bearer ${t.adminToken.toLowerCase()}` },
      { authorization: `Bearer ${t.adminToken}x` },
      { authorization: `Bearer ${generateSecret("share")}` },
      { authorization: `Bearer ${"opat_" + "a".repeat(5000)}` },
    ];
    const routes = bearerRoutes();
    expect(routes.length).toBeGreaterThan(60);
    expect(routes).toContainEqual(["GET", "/api/v1/agent/session"]);
    for (const [method, url] of routes) {
      for (const h of headers) {
        const body = ["POST", "PATCH"].includes(method) ? "{}" : undefined;
        const res = await raw(method, url, body, { ...(body ? { "content-type": "application/json" } : {}), ...h }, null);
        expect(res.status, `${method} ${url} ${JSON.stringify(h)}`).toBe(401);
        expect(res.body).toEqual(UNAUTHORIZED_BODY);
      }
    }
    // ?token= (for EventSource) fails the same way.
    expect((await raw("GET", `/api/v1/jobs/x/logs?token=${valid}`, undefined, {}, null)).body).toEqual(UNAUTHORIZED_BODY);
  });

  it("accepts the scheme name in any case", async () => {
    expect((await raw("GET", "/api/v1/me", undefined, { authorization: `bearer ${t.adminToken}` }, null)).status).toBe(200);
    expect((await raw("GET", "/api/v1/me", undefined, { authorization: `BEARER ${t.adminToken}` }, null)).status).toBe(200);
  });

  it("refuses a wrong prefix or checksum before any database lookup", async () => {
    const pat = t.adminToken;
    const body = pat.slice(5);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "a" ? "b" : "a") + s.slice(i + 1);
    const refusedByFormat = [
      `oagt_${body}`.replace(/^oagt_/, "opat_").replace(/^opat_/, "xpat_"),
      `OPAT_${body}`,
      `opat-${body}`,
      `opat_${flip(body, 3)}`, // a typo in the random part: the checksum no longer matches
      `opat_${flip(body, body.length - 1)}`, // a typo in the checksum
      `opat_${body.slice(0, 20)}`, // too short
      `opat_${body.slice(0, 10)}!${body.slice(11)}`, // not base62
      `oagt_${flip(generateSecret("agent").slice(5), 4)}`,
    ];
    // With the database closed, anything that reaches a lookup fails loudly instead of with 401.
    const reaches = generateSecret("pat");
    t.deps.db.$client.close();
    for (const token of refusedByFormat) {
      const res = await raw("GET", "/api/v1/agents", undefined, { authorization: `Bearer ${token}` }, null);
      expect(res.status, token).toBe(401);
      expect(res.body).toEqual(UNAUTHORIZED_BODY);
    }
    // Control: a well-formed token does reach the (closed) database, so the check above means something.
    const control = await raw("GET", "/api/v1/agents", undefined, { authorization: `Bearer ${reaches}` }, null);
    expect(control.status).toBe(500);
    expect(control.body).toEqual({ status: "error", code: "internal", message: "Internal server error." });
  });
});

/** mulberry32: a small seeded PRNG, so a failure here reproduces exactly. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

describe("fuzz: bad input never yields a 500", () => {
  it("survives hundreds of random bodies, query strings and path ids on many routes", async () => {
    await publish(t);
    const agent = (await registerAgent(t, { modules: [{ name: "hello", version: "1.0.0" }] })).details;
    const pool = await createPool(t);
    const job = await createJob(t);
    const rand = rng(20260101);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const FIELDS = ["name", "description", "agent_ids", "user_ids", "ids", "scopes", "slug", "orgs", "user_id", "role", "module", "version", "function",
      "inputs", "pool_id", "agent_id", "limits", "cpus", "mem_limit", "pids_limit", "labels", "slots", "hostname", "os", "modules", "functions", "image",
      "expires_at", "expires_in_days", "org", "timeout_s", "max_attempts", "priority", "trigger_source", "input_schema", "__proto__", "constructor"];
    const STRINGS = ["", " ", "x", "😀", "\u0000", "a".repeat(300), "%", "_", "'; drop table agents; --", "../../etc/passwd", "1.0.0", "^1", "*",
      "2026-01-01T00:00:00Z", "not-a-date", "-1", "1e309", "NaN", "null", "true", "{}", "[]", agent.id, pool.id, job.id, "admin", "read", "opat_x", "Idle"];
    const value = (depth: number): unknown => {
      const kind = Math.floor(rand() * (depth > 2 ? 6 : 8));
      switch (kind) {
        case 0: return pick(STRINGS);
        case 1: return pick([0, -1, 1, 1.5, 2 ** 53, -(2 ** 31), 1e308, 200, 201]);
        case 2: return pick([true, false, null]);
        case 3: return pick(STRINGS) + String(Math.floor(rand() * 1000));
        case 4: return Math.floor(rand() * 100);
        case 5: return pick(["opat_", "oagt_", ""]) + pick(STRINGS);
        case 6: return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
        default: return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [pick(FIELDS), value(depth + 1)]));
      }
    };
    const garbageText = () => pick(["{", "}", "[", '"', "\\", "\u0000", "\uffff", "a", ":", ",", "null", "1", "\n"]).repeat(1 + Math.floor(rand() * 5));
    const pathId = () =>
      pick([agent.id, pool.id, job.id, agent.agent_id, "x", "0", "-1", "%00", "%ff", "%2e%2e", "😀", encodeURIComponent("a/b"), "a".repeat(65), "a".repeat(200), "null", "undefined", "%20"]);
    const queryValue = () => encodeURIComponent(String(pick([...STRINGS, ...[0, -5, 1e9, 3.5].map(String)])));
    const QUERY_KEYS = ["limit", "cursor", "sort", "order", "q", "search_by", "archived", "pool", "org", "status", "agent_id", "trigger_source", "pool_id",
      "from", "to", "include_revoked", "name", "follow", "after_seq", "after_attempt", "format", "token"];
    const queryString = () => {
      const parts = Array.from({ length: Math.floor(rand() * 5) }, () => {
        const k = pick(QUERY_KEYS);
        return rand() < 0.1 ? `${k}` : rand() < 0.1 ? `${k}[]=${queryValue()}&${k}=${queryValue()}` : `${k}=${queryValue()}`;
      });
      if (rand() < 0.15) parts.push(`cursor=${encodeCursor(t.deps.db, pick(["abc", 5, null] as const) as never, "x")}`);
      return parts.length ? `?${parts.join("&")}` : "";
    };
    // Every route of the app's own table (a route added later is fuzzed too), each path param a random id;
    // the streaming routes (lib/sse.ts) answer forever, so fuzz.test.ts reads their heads instead.
    const streams = new Set(streamRoutes(t.deps));
    const ROUTES: [string, (id: string) => string][] = t.app.routeAccess
      .filter((r) => r.method !== "HEAD" && r.access !== "static" && !streams.has(r.url))
      .map((r) => [r.method, (id: string) => r.url.replace(/:[a-zA-Z_]+/g, id)]);
    expect(ROUTES.length).toBeGreaterThan(60);
    const CONTENT_TYPES = ["application/json", "application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/json; charset=latin1", "application/vnd.api+json", ""];
    const seen = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const [method, path] = pick(ROUTES);
      const url = path(pathId()) + queryString();
      const hasBody = method !== "GET" && method !== "DELETE" ? rand() < 0.95 : rand() < 0.1;
      const payload = hasBody ? (rand() < 0.8 ? JSON.stringify(value(0)) : garbageText()) : undefined;
      const contentType = hasBody ? pick(CONTENT_TYPES) : "";
      const res = await raw(method, url, payload, contentType ? { "content-type": contentType } : {});
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      const what = `#${i} ${method} ${url} ${contentType} ${payload?.slice(0, 200)}`;
      expect(res.status, `${what} -> ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(500);
      if (res.status >= 400) expectError(res, res.status);
    }
    // The fuzz reached past validation as well as into it.
    expect(seen.get(422)).toBeGreaterThan(20);
    expect([...seen.keys()].some((s) => s < 300)).toBe(true);
  });
});

describe("fuzz: valid requests with one field mutated never yield a 500", () => {
  it("mutates each field of valid bodies for registration, publishing, jobs, pools, tokens and patches", async () => {
    await publish(t);
    const agent = (await registerAgent(t, { modules: [{ name: "hello", version: "1.0.0" }] })).details;
    const pool = await createPool(t);
    const rand = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const WEIRD: unknown[] = ["", " ", "😀".repeat(50), "x".repeat(5000), -1, 0, 1.5, 1e21, -1e21, true, null, [], {}, [null], { a: { b: { c: [] } } },
      "../", "%", "1.0.0", "^1", ">=0.0.0", "*", "1g", "0.0001", "1024", "2026-02-30T00:00:00Z", "2026-01-01T00:00:00+14:00", agent.id, pool.id, "Idle"];
    const fixtures: [string, string, Record<string, unknown>][] = [
      ["POST", "/api/v1/agent", { name: "n", hostname: "h", os: { platform: "linux", distro: "d", release: "r", kernel: "k", arch: "x64" }, version: "1", modules: [{ name: "hello", version: "1.0.0" }], labels: { a: "b" }, slots: 2, cpu_count: 2, memory_bytes: 1024, started_at: "2026-01-01T00:00:00Z" }],
      ["POST", "/api/v1/modules", { name: "m", version: "1.0.0", image: "img:1", description: "d", functions: [{ name: "f", display_name: "F", command: ["true"], input_schema: { type: "object" }, defaults: { cpus: "1", mem_limit: "64m", pids_limit: 64, timeout_s: 5 } }] }],
      ["POST", "/api/v1/jobs", { module: "hello", version: "^1", function: "greet", inputs: { who: "x" }, pool_id: pool.id, limits: { cpus: "0.5", mem_limit: "64m", pids_limit: 32 }, timeout_s: 5, max_attempts: 2, priority: 1 }],
      ["POST", "/api/v1/pools", { name: "p", description: "d" }],
      ["PATCH", `/api/v1/pools/${pool.id}`, { name: "p", description: "d" }],
      ["PATCH", `/api/v1/agents/${agent.id}`, { name: "n", cpus: "1", mem_limit: "1g", pids_limit: 100, labels: { a: "b" }, slots: 1 }],
      ["POST", `/api/v1/pools/${pool.id}/agents`, { agent_ids: [agent.id] }],
      ["POST", "/api/v1/tokens", { name: "t", scopes: ["read"], expires_in_days: 1 }],
      ["POST", "/api/v1/jobs/delete", { ids: ["x"] }],
      ["POST", "/api/v1/orgs", { slug: "ok-slug", name: "n" }],
      ["POST", "/api/v1/users", { name: "u", orgs: ["default"] }],
    ];
    /** Replaces the value at a random path (top level or one level down) with something odd. */
    const mutate = (body: Record<string, unknown>): Record<string, unknown> => {
      const copy = JSON.parse(JSON.stringify(body)) as Record<string, any>;
      const key = pick(Object.keys(copy));
      const inner = copy[key];
      if (inner && typeof inner === "object" && rand() < 0.5) {
        const target = Array.isArray(inner) ? (inner[0] ?? {}) : inner;
        if (target && typeof target === "object" && Object.keys(target).length) {
          target[pick(Object.keys(target))] = pick(WEIRD);
          if (Array.isArray(inner) && inner.length === 0) inner.push(target);
          return copy;
        }
      }
      if (rand() < 0.15) delete copy[key];
      else copy[key] = pick(WEIRD);
      return copy;
    };
    for (let i = 0; i < 400; i++) {
      const [method, url, body] = pick(fixtures);
      const sent = mutate(body);
      const res = await t.api(method, url, { body: sent });
      expect(res.status, `#${i} ${method} ${url} ${JSON.stringify(sent).slice(0, 300)} -> ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(500);
      if (res.status >= 400) expectError(res, res.status);
    }
  });
});
