/** Issue 2 §3: PAT format and storage, scopes on every route, expiry, revocation, org restriction. */
import { createHmac } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { TOKEN_SCOPES, type TokenScope } from "@outpost/shared";
import { tokens } from "../src/db/schema.js";
import { crc32, isWellFormedSecret } from "../src/lib/secrets.js";
import {
  collectPages,
  createJob,
  createOrg,
  createPool,
  expectError,
  makeTestApp,
  publish,
  registerAgent,
  sampleModule,
  sampleRegistration,
  UNAUTHORIZED_BODY,
  type TestApp,
} from "./support.js";

let t: TestApp;
let now = 0;
beforeEach(async () => {
  t = await makeTestApp();
  now = Date.parse("2026-01-01T00:00:00.000Z");
  t.deps.clock = () => now;
});
afterEach(async () => t.close());

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const base62 = (n: number, width: number) => {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
};

describe("PAT format and storage", () => {
  it("is opat_ + at least 30 base62 characters + a 6-character base62 CRC32 of them", async () => {
    const secrets = [t.adminToken, t.mint({ user: "u", name: "cli", scopes: ["read"] })];
    for (let i = 0; i < 20; i++) secrets.push((await t.api("POST", "/api/v1/tokens", { body: { name: `t${i}`, scopes: ["read"] } })).body.details.token);
    for (const s of secrets) {
      const m = /^opat_([0-9A-Za-z]{30,})([0-9A-Za-z]{6})$/.exec(s);
      expect(m, s).not.toBeNull();
      expect(m![2]).toBe(base62(crc32(m![1]!), 6));
      expect(isWellFormedSecret("pat", s)).toBe(true);
    }
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it("stores only an HMAC-SHA256 digest keyed by the install secret, never the secret", async () => {
    const created = (await t.api("POST", "/api/v1/tokens", { body: { name: "x", scopes: ["read"] } })).body.details;
    const row = t.deps.db.select().from(tokens).where(eq(tokens.id, created.id)).get()!;
    expect(row.digest).toBe(createHmac("sha256", t.deps.installSecret).update(created.token).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect(row.prefix).toBe(created.token.slice(0, row.prefix.length));
    expect(row.prefix.length).toBeLessThan(12);
    const dump = t.deps.db.$client.prepare("select * from tokens").all();
    expect(JSON.stringify(dump)).not.toContain(created.token.slice(5));
  });

  it("accepts a checksummed body of exactly 30 characters as well-formed (then 401 as unknown)", async () => {
    const body = "A".repeat(30);
    const token = `opat_${body}${base62(crc32(body), 6)}`;
    expect(isWellFormedSecret("pat", token)).toBe(true);
    const res = await t.api("GET", "/api/v1/me", { token });
    expect(res.body).toEqual(UNAUTHORIZED_BODY);
    const short = "A".repeat(29);
    expect(isWellFormedSecret("pat", `opat_${short}${base62(crc32(short), 6)}`)).toBe(false);
  });
});

describe("scopes", () => {
  /** Every scoped route with the one scope it needs (admin holds them all). */
  async function routes() {
    await publish(t);
    const agent = (await registerAgent(t, { modules: [{ name: "hello", version: "1.0.0" }] })).details;
    const pool = await createPool(t);
    const job = await createJob(t);
    const user = (await t.api("GET", "/api/v1/me")).body.details.user;
    const r: [TokenScope, string, string, unknown?][] = [
      ["read", "GET", "/api/v1/me"],
      ["read", "GET", "/api/v1/orgs"],
      ["read", "GET", "/api/v1/tokens"],
      ["read", "POST", "/api/v1/tokens", { name: "x", scopes: ["read"] }],
      ["read", "GET", "/api/v1/agents"],
      ["read", "GET", `/api/v1/agents/${agent.id}`],
      ["read", "GET", `/api/v1/agents/${agent.id}/status-history`],
      ["read", "GET", `/api/v1/agents/${agent.id}/module-history`],
      ["read", "GET", `/api/v1/agents/${agent.id}/modules`],
      ["read", "GET", "/api/v1/pools"],
      ["read", "GET", `/api/v1/pools/${pool.id}`],
      ["read", "GET", `/api/v1/pools/${pool.id}/agents`],
      ["read", "GET", `/api/v1/pools/${pool.id}/users`],
      ["read", "GET", `/api/v1/pools/${pool.id}/overview`],
      ["read", "GET", `/api/v1/pools/${pool.id}/jobs`],
      ["read", "GET", "/api/v1/modules"],
      ["read", "GET", "/api/v1/modules/hello/1.0.0"],
      ["read", "GET", "/api/v1/jobs"],
      ["read", "GET", `/api/v1/jobs/${job.id}`],
      ["read", "GET", `/api/v1/jobs/${job.id}/report`],
      ["agents:register", "POST", "/api/v1/agent", sampleRegistration({ name: "scoped" })],
      ["agents:write", "PATCH", `/api/v1/agents/${agent.id}`, { name: "renamed" }],
      ["agents:write", "POST", `/api/v1/agents/${agent.id}/pause`],
      ["agents:write", "POST", `/api/v1/agents/${agent.id}/resume`],
      ["agents:write", "POST", `/api/v1/agents/${agent.id}/retire`],
      ["agents:write", "POST", `/api/v1/agents/${agent.id}/reinstate`],
      ["agents:write", "DELETE", `/api/v1/agents/${agent.id}`],
      ["agents:write", "POST", "/api/v1/pools", { name: "p2" }],
      ["agents:write", "PATCH", `/api/v1/pools/${pool.id}`, { name: "p3" }],
      ["agents:write", "POST", `/api/v1/pools/${pool.id}/archive`],
      ["agents:write", "POST", `/api/v1/pools/${pool.id}/restore`],
      ["agents:write", "POST", `/api/v1/pools/${pool.id}/agents`, { agent_ids: [agent.id] }],
      ["agents:write", "DELETE", `/api/v1/pools/${pool.id}/agents/${agent.id}`],
      ["agents:write", "POST", `/api/v1/pools/${pool.id}/users`, { user_ids: [user.id] }],
      ["agents:write", "DELETE", `/api/v1/pools/${pool.id}/users/${user.id}`],
      ["modules:write", "POST", "/api/v1/modules", sampleModule({ version: "1.0.1" })],
      ["jobs:write", "POST", "/api/v1/jobs", { module: "hello", function: "greet", inputs: { who: "x" } }],
      ["jobs:write", "POST", `/api/v1/jobs/${job.id}/cancel`],
      ["jobs:write", "DELETE", `/api/v1/jobs/${job.id}`],
      ["jobs:write", "POST", "/api/v1/jobs/delete", { ids: ["x"] }],
      ["admin", "POST", "/api/v1/orgs", { slug: "made" }],
      ["admin", "POST", "/api/v1/users", { name: "made", orgs: [] }],
      ["admin", "POST", "/api/v1/orgs/default/members", { user_id: user.id }],
      ["admin", "DELETE", `/api/v1/orgs/default/members/nobody`],
    ];
    return r;
  }

  it("refuses every route to a token without its scope (403 naming it) and lets the scope through", async () => {
    const table = await routes();
    const holders = Object.fromEntries(
      TOKEN_SCOPES.map((s) => [s, t.mint({ user: s === "admin" ? "admin" : "member", admin: s === "admin", name: s, scopes: [s] })]),
    ) as Record<TokenScope, string>;
    for (const [need, method, url, body] of table) {
      for (const scope of TOKEN_SCOPES) {
        const res = await t.api(method, url, { token: holders[scope], ...(body !== undefined ? { body } : {}) });
        const label = `${scope} -> ${method} ${url}`;
        if (scope === need || scope === "admin") {
          expect([401, 403], `${label}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
        } else {
          const err = expectError(res, 403, "forbidden");
          expect(err.message, label).toContain(need);
        }
      }
    }
  });

  it("lets an agent credential do nothing but re-register", async () => {
    const { credential } = await registerAgent(t);
    for (const [, method, url, body] of await routes()) {
      if (url === "/api/v1/agent") continue;
      const res = await t.api(method, url, { token: credential, ...(body !== undefined ? { body } : {}) });
      expect(res.status, `${method} ${url}`).toBe(401);
      expect(res.body).toEqual(UNAUTHORIZED_BODY);
    }
  });
});

describe("expiry, revocation and listing", () => {
  it("expires at expires_at or after expires_in_days, with the same 401 as any failure", async () => {
    const at = (await t.api("POST", "/api/v1/tokens", { body: { name: "a", scopes: ["read"], expires_at: "2026-01-02T00:00:00+02:00" } })).body.details;
    expect(at.expires_at).toBe("2026-01-01T22:00:00.000Z");
    const days = (await t.api("POST", "/api/v1/tokens", { body: { name: "d", scopes: ["read"], expires_in_days: 2 } })).body.details;
    expect(days.expires_at).toBe("2026-01-03T00:00:00.000Z");
    expect((await t.api("GET", "/api/v1/me", { token: at.token })).status).toBe(200);
    now = Date.parse("2026-01-01T22:00:00.000Z");
    expect((await t.api("GET", "/api/v1/me", { token: at.token })).body).toEqual(UNAUTHORIZED_BODY);
    expect((await t.api("GET", "/api/v1/me", { token: days.token })).status).toBe(200);
    now = Date.parse("2026-01-03T00:00:00.000Z");
    expect((await t.api("GET", "/api/v1/me", { token: days.token })).body).toEqual(UNAUTHORIZED_BODY);
    expect((await t.api("GET", "/api/v1/me")).status).toBe(200); // no expiry
  });

  it("lists the caller's tokens newest first, pages them, and hides revoked ones unless asked", async () => {
    now = Date.now(); // after the bootstrap token, which was minted by the real clock
    for (let i = 0; i < 5; i++) {
      now += 1000;
      await t.api("POST", "/api/v1/tokens", { body: { name: `t${i}`, scopes: ["read"] } });
    }
    const first = (await t.api("GET", "/api/v1/tokens")).body.details;
    expect(first[0].name).toBe("t4");
    await t.api("DELETE", `/api/v1/tokens/${first[0].id}`);
    const pages = await collectPages(t, "/api/v1/tokens?limit=2");
    expect(pages.all.map((x: any) => x.name)).toEqual(["t3", "t2", "t1", "t0", "bootstrap"]);
    for (const x of pages.all) expect(x).not.toHaveProperty("token");
    const withRevoked = await collectPages(t, "/api/v1/tokens?include_revoked=true&limit=4");
    expect(withRevoked.all.map((x: any) => x.name)).toEqual(["t4", "t3", "t2", "t1", "t0", "bootstrap"]);
    expect(withRevoked.all[0].revoked_at).toMatch(/Z$/);
    // Someone else's tokens are not listed.
    const bob = t.mint({ user: "bob", name: "b", scopes: ["read"] });
    expect((await t.api("GET", "/api/v1/tokens", { token: bob })).body.details.map((x: any) => x.name)).toEqual(["b"]);
    expectError(await t.api("DELETE", "/api/v1/tokens/nope"), 404, "not_found");
  });
});

describe("org restriction", () => {
  it("restricts a token to one org at creation; tokens it mints inherit the restriction", async () => {
    await createOrg(t, "acme");
    const acme = (await t.api("POST", "/api/v1/tokens", { body: { name: "acme", scopes: ["read", "agents:register"], org: "acme" } })).body.details;
    expect(acme.org_id).toBe((await t.api("GET", "/api/v1/orgs")).body.details.find((o: { name: string }) => o.name === "acme").id);
    const child = (await t.api("POST", "/api/v1/tokens", { token: acme.token, body: { name: "child", scopes: ["read"] } })).body.details;
    expect(child.org_id).toBe(acme.org_id);
    expect((await t.api("GET", "/api/v1/me", { token: child.token })).body.details.orgs.map((m: any) => m.org.slug)).toEqual(["acme"]);
    // It cannot reach out to another org, nor name an org its user is not in.
    expectError(await t.api("POST", "/api/v1/tokens", { token: acme.token, body: { name: "x", scopes: ["read"], org: "default" } }), 404, "not_found");
    expectError(await t.api("POST", "/api/v1/tokens", { body: { name: "x", scopes: ["read"], org: "nowhere" } }), 404, "not_found");
    // An agent it registers joins acme.
    const agent = await registerAgent(t, { name: "in-acme" }, acme.token);
    expect(agent.details.org_id).toBe(acme.org_id);
  });
});
