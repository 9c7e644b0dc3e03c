/** Issue 2 §5 with create-agent-api.txt and list-agents-api.txt: registration, the list, actions, history. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { AGENT_STATUSES } from "@outpost/shared";
import { agents, jobs } from "../src/db/schema.js";
import { transitionAgent } from "../src/modules/agents/agents.transitions.js";
import {
  collectPages,
  createJob,
  createPool,
  expectError,
  expectFieldError,
  makeTestApp,
  publish,
  registerAgent,
  sampleRegistration,
  tickingClock,
  UNAUTHORIZED_BODY,
  type TestApp,
} from "./support.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
  tickingClock(t);
});
afterEach(async () => t.close());

const iso = () => new Date(t.deps.clock()).toISOString();
const SLUG = /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("POST /api/v1/agent (create-agent-api.txt)", () => {
  it("answers {status: success, details: <agent>} and the credential once, beside details", async () => {
    const res = await t.api("POST", "/api/v1/agent", {
      body: sampleRegistration({ modules: [{ name: "hello", version: "1.0.0" }], labels: { gpu: "no" }, slots: 2 }),
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(["credential", "details", "status"]);
    expect(res.body.status).toBe("success");
    expect(res.body.credential).toMatch(/^oagt_[0-9A-Za-z]{36,}$/);
    const a = res.body.details;
    // The reference's fields (create-agent-api.txt), minus the three it has no counterpart for.
    expect(a).toMatchObject({
      type: "agent",
      name: "Build Box",
      status: "Offline",
      available_actions: { delete: false, reinstate: false, retire: true, update: true },
      instance_counts: { active: 0, cancelled: 0, complete: 0, failed: 0, finished: 0, pending: 0, total: 0 },
    });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.inserted_at).toMatch(ISO);
    expect(a.updated_at).toMatch(ISO);
    expect(a).not.toHaveProperty("credential");
    expect(a).not.toHaveProperty("current_schema_version_id");
    // Issue 2's fields and list-agents-api.txt's defaults.
    expect(a.agent_id).toMatch(SLUG);
    expect(a.agent_id).toBe("build-box");
    expect(a).toMatchObject({
      version: "0.1.0",
      host_os: "Debian GNU/Linux 12",
      last_restarted_at: null,
      restart_count: 0,
      pools: [],
      archived: false,
      cpus: "1.0",
      mem_limit: "1g",
      pids_limit: 200,
      labels: { gpu: "no" },
      slots: 2,
      hostname: "build-box.local",
      os: { platform: "linux", distro: "Debian GNU/Linux", release: "12", kernel: "6.1.0", arch: "x64" },
    });
    expect(a.status_updated_at).toMatch(ISO);
    expect(a.modules).toEqual([{ name: "hello", version: "1.0.0", installed_at: expect.stringMatching(ISO) }]);

    // Never again: not in detail, not in the list, not stored in clear.
    const detail = await t.api("GET", `/api/v1/agents/${a.id}`);
    expect(JSON.stringify(detail.body)).not.toContain(res.body.credential);
    expect(JSON.stringify((await t.api("GET", "/api/v1/agents")).body)).not.toContain(res.body.credential);
    const row = t.deps.db.select().from(agents).where(eq(agents.id, a.id)).get()!;
    expect(JSON.stringify(row)).not.toContain(res.body.credential);
    expect(row.credentialDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("makes unique slugs and takes a given agent_id; a taken agent_id is a 409", async () => {
    const a = await registerAgent(t, { name: "Build Box" });
    const b = await registerAgent(t, { name: "Build Box" });
    expect(b.details.agent_id).not.toBe(a.details.agent_id);
    expect(b.details.agent_id).toMatch(SLUG);
    const odd = await registerAgent(t, { name: "!" });
    expect(odd.details.agent_id).toMatch(SLUG);
    const named = await registerAgent(t, { name: "x", agent_id: "runner-7" });
    expect(named.details.agent_id).toBe("runner-7");
    expectError(await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ agent_id: "runner-7" }) }), 409, "conflict");
    expectFieldError(await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ agent_id: "-bad-" }) }), "agent_id");
    // The slug reaches the agent like its id does.
    expect((await t.api("GET", "/api/v1/agents/runner-7")).body.details.id).toBe(named.details.id);
  });

  it("updates the same agent and counts a restart when the agent presents its credential", async () => {
    const first = await registerAgent(t, { modules: [{ name: "hello", version: "1.0.0" }] });
    const again = await t.api("POST", "/api/v1/agent", {
      token: first.credential,
      body: sampleRegistration({ version: "0.2.0", modules: [{ name: "hello", version: "1.1.0" }] }),
    });
    expect(again.status).toBe(200);
    expect(again.body).not.toHaveProperty("credential");
    expect(again.body.details).toMatchObject({ id: first.details.id, agent_id: first.details.agent_id, version: "0.2.0", restart_count: 1 });
    expect(again.body.details.last_restarted_at).toMatch(ISO);
    expect(again.body.details.modules.map((m: any) => `${m.name}@${m.version}`)).toEqual(["hello@1.1.0"]);
    const third = await t.api("POST", "/api/v1/agent", { token: first.credential, body: sampleRegistration() });
    expect(third.body.details.restart_count).toBe(2);
    expect((await collectPages(t, "/api/v1/agents?archived=all")).all).toHaveLength(1);
  });

  it("needs agents:register; an agent credential reaches nothing but its own registration", async () => {
    const read = t.mint({ user: "r", name: "r", scopes: ["read"] });
    const err = expectError(await t.api("POST", "/api/v1/agent", { token: read, body: sampleRegistration() }), 403, "forbidden");
    expect(err.message).toContain("agents:register");
    const reg = t.mint({ user: "reg", name: "reg", scopes: ["agents:register"] });
    const made = await registerAgent(t, {}, reg);
    expectError(await t.api("GET", "/api/v1/agents", { token: reg }), 403, "forbidden");
    for (const [method, url] of [["GET", "/api/v1/agents"], ["GET", `/api/v1/agents/${made.details.id}`], ["GET", "/api/v1/me"], ["POST", "/api/v1/pools"]] as const) {
      const res = await t.api(method, url, { token: made.credential, body: method === "POST" ? { name: "p" } : undefined });
      expect(res.status, url).toBe(401);
      expect(res.body).toEqual(UNAUTHORIZED_BODY);
    }
  });

  it("rejects bad registrations naming the field", async () => {
    const { hostname: _h, ...noHost } = sampleRegistration();
    expectFieldError(await t.api("POST", "/api/v1/agent", { body: noHost }), "hostname");
    expectFieldError(await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ os: { platform: 7 } }) }), "os.platform");
    const v = expectFieldError(await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ modules: [{ name: "hello", version: "one" }] }) }), "modules.0.version");
    expect(v.message).toContain('"one"');
    expectFieldError(await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ slots: 0 }) }), "slots");
    expectFieldError(await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: "" }) }), "name");
  });
});

/** A fleet with differing names, versions, OSes, modules, pools, statuses and restarts. */
async function fleet() {
  const specs = [
    { name: "alpha", version: "1.0.0", distro: "Debian", modules: [{ name: "hello", version: "1.0.0" }] },
    { name: "bravo", version: "1.2.0", distro: "Ubuntu", modules: [{ name: "hello", version: "2.0.0" }, { name: "zip", version: "0.1.0" }] },
    { name: "charlie", version: "1.0.0", distro: "Alpine", modules: [] },
    { name: "delta", version: "0.9.0", distro: "Debian", modules: [{ name: "zip", version: "0.2.0" }] },
    { name: "echo", version: "1.2.0", distro: "Fedora", modules: [{ name: "hello", version: "1.0.0" }] },
    { name: "foxtrot", version: "2.0.0", distro: "Ubuntu", modules: [] },
    { name: "golf", version: "1.0.0", distro: "Debian", modules: [] },
  ];
  const made: Record<string, { id: string; credential: string }> = {};
  for (const s of specs) {
    const r = await registerAgent(t, {
      name: s.name,
      version: s.version,
      os: { platform: "linux", distro: s.distro, release: "1", kernel: "6", arch: "x64" },
      modules: s.modules,
    });
    made[s.name] = { id: r.details.id, credential: r.credential };
  }
  const id = (n: string) => made[n]!.id;
  transitionAgent(t.deps.db, id("alpha"), "Idle", "connected", iso());
  transitionAgent(t.deps.db, id("bravo"), "Idle", "connected", iso());
  transitionAgent(t.deps.db, id("bravo"), "Claimed", "job_claimed", iso());
  transitionAgent(t.deps.db, id("echo"), "Unknown", "heartbeat_missed", iso());
  transitionAgent(t.deps.db, id("golf"), "Idle", "connected", iso());
  // Restarts for some (the others keep last_restarted_at null).
  for (const n of ["delta", "alpha"]) {
    await t.api("POST", "/api/v1/agent", { token: made[n]!.credential, body: sampleRegistration({ name: n }) });
  }
  // Registration with the credential also reports version/os again: restore what the spec said.
  for (const s of specs.filter((x) => x.name === "delta" || x.name === "alpha")) {
    await t.api("POST", "/api/v1/agent", {
      token: made[s.name]!.credential,
      body: sampleRegistration({ name: s.name, version: s.version, os: { platform: "linux", distro: s.distro, release: "1", kernel: "6", arch: "x64" }, modules: s.modules }),
    });
  }
  const pool = await createPool(t, { name: "p1" });
  await t.api("POST", `/api/v1/pools/${pool.id}/agents`, { body: { agent_ids: [id("alpha"), id("charlie"), id("golf")] } });
  await t.api("POST", `/api/v1/agents/${id("golf")}/retire`);
  return { id, pool };
}

