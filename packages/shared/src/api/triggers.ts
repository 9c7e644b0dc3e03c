/** Triggers (issue 12): schedules, webhooks and events that start jobs on the server's own authority. */
import { z } from "zod";
import { Id, Name, OrgRef, PageQuery, Timestamp, plain, success, successList } from "./common.js";
import { ModuleName } from "./agents.js";
import { FunctionName } from "./modules.js";
import { JobFields, onePlacement } from "./jobs.js";
import { AgentStatus } from "../status/agent-status.js";
import { TERMINAL_JOB_STATUSES } from "../status/job-status.js";

export const TRIGGER_KINDS = ["schedule", "webhook", "event"] as const;
export const TriggerKind = z.enum(TRIGGER_KINDS);
export type TriggerKind = z.infer<typeof TriggerKind>;

/** What to do when a firing comes while the trigger's previous job is still going. */
export const OVERLAP_POLICIES = ["skip", "allow", "queue"] as const;
/** What to do with firings missed while the server was down (or the loop behind). */
export const MISSED_POLICIES = ["skip", "run_once"] as const;

/** An IANA time zone this runtime knows (Intl). */
const TimeZone = plain(z.string().min(1).max(64)).refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: (iss) => `"${String(iss.input)}" is not an IANA time zone` },
);

/** The job a trigger starts: the fields of POST /api/v1/jobs that say what runs and where (derived from them). */
export const TriggerTarget = onePlacement(
  JobFields.pick({ module: true, version: true, function: true, inputs: true, pool_id: true, agent_id: true, limits: true, timeout_s: true, max_attempts: true, priority: true, retry: true }).strict(),
);
export type TriggerTarget = z.infer<typeof TriggerTarget>;

export const ScheduleSpec = z
  .object({
    /** 5 fields (minute first) or 6 (seconds first); checked by the server's cron parser (croner). */
    cron: plain(z.string().trim().min(1).max(200)),
    timezone: TimeZone.default("UTC"),
    overlap: z.enum(OVERLAP_POLICIES).default("skip"),
    missed: z.enum(MISSED_POLICIES).default("skip"),
  })
  .strict();
export type ScheduleSpec = z.infer<typeof ScheduleSpec>;

/** What an event trigger fires on: a job of the org finishing, or an agent of the org changing status. */
export const EventFilter = z.discriminatedUnion("on", [
  z
    .object({
      on: z.literal("job.finished"),
      module: ModuleName.optional(),
      function: FunctionName.optional(),
      outcome: z.array(z.enum(TERMINAL_JOB_STATUSES)).min(1).max(3).optional(),
    })
    .strict(),
  z
    .object({
      on: z.literal("agent.status"),
      pool_id: Id.optional(),
      status: z.array(AgentStatus).min(1).max(20).optional(),
    })
    .strict(),
]);
export type EventFilter = z.infer<typeof EventFilter>;

export const CreateTriggerBody = z
  .object({
    name: Name,
    kind: TriggerKind,
    target: TriggerTarget,
    enabled: z.boolean().default(true),
    schedule: ScheduleSpec.optional(),
    event: EventFilter.optional(),
    org: OrgRef.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.kind === "event" && !b.event) ctx.addIssue({ code: "custom", path: ["event"], message: "an event trigger needs event.on (job.finished or agent.status)" });
    if (b.kind !== "event" && b.event) ctx.addIssue({ code: "custom", path: ["event"], message: `a ${b.kind} trigger takes no event filter` });
    if (b.kind === "schedule" && !b.schedule) ctx.addIssue({ code: "custom", path: ["schedule"], message: "a schedule trigger needs schedule.cron" });
    if (b.kind !== "schedule" && b.schedule) ctx.addIssue({ code: "custom", path: ["schedule"], message: `a ${b.kind} trigger takes no schedule` });
  });
export type CreateTriggerBody = z.infer<typeof CreateTriggerBody>;

export const UpdateTriggerBody = z
  .object({ name: Name.optional(), target: TriggerTarget.optional(), enabled: z.boolean().optional(), schedule: ScheduleSpec.optional(), event: EventFilter.optional() })
  .strict();
export type UpdateTriggerBody = z.infer<typeof UpdateTriggerBody>;

/** GET /api/v1/triggers/schedule-preview: the next five firings of a cron expression, for the console's dialog. */
export const SchedulePreviewQuery = z.object({ cron: ScheduleSpec.shape.cron, timezone: ScheduleSpec.shape.timezone }).strict();
export const SchedulePreviewResponse = success(z.object({ next_fire_times: z.array(Timestamp) }));

export const FIRING_OUTCOMES = ["started", "skipped", "queued", "failed"] as const;
export const TriggerFiring = z.object({
  id: Id,
  /** The cron time this firing is for (schedules); null for webhooks and events. */
  scheduled_at: Timestamp.nullable(),
  /** Event triggers: the event fired for (`job:<id>`, `agent-status:<n>`). */
  event_key: z.string().nullable(),
  fired_at: Timestamp,
  job_id: Id.nullable(),
  outcome: z.enum(FIRING_OUTCOMES),
  error: z.string().nullable(),
});
export type TriggerFiring = z.infer<typeof TriggerFiring>;

export const Trigger = z.object({
  id: Id,
  org_id: Id,
  name: z.string(),
  kind: TriggerKind,
  enabled: z.boolean(),
  target: TriggerTarget,
  schedule: ScheduleSpec.nullable(),
  event: EventFilter.nullable(),
  /** Schedules: the next five firing times (empty while paused). */
  next_fire_times: z.array(Timestamp),
  /** Webhooks: where deliveries go (POST, signed; docs/api.md "Webhooks"). */
  hook_path: z.string().nullable(),
  created_by: z.string(),
  last_firing: TriggerFiring.nullable(),
  inserted_at: Timestamp,
  updated_at: Timestamp,
});
export type Trigger = z.infer<typeof Trigger>;
export const TriggerResponse = success(Trigger);
/** The 201 of a new trigger: a webhook's secret, shown this once. */
export const CreateTriggerResponse = success(Trigger.extend({ secret: z.string().nullable() }));
export const TriggerListResponse = successList(Trigger);
export const TriggerListQuery = PageQuery.extend({ kind: TriggerKind.optional(), org: OrgRef.optional() });
export const TriggerFiringListResponse = successList(TriggerFiring);

export const DELIVERY_STATUSES = ["accepted", "rejected", "failed"] as const;
export const WebhookDelivery = z.object({
  id: Id,
  delivery_id: z.string(),
  received_at: Timestamp,
  status: z.enum(DELIVERY_STATUSES),
  error: z.string().nullable(),
  job_id: Id.nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
export const WebhookDeliveryListResponse = success(z.array(WebhookDelivery));
/** The answer to a delivery: 202 for a new one, 200 for a repeated delivery id (the first one's job). */
export const HookResponse = success(WebhookDelivery.extend({ repeat: z.boolean() }));
export const TestDeliveryBody = z.object({ payload: z.record(z.string(), z.unknown()).default({}) }).strict();
