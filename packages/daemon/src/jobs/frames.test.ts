/**
 * Every builder of a frame that carries job output keeps it valid and within MAX_FRAME_BYTES for
 * adversarial input: text that JSON escapes six-fold (control characters), astral characters
 * (surrogate pairs), the longest names and outputs, the most steps and chunks.
 */
import { describe, expect, it } from "vitest";
import { MAX_FRAME_BYTES, MAX_LOG_CHUNK_BYTES, MAX_STEP_NAME, MAX_STEP_OUTPUT, MAX_STEPS, PROTOCOL_VERSION, StepUpdate } from "@outpost/shared";
import { clip, clipStepLine, CUT_MARKER, frameBytes, logsFrame, MAX_CHUNKS_PER_FRAME, reportFrame, stepsFrame, type LogChunk } from "./frames.js";
import { frameProblem } from "../session/connection.js";

const ref = { job_id: "j".repeat(64), attempt: 2 ** 31 };
/** Strings of n UTF-16 units that serialize worst: \u0001 is 6 bytes in JSON, "😀" 4 bytes per 2 units. */
const ADVERSARIAL: Record<string, (n: number) => string> = {
  control: (n) => "\u0001".repeat(n),
  quotes: (n) => '"\\'.repeat(Math.ceil(n / 2)).slice(0, n),
  astral: (n) => "😀".repeat(Math.ceil(n / 2)).slice(0, n),
  ascii: (n) => "x".repeat(n),
};
/** The runner cuts output into chunks of this many UTF-16 units. */
const CHUNK_UNITS = MAX_LOG_CHUNK_BYTES / 4;

function expectSendable(frame: Parameters<typeof frameProblem>[0]) {
  expect(frameProblem(frame)).toBeNull();
  expect(frameBytes(frame)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
}

describe("frame builders keep every frame valid and within MAX_FRAME_BYTES", () => {
  for (const [kind, text] of Object.entries(ADVERSARIAL)) {
    it(`logs: ${kind} chunks are spread over frames, each within the limit, none lost or reordered`, () => {
      const chunks: LogChunk[] = Array.from({ length: 600 }, (_, seq) => ({ seq, stream: "stdout", data: text(CHUNK_UNITS) }));
      let sent = 0;
      let frames = 0;
      while (sent < chunks.length) {
        const f = logsFrame(ref, chunks.slice(sent, sent + MAX_CHUNKS_PER_FRAME));
        expectSendable(f);
        expect(f.chunks[0]!.seq).toBe(sent);
        sent += f.chunks.length;
        frames++;
      }
      expect(sent).toBe(600);
      expect(frames).toBeGreaterThanOrEqual(3);
    });

    it(`steps: ${MAX_STEPS} steps with ${kind} names and outputs at the schema's lengths fit one frame, outputs cut with a marker if need be`, () => {
      const steps = Array.from({ length: MAX_STEPS }, (_, i) =>
        StepUpdate.parse(clipStepLine({ name: `${i} ${text(MAX_STEP_NAME * 3)}`, status: "completed", output: text(MAX_STEP_OUTPUT * 3) })),
      );
      const f = stepsFrame(ref, steps);
      expectSendable(f);
      expect(f.steps).toHaveLength(MAX_STEPS);
      expect(new Set(f.steps.map((s) => s.name)).size).toBe(MAX_STEPS);
      if (frameBytes({ type: "steps", ...ref, steps }) > MAX_FRAME_BYTES) expect(f.steps[0]!.output?.endsWith(CUT_MARKER) ?? true).toBe(true);
      else expect(f.steps).toEqual(steps);
    });

    it(`report: ${kind} markdown and JSON either fit one frame or are refused with a reason`, () => {
      for (const units of [1024, 256 * 1024, 512 * 1024]) {
        const r = reportFrame(ref, { text: text(units) }, text(units));
        if ("frame" in r) expectSendable(r.frame);
        else expect(r.error).toMatch(/over the 1048576-byte frame limit|over the cap of 262144/);
      }
      expect("frame" in reportFrame(ref, { ok: 1 }, text(1024))).toBe(true);
      // Each file within its own cap, but together over the server's: not sent, said why.
      expect(reportFrame(ref, { t: "x".repeat(200 * 1024) }, "y".repeat(200 * 1024))).toEqual({ error: expect.stringMatching(/together are \d+ bytes, over the cap of 262144/) });
    });
  }

  it("step lines: names and outputs past the schema's lengths are cut (kept, not refused), never splitting a surrogate pair", () => {
    const long = clipStepLine({ name: "😀".repeat(500), status: "running", output: "y".repeat(10_000) }) as { name: string; output: string };
    expect(StepUpdate.safeParse(long).success).toBe(true);
    expect(long.name.length).toBeLessThanOrEqual(MAX_STEP_NAME);
    expect(long.name.endsWith("…")).toBe(true);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(long.name)).toBe(false);
    expect(long.output.endsWith(CUT_MARKER)).toBe(true);
    expect(clipStepLine("not an object")).toBe("not an object");
    expect(clip("short", 10)).toBe("short");
  });

  it("the session's last check refuses what the server would: too big, or not valid against the schema", () => {
    expect(frameProblem({ v: PROTOCOL_VERSION, type: "logs", ...ref, chunks: [{ seq: 0, stream: "stdout", data: "x".repeat(MAX_FRAME_BYTES) }] })).toMatch(/over the 1048576-byte frame limit/);
    expect(frameProblem({ v: PROTOCOL_VERSION, type: "steps", ...ref, steps: Array.from({ length: MAX_STEPS + 1 }, (_, i) => ({ name: `s${i}`, status: "completed" as const, output: null })) })).toMatch(/^steps: /);
    expect(frameProblem({ v: PROTOCOL_VERSION, type: "finished", ...ref, outcome: "failed", exit_code: 1, reason: "exit_code", message: "m".repeat(5000), last_seq: -1 })).toMatch(/^message: /);
  });
});
