/**
 * Issue 9, point 9: a token cannot create a token that outlives it or holds a scope it lacks.
 * Table-driven over the ways POST /api/v1/tokens says when a token ends (expires_at,
 * expires_in_days, neither) and over every scope. (`outpost-server token create` is the root of
 * trust, with no creating token: whoever holds the database file mints what they like.)
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TOKEN_SCOPES } from "@outpost/shared";
import { expectFieldError, makeTestApp, type TestApp } from "./support.js";

let t: TestApp;
const NOW = Date.parse("2026-01-01T00:00:00.000Z");
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
beforeEach(async () => {
  t = await makeTestApp();
  t.deps.clock = () => NOW;
});
afterEach(async () => t.close());

async function create(body: Record<string, unknown>, token = t.adminToken) {
  return t.api("POST", "/api/v1/tokens", { token, body: { name: "child", scopes: ["read"], ...body } });
}

/** A creator that ends in one day, holding `scopes`. */
async function creatorForADay(scopes: string[] = ["admin"]) {
  const res = await create({ scopes, expires_at: iso(NOW + DAY) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details as { token: string; expires_at: string };
}

type Case = { when: string; body: Record<string, unknown>; expect: { expires_at: string | null } | { field: string } };

const FOR_A_DAY_CREATOR: Case[] = [
  { when: "no expiry is asked for", body: {}, expect: { expires_at: iso(NOW + DAY) } },
  { when: "expires_at is earlier than the creator's", body: { expires_at: iso(NOW + DAY / 2) }, expect: { expires_at: iso(NOW + DAY / 2) } },
  { when: "expires_at is the creator's", body: { expires_at: iso(NOW + DAY) }, expect: { expires_at: iso(NOW + DAY) } },
  { when: "expires_at is later than the creator's", body: { expires_at: iso(NOW + 2 * DAY) }, expect: { field: "expires_at" } },
  { when: "expires_in_days reaches the creator's", body: { expires_in_days: 1 }, expect: { expires_at: iso(NOW + DAY) } },
  { when: "expires_in_days goes past the creator's", body: { expires_in_days: 2 }, expect: { field: "expires_in_days" } },
];

describe("a token that ends in a day creating a token", () => {
  it.each(FOR_A_DAY_CREATOR)("when $when", async (c) => {
    const creator = await creatorForADay();
    const res = await create(c.body, creator.token);
    if ("field" in c.expect) {
      const item = expectFieldError(res, c.expect.field);
      expect(item.message).toContain(creator.expires_at); // names the bound and the value asked for
      expect(item.message).toContain(iso(NOW + 2 * DAY));
    } else {
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.details.expires_at).toBe(c.expect.expires_at);
    }
  });

  it("passes its bound on: a child that inherited it cannot mint a grandchild that never expires", async () => {
    const creator = await creatorForADay();
    const child = (await create({ scopes: ["admin"] }, creator.token)).body.details;
    const grandchild = await create({}, child.token);
    expect(grandchild.body.details.expires_at).toBe(creator.expires_at);
    expectFieldError(await create({ expires_in_days: 30 }, child.token), "expires_in_days");
  });
});

describe("a token that never expires creating a token", () => {
  it.each([
    { body: {}, expires_at: null },
    { body: { expires_in_days: 3650 }, expires_at: iso(NOW + 3650 * DAY) },
    { body: { expires_at: iso(NOW + 400 * DAY) }, expires_at: iso(NOW + 400 * DAY) },
  ])("gets what it asks for: $body", async (c) => {
    const res = await create(c.body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.details.expires_at).toBe(c.expires_at);
  });
});

describe("scopes", () => {
  it.each(TOKEN_SCOPES.filter((s) => s !== "read"))("a read-only token cannot grant %s (422 naming scopes and the scope)", async (scope) => {
    const reader = await creatorForADay(["read"]);
    const item = expectFieldError(await create({ scopes: ["read", scope] }, reader.token), "scopes");
    expect(item.message).toContain(`"${scope}"`);
  });

  it("an admin token grants every scope, and a read-only token grants read", async () => {
    expect((await create({ scopes: [...TOKEN_SCOPES] })).status).toBe(201);
    const reader = await creatorForADay(["read"]);
    expect((await create({ scopes: ["read"] }, reader.token)).status).toBe(201);
  });
});
