/**
 * Issue 9 §3: registration tokens, as GitHub's runner registration tokens: scope agents:register,
 * an expiry, at most max_uses agent registrations, each consuming one use with a compare-and-set.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectError, expectFieldError, makeTestApp, sampleRegistration, UNAUTHORIZED_BODY, type TestApp } from "./support.js";

let t: TestApp;
let now = 0;
beforeEach(async () => {
  t = await makeTestApp();
  now = Date.now();
  t.deps.clock = () => now;
});
afterEach(async () => t.close());

async function registrationToken(body: Record<string, unknown>) {
  const res = await t.api("POST", "/api/v1/tokens", { body: { name: "reg", scopes: ["agents:register"], ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details as { id: string; token: string; max_uses: number | null; uses: number; uses_left: number | null; expires_at: string | null };
}

const register = (token: string, name: string) => t.api("POST", "/api/v1/agent", { token, body: sampleRegistration({ name }) });
const listed = async (id: string) => (await t.api("GET", "/api/v1/tokens")).body.details.find((x: { id: string }) => x.id === id);

describe("registration tokens", () => {
  it("allow max_uses registrations, then are refused with 401 like any dead token; the list shows uses left", async () => {
    const reg = await registrationToken({ max_uses: 2, expires_at: new Date(now + 3_600_000).toISOString() });
    expect(reg).toMatchObject({ max_uses: 2, uses: 0, uses_left: 2 });
    expect((await register(reg.token, "a1")).status).toBe(201);
    expect(await listed(reg.id)).toMatchObject({ max_uses: 2, uses: 1, uses_left: 1 });
    expect((await register(reg.token, "a2")).status).toBe(201);
    expect(await listed(reg.id)).toMatchObject({ max_uses: 2, uses: 2, uses_left: 0 });
    const third = await register(reg.token, "a3");
    expectError(third, 401, "unauthorized");
    expect(third.body).toEqual(UNAUTHORIZED_BODY);
    const names = (await t.api("GET", "/api/v1/agents")).body.details.map((a: { name: string }) => a.name).sort();
    expect(names).toEqual(["a1", "a2"]);
  });

  it("are refused once expired, before any use", async () => {
    const reg = await registrationToken({ max_uses: 5, expires_at: new Date(now + 60_000).toISOString() });
    now += 60_000;
    expect((await register(reg.token, "late")).body).toEqual(UNAUTHORIZED_BODY);
    expect(await listed(reg.id)).toMatchObject({ uses: 0, uses_left: 5 });
  });

  it("let exactly max_uses of many concurrent registrations through; the rest get 401 in the envelope", async () => {
    const reg = await registrationToken({ max_uses: 3 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => register(reg.token, `racer-${i}`)));
    const codes = results.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(3);
    for (const r of results.filter((x) => x.status !== 201)) expect(r.body).toEqual(UNAUTHORIZED_BODY);
    expect(await listed(reg.id)).toMatchObject({ uses: 3, uses_left: 0 });
    expect((await t.api("GET", "/api/v1/agents")).body.details).toHaveLength(3);
  });

  it("do not spend a use on a registration that fails", async () => {
    const reg = await registrationToken({ max_uses: 1 });
    expect((await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: "taken", agent_id: "taken" }) })).status).toBe(201);
    expectError(await t.api("POST", "/api/v1/agent", { token: reg.token, body: sampleRegistration({ name: "dup", agent_id: "taken" }) }), 409, "conflict");
    expect(await listed(reg.id)).toMatchObject({ uses: 0, uses_left: 1 });
    expect((await register(reg.token, "fine")).status).toBe(201);
  });

  it("are refused once revoked", async () => {
    const reg = await registrationToken({ max_uses: 3 });
    await t.api("DELETE", `/api/v1/tokens/${reg.id}`);
    expect((await register(reg.token, "x")).body).toEqual(UNAUTHORIZED_BODY);
  });

  it("count registrations of tokens without a limit too (uses_left null)", async () => {
    const reg = await registrationToken({});
    expect(reg).toMatchObject({ max_uses: null, uses: 0, uses_left: null });
    expect((await register(reg.token, "u1")).status).toBe(201);
    expect(await listed(reg.id)).toMatchObject({ max_uses: null, uses: 1, uses_left: null });
  });

  it("refuse max_uses on a token with other scopes, and a max_uses below 1, with 422 naming the field and the value", async () => {
    const mixed = expectFieldError(await t.api("POST", "/api/v1/tokens", { body: { name: "x", scopes: ["agents:register", "read"], max_uses: 4 } }), "max_uses");
    expect(mixed.message).toContain("4");
    expect(mixed.message).toContain('["agents:register","read"]');
    expectFieldError(await t.api("POST", "/api/v1/tokens", { body: { name: "x", scopes: ["agents:register"], max_uses: 0 } }), "max_uses");
    expectFieldError(await t.api("POST", "/api/v1/tokens", { body: { name: "x", scopes: ["agents:register"], max_uses: "many" } }), "max_uses");
  });
});
