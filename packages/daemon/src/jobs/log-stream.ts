/**
 * One attempt's log as the server receives it: the container's bytes decoded (UTF-8 across chunk
 * boundaries), cut into chunks numbered by consecutive `seq`, and held until a `logs_ack` covers
 * them, so a dropped session loses nothing: after the next welcome, `rewind()` sends every
 * unacknowledged chunk again from the first. Invariants: seq never repeats or skips within an
 * attempt; chunks leave in seq order; a chunk leaves at most once per session.
 *
 * Memory is bounded: past `maxBufferedBytes` of unacknowledged text (a server that stopped
 * acknowledging), one system-stream marker is kept and the rest of the attempt's output is
 * dropped. Sending respects the socket's backpressure: `flush()` stops at the first frame it may
 * not send (congested, or the session down) and says which, for the caller to try again.
 */
import { StringDecoder } from "node:string_decoder";
import { MAX_LOG_CHUNK_BYTES, type AgentFrame, type AttemptKey } from "@outpost/shared";
import { logsFrame, MAX_CHUNKS_PER_FRAME, type LogChunk } from "./frames.js";

export type LogStreamName = LogChunk["stream"];
type OutputStream = "stdout" | "stderr";

/** Unacknowledged log text kept per attempt by default (UTF-16 units); past this, output is dropped with a marker. */
export const MAX_BUFFERED_LOG_BYTES = 16 * 1024 * 1024;
/** The system line that replaces an attempt's output once the buffer is full. */
export const DROPPED_MARKER = "[outpost-agent: the server is not keeping up; further output of this attempt was dropped]\n";
/** Longest text in one chunk: at most 4 UTF-8 bytes per UTF-16 unit keeps it within MAX_LOG_CHUNK_BYTES. */
const CHUNK_UNITS = MAX_LOG_CHUNK_BYTES / 4;

/** Where the session is for a flush: frames go out through `send` (false: the session is down) unless `congested`. */
export type LogSink = { send: (frame: AgentFrame) => boolean; congested: () => boolean };
/** How a flush ended: everything unsent went out, the socket is congested, or the session is down. */
export type FlushResult = "done" | "congested" | "down";

export class LogStream {
  /** The seq the next chunk gets. */
  private nextSeq = 0;
  /** Chunks not yet acknowledged, in seq order; the first `sent` of them went out on this session. */
  private unacked: LogChunk[] = [];
  private sent = 0;
  private bufferedBytes = 0;
  private dropped = false;
  /** Bytes of each stream the server already has (re-read from docker after a restart). */
  private skip: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  private readonly decoders: Record<OutputStream, StringDecoder> = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };

  constructor(
    private readonly ref: AttemptKey,
    private readonly maxBufferedBytes = MAX_BUFFERED_LOG_BYTES,
  ) {}

  /** The seq of the last chunk made (-1 before any): the result's `last_seq`. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Chunks made but not yet sent on this session. */
  get unsent(): number {
    return this.unacked.length - this.sent;
  }

  /** Chunks not yet acknowledged. */
  get unacknowledged(): number {
    return this.unacked.length;
  }

  /**
   * Continues an attempt whose log the server already holds in part (welcome's resume point):
   * numbering goes on from nextSeq, and the first bytes of each stream (which the re-read of the
   * container's output repeats) are skipped.
   */
  resumeAt(nextSeq: number, skip: Record<OutputStream, number>): void {
    this.nextSeq = nextSeq;
    this.skip = { ...skip };
  }

  /**
   * The container's bytes: returns those the server already had (the resume point's, possibly
   * empty) and the text decoded from the rest, not yet appended (the caller scans it first).
   */
  decode(stream: OutputStream, data: Buffer): { skipped: Buffer; text: string } {
    const n = Math.min(this.skip[stream], data.length);
    this.skip[stream] -= n;
    const rest = data.subarray(n);
    return { skipped: data.subarray(0, n), text: rest.length ? this.decoders[stream].write(rest) : "" };
  }

  /** What the decoders still hold once the container has exited (an incomplete character). */
  endDecoders(): { stream: OutputStream; text: string }[] {
    return (["stdout", "stderr"] as const).map((stream) => ({ stream, text: this.decoders[stream].end() })).filter((r) => r.text);
  }

  /** Queues text as chunks with the next seqs; past the buffer cap, one marker and nothing more. */
  append(stream: LogStreamName, text: string): void {
    if (this.dropped || !text) return;
    if (this.bufferedBytes + text.length > this.maxBufferedBytes) {
      this.dropped = true;
      text = DROPPED_MARKER;
      stream = "system";
    }
    for (let i = 0; i < text.length; i += CHUNK_UNITS) {
      const data = text.slice(i, i + CHUNK_UNITS);
      this.unacked.push({ seq: this.nextSeq++, stream, data });
      this.bufferedBytes += data.length;
    }
  }

  /** logs_ack: the server stored every chunk up to ackedSeq; they are forgotten. */
  ack(ackedSeq: number): void {
    let n = 0;
    while (n < this.unacked.length && this.unacked[n]!.seq <= ackedSeq) {
      this.bufferedBytes -= this.unacked[n]!.data.length;
      n++;
    }
    this.unacked.splice(0, n);
    this.sent = Math.max(0, this.sent - n);
  }

  /** A new session: nothing unacknowledged is known to have arrived, so all of it goes again. */
  rewind(): void {
    this.sent = 0;
  }

  /** Sends unsent chunks, as many per frame as fit, until none is left or a frame may not go. */
  flush(sink: LogSink): FlushResult {
    while (this.sent < this.unacked.length) {
      if (sink.congested()) return "congested";
      const frame = logsFrame(this.ref, this.unacked.slice(this.sent, this.sent + MAX_CHUNKS_PER_FRAME));
      if (!sink.send(frame)) return "down";
      this.sent += frame.chunks.length;
    }
    return "done";
  }
}
