/**
 * Issue 13: the agent's profile with list-agents-api.txt's names, types, enums and defaults
 * (compared against the reference file itself), set at registration and by PATCH, run_state,
 * container profiles, container_id and error_message, and the profile in the assign frame.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AGENT_STATUSES, MAX_PROFILE_MARKDOWN_BYTES, PROFILE_FIELDS, RUN_STATE } from "@outpost/shared";
import { connectAgent, type ProtoAgent } from "../src/test-support/agent-client.js";
import { until } from "../src/test-support/until.js";
import { expectError, expectFieldError, makeTestApp, registerAgent, sampleModule, type TestApp } from "./support.js";
import { jsonTypeOf, parseListAgentsReference } from "./reference.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REF = parseListAgentsReference();
const HELLO = { name: "hello", version: "1.0.0" };

let t: TestApp;
const agents: ProtoAgent[] = [];
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(async () => {
  for (const a of agents.splice(0)) a.ws.terminate();
  await t.close();
});

async function createProfile(body: Record<string, unknown> = { name: "python", docker_image: "python:3.12-slim" }) {
  const res = await t.api("POST", "/api/v1/container-profiles", { body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details;
}
const patch = (id: string, body: Record<string, unknown>) => t.api("PATCH", `/api/v1/agents/${id}`, { body });
const listed = async (id: string) => ((await t.api("GET", "/api/v1/agents")).body.details as any[]).find((a) => a.id === id);

const FULL_PROFILE = {
  description: "Reviews pull requests",
  tools_config: { git: { depth: 1 } },
  soul_md: "# Soul\nCareful and brief.",
  rules_md: "- never push to main",
  autonomy_level: "ask_before_acting",
  models: ["claude-sonnet", "gpt-4o"],
  skills: [{ name: "review", scope: "container_local", tools: [{ name: "git", description: "version control", install_method: "builtin" }] }],
  model_policy_id: "3c90c3cc-0d44-4b50-8888-8dd25736052a",
};

describe("GET /api/v1/agents against list-agents-api.txt", () => {
  it("parses the reference: every field of its example is documented, with defaults and enums", () => {
    expect(Object.keys(REF.example)).toHaveLength(24);
    expect([...REF.fields.keys()].sort()).toEqual(Object.keys(REF.example).sort());
    expect(REF.fields.get("autonomy_level")).toMatchObject({ default: "act_within_scope", options: ["ask_before_acting", "act_within_scope", "full_autonomy"] });
  });

  it("returns every field of the reference with its name, and the reference's defaults on a new agent", async () => {
    const { details } = await registerAgent(t);
    const a = await listed(details.id);
    const missing = Object.keys(REF.example).filter((k) => !(k in a));
    expect(missing).toEqual([]);
    for (const f of REF.fields.values()) {
      if (f.default === undefined) continue;
      const want = jsonTypeOf(f.type) === "integer" ? Number(f.default) : f.default;
      expect(a[f.name], f.name).toEqual(want);
    }
    expect(a).toMatchObject({ principal_id: a.id, principal_type: "agent", created_at: a.inserted_at, container_id: null, error_message: null, container_profile: null });
    expect(a).toMatchObject({ description: "", soul_md: "", rules_md: "", models: [], skills: [], tools_config: {}, model_policy_id: null, container_profile_id: null });
    const admin = t.deps.db.$client.prepare(`select "id" from "users" where "name" = 'admin'`).pluck().get();
    expect(a.created_by).toBe(admin);
  });

  it("gives every field the reference's JSON type, enum and format once the whole profile is set, nested skills, tools and container_profile too", async () => {
    const { details } = await registerAgent(t);
    const cp = await createProfile();
    expect((await patch(details.id, { ...FULL_PROFILE, container_profile_id: cp.id })).status).toBe(200);
    const a = await listed(details.id);
    for (const f of REF.fields.values()) {
      const v = a[f.name];
      if (v === null) {
        expect(f.nullable, `${f.name} is null but the reference does not allow it`).toBe(true);
        continue;
      }
      const type = jsonTypeOf(f.type);
      const got = Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;
      expect(got, f.name).toBe(type);
      if (f.type.includes("<uuid>")) expect(v, f.name).toMatch(UUID);
      if (f.type.includes("<date-time>")) expect(Number.isNaN(Date.parse(v)), f.name).toBe(false);
      // status: the console's statuses win the name; the reference's three values are run_state.
      if (f.options) expect(f.options, f.name).toContain(f.name === "status" ? a.run_state : v);
    }
    const refSkill = (REF.example.skills as any[])[0];
    expect(Object.keys(a.skills[0]).sort()).toEqual(Object.keys(refSkill).sort());
    expect(Object.keys(a.skills[0].tools[0]).sort()).toEqual(Object.keys(refSkill.tools[0]).sort());
    expect(Object.keys(a.container_profile).sort()).toEqual(Object.keys(REF.example.container_profile as object).sort());
    expect(a.skills[0].id).toMatch(UUID);
    expect(a.skills[0].tools[0].id).toMatch(UUID);
    expect(a.container_profile).toEqual({ id: cp.id, name: "python", docker_image: "python:3.12-slim" });
    expect(a.agent_id).toMatch(/^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/);
  });

  it("derives run_state from every status: stopped when offline, error after a failure or while silent, running otherwise", async () => {
    for (const s of AGENT_STATUSES) expect(REF.fields.get("status")!.options).toContain(RUN_STATE[s]);
    expect(RUN_STATE.Offline).toBe("stopped");
    expect([RUN_STATE.ExecutionFailed, RUN_STATE.UpdateFailed, RUN_STATE.Unknown]).toEqual(["error", "error", "error"]);
    const { details } = await registerAgent(t);
    expect(details).toMatchObject({ status: "Offline", run_state: "stopped" });
  });
});

describe("setting the profile", () => {
  it("takes every profile field at registration and keeps them on a re-registration that leaves them out", async () => {
    const cp = await createProfile();
    const values: Record<string, unknown> = { ...FULL_PROFILE, container_profile_id: cp.id };
    expect(PROFILE_FIELDS.filter((f) => !(f in values))).toEqual([]);
    const { details, credential } = await registerAgent(t, values);
    for (const field of PROFILE_FIELDS) {
      if (field === "skills") expect(details.skills[0]).toMatchObject({ name: "review", tools: [expect.objectContaining({ name: "git" })] });
      else expect(details[field], field).toEqual(values[field]);
    }
    const again = await t.api("POST", "/api/v1/agent", { token: credential, body: { name: "Build Box", hostname: "b", os: { platform: "linux" }, version: "0.1.0" } });
    expect(again.status).toBe(200);
    expect(again.body.details).toMatchObject({ soul_md: FULL_PROFILE.soul_md, rules_md: FULL_PROFILE.rules_md });
    const changed = await t.api("POST", "/api/v1/agent", { token: credential, body: { name: "Build Box", hostname: "b", os: { platform: "linux" }, version: "0.1.0", rules_md: "new" } });
    expect(changed.body.details).toMatchObject({ rules_md: "new", soul_md: FULL_PROFILE.soul_md });
    // Its profile archived meanwhile, the agent still restarts with the same --profile file.
    expect((await t.api("POST", `/api/v1/container-profiles/${cp.id}/archive`)).status).toBe(200);
    const restarted = await t.api("POST", "/api/v1/agent", { token: credential, body: { name: "Build Box", hostname: "b", os: { platform: "linux" }, version: "0.1.0", container_profile_id: cp.id } });
    expect(restarted.status, JSON.stringify(restarted.body)).toBe(200);
  });

  it("patches each profile field alone, and only that field", async () => {
    const { details } = await registerAgent(t);
    const cp = await createProfile();
    const values: Record<string, unknown> = { ...FULL_PROFILE, container_profile_id: cp.id };
    for (const field of PROFILE_FIELDS) {
      const before = await listed(details.id);
      const res = await patch(details.id, { [field]: values[field] });
      expect(res.status, `${field}: ${JSON.stringify(res.body)}`).toBe(200);
      const after = res.body.details;
      if (field === "skills") expect(after.skills[0]).toMatchObject({ name: "review", tools: [expect.objectContaining({ name: "git" })] });
      else expect(after[field], field).toEqual(values[field]);
      for (const other of PROFILE_FIELDS) if (other !== field) expect(after[other], `${other} after patching ${field}`).toEqual(before[other]);
    }
  });

  it("caps soul_md and rules_md at 64 KiB and rejects bad values with a 422 naming the field and the value", async () => {
    const { details } = await registerAgent(t);
    const big = "x".repeat(MAX_PROFILE_MARKDOWN_BYTES + 1);
    expect((await patch(details.id, { soul_md: "é".repeat(MAX_PROFILE_MARKDOWN_BYTES / 2) })).status).toBe(200);
    for (const field of ["soul_md", "rules_md"]) {
      const item = expectFieldError(await patch(details.id, { [field]: big }), field);
      expect(item.message).toContain(`${MAX_PROFILE_MARKDOWN_BYTES + 1} bytes`);
    }
    expect(expectFieldError(await patch(details.id, { autonomy_level: "yolo" }), "autonomy_level").message).toContain("yolo");
    expectFieldError(await patch(details.id, { models: [""] }), "models.0");
    expectFieldError(await patch(details.id, { skills: [{ name: "s", tools: [{ name: "t", install_method: "Not A Word" }] }] }), "skills.0.tools.0.install_method");
    expectFieldError(await patch(details.id, { model_policy_id: "nope" }), "model_policy_id");
    expect(expectFieldError(await patch(details.id, { container_profile_id: "missing" }), "container_profile_id").message).toContain('"missing"');
    const reg = await t.api("POST", "/api/v1/agent", { body: { name: "x", hostname: "x", os: { platform: "linux" }, version: "1", rules_md: big } });
    expectFieldError(reg, "rules_md");
  });

  it("filters the agents list by autonomy level and by container profile (or none)", async () => {
    const cp = await createProfile();
    const a = (await registerAgent(t, { name: "a", autonomy_level: "full_autonomy", container_profile_id: cp.id })).details;
    const b = (await registerAgent(t, { name: "b" })).details;
    const ids = async (q: string) => ((await t.api("GET", `/api/v1/agents?${q}`)).body.details as any[]).map((x) => x.id);
    expect(await ids("autonomy_level=full_autonomy")).toEqual([a.id]);
    expect(await ids("autonomy_level=act_within_scope,full_autonomy")).toEqual([a.id, b.id]);
    expect(await ids(`container_profile=${cp.id}`)).toEqual([a.id]);
    expect(await ids("container_profile=none")).toEqual([b.id]);
    expect(expectFieldError(await t.api("GET", "/api/v1/agents?autonomy_level=yolo"), "autonomy_level").message).toContain("yolo");
  });
});

describe("/api/v1/container-profiles", () => {
  it("creates, lists, reads, patches, archives and restores; an agent in use keeps it from being deleted", async () => {
    const cp = await createProfile({ name: "node", docker_image: "node:20", description: "Node 20" });
    expect(cp).toMatchObject({ name: "node", docker_image: "node:20", description: "Node 20", archived: false, agent_count: 0 });
    expect((await t.api("GET", "/api/v1/container-profiles")).body.details.map((p: any) => p.id)).toEqual([cp.id]);
    expect((await t.api("PATCH", `/api/v1/container-profiles/${cp.id}`, { body: { docker_image: "node:22" } })).body.details.docker_image).toBe("node:22");
    const { details } = await registerAgent(t, { container_profile_id: cp.id });
    expect((await t.api("GET", `/api/v1/container-profiles/${cp.id}`)).body.details.agent_count).toBe(1);
    expectError(await t.api("DELETE", `/api/v1/container-profiles/${cp.id}`), 409);
    expect((await t.api("POST", `/api/v1/container-profiles/${cp.id}/archive`)).body.details.archived).toBe(true);
    expect((await t.api("GET", "/api/v1/container-profiles")).body.details).toEqual([]);
    // The agent keeps an archived profile; no agent may pick it anew.
    expect((await listed(details.id)).container_profile).toMatchObject({ id: cp.id, docker_image: "node:22" });
    const other = (await registerAgent(t, { name: "other" })).details;
    expect(expectFieldError(await patch(other.id, { container_profile_id: cp.id }), "container_profile_id").message).toContain("archived");
    expect((await t.api("POST", `/api/v1/container-profiles/${cp.id}/restore`)).body.details.archived).toBe(false);
    expect((await patch(details.id, { container_profile_id: null })).body.details.container_profile).toBeNull();
    expect((await t.api("DELETE", `/api/v1/container-profiles/${cp.id}`)).status).toBe(200);
    expectError(await t.api("GET", `/api/v1/container-profiles/${cp.id}`), 404);
    expectFieldError(await t.api("POST", "/api/v1/container-profiles", { body: { name: "x", docker_image: "has space" } }), "docker_image");
  });
});

describe("jobs and the profile (real ws sessions)", () => {
  const NO_IMAGE = {
    name: "bare",
    version: "1.0.0",
    image: undefined,
    functions: [{ name: "run", display_name: "Run", command: ["sh", "-c", "cat /outpost/in/soul.md"] }],
  };

  async function setup(over: Record<string, unknown> = {}) {
    const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
    expect((await t.api("POST", "/api/v1/modules", { body: sampleModule() })).status).toBe(201);
    expect((await t.api("POST", "/api/v1/modules", { body: sampleModule(NO_IMAGE) })).status).toBe(201);
    const reg = await registerAgent(t, { modules: [HELLO, { name: "bare", version: "1.0.0" }], ...over });
    const a = await connectAgent(url, reg.credential, { modules: [HELLO, { name: "bare", version: "1.0.0" }] });
    agents.push(a);
    return { id: reg.details.id as string, a };
  }
  const submit = async (body: Record<string, unknown>) => {
    const r = await t.api("POST", "/api/v1/jobs", { body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.details;
  };

  it("sends the profile current at the claim in the assign frame", async () => {
    const { id, a } = await setup(FULL_PROFILE);
    await patch(id, { rules_md: "changed before the claim" });
    await submit({ module: "hello", function: "greet", inputs: { who: "x" } });
    const assign = await a.next("assign");
    expect(assign.image).toBe("outpost-test/busybox:1");
    expect(assign.profile).toMatchObject({ soul_md: FULL_PROFILE.soul_md, rules_md: "changed before the claim", autonomy_level: "ask_before_acting", models: FULL_PROFILE.models, container_profile: null });
  });

  it("runs a function without an image in the agent's container profile image; until an eligible agent has a profile the job waits saying why", async () => {
    const { id, a } = await setup();
    const job = await submit({ module: "bare", function: "run", inputs: {} });
    expect(job.status).toBe("pending");
    expect(job.waiting_reason).toMatch(/names no image.*container profile/);
    const cp = await createProfile({ name: "busybox", docker_image: "outpost-test/busybox:1" });
    await patch(id, { container_profile_id: cp.id });
    const assign = await a.next("assign");
    expect(assign.job_id).toBe(job.id);
    expect(assign.image).toBe("outpost-test/busybox:1");
    expect(assign.profile!.container_profile).toEqual({ id: cp.id, name: "busybox", docker_image: "outpost-test/busybox:1" });
  });

  it("shows the running job's container_id, and error_message from a failed job until a job completes", async () => {
    const { id, a } = await setup();
    const run = async (outcome: "failed" | "completed") => {
      await submit({ module: "hello", function: "greet", inputs: { who: "x" } });
      const f = await a.next("assign");
      const ref = { job_id: f.job_id, attempt: f.attempt };
      a.send({ type: "accept", ...ref });
      a.send({ type: "started", ...ref, container_id: `c-${f.job_id}` });
      await until("container_id", async () => (await listed(id)).container_id === `c-${f.job_id}`);
      a.send({ type: "finished", ...ref, outcome, exit_code: outcome === "failed" ? 3 : 0, reason: outcome === "failed" ? "exit_code" : null, message: outcome === "failed" ? "exit 3" : null });
      await a.next("finished_ack");
      a.send({ type: "ready", free_slots: 1 });
      return f.job_id;
    };
    const failed = await run("failed");
    const after = await listed(id);
    expect(after).toMatchObject({ container_id: null, status: "ExecutionFailed", run_state: "error" });
    expect(after.error_message).toContain(failed);
    expect(after.error_message).toContain("exit 3");
    await run("completed");
    expect(await listed(id)).toMatchObject({ error_message: null, container_id: null, run_state: "running" });
  });
});