const names = (rows: any[]) => rows.map((a) => a.name);

describe("GET /api/v1/agents filters (list-agents-api.txt)", () => {
  it("searches by name (q + search_by=name, the default) and by module name, version or name@version", async () => {
    await fleet();
    const get = async (qs: string) => names((await collectPages(t, `/api/v1/agents?${qs}`)).all);
    expect(await get("q=ha")).toEqual(["alpha", "charlie"]);
    expect(await get("q=HA&search_by=name")).toEqual(["alpha", "charlie"]);
    expect(await get("q=zip&search_by=module")).toEqual(["bravo", "delta"]);
    expect(await get("q=hello&search_by=module")).toEqual(["alpha", "bravo", "echo"]);
    expect(await get("q=2.0.0&search_by=module")).toEqual(["bravo"]);
    expect(await get("q=hello%401.0.0&search_by=module")).toEqual(["alpha", "echo"]);
    expect(await get("q=nothing-like-this")).toEqual([]);
    // LIKE wildcards are taken literally.
    expect(await get("q=%25")).toEqual([]);
    expect(await get("q=_")).toEqual([]);
    expectFieldError(await t.api("GET", "/api/v1/agents?search_by=hostname"), "search_by");
  });

  it("searches names of 3+ characters through the trigram index, which renames, re-registrations and deletes keep", async () => {
    const a = (await registerAgent(t, { name: "Build-Box_01" })).details;
    const registered = await registerAgent(t, { name: "buildXbox-02" });
    const b = registered.details;
    await registerAgent(t, { name: "Runner \"quoted\" 100%" });
    const get = async (q: string) => names((await collectPages(t, `/api/v1/agents?q=${encodeURIComponent(q)}&archived=all`)).all);
    expect(await get("BUILD")).toEqual(["Build-Box_01", "buildXbox-02"]);
    expect(await get("box_0")).toEqual(["Build-Box_01"]);
    expect(await get("d-b")).toEqual(["Build-Box_01"]);
    expect(await get("\"quoted\"")).toEqual(["Runner \"quoted\" 100%"]);
    expect(await get("0%")).toEqual(["Runner \"quoted\" 100%"]);
    expect(await get("100%")).toEqual(["Runner \"quoted\" 100%"]);
    expect(await get("x%b")).toEqual([]);
    expect(await get(b.agent_id)).toEqual(["buildXbox-02"]);
    expect((await t.api("PATCH", `/api/v1/agents/${a.id}`, { body: { name: "Deploy-Box" } })).status).toBe(200);
    expect(await get("box_0")).toEqual([]);
    expect(await get("deploy")).toEqual(["Deploy-Box"]);
    expect((await t.api("POST", "/api/v1/agent", { token: registered.credential, body: sampleRegistration({ name: "buildXbox-02" }) })).status).toBe(200);
    expect(await get("xbox")).toEqual(["buildXbox-02"]);
    await t.api("POST", `/api/v1/agents/${b.id}/retire`);
    expect((await t.api("DELETE", `/api/v1/agents/${b.id}`)).status).toBe(200);
    expect(await get("xbox")).toEqual([]);
    // The slug keeps the name it was registered with.
    expect(await get("build")).toEqual(["Deploy-Box"]);
  });

  it("filters by archive status active (default), archived and all", async () => {
    await fleet();
    expect(names((await collectPages(t, "/api/v1/agents")).all)).not.toContain("golf");
    expect(names((await collectPages(t, "/api/v1/agents?archived=active")).all)).toHaveLength(6);
    expect(names((await collectPages(t, "/api/v1/agents?archived=archived")).all)).toEqual(["golf"]);
    expect(names((await collectPages(t, "/api/v1/agents?archived=all")).all)).toHaveLength(7);
    expectFieldError(await t.api("GET", "/api/v1/agents?archived=retired"), "archived");
  });

  it("filters by pool membership any, in and none", async () => {
    await fleet();
    expect(names((await collectPages(t, "/api/v1/agents?pool=in&archived=all")).all)).toEqual(["alpha", "charlie", "golf"]);
    expect(names((await collectPages(t, "/api/v1/agents?pool=none")).all)).toEqual(["bravo", "delta", "echo", "foxtrot"]);
    expect(names((await collectPages(t, "/api/v1/agents?pool=any")).all)).toHaveLength(6);
    const alpha = (await collectPages(t, "/api/v1/agents?q=alpha")).all[0];
    expect(alpha.pools).toEqual([{ id: expect.any(String), name: "p1" }]);
    expectFieldError(await t.api("GET", "/api/v1/agents?pool=maybe"), "pool");
  });

  it("filters by one status or a comma list; an unknown status is a 422", async () => {
    await fleet();
    expect(names((await collectPages(t, "/api/v1/agents?status=Idle")).all)).toEqual(["alpha"]);
    expect(names((await collectPages(t, "/api/v1/agents?status=Idle&archived=all")).all)).toEqual(["alpha", "golf"]);
    expect(names((await collectPages(t, "/api/v1/agents?status=Offline,Unknown")).all)).toEqual(["charlie", "delta", "echo", "foxtrot"]);
    expect(names((await collectPages(t, "/api/v1/agents?status=Claimed&q=bra")).all)).toEqual(["bravo"]);
    expectFieldError(await t.api("GET", "/api/v1/agents?status=Sleeping"), "status");
    expectFieldError(await t.api("GET", "/api/v1/agents?status=Idle,Sleeping"), "status");
  });

  it("combines filters", async () => {
    await fleet();
    expect(names((await collectPages(t, "/api/v1/agents?q=hello&search_by=module&pool=none&status=Claimed,Unknown")).all)).toEqual(["bravo", "echo"]);
  });
});

