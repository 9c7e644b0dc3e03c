/**
 * Issue 15 §3: logs people can read. Every request is one info record with its request id (secrets
 * redacted as on every record); agent sessions log connect and disconnect, jobs their status
 * changes, at info with ids. A real listening server, real SQLite, a protocol agent on real ws.
 */
import { Writable } from "node:stream";
import { afterEach, expect, it } from "vitest";
import { createLogger } from "../src/lib/log.js";
import { connectAgent } from "../src/test-support/agent-client.js";
import { until } from "../src/test-support/until.js";
import { makeTestApp, publish, sampleRegistration, type TestApp } from "./support.js";

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

function capture() {
  const records: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) records.push(JSON.parse(line));
      done();
    },
  });
  return { records, log: createLogger("info", stream) };
}

it("logs each request at info with its request id and a redacted URL; agent connect, disconnect and job status with ids", async () => {
  const { records, log } = capture();
  t = await makeTestApp({}, { log });
  const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
  const secret = "opat_abcdefghijklmnopqrstuvwxyz0123456789";
  expect((await t.api("GET", `/api/v1/agents?token=${secret}`)).status).toBe(200);
  const request = records.find((r) => r.msg === "request" && r.route === "/api/v1/agents");
  expect(request).toMatchObject({ level: 30, method: "GET", status: 200, url: "/api/v1/agents?token=[REDACTED]" });
  expect(request!.reqId).toMatch(/^req-/);
  expect(request!.ms).toBeGreaterThanOrEqual(0);

  await publish(t);
  const reg = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ modules: [{ name: "hello", version: "1.0.0" }] }) });
  const agent = await connectAgent(url, reg.body.credential, { modules: [{ name: "hello", version: "1.0.0" }] });
  const job = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" } } });
  const assign = await agent.next("assign");
  agent.send({ type: "accept", job_id: assign.job_id, attempt: 1 });
  agent.send({ type: "started", job_id: assign.job_id, attempt: 1, container_id: "c1" });
  await until("the job's running record", async () => records.some((r) => r.msg === "job status" && r.status === "running"));
  agent.close();
  await until("the disconnect record", async () => records.some((r) => r.msg === "agent disconnected"));

  const agentId = reg.body.details.id;
  expect(records.find((r) => r.msg === "agent connected")).toMatchObject({ level: 30, agent_id: agentId, org_id: expect.any(String), reqId: expect.stringMatching(/^req-/) });
  expect(records.find((r) => r.msg === "agent disconnected")).toMatchObject({ level: 30, agent_id: agentId, code: expect.any(Number) });
  expect(records.find((r) => r.msg === "job status" && r.status === "running")).toMatchObject({ level: 30, job_id: job.body.details.id });
  // No record anywhere carries a secret.
  const all = JSON.stringify(records);
  expect(all).not.toContain(secret);
  expect(all).not.toContain(reg.body.credential);
  expect(all).not.toContain(t.adminToken);
});
