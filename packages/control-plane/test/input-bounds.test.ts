/**
 * Issue 9 §10: repeated query parameters and deep JSON are refused on every route, in the envelope,
 * before any route code runs; an error handler that fails still answers in the envelope. The routes
 * come from the app's own route table.
 */
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { depthExceededAt, MAX_JSON_DEPTH } from "../src/plugins/input-bounds.js";
import { installErrorHandler } from "../src/plugins/error-handler.js";
import { expectError, expectFieldError, makeTestApp, publish, sampleModule, type TestApp } from "./support.js";

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => t.close());

const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
const HTTP = ["GET", "POST", "PUT", "PATCH", "DELETE"];

function routes() {
  return t.app.routeAccess.filter((r) => HTTP.includes(r.method) && r.url !== "*").map((r) => ({ method: r.method, url: r.url.replace(/:\w+/g, "x") }));
}

async function raw(method: string, url: string, opts: { token?: boolean; body?: string } = {}) {
  const res = await t.app.inject({
    method: method as never,
    url,
    headers: { ...(opts.token ? { authorization: `Bearer ${t.adminToken}` } : {}), ...(opts.body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(opts.body !== undefined ? { payload: opts.body } : {}),
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

describe("repeated query parameters", () => {
  it("GET /api/v1/events?token=a&token=b without a token is a 422 naming token (was a 500)", async () => {
    const item = expectFieldError(await raw("GET", "/api/v1/events?token=a&token=b"), "token");
    expect(item.message).toContain("got 2 values");
  });

  it("are a 422 naming the parameter on every route of the app, with a token and without", async () => {
    expect(routes().length).toBeGreaterThan(40);
    for (const { method, url } of routes()) {
      for (const token of [true, false]) expectFieldError(await raw(method, `${url}?limit=1&limit=2`, { token }), "limit");
    }
  });
});

describe("JSON depth", () => {
  it(`answers a body nested deeper than ${MAX_JSON_DEPTH} levels with a 422 on every route that takes a body (was a 500 for job inputs)`, async () => {
    // A webhook delivery's credential is its signature over the raw body, checked before the body is
    // parsed (so unsigned, it is a 401 like any unauthenticated request); test/webhooks.test.ts
    // sends it a signed deep body.
    for (const { method, url } of routes().filter((r) => r.method !== "GET" && !r.url.startsWith("/api/v1/hooks/"))) {
      const item = expectFieldError(await raw(method, url, { token: true, body: `{"inputs":${nested(5_000)}}` }), "body");
      expect(item.message).toContain(`more than ${MAX_JSON_DEPTH} levels`);
      // Without a token the body is never parsed: authentication answers first.
      const anonymous = await raw(method, url, { body: `{"inputs":${nested(5_000)}}` });
      expectError(anonymous, anonymous.status === 401 ? 401 : 422);
    }
  });

  it(`accepts job inputs nested ${MAX_JSON_DEPTH} levels deep`, async () => {
    await publish(t, { functions: [{ ...sampleModule().functions[0], input_schema: { type: "object" } }] });
    const inputs = `{"a":${nested(MAX_JSON_DEPTH - 2)}}`; // the body itself is level 1, inputs level 2
    const res = await raw("POST", "/api/v1/jobs", { token: true, body: `{"module":"hello","function":"greet","inputs":${inputs}}` });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });

  it("counts brackets outside strings only", () => {
    expect(depthExceededAt(`{"a":"${"[".repeat(100)}"}`, 2)).toBe(-1);
    expect(depthExceededAt(`{"a":"\\"[[[[","b":[[1]]}`, 2)).toBe(`{"a":"\\"[[[[","b":[`.length);
    expect(depthExceededAt(nested(3), 3)).toBe(-1);
    expect(depthExceededAt(nested(4), 3)).toBe(3);
  });
});

describe("Fastify's own error shape never reaches a client", () => {
  it("an error handler that throws still answers a 500 in the envelope", async () => {
    const app = Fastify({ logger: false });
    installErrorHandler(app);
    app.get("/boom", async () => {
      const err = new Error("boom");
      // What a stack overflow while describing a deep value looked like.
      Object.defineProperty(err, "validation", {
        get() {
          throw new RangeError("Maximum call stack size exceeded");
        },
      });
      throw err;
    });
    const res = await app.inject({ method: "GET", url: "/boom" });
    expectError({ status: res.statusCode, body: JSON.parse(res.body) }, 500, "internal");
    await app.close();
  });
});
