/**
 * Issue 9 §1: no schema pattern and input can hold the event loop. Patterns run on RE2 (linear
 * time); a pattern RE2 cannot compile is refused at publish, naming the field.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SCHEMA_BUDGET_MS } from "../src/lib/schema-checks.js";
import { expectFieldError, makeTestApp, publish, sampleModule, type TestApp } from "./support.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(async () => t.close());

const EVIL = "^(a+)+$";
const fn = (input_schema: Record<string, unknown>) => ({ name: "f", display_name: "F", command: ["x"], input_schema });

/** One request over the real socket, with how long its answer took. */
async function timed(base: string, method: string, path: string, body?: unknown) {
  const start = performance.now();
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${t.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any, ms: performance.now() - start };
}

describe("schema patterns run in linear time", () => {
  it("a catastrophic pattern answers the job POST within 50 ms while GET /me is answered within 50 ms too", async () => {
    const base = await t.app.listen({ port: 0, host: "127.0.0.1" });
    await publish(t, { functions: [fn({ type: "object", properties: { s: { type: "string", pattern: EVIL } }, patternProperties: { [EVIL]: { type: "string" } } })] });
    // Warm-up (first connection, the validator's compile, cold code paths): then only the pattern is timed.
    expect((await timed(base, "POST", "/api/v1/jobs", { module: "hello", function: "f", inputs: { s: "aa" } })).status).toBe(201);
    expect((await timed(base, "POST", "/api/v1/jobs", { module: "hello", function: "f", inputs: { s: "b!", "b!": "x" } })).status).toBe(422);
    expect((await timed(base, "GET", "/api/v1/me")).status).toBe(200);
    // 30 `a`s and a `!`: 3.7 s of backtracking on V8's engine; each extra character doubles it.
    // The machine is shared and noisy: the best of up to eight rounds must meet the bound (a frozen
    // loop misses it in every round).
    const input = `${"a".repeat(30)}!`;
    let best = { job: Infinity, me: Infinity };
    for (let round = 0; round < 8 && Math.max(best.job, best.me) >= 50; round++) {
      const [job, me] = await Promise.all([
        timed(base, "POST", "/api/v1/jobs", { module: "hello", function: "f", inputs: { s: input, [input]: "x" } }),
        timed(base, "GET", "/api/v1/me"),
      ]);
      expect(job.status, JSON.stringify(job.body)).toBe(422);
      expect(job.body.errors.map((e: { path: string }) => e.path)).toContain("inputs.s");
      expect(me.status).toBe(200);
      if (Math.max(job.ms, me.ms) < Math.max(best.job, best.me)) best = { job: job.ms, me: me.ms };
    }
    expect(best.job, `job POST took ${best.job} ms`).toBeLessThan(50);
    expect(best.me, `GET /me took ${best.me} ms`).toBeLessThan(50);
  }, 120_000);

  it("a schema whose validation costs seconds is stopped at its budget with a 422, while GET /me is answered within 50 ms", async () => {
    const base = await t.app.listen({ port: 0, host: "127.0.0.1" });
    // allOf over two $refs to the step before, 30 steps: 2^30 checks of one string (under 2 KB).
    const definitions: Record<string, unknown> = { a0: { type: "string", minLength: 1 } };
    for (let i = 1; i <= 30; i++) definitions[`a${i}`] = { allOf: [{ $ref: `#/definitions/a${i - 1}` }, { $ref: `#/definitions/a${i - 1}` }] };
    await publish(t, { functions: [fn({ definitions, type: "object", properties: { s: { $ref: "#/definitions/a30" } } })] });
    const job = timed(base, "POST", "/api/v1/jobs", { module: "hello", function: "f", inputs: { s: "x" } });
    // While the worker spends its budget, the event loop answers.
    let best = Infinity;
    for (let round = 0; round < 8 && best >= 50; round++) best = Math.min(best, (await timed(base, "GET", "/api/v1/me")).ms);
    const res = await job;
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.errors[0].path).toBe("inputs");
    expect(res.body.errors[0].message).toContain(`took over ${SCHEMA_BUDGET_MS} ms`);
    expect(best, `GET /me took ${best} ms`).toBeLessThan(50);
    // The next job of a cheap function runs on a fresh worker.
    await publish(t, { version: "2.0.0", functions: [fn({ type: "object" })] });
    expect((await t.api("POST", "/api/v1/jobs", { body: { module: "hello", version: "2.0.0", function: "f", inputs: {} } })).status).toBe(201);
  }, 120_000);

  it("a matching input still passes the pattern", async () => {
    await publish(t, { functions: [fn({ type: "object", properties: { s: { type: "string", pattern: EVIL } } })] });
    const res = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "f", inputs: { s: "aaaa" } } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });

  it.each([
    ["a lookahead in pattern", { type: "object", properties: { s: { type: "string", pattern: "^(?=a)a$" } } }, "(?="],
    ["a backreference in patternProperties", { type: "object", patternProperties: { "^(a)\\1$": { type: "string" } } }, "\\\\1"],
    ["a pattern over 1000 characters", { type: "string", pattern: "a".repeat(1001) }, "longer than 1000"],
  ])("refuses %s at publish with a 422 naming the field and the pattern", async (_what, schema, mention) => {
    const item = expectFieldError(await t.api("POST", "/api/v1/modules", { body: sampleModule({ functions: [fn(schema)] }) }), "functions.0.input_schema");
    expect(item.message).toContain(mention);
  });
});
