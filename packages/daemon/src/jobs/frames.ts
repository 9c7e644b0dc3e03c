/**
 * Builders for the agent's frames that carry what a job produced (log chunks, steps, the report,
 * the result's message). Whatever the job printed or wrote, each frame they return is valid
 * against the shared schema and at most MAX_FRAME_BYTES on the wire, so no output of a job can
 * get its session closed (1009 for size, 1008 for a run of refused frames). Text is cut with a
 * marker, never silently. session/connection.ts checks every frame again before it leaves.
 */
import {
  MAX_FRAME_BYTES,
  MAX_REPORT_BYTES,
  MAX_STEP_NAME,
  MAX_STEP_OUTPUT,
  MAX_STEPS,
  PROTOCOL_VERSION,
  type AgentFrame,
  type AttemptKey,
  type FrameOf,
  type StepUpdate,
} from "@outpost/shared";

type LogsFrame = FrameOf<AgentFrame, "logs">;
type StepsFrame = FrameOf<AgentFrame, "steps">;
type ReportFrame = FrameOf<AgentFrame, "report">;
export type LogChunk = LogsFrame["chunks"][number];

/** Chunks per logs frame (the schema's limit). */
export const MAX_CHUNKS_PER_FRAME = 256;
/** Ends any text the agent had to cut. */
export const CUT_MARKER = "…[cut by outpost-agent]";
/** The step that stands for the steps past MAX_STEPS; it takes the last place. */
export const MORE_STEPS_NAME = `(more than ${MAX_STEPS} steps: the rest are not shown)`;

/** Bytes of a frame on the wire. */
export function frameBytes(frame: object): number {
  return Buffer.byteLength(JSON.stringify(frame), "utf8");
}

/** text in at most max UTF-16 units, ending with the marker when cut (never half a surrogate pair). */
export function clip(text: string, max: number, marker = CUT_MARKER): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - marker.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + marker.slice(0, max);
}

/**
 * The longest run of chunks, from the first, that fits one logs frame (at least one: a chunk of
 * at most MAX_LOG_CHUNK_BYTES / 4 UTF-16 units is under 100 KB even when every unit is escaped).
 */
export function logsFrame(ref: AttemptKey, chunks: readonly LogChunk[]): LogsFrame {
  const frame: LogsFrame = { v: PROTOCOL_VERSION, type: "logs", ...ref, chunks: [] };
  let bytes = frameBytes(frame);
  for (const c of chunks) {
    if (frame.chunks.length >= MAX_CHUNKS_PER_FRAME) break;
    const size = frameBytes(c) + (frame.chunks.length > 0 ? 1 : 0); // the comma between chunks
    if (frame.chunks.length > 0 && bytes + size > MAX_FRAME_BYTES) break;
    frame.chunks.push(c);
    bytes += size;
  }
  return frame;
}

/**
 * A step line's JSON with its name and output cut to the schema's lengths (the step is kept, not
 * refused); anything else is returned as it is, for StepUpdate to judge.
 */
export function clipStepLine(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const v = { ...(value as Record<string, unknown>) };
  if (typeof v.name === "string") v.name = clip(v.name, MAX_STEP_NAME, "…");
  if (typeof v.output === "string") v.output = clip(v.output, MAX_STEP_OUTPUT);
  return v;
}

/**
 * Every step (at most MAX_STEPS, as the runner keeps them) in one frame; when their outputs make
 * it too big, outputs are cut shorter, each with the marker, until it fits (with no output at all,
 * MAX_STEPS steps of MAX_STEP_NAME units are under 300 KB).
 */
export function stepsFrame(ref: AttemptKey, steps: readonly StepUpdate[]): StepsFrame {
  const kept = steps.slice(0, MAX_STEPS);
  let frame: StepsFrame = { v: PROTOCOL_VERSION, type: "steps", ...ref, steps: kept };
  for (let max = MAX_STEP_OUTPUT; frameBytes(frame) > MAX_FRAME_BYTES; max = Math.floor(max / 2)) {
    const outputMax = max < CUT_MARKER.length * 2 ? 0 : max;
    frame = { v: PROTOCOL_VERSION, type: "steps", ...ref, steps: kept.map((s) => ({ ...s, output: s.output === null || outputMax === 0 ? null : clip(s.output, outputMax) })) };
    if (outputMax === 0) break;
  }
  return frame;
}

/**
 * The report frame, or why it is not sent: the server keeps at most MAX_REPORT_BYTES of it (JSON
 * and Markdown together, measured as it measures them), and one frame must carry it whole.
 */
export function reportFrame(ref: AttemptKey, json: unknown, markdown: string | undefined): { frame: ReportFrame } | { error: string } {
  const size = (json === undefined ? 0 : JSON.stringify(json).length) + Buffer.byteLength(markdown ?? "", "utf8");
  if (size > MAX_REPORT_BYTES) return { error: `report.json and report.md together are ${size} bytes, over the cap of ${MAX_REPORT_BYTES}` };
  const frame: ReportFrame = { v: PROTOCOL_VERSION, type: "report", ...ref, ...(json !== undefined ? { json } : {}), ...(markdown !== undefined ? { markdown } : {}) };
  const bytes = frameBytes(frame);
  if (bytes > MAX_FRAME_BYTES) return { error: `the report takes ${bytes} bytes as a frame, over the ${MAX_FRAME_BYTES}-byte frame limit` };
  return { frame };
}
