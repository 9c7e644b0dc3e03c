import { z } from "zod";
import { Id, OrgRef, Timestamp, success } from "./common.js";

export const OverviewQuery = z.object({ org: OrgRef.optional() });

/** GET /api/v1/overview: the fleet at a glance, for the caller's orgs (or the one named). */
export const Overview = z.object({
  generated_at: Timestamp,
  server_version: z.string(),
  agents_by_status: z.record(z.string(), z.number().int()),
  /** Jobs ended per minute over the last 24 h, by outcome: one bucket per minute that had any. */
  jobs_per_minute: z.array(z.object({ minute: Timestamp, completed: z.number().int(), failed: z.number().int(), cancelled: z.number().int() })),
  /** Queue wait (creation to claim) of jobs claimed in the last 24 h, in seconds. */
  queue_wait: z.object({ count: z.number().int(), p50_s: z.number().nullable(), p95_s: z.number().nullable() }),
  busiest_pools: z.array(z.object({ pool_id: Id, name: z.string(), jobs_24h: z.number().int(), pending: z.number().int(), running: z.number().int() })),
  older_agents: z.array(z.object({ id: Id, name: z.string(), version: z.string() })),
  recent_failures: z.array(
    z.object({ id: Id, module: z.string(), function: z.string(), agent_name: z.string().nullable(), error_reason: z.string().nullable(), error_message: z.string().nullable(), completed_at: Timestamp.nullable() }),
  ),
});
export type Overview = z.infer<typeof Overview>;
export const OverviewResponse = success(Overview);
