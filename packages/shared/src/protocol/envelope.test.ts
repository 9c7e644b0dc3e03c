/**
 * The envelope over the whole frame catalog, both directions: every frame schema requires `v`
 * equal to PROTOCOL_VERSION, and parseFrame refuses a missing or other `v` as
 * `unsupported_version` before it looks at anything else. The catalog is read from the unions, so
 * a frame type added later without the envelope fails here.
 */
import { describe, expect, it } from "vitest";
import { AgentFrame } from "./agent-messages.js";
import { PROTOCOL_VERSION, WIRE_ERROR_CODES, parseFrame } from "./envelope.js";
import { ErrorFrame, ServerFrame } from "./server-messages.js";

const catalogs = { AgentFrame, ServerFrame } as const;

describe.each(Object.entries(catalogs))("%s", (_name, union) => {
  const types = union.options.map((o) => o.shape.type.value);

  it("every frame type requires v = PROTOCOL_VERSION", () => {
    expect(types.length).toBeGreaterThan(8);
    for (const o of union.options) expect(o.shape.v.value, o.shape.type.value).toBe(PROTOCOL_VERSION);
  });

  it.each([
    ["missing", undefined],
    ["0", 0],
    ["2", PROTOCOL_VERSION + 1],
    ['"1"', "1"],
    ["null", null],
  ])("refuses every frame type with v %s as unsupported_version, naming the value", (said, v) => {
    for (const type of types) {
      const r = parseFrame(union, JSON.stringify({ v, type }));
      expect(r, type).toEqual({ ok: false, code: "unsupported_version", type, message: `v: ${said}; this side speaks protocol version ${PROTOCOL_VERSION}` });
    }
  });

  it("refuses a frame of this version with a wrong field as bad_frame, naming the field", () => {
    for (const type of types) {
      const r = parseFrame(union, JSON.stringify({ v: PROTOCOL_VERSION, type, job_id: 7, leases: 7, free_slots: "x", version: 7, code: 7 }));
      expect(r.ok, type).toBe(false);
      if (!r.ok) expect([r.code, r.type], type).toEqual(["bad_frame", type]);
    }
  });
});

describe("parseFrame", () => {
  it("refuses what is not a JSON object as bad_frame", () => {
    expect(parseFrame(AgentFrame, "{")).toEqual({ ok: false, code: "bad_frame", type: null, message: "frame is not valid JSON" });
    expect(parseFrame(AgentFrame, "[1]")).toEqual({ ok: false, code: "bad_frame", type: null, message: "frame: expected a JSON object" });
    expect(parseFrame(AgentFrame, "3")).toEqual({ ok: false, code: "bad_frame", type: null, message: "frame: expected a JSON object" });
  });

  it("accepts a frame in the envelope", () => {
    expect(parseFrame(AgentFrame, JSON.stringify({ v: PROTOCOL_VERSION, type: "ready", free_slots: 2 }))).toEqual({ ok: true, frame: { v: PROTOCOL_VERSION, type: "ready", free_slots: 2 } });
  });

  it("the error frame's code is the wire vocabulary, nothing else", () => {
    for (const code of WIRE_ERROR_CODES) expect(ErrorFrame.safeParse({ v: PROTOCOL_VERSION, type: "error", code, message: "m" }).success, code).toBe(true);
    expect(ErrorFrame.safeParse({ v: PROTOCOL_VERSION, type: "error", code: "oops", message: "m" }).success).toBe(false);
  });
});
