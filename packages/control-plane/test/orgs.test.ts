/** Issue 2 §4: orgs, users, memberships, multi-org visibility and the cross-org 404. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  collectPages,
  createJob,
  createOrg,
  createPool,
  expectError,
  makeTestApp,
  orgAdminToken,
  publish,
  registerAgent,
  type TestApp,
} from "./support.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(async () => t.close());

describe("GET /api/v1/me", () => {
  it("lists the caller's user, orgs with role, and the token", async () => {
    const me = await t.api("GET", "/api/v1/me");
    expect(me.status).toBe(200);
    expect(me.body.details.user.name).toBe("admin");
    expect(me.body.details.orgs.map((m: any) => [m.org.slug, m.role])).toEqual([["default", "admin"]]);
    expect(me.body.details.token).toMatchObject({ name: "bootstrap", scopes: ["admin"], org_id: null });
  });

  it("shows only the one org a restricted token acts in", async () => {
    await createOrg(t, "acme");
    const restricted = await orgAdminToken(t, "acme");
    const me = await t.api("GET", "/api/v1/me", { token: restricted });
    expect(me.body.details.orgs.map((m: any) => m.org.slug)).toEqual(["acme"]);
    const orgs = await t.api("GET", "/api/v1/orgs", { token: restricted });
    expect(orgs.body.details.map((o: any) => o.slug)).toEqual(["acme"]);
    expect(orgs.body.next_cursor).toBeNull();
  });
});

describe("admins manage orgs, users and memberships", () => {
  it("creates an org (the creator joins it as admin); a taken slug is a 409; a bad slug a 422", async () => {
    const org = await createOrg(t, "acme");
    expect(org).toMatchObject({ slug: "acme", name: "acme" });
    const orgs = await t.api("GET", "/api/v1/orgs");
    expect(orgs.body.details.map((o: any) => o.slug)).toEqual(["default", "acme"]);
    expectError(await t.api("POST", "/api/v1/orgs", { body: { slug: "acme" } }), 409, "conflict");
    const bad = expectError(await t.api("POST", "/api/v1/orgs", { body: { slug: "Not A Slug" } }), 422, "validation_errors");
    expect(bad.errors![0]!.path).toBe("slug");
  });

  it("creates a user in named orgs; an unknown org is a field error; a taken name a 409", async () => {
    await createOrg(t, "acme");
    const res = await t.api("POST", "/api/v1/users", { body: { name: "bob", orgs: ["acme", "default"] } });
    expect(res.status).toBe(201);
    expect(res.body.details.name).toBe("bob");
    expect(res.body.details.orgs.map((m: any) => [m.org.slug, m.role]).sort()).toEqual([["acme", "member"], ["default", "member"]]);
    expectError(await t.api("POST", "/api/v1/users", { body: { name: "bob", orgs: [] } }), 409, "conflict");
    const bad = expectError(await t.api("POST", "/api/v1/users", { body: { name: "carol", orgs: ["nope"] } }), 422);
    expect(bad.errors![0]).toMatchObject({ path: "orgs.0" });
    expect(bad.errors![0]!.message).toContain("nope");
  });

  it("adds and removes members; the member's token then sees the org or stops seeing it", async () => {
    const acme = await createOrg(t, "acme");
    const bobToken = t.mint({ user: "bob", name: "bob", scopes: ["read"] });
    const bob = (await t.api("GET", "/api/v1/me", { token: bobToken })).body.details.user;
    expect((await t.api("GET", "/api/v1/me", { token: bobToken })).body.details.orgs.map((m: any) => m.org.slug)).toEqual(["default"]);

    const add = await t.api("POST", `/api/v1/orgs/${acme.slug}/members`, { body: { user_id: bob.id } });
    expect(add.status).toBe(200);
    expect(add.body.details.orgs.map((m: any) => m.org.slug)).toEqual(["default", "acme"]);
    expect((await t.api("GET", "/api/v1/me", { token: bobToken })).body.details.orgs.map((m: any) => m.org.slug)).toEqual(["default", "acme"]);

    const del = await t.api("DELETE", `/api/v1/orgs/${acme.id}/members/${bob.id}`);
    expect(del.status).toBe(200);
    expect(del.body.details).toEqual({ ok: true });
    expect((await t.api("GET", "/api/v1/me", { token: bobToken })).body.details.orgs.map((m: any) => m.org.slug)).toEqual(["default"]);
    expectError(await t.api("DELETE", `/api/v1/orgs/${acme.id}/members/${bob.id}`), 404, "not_found");
    expectError(await t.api("POST", `/api/v1/orgs/nope/members`, { body: { user_id: bob.id } }), 404, "not_found");
    expectError(await t.api("POST", `/api/v1/orgs/${acme.id}/members`, { body: { user_id: "no-such-user" } }), 404, "not_found");
  });

  it("answers 403 to a non-admin on every admin route", async () => {
    const acme = await createOrg(t, "acme");
    const strong = t.mint({ user: "bob", name: "b", scopes: ["read", "agents:write", "agents:register", "jobs:write", "modules:write"] });
    const cases: [string, string, unknown][] = [
      ["POST", "/api/v1/orgs", { slug: "evil" }],
      ["POST", "/api/v1/users", { name: "mallory", orgs: [] }],
      ["POST", `/api/v1/orgs/${acme.id}/members`, { user_id: "x" }],
      ["DELETE", `/api/v1/orgs/${acme.id}/members/x`, undefined],
    ];
    for (const [method, url, body] of cases) {
      const res = await t.api(method, url, { token: strong, ...(body !== undefined ? { body } : {}) });
      const err = expectError(res, 403, "forbidden");
      expect(err.message, url).toContain("admin");
    }
    expect((await t.api("GET", "/api/v1/orgs")).body.details.map((o: any) => o.slug)).not.toContain("evil");
  });
});

describe("a member of two orgs", () => {
  it("sees each org alone with ?org= and both at once without it (or with org=all)", async () => {
    await createOrg(t, "acme");
    const acmeAdmin = await orgAdminToken(t, "acme");
    await registerAgent(t, { name: "default-agent" });
    await registerAgent(t, { name: "acme-agent" }, acmeAdmin);
    await createPool(t, { name: "default-pool" });
    await createPool(t, { name: "acme-pool" }, acmeAdmin);

    const names = async (url: string) => (await collectPages(t, url)).all.map((x: any) => x.name).sort();
    expect(await names("/api/v1/agents")).toEqual(["acme-agent", "default-agent"]);
    expect(await names("/api/v1/agents?org=all")).toEqual(["acme-agent", "default-agent"]);
    expect(await names("/api/v1/agents?org=acme")).toEqual(["acme-agent"]);
    expect(await names("/api/v1/agents?org=default")).toEqual(["default-agent"]);
    expect(await names("/api/v1/pools?org=acme")).toEqual(["acme-pool"]);
    expect(await names("/api/v1/pools")).toEqual(["acme-pool", "default-pool"]);

    // The org-restricted token sees only its org, even when it asks for another.
    expect((await collectPages(t, "/api/v1/agents", acmeAdmin)).all.map((a: any) => a.name)).toEqual(["acme-agent"]);
    expectError(await t.api("GET", "/api/v1/agents?org=default", { token: acmeAdmin }), 404, "not_found");
    expectError(await t.api("GET", "/api/v1/agents?org=nope"), 404, "not_found");
  });

  it("registers agents into the token's org, else the user's first org", async () => {
    const acme = await createOrg(t, "acme");
    const acmeAdmin = await orgAdminToken(t, "acme");
    const inAcme = await registerAgent(t, { name: "a" }, acmeAdmin);
    const inDefault = await registerAgent(t, { name: "b" });
    expect(inAcme.details.org_id).toBe(acme.id);
    const me = await t.api("GET", "/api/v1/me");
    expect(inDefault.details.org_id).toBe(me.body.details.orgs[0].org.id);
  });
});

describe("a resource of another org", () => {
  it("answers exactly the 404 of a missing one, for every resource kind and route", async () => {
    await createOrg(t, "acme");
    const acmeAdmin = await orgAdminToken(t, "acme");
    // Everything below lives in org "default", which the acme token cannot see.
    await publish(t);
    const agent = (await registerAgent(t, { name: "hidden", modules: [{ name: "hello", version: "1.0.0" }] })).details;
    const pool = await createPool(t, { name: "hidden-pool" });
    const job = await createJob(t, { pool_id: pool.id });
    const user = (await t.api("GET", "/api/v1/me")).body.details.user;
    const token = (await t.api("POST", "/api/v1/tokens", { body: { name: "other", scopes: ["read"] } })).body.details;
    const otherToken = t.mint({ user: "outsider", org: "acme", name: "o", scopes: ["read"] });

    const routes = (id: { agent: string; pool: string; job: string; user: string; module: string }): [string, string, unknown?][] => [
      ["GET", `/api/v1/agents/${id.agent}`],
      ["PATCH", `/api/v1/agents/${id.agent}`, { name: "x" }],
      ["POST", `/api/v1/agents/${id.agent}/retire`],
      ["POST", `/api/v1/agents/${id.agent}/reinstate`],
      ["POST", `/api/v1/agents/${id.agent}/pause`],
      ["POST", `/api/v1/agents/${id.agent}/resume`],
      ["DELETE", `/api/v1/agents/${id.agent}`],
      ["GET", `/api/v1/agents/${id.agent}/status-history`],
      ["GET", `/api/v1/agents/${id.agent}/module-history`],
      ["GET", `/api/v1/agents/${id.agent}/modules`],
      ["GET", `/api/v1/pools/${id.pool}`],
      ["PATCH", `/api/v1/pools/${id.pool}`, { name: "x" }],
      ["POST", `/api/v1/pools/${id.pool}/archive`],
      ["POST", `/api/v1/pools/${id.pool}/restore`],
      ["POST", `/api/v1/pools/${id.pool}/agents`, { agent_ids: ["x"] }],
      ["GET", `/api/v1/pools/${id.pool}/agents`],
      ["DELETE", `/api/v1/pools/${id.pool}/agents/${id.agent}`],
      ["POST", `/api/v1/pools/${id.pool}/users`, { user_ids: [id.user] }],
      ["GET", `/api/v1/pools/${id.pool}/users`],
      ["DELETE", `/api/v1/pools/${id.pool}/users/${id.user}`],
      ["GET", `/api/v1/pools/${id.pool}/overview`],
      ["GET", `/api/v1/pools/${id.pool}/jobs`],
      ["GET", `/api/v1/jobs/${id.job}`],
      ["POST", `/api/v1/jobs/${id.job}/cancel`],
      ["DELETE", `/api/v1/jobs/${id.job}`],
      ["GET", `/api/v1/jobs/${id.job}/logs`],
      ["GET", `/api/v1/jobs/${id.job}/report`],
      ["GET", `/api/v1/modules/${id.module}`],
    ];
    const real = { agent: agent.id, pool: pool.id, job: job.id, user: user.id, module: "hello/1.0.0" };
    const missing = { agent: "00000000-0000-4000-8000-000000000000", pool: "00000000-0000-4000-8000-000000000001", job: "00000000-0000-4000-8000-000000000002", user: user.id, module: "hellx/1.0.0" };
    const realRoutes = routes(real);
    const missingRoutes = routes(missing);
    for (const [i, [method, url, body]] of realRoutes.entries()) {
      const foreign = await t.api(method, url, { token: acmeAdmin, ...(body !== undefined ? { body } : {}) });
      const err = expectError(foreign, 404, "not_found");
      const [, missingUrl] = missingRoutes[i]!;
      const absent = await t.api(method, missingUrl, { token: acmeAdmin, ...(body !== undefined ? { body } : {}) });
      expectError(absent, 404, "not_found");
      // Same body once the id in the message is the same: nothing tells "hidden" from "missing".
      const norm = (m: string) => m.replace(/"[^"]*"/g, '"ID"');
      expect(norm(err.message), `${method} ${url}`).toBe(norm(absent.body.message));
      expect(Object.keys(foreign.body).sort()).toEqual(Object.keys(absent.body).sort());
    }
    // The slug of an agent in another org is just as invisible.
    expectError(await t.api("GET", `/api/v1/agents/${agent.agent_id}`, { token: acmeAdmin }), 404, "not_found");
    // Another user's token cannot be revoked, and looks missing.
    expectError(await t.api("DELETE", `/api/v1/tokens/${token.id}`, { token: otherToken }), 404, "not_found");
    // Jobs cannot be aimed at another org's pool or agent either.
    await publish(t, {}, acmeAdmin);
    const aimed = await t.api("POST", "/api/v1/jobs", { token: acmeAdmin, body: { module: "hello", function: "greet", inputs: { who: "x" }, pool_id: pool.id } });
    expectError(aimed, 422, "validation_errors");
    const aimedAgent = await t.api("POST", "/api/v1/jobs", { token: acmeAdmin, body: { module: "hello", function: "greet", inputs: { who: "x" }, agent_id: agent.id } });
    expectError(aimedAgent, 422, "validation_errors");
    // Bulk delete across orgs reports the foreign id as not found and leaves it alone.
    const bulk = await t.api("POST", "/api/v1/jobs/delete", { token: acmeAdmin, body: { ids: [job.id] } });
    expect(bulk.body.details).toEqual({ deleted: [], not_found: [job.id] });
    expect((await t.api("GET", `/api/v1/jobs/${job.id}`)).status).toBe(200);
    // Nothing was changed by the foreign attempts.
    const after = (await t.api("GET", `/api/v1/agents/${agent.id}`)).body.details;
    expect(after).toMatchObject({ name: "hidden", archived: false, paused: false });
    expect((await t.api("GET", `/api/v1/pools/${pool.id}`)).body.details).toMatchObject({ name: "hidden-pool", archived: false });
  });

  it("lists never include another org's rows", async () => {
    await createOrg(t, "acme");
    const acmeAdmin = await orgAdminToken(t, "acme");
    await publish(t);
    await registerAgent(t, { name: "hidden" });
    await createPool(t, { name: "hidden-pool" });
    await createJob(t);
    for (const url of ["/api/v1/agents?archived=all", "/api/v1/pools?archived=all", "/api/v1/jobs", "/api/v1/modules"]) {
      const res = await t.api("GET", url, { token: acmeAdmin });
      expect(res.status, url).toBe(200);
      expect(res.body.details, url).toEqual([]);
    }
  });
});
