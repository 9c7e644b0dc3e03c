/** Issue 2 §6: pools, their members, overview and jobs. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { jobs } from "../src/db/schema.js";
import {
  collectPages,
  createJob,
  createPool,
  expectError,
  expectFieldError,
  makeTestApp,
  publish,
  registerAgent,
  tickingClock,
  type TestApp,
} from "./support.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
  tickingClock(t);
});
afterEach(async () => t.close());

describe("pools", () => {
  it("creates with a required name and an optional description", async () => {
    const p = await createPool(t, { name: "Builders" });
    expect(p).toMatchObject({ name: "Builders", description: "", archived: false, archived_at: null, agent_count: 0, user_count: 0 });
    expect(p.inserted_at).toMatch(/Z$/);
    const d = await createPool(t, { name: "Testers", description: "runs the tests" });
    expect(d.description).toBe("runs the tests");
    expectFieldError(await t.api("POST", "/api/v1/pools", { body: {} }), "name");
    expectFieldError(await t.api("POST", "/api/v1/pools", { body: { name: "   " } }), "name");
    expectFieldError(await t.api("POST", "/api/v1/pools", { body: { name: "x", description: 5 } }), "description");
    const read = t.mint({ user: "r", name: "r", scopes: ["read"] });
    expectError(await t.api("POST", "/api/v1/pools", { token: read, body: { name: "x" } }), 403, "forbidden");
  });

  it("edits name and description; an empty edit is a 422", async () => {
    const p = await createPool(t, { name: "a" });
    const res = await t.api("PATCH", `/api/v1/pools/${p.id}`, { body: { name: "b", description: "new" } });
    expect(res.status).toBe(200);
    expect(res.body.details).toMatchObject({ id: p.id, name: "b", description: "new" });
    expect(res.body.details.updated_at > p.updated_at).toBe(true);
    expectError(await t.api("PATCH", `/api/v1/pools/${p.id}`, { body: {} }), 422, "validation_errors");
    expectFieldError(await t.api("PATCH", `/api/v1/pools/${p.id}`, { body: { name: "" } }), "name");
  });

  it("archives and restores; the wrong way round is a 409", async () => {
    const p = await createPool(t, { name: "a" });
    const arch = await t.api("POST", `/api/v1/pools/${p.id}/archive`);
    expect(arch.body.details).toMatchObject({ archived: true });
    expect(arch.body.details.archived_at).toMatch(/Z$/);
    expectError(await t.api("POST", `/api/v1/pools/${p.id}/archive`), 409, "conflict");
    expect((await t.api("POST", `/api/v1/pools/${p.id}/restore`)).body.details).toMatchObject({ archived: false, archived_at: null });
    expectError(await t.api("POST", `/api/v1/pools/${p.id}/restore`), 409, "conflict");
  });

  it("lists with name search, archive filter, sort by name or created in both orders, and pagination", async () => {
    const made = [];
    for (const name of ["delta", "alpha", "charlie", "bravo", "echo", "al_pha"]) made.push(await createPool(t, { name }));
    await t.api("POST", `/api/v1/pools/${made[4]!.id}/archive`);
    const list = async (qs: string) => (await collectPages(t, `/api/v1/pools?${qs}`)).all.map((p: any) => p.name);
    expect(await list("")).toEqual(["al_pha", "alpha", "bravo", "charlie", "delta"]);
    expect(await list("order=desc")).toEqual(["delta", "charlie", "bravo", "alpha", "al_pha"]);
    expect(await list("sort=inserted_at")).toEqual(["delta", "alpha", "charlie", "bravo", "al_pha"]);
    expect(await list("sort=inserted_at&order=desc&archived=all")).toEqual(["al_pha", "echo", "bravo", "charlie", "alpha", "delta"]);
    expect(await list("archived=archived")).toEqual(["echo"]);
    expect(await list("archived=all&limit=1")).toEqual(["al_pha", "alpha", "bravo", "charlie", "delta", "echo"]);
    expect(await list("sort=inserted_at&order=desc&limit=2")).toEqual(["al_pha", "bravo", "charlie", "alpha", "delta"]);
    expect(await list("q=ha")).toEqual(["al_pha", "alpha", "charlie"]);
    expect(await list("q=al_")).toEqual(["al_pha"]); // "_" is literal, not a wildcard
    const { pages } = await collectPages(t, "/api/v1/pools?limit=2");
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expectFieldError(await t.api("GET", "/api/v1/pools?sort=size"), "sort");
    expectFieldError(await t.api("GET", "/api/v1/pools?archived=gone"), "archived");
    expectFieldError(await t.api("GET", "/api/v1/pools?cursor=zzz"), "cursor");
  });

  it("adds many agents at once, reports members already there, removes one, and counts them", async () => {
    const p = await createPool(t, { name: "p" });
    const ids = [];
    for (const n of ["a", "b", "c"]) ids.push((await registerAgent(t, { name: n })).details.id);
    const add = await t.api("POST", `/api/v1/pools/${p.id}/agents`, { body: { agent_ids: [ids[0], ids[1]] } });
    expect(add.status).toBe(200);
    expect(add.body.details).toEqual({ added: [ids[0], ids[1]], already: [] });
    const again = await t.api("POST", `/api/v1/pools/${p.id}/agents`, { body: { agent_ids: ids } });
    expect(again.body.details).toEqual({ added: [ids[2]], already: [ids[0], ids[1]] });
    expect((await t.api("GET", `/api/v1/pools/${p.id}`)).body.details.agent_count).toBe(3);
    const members = await collectPages(t, `/api/v1/pools/${p.id}/agents?limit=2`);
    expect(members.all.map((a: any) => a.name)).toEqual(["a", "b", "c"]);
    expect((await t.api("DELETE", `/api/v1/pools/${p.id}/agents/${ids[1]}`)).status).toBe(200);
    expectError(await t.api("DELETE", `/api/v1/pools/${p.id}/agents/${ids[1]}`), 404, "not_found");
    expect((await t.api("GET", `/api/v1/pools/${p.id}`)).body.details.agent_count).toBe(2);
    expect((await t.api("GET", `/api/v1/agents/${ids[0]}`)).body.details.pools).toEqual([{ id: p.id, name: "p" }]);
    const bad = expectFieldError(await t.api("POST", `/api/v1/pools/${p.id}/agents`, { body: { agent_ids: [ids[0], "nope"] } }), "agent_ids.1");
    expect(bad.message).toContain("nope");
    expectFieldError(await t.api("POST", `/api/v1/pools/${p.id}/agents`, { body: { agent_ids: [] } }), "agent_ids");
  });

  it("adds and removes users of the pool's org", async () => {
    const p = await createPool(t, { name: "p" });
    const bob = (await t.api("POST", "/api/v1/users", { body: { name: "bob", orgs: ["default"] } })).body.details;
    const lone = (await t.api("POST", "/api/v1/users", { body: { name: "lone", orgs: [] } })).body.details;
    const add = await t.api("POST", `/api/v1/pools/${p.id}/users`, { body: { user_ids: [bob.id] } });
    expect(add.body.details).toEqual({ added: [bob.id], already: [] });
    const users = await t.api("GET", `/api/v1/pools/${p.id}/users`);
    expect(users.body.details).toEqual([{ id: bob.id, name: "bob", added_at: expect.stringMatching(/Z$/) }]);
    expect(users.body.next_cursor).toBeNull();
    expect((await t.api("GET", `/api/v1/pools/${p.id}`)).body.details.user_count).toBe(1);
    expectFieldError(await t.api("POST", `/api/v1/pools/${p.id}/users`, { body: { user_ids: [lone.id] } }), "user_ids.0");
    expect((await t.api("DELETE", `/api/v1/pools/${p.id}/users/${bob.id}`)).status).toBe(200);
    expectError(await t.api("DELETE", `/api/v1/pools/${p.id}/users/${bob.id}`), 404, "not_found");
    expect((await t.api("GET", `/api/v1/pools/${p.id}`)).body.details.user_count).toBe(0);
  });

  it("gives an overview: agents, users, unfinished jobs and module coverage", async () => {
    await publish(t);
    await publish(t, { version: "2.0.0", functions: [
      { name: "greet", display_name: "Greet", command: ["true"] },
      { name: "wave", display_name: "Wave", command: ["true"] },
    ] });
    const p = await createPool(t, { name: "p" });
    const a = (await registerAgent(t, { name: "a", modules: [{ name: "hello", version: "1.0.0" }, { name: "zip", version: "0.1.0" }] })).details;
    const b = (await registerAgent(t, { name: "b", modules: [{ name: "hello", version: "1.0.0" }] })).details;
    const c = (await registerAgent(t, { name: "c", modules: [{ name: "hello", version: "2.0.0" }] })).details;
    await registerAgent(t, { name: "outside", modules: [{ name: "hello", version: "2.0.0" }] });
    await t.api("POST", `/api/v1/pools/${p.id}/agents`, { body: { agent_ids: [a.id, b.id, c.id] } });
    const bob = (await t.api("POST", "/api/v1/users", { body: { name: "bob", orgs: ["default"] } })).body.details;
    await t.api("POST", `/api/v1/pools/${p.id}/users`, { body: { user_ids: [bob.id] } });
    const j1 = await createJob(t, { pool_id: p.id, version: "1.0.0" });
    const j2 = await createJob(t, { pool_id: p.id, version: "1.0.0" });
    await createJob(t, { pool_id: p.id, version: "1.0.0" });
    await createJob(t); // not the pool's
    t.deps.db.update(jobs).set({ status: "completed" }).where(eq(jobs.id, j1.id)).run();
    t.deps.db.update(jobs).set({ status: "running", agentId: a.id }).where(eq(jobs.id, j2.id)).run();
    const res = await t.api("GET", `/api/v1/pools/${p.id}/overview`);
    expect(res.status).toBe(200);
    expect(res.body.details).toMatchObject({ agents: 3, users: 1, unfinished_jobs: 2 });
    expect(res.body.details.pool.id).toBe(p.id);
    expect(res.body.details.module_coverage).toEqual([
      { module: "hello", version: "2.0.0", agents: 1, functions: 2 },
      { module: "hello", version: "1.0.0", agents: 2, functions: 1 },
      { module: "zip", version: "0.1.0", agents: 1, functions: 0 },
    ]);
  });

  it("lists the pool's jobs with the /jobs filters", async () => {
    await publish(t);
    const p = await createPool(t, { name: "p" });
    const q = await createPool(t, { name: "q" });
    const mine = [await createJob(t, { pool_id: p.id }), await createJob(t, { pool_id: p.id })];
    // No REST caller can set a source: this row stands in for a console session's run.
    t.deps.db.$client.prepare("update jobs set trigger_source = 'manual' where id = ?").run(mine[1]!.id);
    await createJob(t, { pool_id: q.id });
    await createJob(t);
    const all = await collectPages(t, `/api/v1/pools/${p.id}/jobs?limit=1`);
    expect(all.all.map((j: any) => j.id).sort()).toEqual(mine.map((j) => j.id).sort());
    const manual = await t.api("GET", `/api/v1/pools/${p.id}/jobs?trigger_source=manual`);
    expect(manual.body.details.map((j: any) => j.id)).toEqual([mine[1]!.id]);
    expect(manual.body.details[0].pool_name).toBe("p");
    expectFieldError(await t.api("GET", `/api/v1/pools/${p.id}/jobs?status=nope`), "status");
  });
});
