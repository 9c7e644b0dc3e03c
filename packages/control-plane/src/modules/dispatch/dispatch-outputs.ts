/**
 * What a running attempt produces: log chunks (deduplicated by (job, attempt, seq), capped per job
 * with one truncation marker while the job runs on), step progress and the report.
 */
import { sql } from "drizzle-orm";
import { MAX_REPORT_BYTES, MAX_STEPS, type JobStep, type StepUpdate } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared, tx } from "../../db/client.js";
import { jobReports } from "../../db/schema.js";
import { liveAttempt, type AttemptRef } from "./dispatch-attempts.js";

export const DEFAULT_LOG_CAP_BYTES = 10 * 1024 * 1024;
export const REPORT_CAP_BYTES = MAX_REPORT_BYTES;

export type IncomingChunk = { seq: number; stream: "stdout" | "stderr" | "system"; data: string };

/**
 * Stores the chunks of a live attempt. Returns the highest seq now stored (what the agent may
 * forget), or "stale". Re-sent chunks are ignored; bytes past the cap are dropped after one
 * `system` marker chunk.
 */
export function appendLogs(db: Db, ref: AttemptRef, chunks: IncomingChunk[], at: string, capBytes = DEFAULT_LOG_CAP_BYTES): { acked: number; stored: number } | "stale" {
  return tx(db, () => {
    const job = liveAttempt(db, ref);
    if (!job) return "stale";
    const insert = prepared(db, `insert into "job_logs" ("job_id", "attempt", "seq", "stream", "data", "at") values (?, ?, ?, ?, ?, ?) on conflict do nothing`);
    let bytes = job.logBytes;
    let stored = 0;
    const truncated = () => bytes > capBytes;
    for (const c of chunks) {
      if (truncated()) break;
      const size = Buffer.byteLength(c.data, "utf8");
      if (bytes + size > capBytes) {
        const marker = `[outpost] log truncated: this job's output passed ${capBytes} bytes; the job keeps running.\n`;
        insert.run(job.id, ref.attempt, c.seq, "system", marker, at);
        bytes = capBytes + 1;
        break;
      }
      if (insert.run(job.id, ref.attempt, c.seq, c.stream, c.data, at).changes) {
        bytes += size;
        stored++;
      }
    }
    if (bytes !== job.logBytes) prepared(db, `update "jobs" set "log_bytes" = ? where "id" = ?`).run(bytes, job.id);
    const acked = chunks.reduce((m, c) => Math.max(m, c.seq), -1);
    return { acked, stored };
  });
}

/**
 * Upserts steps by name, keeping their first-seen order. Times come from the server's clock: a
 * step starts when first seen running and ends when first seen in a final status.
 */
export function recordSteps(db: Db, ref: AttemptRef, updates: StepUpdate[], at: string): "ok" | "stale" {
  return tx(db, () => {
    const job = liveAttempt(db, ref);
    if (!job) return "stale";
    const current = JSON.parse(job.steps) as JobStep[];
    for (const u of updates) {
      const i = current.findIndex((c) => c.name === u.name);
      if (i < 0 && current.length >= MAX_STEPS) continue; // a job has at most MAX_STEPS steps
      const old = i >= 0 ? current[i]! : { name: u.name, status: "pending" as const, started_at: null, ended_at: null, output: null };
      const final = u.status === "completed" || u.status === "failed" || u.status === "skipped";
      const next: JobStep = {
        name: u.name,
        status: u.status,
        started_at: old.started_at ?? (u.status === "pending" ? null : at),
        ended_at: old.ended_at ?? (final ? at : null),
        output: u.output ?? old.output,
      };
      if (i >= 0) current[i] = next;
      else current.push(next);
    }
    prepared(db, `update "jobs" set "steps" = ? where "id" = ?`).run(JSON.stringify(current), job.id);
    return "ok";
  });
}

export function recordReport(db: Db, ref: AttemptRef, report: { json?: unknown; markdown?: string }, at: string): "ok" | "stale" | "too_large" {
  const json = report.json === undefined ? null : JSON.stringify(report.json);
  const markdown = report.markdown ?? null;
  if ((json?.length ?? 0) + Buffer.byteLength(markdown ?? "", "utf8") > REPORT_CAP_BYTES) return "too_large";
  return tx(db, () => {
    if (!liveAttempt(db, ref)) return "stale";
    db.insert(jobReports)
      .values({ jobId: ref.jobId, json, markdown, updatedAt: at })
      .onConflictDoUpdate({ target: jobReports.jobId, set: { json: sql`coalesce(excluded.json, ${jobReports.json})`, markdown: sql`coalesce(excluded.markdown, ${jobReports.markdown})`, updatedAt: at } })
      .run();
    return "ok";
  });
}


/**
 * Where an attempt's stored log ends: the next seq, and the UTF-8 bytes of container output stored
 * per stream. Chunks arrive in order on one socket, so what is stored is a prefix of what was sent.
 */
export function logResumePoint(db: Db, jobId: string, attempt: number): { next_seq: number; stdout_bytes: number; stderr_bytes: number } {
  const row = prepared(
      db,
      `select coalesce(max(seq), -1) + 1 as next_seq,
              coalesce(sum(case when stream = 'stdout' then length(cast(data as blob)) end), 0) as stdout_bytes,
              coalesce(sum(case when stream = 'stderr' then length(cast(data as blob)) end), 0) as stderr_bytes
         from job_logs where job_id = ? and attempt = ?`,
    ).get(jobId, attempt) as { next_seq: number; stdout_bytes: number; stderr_bytes: number };
  return row;
}