describe("GET /api/v1/agents sorting and pagination", () => {
  const SORTS = ["name", "status", "status_updated_at", "version", "host_os", "last_restarted_at"] as const;

  /** NULLs last in both orders, ties broken by id ascending (docs/api.md). */
  function expected(rows: any[], sort: string, order: "asc" | "desc") {
    return [...rows].sort((a, b) => {
      const x = a[sort];
      const y = b[sort];
      if (x === null && y !== null) return 1;
      if (y === null && x !== null) return -1;
      if (x !== y) return (x < y ? -1 : 1) * (order === "asc" ? 1 : -1);
      return a.id < b.id ? -1 : 1;
    });
  }

  it("sorts by every documented key in both orders, whole or paged, with every row exactly once", async () => {
    await fleet();
    const all = (await collectPages(t, "/api/v1/agents?archived=all&limit=200")).all;
    expect(all).toHaveLength(7);
    expect(all.some((a) => a.last_restarted_at === null) && all.some((a) => a.last_restarted_at !== null)).toBe(true);
    for (const sort of SORTS) {
      for (const order of ["asc", "desc"] as const) {
        const want = expected(all, sort, order).map((a) => a.id);
        const whole = await t.api("GET", `/api/v1/agents?archived=all&sort=${sort}&order=${order}`);
        expect(whole.body.details.map((a: any) => a.id), `${sort} ${order}`).toEqual(want);
        expect(whole.body.next_cursor).toBeNull();
        for (const limit of [1, 2, 3]) {
          const { pages, all: paged } = await collectPages(t, `/api/v1/agents?archived=all&sort=${sort}&order=${order}&limit=${limit}`);
          expect(paged.map((a) => a.id), `${sort} ${order} limit ${limit}`).toEqual(want);
          expect(pages.length).toBe(Math.ceil(7 / limit));
          for (const p of pages) expect(p.length).toBeLessThanOrEqual(limit);
        }
      }
    }
  });

  it("sorts ascending by name by default", async () => {
    await fleet();
    expect(names((await t.api("GET", "/api/v1/agents")).body.details)).toEqual(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]);
  });

  it("keeps the order stable across pages while rows are added, and ends with next_cursor null", async () => {
    for (const n of ["a1", "a2", "a3", "a4"]) await registerAgent(t, { name: n });
    const first = await t.api("GET", "/api/v1/agents?limit=2");
    expect(names(first.body.details)).toEqual(["a1", "a2"]);
    expect(typeof first.body.next_cursor).toBe("string");
    await registerAgent(t, { name: "a0" }); // sorts before the cursor: must not shift the next page
    const second = await t.api("GET", `/api/v1/agents?limit=2&cursor=${first.body.next_cursor}`);
    expect(names(second.body.details)).toEqual(["a3", "a4"]);
    // Exactly a multiple of the limit: the last full page says there is nothing after it.
    expect(second.body.next_cursor).toBeNull();
    // Duplicate sort keys page without loss or repetition.
    for (let i = 0; i < 5; i++) await registerAgent(t, { name: "same" });
    const { all } = await collectPages(t, "/api/v1/agents?q=same&limit=2");
    expect(new Set(all.map((a) => a.id)).size).toBe(5);
  });

  it("rejects a bad cursor, limit, sort or order with a 422 naming the field", async () => {
    await registerAgent(t);
    for (const cursor of ["garbage", "W10", Buffer.from('["x"]').toString("base64url"), Buffer.from("[1,2]").toString("base64url"), "%00"]) {
      const err = expectFieldError(await t.api("GET", `/api/v1/agents?cursor=${cursor}`), "cursor");
      expect(err.message.length).toBeGreaterThan(0);
    }
    expectFieldError(await t.api("GET", "/api/v1/agents?limit=0"), "limit");
    expectFieldError(await t.api("GET", "/api/v1/agents?limit=201"), "limit");
    expectFieldError(await t.api("GET", "/api/v1/agents?limit=ten"), "limit");
    const s = expectFieldError(await t.api("GET", "/api/v1/agents?sort=hostname"), "sort");
    expect(s.message).toContain("hostname");
    expectFieldError(await t.api("GET", "/api/v1/agents?order=up"), "order");
  });
});

