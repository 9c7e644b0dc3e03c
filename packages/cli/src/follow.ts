/**
 * Follows a job's log over its Server-Sent Events stream (GET /api/v1/jobs/:id/logs?follow=1):
 * stdout chunks to stdout, stderr and system chunks to stderr (or each chunk as a JSON line with
 * --json), until the server's `event: end`. A dropped connection resumes after the last chunk's id
 * (Last-Event-ID), as EventSource would. Then the job's exit code is the command's.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { isTerminalJobStatus, type Job, type LogChunk } from "@outpost/shared";
import { apiError, seg, type Api } from "./client.js";
import { CliError, EXIT } from "./exit-codes.js";

const MAX_RECONNECTS = 10;

export const FOLLOW_EXIT_HELP = [
  "With --follow the exit code is the job's: its container's exit code, 1 when it ended without one",
  "(cancelled, timed out, lost); 1-3 as below when the command itself fails before the job ends.",
].join("\n");

function print(chunk: LogChunk, asJson: boolean): void {
  if (asJson) process.stdout.write(JSON.stringify(chunk) + "\n");
  else (chunk.stream === "stdout" ? process.stdout : process.stderr).write(chunk.data);
}

/** Streams the log until the job ends; resolves with the finished job. */
export async function followJob(api: Api, jobId: string, asJson: boolean): Promise<Job> {
  let lastId: string | undefined;
  let ended = false;
  for (let tries = 0; ; tries++) {
    if (ended) {
      // `end` comes once the job is finished; a job between attempts is followed on.
      const job = await api.get<Job>(`/api/v1/jobs/${seg(jobId)}`);
      if (isTerminalJobStatus(job.status)) return job;
      ended = false;
      tries = 0;
    }
    if (tries > MAX_RECONNECTS) throw new CliError(`the log stream of job ${jobId} kept dropping (${MAX_RECONNECTS} reconnects)`);
    if (tries > 0) await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** tries, 5000)));
    let res: Response;
    try {
      res = await fetch(api.url(`/api/v1/jobs/${seg(jobId)}/logs`, { follow: 1 }), {
        headers: { authorization: `Bearer ${api.ctx.token}`, accept: "text/event-stream", ...(lastId ? { "last-event-id": lastId } : {}) },
      });
    } catch {
      continue; // the server is away: try again, after the last chunk printed
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {}
      if (res.status === 429 || res.status >= 500) continue;
      throw apiError(res.status, body);
    }
    const parser = createParser({
      onEvent: (e: EventSourceMessage) => {
        if (e.event === "end") ended = true;
        else if (e.event === "unauthorized") throw new CliError("the server ended the log stream: the token is no longer valid", EXIT.auth);
        else if (!e.event || e.event === "message") {
          if (e.id) lastId = e.id;
          print(JSON.parse(e.data) as LogChunk, asJson);
        }
      },
    });
    try {
      for await (const text of res.body.pipeThrough(new TextDecoderStream())) {
        parser.feed(text);
        if (ended) break;
      }
    } catch (err) {
      if (err instanceof CliError) throw err;
      // connection dropped: reconnect after lastId
    }
  }
}

/** The job's exit code as the command's: its container's, else 0 when completed, else 1. */
export function jobExitCode(job: Job): number {
  if (job.exit_code !== null) return job.exit_code;
  return job.status === "completed" ? EXIT.ok : EXIT.failed;
}
