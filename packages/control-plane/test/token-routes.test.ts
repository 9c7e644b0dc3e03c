import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateSecret } from "../src/lib/secrets.js";
import { makeTestApp, type TestApp } from "../src/test-support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(async () => t.close());

const UNAUTH = { status: "error", code: "unauthorized", message: "Missing, invalid, expired or revoked token." };

describe("tokens", () => {
  it("answers the secret once at creation and never in lists", async () => {
    const created = await t.api("POST", "/api/v1/tokens", { body: { name: "ci", scopes: ["read", "jobs:write"] } });
    expect(created.status).toBe(201);
    expect(created.body.details.token).toMatch(/^opat_/);
    expect(created.body.details.scopes).toEqual(["read", "jobs:write"]);
    const list = await t.api("GET", "/api/v1/tokens");
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(created.body.details.token);
    expect(list.body.details.map((x: { name: string }) => x.name)).toContain("ci");
    const me = await t.api("GET", "/api/v1/me", { token: created.body.details.token });
    expect(me.body.details.token.name).toBe("ci");
  });

  it("gives the same 401 body for a missing, malformed, unknown, revoked or expired token", async () => {
    const created = await t.api("POST", "/api/v1/tokens", { body: { name: "short", scopes: ["read"], expires_in_days: 1 } });
    const secret = created.body.details.token as string;
    await t.api("DELETE", `/api/v1/tokens/${created.body.details.id}`);
    const expiring = await t.api("POST", "/api/v1/tokens", { body: { name: "exp", scopes: ["read"], expires_in_days: 1 } });
    const realClock = t.deps.clock;
    const cases: (string | null)[] = [null, "nonsense", "opat_short", generateSecret("pat"), secret, generateSecret("agent")];
    for (const token of cases) {
      const res = await t.api("GET", "/api/v1/agents", { token });
      expect(res.status, String(token)).toBe(401);
      expect(res.body).toEqual(UNAUTH);
    }
    t.deps.clock = () => realClock() + 2 * 86_400_000;
    const expired = await t.api("GET", "/api/v1/agents", { token: expiring.body.details.token });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(UNAUTH);
  });

  it("refuses a scope the token lacks with 403 naming it", async () => {
    const read = t.mint({ user: "reader", name: "r", scopes: ["read"] });
    const res = await t.api("POST", "/api/v1/pools", { token: read, body: { name: "p" } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("forbidden");
    expect(res.body.message).toContain("agents:write");
  });

  it("cannot mint a token with scopes it does not hold", async () => {
    const read = t.mint({ user: "reader", name: "r", scopes: ["read"] });
    const res = await t.api("POST", "/api/v1/tokens", { token: read, body: { name: "x", scopes: ["admin"] } });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe("scopes");
    expect(res.body.errors[0].message).toContain('"admin"');
    const ok = await t.api("POST", "/api/v1/tokens", { token: read, body: { name: "x", scopes: ["read"] } });
    expect(ok.status).toBe(201);
  });

  it("records last_used_at when a token is used", async () => {
    const created = await t.api("POST", "/api/v1/tokens", { body: { name: "used", scopes: ["read"] } });
    expect(created.body.details.last_used_at).toBeNull();
    await t.api("GET", "/api/v1/me", { token: created.body.details.token });
    const list = await t.api("GET", "/api/v1/tokens");
    const row = list.body.details.find((x: { id: string }) => x.id === created.body.details.id);
    expect(row.last_used_at).toMatch(/Z$/);
  });

  it("rejects an expiry in the past and unknown scopes with field errors", async () => {
    const past = await t.api("POST", "/api/v1/tokens", { body: { name: "x", scopes: ["read"], expires_at: "2000-01-01T00:00:00Z" } });
    expect(past.status).toBe(422);
    expect(past.body.errors[0].path).toBe("expires_at");
    const bad = await t.api("POST", "/api/v1/tokens", { body: { name: "x", scopes: ["root"] } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("scopes.0");
    expect(bad.body.errors[0].message).toContain('"root"');
  });

  it("revokes with DELETE; another user's token is a 404", async () => {
    const other = t.mint({ user: "bob", name: "b", scopes: ["read"] });
    const mine = await t.api("POST", "/api/v1/tokens", { token: other, body: { name: "bob2", scopes: ["read"] } });
    const admins = await t.api("POST", "/api/v1/tokens", { body: { name: "adm2", scopes: ["read"] } });
    expect((await t.api("DELETE", `/api/v1/tokens/${admins.body.details.id}`, { token: other })).status).toBe(404);
    const del = await t.api("DELETE", `/api/v1/tokens/${mine.body.details.id}`, { token: other });
    expect(del.status).toBe(200);
    expect(del.body.details.revoked_at).toMatch(/Z$/);
    expect((await t.api("GET", "/api/v1/me", { token: mine.body.details.token })).status).toBe(401);
  });
});
