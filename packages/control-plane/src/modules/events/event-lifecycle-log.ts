/**
 * Job lifecycle records at info, with ids: every job status change the event bus carries
 * (claimed, running, completed, failed, retried, cancelled) becomes one "job status" record.
 */
import type { Logger } from "pino";
import type { EventBus } from "./event-bus.js";

export function logJobLifecycle(events: EventBus, log: Logger): () => void {
  return events.subscribe((e) => {
    if (e.type === "job.updated" && e.status) log.info({ job_id: e.id, org_id: e.org_id, status: e.status }, "job status");
  });
}
