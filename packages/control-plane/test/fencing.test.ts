/**
 * Fencing (issue 9, point 4): every agent->server frame about a job changes nothing unless its
 * sender holds that live attempt. Table-driven over the protocol's whole agent frame catalog
 * (AgentFrame's options): a frame type that names an attempt and has no case here fails the test.
 * Real sessions of three agents (the holder, another of its org, one of another org) against the
 * real hub over a real SQLite file.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AgentFrame, PROTOCOL_VERSION, type AttemptKey } from "@outpost/shared";
import { makeTestApp, sampleModule, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";
import { connectAgent, type ProtoAgent } from "../src/test-support/agent-client.js";

type FrameType = AgentFrame["type"];

/** One frame of each type about `ref`, as an intruder would send it. */
const CASES: Partial<Record<FrameType, (ref: AttemptKey) => object>> = {
  hello: (ref) => ({ type: "hello", protocol_version: PROTOCOL_VERSION, version: "0.1.0", slots: 1, modules: [], running: [ref] }),
  accept: (ref) => ({ type: "accept", ...ref }),
  reject: (ref) => ({ type: "reject", ...ref, reason: "full" }),
  started: (ref) => ({ type: "started", ...ref, container_id: "intruder" }),
  renew: (ref) => ({ type: "renew", leases: [ref] }),
  logs: (ref) => ({ type: "logs", ...ref, chunks: [{ seq: 0, stream: "stdout", data: "not yours\n" }] }),
  steps: (ref) => ({ type: "steps", ...ref, steps: [{ name: "forged", status: "failed" }] }),
  report: (ref) => ({ type: "report", ...ref, json: { forged: true }, markdown: "# forged" }),
  finished: (ref) => ({ type: "finished", ...ref, outcome: "failed", exit_code: 1, reason: "exit_code", message: "forged", last_seq: -1 }),
};
/** Frame types that name no attempt (checked below against the schemas, not just trusted). */
const NOT_ABOUT_A_JOB: FrameType[] = ["ready", "module_progress", "module_result"];

type ZodLike = { _zod: { def: { type: string; shape?: Record<string, ZodLike>; element?: ZodLike; innerType?: ZodLike; options?: ZodLike[] } } };

/** Whether a schema has a job_id anywhere in it (a field, or inside a list or wrapper). */
function namesAttempt(schema: ZodLike): boolean {
  const def = schema._zod.def;
  if (def.type === "object") return "job_id" in def.shape! || Object.values(def.shape!).some(namesAttempt);
  if (def.type === "array") return namesAttempt(def.element!);
  if (def.type === "union") return def.options!.some(namesAttempt);
  if (def.innerType) return namesAttempt(def.innerType);
  return false;
}

const catalog = (AgentFrame as unknown as { options: (ZodLike & { shape: { type: { value: FrameType } } })[] }).options.map((o) => ({
  type: o.shape.type.value,
  aboutAJob: namesAttempt(o),
}));

let t: TestApp | null = null;
const sessions: ProtoAgent[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.ws.terminate();
  await t?.close();
  t = null;
});

const HELLO = { name: "hello", version: "1.0.0" };

async function setup() {
  t = await makeTestApp();
  const app = t;
  const url = await app.app.listen({ host: "127.0.0.1", port: 0 });
  expect((await app.api("POST", "/api/v1/modules", { body: sampleModule() })).status).toBe(201);
  expect((await app.api("POST", "/api/v1/orgs", { body: { slug: "acme" } })).status).toBe(201);
  const acmeToken = (await app.api("POST", "/api/v1/tokens", { body: { name: "acme-reg", scopes: ["agents:register"], org: "acme" } })).body.details.token as string;
  const connect = async (name: string, token?: string) => {
    const r = await app.api("POST", "/api/v1/agent", { token, body: sampleRegistration({ name, hostname: `${name}.local`, modules: [HELLO] }) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const s = await connectAgent(url, r.body.credential as string, { modules: [HELLO] });
    sessions.push(s);
    return { id: r.body.details.id as string, s };
  };
  const holder = await connect("holder");
  const sameOrg = await connect("same-org");
  const otherOrg = await connect("other-org", acmeToken);
  return { app, holder, intruders: { "same org": sameOrg.s, "other org": otherOrg.s } };
}

/** Everything a frame about the job could change: its row, its attempts, logs, steps, report, and agent statuses. */
function snapshot(app: TestApp, jobId: string) {
  const db = app.deps.db.$client;
  return {
    job: db.prepare(`select * from "jobs" where "id" = ?`).get(jobId),
    attempts: db.prepare(`select * from "job_attempts" where "job_id" = ? order by "attempt"`).all(jobId),
    logs: db.prepare(`select count(*) as n from "job_logs" where "job_id" = ?`).get(jobId),
    reports: db.prepare(`select count(*) as n from "job_reports" where "job_id" = ?`).get(jobId),
    agents: db.prepare(`select "id", "status" from "agents" order by "id"`).all(),
  };
}

describe("fencing: a frame about an attempt its sender does not hold changes nothing", () => {
  it("the case table covers every agent frame type that names an attempt, and every type is classified", () => {
    for (const { type, aboutAJob } of catalog) {
      if (aboutAJob) expect(CASES[type], `frame type "${type}" names an attempt but has no fencing case`).toBeDefined();
      else expect(NOT_ABOUT_A_JOB, `frame type "${type}" is not classified`).toContain(type);
    }
    // And the table only has real, attempt-naming types.
    for (const type of Object.keys(CASES)) expect(catalog.find((c) => c.type === type)?.aboutAJob, type).toBe(true);
  });

  for (const phase of ["claimed", "running"] as const) {
    it(`every attempt-naming frame from an agent of the same org or another org, while the job is ${phase}, is answered stale and changes nothing; the holder then finishes the job`, async () => {
      const { app, holder, intruders } = await setup();
      const created = await app.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, agent_id: holder.id } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const assign = await holder.s.next("assign");
      const ref = { job_id: assign.job_id, attempt: assign.attempt };
      if (phase === "running") {
        holder.s.send({ type: "started", ...ref, container_id: "c1" });
        await expect.poll(() => (snapshot(app, ref.job_id).job as { status: string }).status).toBe("running");
      }
      const before = snapshot(app, ref.job_id);
      for (const { type, aboutAJob } of catalog) {
        if (!aboutAJob) continue;
        for (const [who, s] of Object.entries(intruders)) {
          s.send(CASES[type]!(ref));
          const stale = await s.next("stale");
          expect(stale, `${type} from ${who}`).toMatchObject(ref);
          expect(snapshot(app, ref.job_id), `${type} from ${who}`).toEqual(before);
        }
      }
      // The holder's own frames still work.
      if (phase === "claimed") holder.s.send({ type: "started", ...ref, container_id: "c1" });
      holder.s.send({ type: "finished", ...ref, outcome: "completed", exit_code: 0, reason: null, message: null, last_seq: -1 });
      expect(await holder.s.next("finished_ack")).toMatchObject({ ...ref, status: "completed" });
      expect(holder.s.frames.filter((f) => f.type === "stale")).toEqual([]);
    });
  }
});
