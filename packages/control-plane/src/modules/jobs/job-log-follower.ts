/**
 * One log follower: sends a job's stored chunks after its cursor, then new ones as the event bus
 * wakes it, then `event: end` once the job is finished. It pulls: it reads a page of about 64 KiB
 * only while its consumer keeps up (`stream.write` says so) and waits for `onDrain` otherwise, so a
 * follower that never reads costs no queries and holds at most one page, however much the job
 * prints; and wakes are coalesced to one read per event-loop turn.
 */
import { isTerminalJobStatus, type JobStatus, type LogChunk } from "@outpost/shared";
import { prepared, type Db } from "../../db/client.js";
import type { SseStream } from "../../lib/sse.js";

export type Cursor = { attempt: number; seq: number };

/**
 * A read while following aims at about this much text: a page the consumer cannot take yet is read
 * for nothing (300 stalled followers x 16 chunks of 16 KiB was 75 MB of garbage at once), while
 * tiny pages of short lines would cost a query per few hundred bytes.
 */
const PAGE_BYTES = 64 * 1024;
const MIN_PAGE = 4;
const MAX_PAGE = 256;

/** The next page size: as many chunks of the last page's average size as fit in PAGE_BYTES. */
function nextPageSize(page: LogChunk[]): number {
  const bytes = page.reduce((n, c) => n + c.data.length, 0);
  const average = Math.max(1, bytes / Math.max(1, page.length));
  return Math.max(MIN_PAGE, Math.min(MAX_PAGE, Math.floor(PAGE_BYTES / average)));
}

export function chunksAfter(db: Db, jobId: string, after: Cursor, limit: number): LogChunk[] {
  return prepared(
    db,
    `select "attempt", "seq", "stream", "data", "at" from "job_logs"
      where "job_id" = ? and ("attempt" > ? or ("attempt" = ? and "seq" > ?))
      order by "attempt", "seq" limit ?`,
  ).all(jobId, after.attempt, after.attempt, after.seq, limit) as LogChunk[];
}

function jobStatus(db: Db, jobId: string): string | undefined {
  // pluck() is a mode of the cached statement, which other modules share: always set it.
  return prepared(db, `select "status" from "jobs" where "id" = ?`).pluck().get(jobId) as string | undefined;
}

export function followLog(db: Db, jobId: string, from: Cursor, stream: SseStream): { wake: () => void } {
  let cursor = from;
  let pageSize = MIN_PAGE;
  let scheduled = false;
  let waiting = false; // for the consumer to drain: a wake now changes nothing

  const pump = () => {
    scheduled = false;
    if (stream.closed) return;
    for (;;) {
      const page = chunksAfter(db, jobId, cursor, pageSize);
      const full = page.length === pageSize;
      if (page.length) pageSize = nextPageSize(page);
      for (const c of page) {
        const more = stream.write(`id: ${c.attempt}:${c.seq}\ndata: ${JSON.stringify(c)}\n\n`);
        cursor = { attempt: c.attempt, seq: c.seq };
        if (!more) {
          waiting = true;
          stream.onDrain(() => {
            waiting = false;
            pump();
          });
          return;
        }
      }
      if (!full) break;
    }
    const status = jobStatus(db, jobId);
    if (!status || isTerminalJobStatus(status as JobStatus)) {
      stream.write(`event: end\ndata: ${JSON.stringify({ status: status ?? "deleted" })}\n\n`);
      stream.end();
    }
  };

  return {
    wake: () => {
      if (waiting || scheduled) return;
      scheduled = true;
      setImmediate(pump);
    },
  };
}