describe("agent actions", () => {
  it("patches name, limits, labels and slots; bad values are 422s naming field and value", async () => {
    const a = (await registerAgent(t)).details;
    const res = await t.api("PATCH", `/api/v1/agents/${a.id}`, { body: { name: "Renamed", cpus: "2.5", mem_limit: "512m", pids_limit: 300, labels: { zone: "b" }, slots: 3 } });
    expect(res.status).toBe(200);
    expect(res.body.details).toMatchObject({ name: "Renamed", cpus: "2.5", mem_limit: "512m", pids_limit: 300, labels: { zone: "b" }, slots: 3, agent_id: a.agent_id });
    const cpus = expectFieldError(await t.api("PATCH", `/api/v1/agents/${a.id}`, { body: { cpus: "lots" } }), "cpus");
    expect(cpus.message).toContain("lots");
    expectFieldError(await t.api("PATCH", `/api/v1/agents/${a.id}`, { body: { mem_limit: "1x" } }), "mem_limit");
    expectFieldError(await t.api("PATCH", `/api/v1/agents/${a.id}`, { body: { pids_limit: 1 } }), "pids_limit");
    expectError(await t.api("PATCH", `/api/v1/agents/${a.id}`, { body: {} }), 422, "validation_errors");
    const read = t.mint({ user: "r", name: "r", scopes: ["read"] });
    expectError(await t.api("PATCH", `/api/v1/agents/${a.id}`, { token: read, body: { name: "x" } }), 403, "forbidden");
  });

  it("retires and reinstates, with available_actions following; the wrong way round is a 409", async () => {
    const a = (await registerAgent(t)).details;
    const retired = await t.api("POST", `/api/v1/agents/${a.id}/retire`);
    expect(retired.status).toBe(200);
    expect(retired.body.details).toMatchObject({ archived: true, available_actions: { delete: true, reinstate: true, retire: false, update: false } });
    expect(retired.body.details.archived_at).toMatch(ISO);
    expectError(await t.api("POST", `/api/v1/agents/${a.id}/retire`), 409, "conflict");
    expectError(await t.api("PATCH", `/api/v1/agents/${a.id}`, { body: { name: "x" } }), 409, "conflict");
    const back = await t.api("POST", `/api/v1/agents/${a.id}/reinstate`);
    expect(back.body.details).toMatchObject({ archived: false, archived_at: null, available_actions: { delete: false, reinstate: false, retire: true, update: true } });
    expectError(await t.api("POST", `/api/v1/agents/${a.id}/reinstate`), 409, "conflict");
  });

  it("pauses and resumes", async () => {
    const a = (await registerAgent(t)).details;
    expect(a.paused).toBe(false);
    expect((await t.api("POST", `/api/v1/agents/${a.id}/pause`)).body.details.paused).toBe(true);
    expect((await t.api("GET", `/api/v1/agents/${a.agent_id}`)).body.details.paused).toBe(true);
    expect((await t.api("POST", `/api/v1/agents/${a.id}/resume`)).body.details.paused).toBe(false);
  });

  it("deletes only when available_actions.delete: retired and without active jobs", async () => {
    await publish(t);
    const a = (await registerAgent(t, { modules: [{ name: "hello", version: "1.0.0" }] })).details;
    expectError(await t.api("DELETE", `/api/v1/agents/${a.id}`), 409, "conflict");
    const job = await createJob(t, { agent_id: a.id });
    t.deps.db.update(jobs).set({ status: "running", agentId: a.id, attempt: 1 }).where(eq(jobs.id, job.id)).run();
    await t.api("POST", `/api/v1/agents/${a.id}/retire`);
    const busy = await t.api("GET", `/api/v1/agents/${a.id}`);
    expect(busy.body.details.available_actions.delete).toBe(false);
    expectError(await t.api("DELETE", `/api/v1/agents/${a.id}`), 409, "conflict");
    t.deps.db.update(jobs).set({ status: "completed" }).where(eq(jobs.id, job.id)).run();
    expect((await t.api("GET", `/api/v1/agents/${a.id}`)).body.details.available_actions.delete).toBe(true);
    const del = await t.api("DELETE", `/api/v1/agents/${a.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ status: "success", details: { ok: true } });
    expectError(await t.api("GET", `/api/v1/agents/${a.id}`), 404, "not_found");
    // The job outlives its agent.
    expect((await t.api("GET", `/api/v1/jobs/${job.id}`)).body.details).toMatchObject({ status: "completed", agent_id: null });
  });

  it("counts the agent's jobs in instance_counts", async () => {
    await publish(t);
    const a = (await registerAgent(t, { modules: [{ name: "hello", version: "1.0.0" }] })).details;
    const set = (id: string, status: string) => t.deps.db.update(jobs).set({ status, agentId: a.id }).where(eq(jobs.id, id)).run();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await createJob(t, { agent_id: a.id })).id);
    set(ids[0]!, "running");
    set(ids[1]!, "claimed");
    set(ids[2]!, "completed");
    set(ids[3]!, "completed");
    set(ids[4]!, "failed");
    set(ids[5]!, "cancelled");
    await createJob(t); // not this agent's
    const counts = (await t.api("GET", `/api/v1/agents/${a.id}`)).body.details.instance_counts;
    expect(counts).toEqual({ active: 2, cancelled: 1, complete: 2, failed: 1, finished: 4, pending: 1, total: 7 });
  });
});

describe("agent histories", () => {
  it("records every status transition (from, to, reason, at), newest first, pageable; illegal moves write nothing", async () => {
    const a = (await registerAgent(t)).details;
    expect(transitionAgent(t.deps.db, a.id, "Idle", "connected", iso())).toMatchObject({ from: "Offline", to: "Idle" });
    expect(transitionAgent(t.deps.db, a.id, "Claimed", "job_claimed", iso())).toMatchObject({ from: "Idle", to: "Claimed" });
    // Claimed -> UpdatingModule is not in the table: refused, nothing recorded.
    expect(transitionAgent(t.deps.db, a.id, "UpdatingModule", "module_update", iso())).toBeNull();
    expect(transitionAgent(t.deps.db, a.id, "ExecutingJob", "job_started", iso())).toMatchObject({ from: "Claimed", to: "ExecutingJob" });
    const res = await t.api("GET", `/api/v1/agents/${a.id}/status-history`);
    expect(res.status).toBe(200);
    expect(res.body.details.map((h: any) => [h.from, h.to, h.reason])).toEqual([
      ["Claimed", "ExecutingJob", "job_started"],
      ["Idle", "Claimed", "job_claimed"],
      ["Offline", "Idle", "connected"],
      [null, "Offline", "registered"],
    ]);
    for (const h of res.body.details) expect(h.at).toMatch(ISO);
    const asc = await t.api("GET", `/api/v1/agents/${a.id}/status-history?order=asc`);
    expect(asc.body.details.map((h: any) => h.to)).toEqual(["Offline", "Idle", "Claimed", "ExecutingJob"]);
    const paged = await collectPages(t, `/api/v1/agents/${a.id}/status-history?limit=1`);
    expect(paged.pages).toHaveLength(4);
    expect(paged.all.map((h: any) => h.to)).toEqual(["ExecutingJob", "Claimed", "Idle", "Offline"]);
    expect((await t.api("GET", `/api/v1/agents/${a.id}`)).body.details.status).toBe("ExecutingJob");
    expectFieldError(await t.api("GET", `/api/v1/agents/${a.id}/status-history?cursor=nope`), "cursor");
  });

  it("accepts every status of the table as a list filter", async () => {
    for (const s of AGENT_STATUSES) {
      const res = await t.api("GET", `/api/v1/agents?status=${s}`);
      expect(res.status, s).toBe(200);
    }
  });

  it("records module installs, updates and removals reported at registration", async () => {
    const first = await registerAgent(t, { modules: [{ name: "hello", version: "1.0.0" }, { name: "zip", version: "0.1.0" }] });
    await t.api("POST", "/api/v1/agent", { token: first.credential, body: sampleRegistration({ modules: [{ name: "hello", version: "1.1.0" }] }) });
    const res = await t.api("GET", `/api/v1/agents/${first.details.id}/module-history?order=asc`);
    expect(res.status).toBe(200);
    expect(res.body.details.map((h: any) => [h.module, h.action, h.from_version, h.to_version, h.outcome])).toEqual([
      ["hello", "install", null, "1.0.0", "succeeded"],
      ["zip", "install", null, "0.1.0", "succeeded"],
      ["hello", "update", "1.0.0", "1.1.0", "succeeded"],
      ["zip", "remove", "0.1.0", null, "succeeded"],
    ]);
    const newest = await t.api("GET", `/api/v1/agents/${first.details.id}/module-history?limit=1`);
    expect(newest.body.details[0].module).toBe("zip");
    expect(typeof newest.body.next_cursor).toBe("string");
    expect((await collectPages(t, `/api/v1/agents/${first.details.id}/module-history?limit=3`)).all).toHaveLength(4);
  });

  it("resolves installed module versions to catalog functions (Modules & Functions)", async () => {
    await publish(t);
    const a = (await registerAgent(t, { modules: [{ name: "hello", version: "1.0.0" }, { name: "zip", version: "0.1.0" }] })).details;
    const res = await t.api("GET", `/api/v1/agents/${a.id}/modules`);
    expect(res.status).toBe(200);
    expect(res.body.details).toEqual([
      { name: "hello", version: "1.0.0", installed_at: expect.stringMatching(ISO), in_catalog: true, functions: [{ name: "greet", display_name: "Greet" }] },
      { name: "zip", version: "0.1.0", installed_at: expect.stringMatching(ISO), in_catalog: false, functions: [] },
    ]);
  });
});
