/**
 * The envelope every frame of the agent session shares, both ways: `v` (the protocol version) and
 * `type`. The protocol is versioned at three levels: the path (/api/v1/agent/session), the
 * WebSocket subprotocol (SUBPROTOCOL) and `v` in every frame. A frame whose `v` is missing or not
 * PROTOCOL_VERSION is refused as `unsupported_version` and the session closed with 4004
 * (docs/protocol.md, "Versioning"); anything else wrong is a `bad_frame`.
 */
import { z } from "zod";

export const PROTOCOL_VERSION = 1 as const;
export const SUBPROTOCOL = "outpost.agent.v1" as const;
export const SESSION_PATH = "/api/v1/agent/session" as const;

/**
 * Largest frame either side accepts (the server's ws maxPayload); a larger one closes the session
 * with 1009. The agent builds every frame within it (packages/daemon/src/jobs/frames.ts).
 */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Steps kept per job: the agent sends at most this many (the last a marker when it dropped some), the server stores at most this many. */
export const MAX_STEPS = 200;
/**
 * The step an agent reports while it pulls a job's missing image (running, then completed or
 * failed): a claimed job with this step running is in its `pulling` phase.
 */
export const PULLING_STEP = "Pulling image";
export const MAX_STEP_NAME = 200;
export const MAX_STEP_OUTPUT = 4096;
/** A report the server keeps: its JSON (serialized) and Markdown (UTF-8) together, in bytes. */
export const MAX_REPORT_BYTES = 256 * 1024;
/**
 * A peer silent for this many heartbeats is presumed gone: the server marks the agent Unknown and
 * closes the session; the agent redials (docs/protocol.md, "Heartbeat and liveness").
 */
export const SILENT_AFTER_PINGS = 3;
/**
 * How long a peer may stay silent before it is presumed gone, when pings come every
 * `pingEveryMs`: one ping interval, then SILENT_AFTER_PINGS - 1 heartbeats for the answer. With
 * pings every heartbeat (fleets under PINGS_PER_SECOND x heartbeat) that is SILENT_AFTER_PINGS
 * heartbeats; a larger fleet is pinged less often and its silence bound grows by the interval only.
 */
export function silentAfterMs(pingEveryMs: number, heartbeatMs: number): number {
  return pingEveryMs + (SILENT_AFTER_PINGS - 1) * heartbeatMs;
}
/**
 * The server pings at most this many sessions a second: a fleet larger than this many times the
 * heartbeat is pinged every `sessions / PINGS_PER_SECOND` seconds instead (each ping and its pong
 * is a socket write and a read on both sides, the whole idle cost of a session). Each ping carries
 * that interval (whole seconds, ASCII) as its payload so the agent's watchdog follows it.
 */
export const PINGS_PER_SECOND = 200;
/** The interval the server pings each session at, for a fleet of `sessions` (docs/protocol.md, "Heartbeat and liveness"). */
export function pingEveryMs(sessions: number, heartbeatMs: number): number {
  return Math.max(heartbeatMs, Math.ceil(sessions / PINGS_PER_SECOND) * 1000);
}
/** Largest log chunk payload the agent sends (bytes of data per chunk). */
export const MAX_LOG_CHUNK_BYTES = 64 * 1024;
/** Malformed frames tolerated per session before a policy close. */
export const MAX_BAD_FRAMES = 20;

/** Application close codes (RFC 6455 private range 4000-4999). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  /** The server could not store a frame (a full disk): reconnect and resend what is unacknowledged. */
  serverError: 1011,
  unauthorized: 4001,
  replaced: 4002,
  retired: 4003,
  /** The subprotocol, hello.protocol_version or a frame's `v` is not one this side speaks. */
  unsupportedVersion: 4004,
  heartbeatTimeout: 4008,
} as const;

/**
 * The codes of the `error` frame, the server's answer to a frame it refused:
 * `bad_frame` (not JSON, unknown type, a field wrong: the message names the field),
 * `unsupported_version` (the frame's `v`; the session is closed with 4004 right after),
 * `report_too_large` (over MAX_REPORT_BYTES, not kept), `internal` (the server could not store it).
 */
export const WIRE_ERROR_CODES = ["bad_frame", "unsupported_version", "report_too_large", "internal"] as const;
export const WireErrorCode = z.enum(WIRE_ERROR_CODES);
export type WireErrorCode = z.infer<typeof WireErrorCode>;

/** What every frame starts with: the protocol version it speaks and its type. */
export const Envelope = z.object({ v: z.literal(PROTOCOL_VERSION), type: z.string() });
export type Envelope = z.infer<typeof Envelope>;

/** One frame's schema: the envelope with `type` fixed, then its own fields. */
export function frameSchema<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ v: z.literal(PROTOCOL_VERSION), type: z.literal(type), ...shape });
}

export type FrameOf<F extends { type: string }, T extends F["type"]> = Extract<F, { type: T }>;

/** A frame refused: which wire error it is, its type when it had one, and why. */
export type RefusedFrame = { ok: false; code: Extract<WireErrorCode, "bad_frame" | "unsupported_version">; type: string | null; message: string };

/**
 * Parses one text message; never throws. The version is checked first, so a peer of another
 * version is told so rather than about a field it may have renamed. The message names the field
 * and the value.
 */
export function parseFrame<S extends z.ZodType>(schema: S, raw: string): { ok: true; frame: z.infer<S> } | RefusedFrame {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, code: "bad_frame", type: null, message: "frame is not valid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, code: "bad_frame", type: null, message: "frame: expected a JSON object" };
  const { v, type: t } = value as { v?: unknown; type?: unknown };
  const type = typeof t === "string" ? t : null;
  if (v !== PROTOCOL_VERSION) {
    const said = v === undefined ? "missing" : JSON.stringify(v);
    return { ok: false, code: "unsupported_version", type, message: `v: ${said}; this side speaks protocol version ${PROTOCOL_VERSION}` };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join(".") || "frame";
  return { ok: false, code: "bad_frame", type, message: `${path}: ${issue.message}` };
}
