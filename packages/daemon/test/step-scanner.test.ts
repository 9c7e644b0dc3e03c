/**
 * StepScanner on its own: step lines in any pieces, lines cut by a resume point, bad lines noted
 * and ignored, the MAX_STEPS cap with its marker step, and `dirty`.
 */
import { describe, expect, it } from "vitest";
import { MAX_STEP_NAME, MAX_STEPS } from "@outpost/shared";
import { MORE_STEPS_NAME } from "../src/jobs/frames.js";
import { MAX_STEP_LINE, STEP_PREFIX, StepScanner } from "../src/jobs/step-scanner.js";

function scanner() {
  const notes: string[] = [];
  let changes = 0;
  const s = new StepScanner({ note: (l) => notes.push(l), changed: () => changes++ });
  return { s, notes, changes: () => changes };
}

const line = (step: object) => `${STEP_PREFIX}${JSON.stringify(step)}\n`;

describe("StepScanner", () => {
  it("updates a step by name from step lines, keeps first-seen order, and ignores other lines", () => {
    const { s, notes, changes } = scanner();
    s.scan(`hello\n${line({ name: "build", status: "running" })}${line({ name: "test", status: "running" })}`);
    s.scan(line({ name: "build", status: "completed", output: "ok" }));
    expect(s.steps).toEqual([
      { name: "build", status: "completed", output: "ok" },
      { name: "test", status: "running", output: null },
    ]);
    expect(s.dirty).toBe(true);
    expect(changes()).toBe(3);
    expect(notes).toEqual([]);
  });

  it("joins a step line that arrives in pieces, and only counts it once its newline comes (or the job ends)", () => {
    const { s } = scanner();
    const text = line({ name: "a", status: "completed" });
    s.scan(text.slice(0, 10));
    s.scan(text.slice(10, 25));
    expect(s.size).toBe(0);
    s.scan(text.slice(25));
    expect(s.steps.map((x) => x.name)).toEqual(["a"]);
    s.scan(line({ name: "b", status: "running" }).trimEnd()); // no newline: the job exits
    expect(s.size).toBe(1);
    s.end();
    expect(s.steps.map((x) => x.name)).toEqual(["a", "b"]);
  });

  it("completes a step line whose start the resume point skipped (carry), but not one whose start came before an earlier newline", () => {
    const { s } = scanner();
    s.carry(Buffer.from(`old line\n${STEP_PREFIX}{"name":"build",`));
    s.scan('"status":"completed"}\n');
    expect(s.steps).toEqual([{ name: "build", status: "completed", output: null }]);
    const other = scanner();
    other.s.carry(Buffer.from("x"));
    other.s.carry(Buffer.from(`\n${STEP_PREFIX}{"name":"n",`)); // the newline ends the carried start
    other.s.scan('"status":"running"}\n');
    expect(other.s.steps).toEqual([{ name: "n", status: "running", output: null }]);
  });

  it("notes and ignores a step line that is not JSON or not a step", () => {
    const { s, notes } = scanner();
    s.scan(`${STEP_PREFIX}{not json\n`);
    s.scan(line({ name: "x", status: "exploded" }));
    expect(s.size).toBe(0);
    expect(s.dirty).toBe(false);
    expect(notes).toEqual([
      `outpost-agent: ignored a step line that is not JSON: ${STEP_PREFIX}{not json`,
      expect.stringMatching(/^outpost-agent: ignored a step line: status: /),
    ]);
  });

  it("clips a long step name instead of refusing the step", () => {
    const { s } = scanner();
    s.scan(line({ name: "n".repeat(MAX_STEP_NAME + 50), status: "running" }));
    expect(s.steps[0]!.name.length).toBe(MAX_STEP_NAME);
  });

  it("forgets an unfinished line longer than MAX_STEP_LINE", () => {
    const { s } = scanner();
    s.scan(`${STEP_PREFIX}{"name":"big","status":"running","output":"${"o".repeat(MAX_STEP_LINE)}`);
    s.scan('"}\n');
    expect(s.size).toBe(0);
  });

  it("keeps at most MAX_STEPS steps: the last place counts those left out, with one note", () => {
    const { s, notes } = scanner();
    for (let i = 0; i < MAX_STEPS + 5; i++) s.scan(line({ name: `s${i}`, status: "completed" }));
    const steps = s.steps;
    expect(steps).toHaveLength(MAX_STEPS);
    expect(steps.at(-2)!.name).toBe(`s${MAX_STEPS - 2}`);
    expect(steps.at(-1)).toEqual({ name: MORE_STEPS_NAME, status: "skipped", output: "6 more step(s) not shown" });
    expect(notes).toEqual([`outpost-agent: this job reported more than ${MAX_STEPS} steps; the rest are not shown`]);
    s.scan(line({ name: "s0", status: "failed" })); // a kept step still updates
    expect(s.steps[0]).toEqual({ name: "s0", status: "failed", output: null });
  });

  it("takes the agent's own steps (the image pull) like the job's", () => {
    const { s, changes } = scanner();
    s.set({ name: "pulling image", status: "running", output: "img" });
    expect(s.steps).toEqual([{ name: "pulling image", status: "running", output: "img" }]);
    expect(s.dirty).toBe(true);
    expect(changes()).toBe(1);
  });
});
