import { describe, expect, it } from "vitest";
import { JobFields, CreateJobBody } from "./jobs.js";
import { TriggerTarget } from "./triggers.js";

describe("a trigger's target", () => {
  it("takes each of its fields from the job request's own schema, so the two cannot drift", () => {
    const fields = Object.entries(TriggerTarget.shape);
    expect(fields.map(([k]) => k).sort()).toEqual(["agent_id", "function", "inputs", "limits", "max_attempts", "module", "pool_id", "priority", "retry", "timeout_s", "version"]);
    for (const [key, schema] of fields) expect(schema, key).toBe(JobFields.shape[key as keyof typeof JobFields.shape]);
    for (const [key, schema] of Object.entries(CreateJobBody.shape)) expect(schema, key).toBe(JobFields.shape[key as keyof typeof JobFields.shape]);
  });

  it("refuses pool_id with agent_id in the same words as a job request", () => {
    const both = { module: "hello", function: "greet", pool_id: "00000000-0000-7000-8000-000000000001", agent_id: "00000000-0000-7000-8000-000000000002" };
    const fromTarget = TriggerTarget.safeParse(both);
    const fromJob = CreateJobBody.safeParse(both);
    expect(fromTarget.success).toBe(false);
    expect(fromTarget.error?.issues.map((i) => [i.path, i.message])).toEqual(fromJob.error?.issues.map((i) => [i.path, i.message]));
  });

  it("is strict: a job-only field (labels, org) is refused", () => {
    expect(TriggerTarget.safeParse({ module: "hello", function: "greet", labels: {} }).success).toBe(false);
  });
});
