/**
 * LogStream on its own: seq numbering, chunking, acks, resend after a reconnect, the buffer cap,
 * the resume point's skipped bytes, UTF-8 split across reads, and the congested-send path (a
 * socket with too much unsent data: nothing more leaves until it drains, then everything does, in
 * order, once).
 */
import { describe, expect, it } from "vitest";
import { MAX_LOG_CHUNK_BYTES, type AgentFrame } from "@outpost/shared";
import { DROPPED_MARKER, LogStream, type LogSink } from "../src/jobs/log-stream.js";
import { MAX_CHUNKS_PER_FRAME } from "../src/jobs/frames.js";

const REF = { job_id: "j1", attempt: 1 };

type Logs = Extract<AgentFrame, { type: "logs" }>;

/** A session that records what it sends; `up` and `congested` are the test's to flip. */
function session() {
  const frames: Logs[] = [];
  const state = { up: true, congested: false };
  const sink: LogSink = {
    send: (f) => (state.up ? (frames.push(f as Logs), true) : false),
    congested: () => state.congested,
  };
  const chunks = () => frames.flatMap((f) => f.chunks);
  return { frames, state, sink, chunks };
}

describe("LogStream", () => {
  it("numbers chunks from 0 with no gap across streams, and the result's last_seq is the last one", () => {
    const log = new LogStream(REF);
    expect(log.lastSeq).toBe(-1);
    log.append("stdout", "one\n");
    log.append("stderr", "two\n");
    log.append("system", "three\n");
    const s = session();
    expect(log.flush(s.sink)).toBe("done");
    expect(s.chunks()).toEqual([
      { seq: 0, stream: "stdout", data: "one\n" },
      { seq: 1, stream: "stderr", data: "two\n" },
      { seq: 2, stream: "system", data: "three\n" },
    ]);
    expect(s.frames.every((f) => f.job_id === "j1" && f.attempt === 1)).toBe(true);
    expect(log.lastSeq).toBe(2);
  });

  it("cuts long text into chunks that each fit MAX_LOG_CHUNK_BYTES however the text encodes", () => {
    const log = new LogStream(REF);
    log.append("stdout", "😀".repeat(MAX_LOG_CHUNK_BYTES)); // 4 bytes per character in UTF-8
    const s = session();
    log.flush(s.sink);
    const chunks = s.chunks();
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(Buffer.byteLength(c.data, "utf8")).toBeLessThanOrEqual(MAX_LOG_CHUNK_BYTES);
    expect(chunks.map((c) => c.data).join("")).toBe("😀".repeat(MAX_LOG_CHUNK_BYTES));
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
  });

  it("sends each chunk once per session; an ack forgets chunks up to its seq; after a reconnect the unacknowledged ones go again, in order", () => {
    const log = new LogStream(REF);
    for (let i = 0; i < 5; i++) log.append("stdout", `line ${i}\n`);
    const first = session();
    log.flush(first.sink);
    log.flush(first.sink); // nothing new: nothing sent twice
    expect(first.chunks().map((c) => c.seq)).toEqual([0, 1, 2, 3, 4]);
    log.ack(2);
    expect(log.unacknowledged).toBe(2);
    log.append("stdout", "line 5\n");
    log.rewind(); // the session dropped; a new one was welcomed
    const second = session();
    log.flush(second.sink);
    expect(second.chunks().map((c) => c.seq)).toEqual([3, 4, 5]);
    log.ack(5);
    expect(log.unacknowledged).toBe(0);
    expect(log.unsent).toBe(0);
  });

  it("an ack of a seq not yet sent on this session (an earlier session's) still forgets those chunks", () => {
    const log = new LogStream(REF);
    for (let i = 0; i < 3; i++) log.append("stdout", `${i}\n`);
    log.ack(1);
    const s = session();
    log.flush(s.sink);
    expect(s.chunks().map((c) => c.seq)).toEqual([2]);
  });

  it("with the session down, flush says so and keeps everything for later", () => {
    const log = new LogStream(REF);
    log.append("stdout", "x\n");
    const s = session();
    s.state.up = false;
    expect(log.flush(s.sink)).toBe("down");
    expect(log.unsent).toBe(1);
    s.state.up = true;
    expect(log.flush(s.sink)).toBe("done");
    expect(s.chunks()).toEqual([{ seq: 0, stream: "stdout", data: "x\n" }]);
  });

  it("congested: nothing leaves while the socket is congested; once it drains, every chunk leaves once, in seq order, in frames of at most MAX_CHUNKS_PER_FRAME", () => {
    const log = new LogStream(REF);
    const total = MAX_CHUNKS_PER_FRAME * 2 + 10;
    for (let i = 0; i < total; i++) log.append("stdout", `line ${i}\n`);
    const s = session();
    s.state.congested = true;
    expect(log.flush(s.sink)).toBe("congested");
    expect(s.frames).toEqual([]);
    // The socket takes one frame, then is congested again.
    let budget = 1;
    s.state.congested = false;
    const sink: LogSink = { send: (f) => (budget--, s.sink.send(f)), congested: () => budget <= 0 };
    expect(log.flush(sink)).toBe("congested");
    expect(s.frames).toHaveLength(1);
    expect(s.frames[0]!.chunks).toHaveLength(MAX_CHUNKS_PER_FRAME);
    // More output while congested is numbered after what waits.
    log.append("stderr", "late\n");
    expect(log.flush(s.sink)).toBe("done");
    const seqs = s.chunks().map((c) => c.seq);
    expect(seqs).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
    expect(s.chunks().at(-1)).toEqual({ seq: total, stream: "stderr", data: "late\n" });
    expect(s.frames.every((f) => f.chunks.length <= MAX_CHUNKS_PER_FRAME)).toBe(true);
  });

  it("past the buffer cap of unacknowledged text, one system marker is kept and the rest of the attempt's output dropped", () => {
    const log = new LogStream(REF, 100);
    log.append("stdout", "a".repeat(60));
    log.append("stdout", "b".repeat(60)); // 120 > 100: dropped, marker instead
    log.append("stdout", "c\n");
    log.ack(0); // room again: still dropped, the log would have a hole otherwise
    log.append("stdout", "d\n");
    const s = session();
    log.flush(s.sink);
    expect(s.chunks()).toEqual([{ seq: 1, stream: "system", data: DROPPED_MARKER }]);
    expect(log.lastSeq).toBe(1);
  });

  it("after a resume point, numbering goes on from next_seq and the bytes the server had are skipped, per stream", () => {
    const log = new LogStream(REF);
    log.resumeAt(7, { stdout: 4, stderr: 2 });
    const a = log.decode("stdout", Buffer.from("abcdef"));
    expect(a.skipped.toString()).toBe("abcd");
    expect(a.text).toBe("ef");
    const b = log.decode("stderr", Buffer.from("x"));
    expect(b).toEqual({ skipped: Buffer.from("x"), text: "" });
    const c = log.decode("stderr", Buffer.from("yz"));
    expect(c.skipped.toString()).toBe("y");
    expect(c.text).toBe("z");
    log.append("stdout", a.text);
    const s = session();
    log.flush(s.sink);
    expect(s.chunks()).toEqual([{ seq: 7, stream: "stdout", data: "ef" }]);
  });

  it("decodes a character split across two reads whole, and hands over an unfinished one at the end", () => {
    const log = new LogStream(REF);
    const bytes = Buffer.from("é€", "utf8"); // 2 + 3 bytes
    expect(log.decode("stdout", bytes.subarray(0, 1)).text).toBe("");
    expect(log.decode("stdout", bytes.subarray(1, 3)).text).toBe("é");
    expect(log.decode("stdout", bytes.subarray(3)).text).toBe("€");
    log.decode("stderr", Buffer.from([0xe2, 0x82]));
    expect(log.endDecoders()).toEqual([{ stream: "stderr", text: "\ufffd" }]);
  });
});
