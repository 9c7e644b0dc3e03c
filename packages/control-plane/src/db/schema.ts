/**
 * The control plane's tables. Times are stored as RFC 3339 UTC strings (sortable as text);
 * JSON columns hold small documents. Change this file, then `pnpm db:generate` and commit the
 * migration it writes.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const orgs = sqliteTable("orgs", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  insertedAt: text("inserted_at").notNull().default(now),
});

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  isAdmin: integer("is_admin", { mode: "boolean" }).notNull().default(false),
  insertedAt: text("inserted_at").notNull().default(now),
});

export const memberships = sqliteTable(
  "memberships",
  {
    orgId: text("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["admin", "member"] }).notNull().default("member"),
    insertedAt: text("inserted_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] }), index("memberships_user").on(t.userId)],
);

export const tokens = sqliteTable("tokens", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  /** Set when the token is restricted to one org. */
  orgId: text("org_id").references(() => orgs.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  digest: text("digest").notNull().unique(),
  prefix: text("prefix").notNull(),
  scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
  expiresAt: text("expires_at"),
  revokedAt: text("revoked_at"),
  lastUsedAt: text("last_used_at"),
  /** Registration tokens: how many agent registrations the token allows (null: no limit). */
  maxUses: integer("max_uses"),
  /** Agent registrations made with the token, counted by a compare-and-set against max_uses. */
  uses: integer("uses").notNull().default(0),
  /** `pat`, or `copilot`: an integration whose jobs are `trigger_source: copilot`, triggered by the token's name. */
  kind: text("kind", { enum: ["pat", "copilot"] }).notNull().default("pat"),
  insertedAt: text("inserted_at").notNull().default(now),
});

/** The image an agent's jobs run in when their module function names none (agent-profile.ts). */
export const containerProfiles = sqliteTable(
  "container_profiles",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    dockerImage: text("docker_image").notNull(),
    description: text("description").notNull().default(""),
    archived: integer("archived", { mode: "boolean" }).notNull().default(false),
    archivedAt: text("archived_at"),
    insertedAt: text("inserted_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("container_profiles_org_name").on(t.orgId, t.name)],
);

export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    agentId: text("agent_id").notNull(),
    name: text("name").notNull(),
    hostname: text("hostname").notNull(),
    status: text("status").notNull().default("Offline"),
    statusUpdatedAt: text("status_updated_at").notNull().default(now),
    connected: integer("connected", { mode: "boolean" }).notNull().default(false),
    paused: integer("paused", { mode: "boolean" }).notNull().default(false),
    version: text("version").notNull(),
    hostOs: text("host_os").notNull(),
    os: text("os", { mode: "json" }).$type<Record<string, string>>().notNull(),
    cpuCount: integer("cpu_count"),
    memoryBytes: integer("memory_bytes"),
    labels: text("labels", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    slots: integer("slots").notNull().default(1),
    cpus: text("cpus").notNull().default("1.0"),
    memLimit: text("mem_limit").notNull().default("1g"),
    pidsLimit: integer("pids_limit").notNull().default(200),
    credentialDigest: text("credential_digest").notNull().unique(),
    credentialRevokedAt: text("credential_revoked_at"),
    registeredBy: text("registered_by").references(() => users.id, { onDelete: "set null" }),
    startedAt: text("started_at"),
    lastRestartedAt: text("last_restarted_at"),
    restartCount: integer("restart_count").notNull().default(0),
    lastSeenAt: text("last_seen_at"),
    archived: integer("archived", { mode: "boolean" }).notNull().default(false),
    archivedAt: text("archived_at"),
    insertedAt: text("inserted_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
    // The profile (packages/shared/src/api/agent-profile.ts).
    description: text("description").notNull().default(""),
    toolsConfig: text("tools_config", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    soulMd: text("soul_md").notNull().default(""),
    rulesMd: text("rules_md").notNull().default(""),
    autonomyLevel: text("autonomy_level").notNull().default("act_within_scope"),
    models: text("models", { mode: "json" }).$type<string[]>().notNull().default([]),
    skills: text("skills", { mode: "json" }).$type<unknown[]>().notNull().default([]),
    modelPolicyId: text("model_policy_id"),
    // A profile in use is archived, never deleted (container-profiles routes), so no cascade here.
    containerProfileId: text("container_profile_id").references(() => containerProfiles.id),
    /** Why the last job or module update failed; cleared once the agent is healthy again. */
    errorMessage: text("error_message"),
  },
  (t) => [
    uniqueIndex("agents_org_slug").on(t.orgId, t.agentId),
    index("agents_org_name").on(t.orgId, t.name),
    // Connected agents of an org (a tenth of a big fleet): waiting reasons ask about these.
    index("agents_org_connected").on(t.orgId, t.connected),
    // The agents list (active agents), one index per sort key and direction, so a page is an index
    // walk from the cursor however many agents there are (lib/cursor.ts keysetOrder). Status and
    // status_updated_at too: every job moves an agent's status, so these four cost the dispatch
    // path a few index writes per move (measured with bench/dispatch, docs/performance.md).
    // last_restarted_at ascending keeps NULLs last with its "is null" term first.
    index("agents_list_name").on(t.orgId, t.archived, t.name, t.id),
    index("agents_list_name_desc").on(t.orgId, t.archived, sql`"name" desc`, t.id),
    index("agents_list_version").on(t.orgId, t.archived, t.version, t.id),
    index("agents_list_version_desc").on(t.orgId, t.archived, sql`"version" desc`, t.id),
    index("agents_list_host_os").on(t.orgId, t.archived, t.hostOs, t.id),
    index("agents_list_host_os_desc").on(t.orgId, t.archived, sql`"host_os" desc`, t.id),
    index("agents_list_restarted").on(t.orgId, t.archived, sql`"last_restarted_at" is null`, t.lastRestartedAt, t.id),
    index("agents_list_restarted_desc").on(t.orgId, t.archived, sql`"last_restarted_at" desc`, t.id),
    index("agents_list_status").on(t.orgId, t.archived, t.status, t.id),
    index("agents_list_status_desc").on(t.orgId, t.archived, sql`"status" desc`, t.id),
    index("agents_list_status_at").on(t.orgId, t.archived, t.statusUpdatedAt, t.id),
    index("agents_list_status_at_desc").on(t.orgId, t.archived, sql`"status_updated_at" desc`, t.id),
    index("agents_list_inserted").on(t.orgId, t.archived, t.insertedAt, t.id),
    index("agents_list_inserted_desc").on(t.orgId, t.archived, sql`"inserted_at" desc`, t.id),
  ],
);

export const agentModules = sqliteTable(
  "agent_modules",
  {
    agentId: text("agent_id").notNull().references(() => agents.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    version: text("version").notNull(),
    installedAt: text("installed_at"),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.name] }), index("agent_modules_name").on(t.name, t.version)],
);

export const agentStatusHistory = sqliteTable(
  "agent_status_history",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    agentId: text("agent_id").notNull().references(() => agents.id, { onDelete: "cascade" }),
    fromStatus: text("from_status"),
    toStatus: text("to_status").notNull(),
    reason: text("reason").notNull(),
    jobId: text("job_id"),
    at: text("at").notNull(),
  },
  (t) => [index("agent_status_history_agent").on(t.agentId, t.id)],
);

export const agentModuleHistory = sqliteTable(
  "agent_module_history",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    agentId: text("agent_id").notNull().references(() => agents.id, { onDelete: "cascade" }),
    module: text("module").notNull(),
    action: text("action", { enum: ["install", "update", "remove"] }).notNull(),
    fromVersion: text("from_version"),
    toVersion: text("to_version"),
    outcome: text("outcome", { enum: ["succeeded", "failed", "started"] }).notNull(),
    message: text("message"),
    at: text("at").notNull(),
  },
  (t) => [index("agent_module_history_agent").on(t.agentId, t.id)],
);

export const pools = sqliteTable(
  "pools",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** Labels an agent must carry to run the pool's jobs (copied into each job at its creation). */
    labels: text("labels", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    archived: integer("archived", { mode: "boolean" }).notNull().default(false),
    archivedAt: text("archived_at"),
    insertedAt: text("inserted_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("pools_org_name").on(t.orgId, t.name)],
);

export const poolAgents = sqliteTable(
  "pool_agents",
  {
    poolId: text("pool_id").notNull().references(() => pools.id, { onDelete: "cascade" }),
    agentId: text("agent_id").notNull().references(() => agents.id, { onDelete: "cascade" }),
    addedAt: text("added_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.poolId, t.agentId] }), index("pool_agents_agent").on(t.agentId)],
);

export const poolUsers = sqliteTable(
  "pool_users",
  {
    poolId: text("pool_id").notNull().references(() => pools.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    addedAt: text("added_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.poolId, t.userId] })],
);

export const modules = sqliteTable(
  "modules",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    version: text("version").notNull(),
    image: text("image").notNull(),
    description: text("description").notNull().default(""),
    /** The published document, canonical JSON: republishing compares against it. */
    functions: text("functions", { mode: "json" }).$type<unknown[]>().notNull(),
    insertedAt: text("inserted_at").notNull().default(now),
  },
  (t) => [uniqueIndex("modules_org_name_version").on(t.orgId, t.name, t.version)],
);

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    module: text("module").notNull(),
    version: text("version").notNull(),
    function: text("function").notNull(),
    inputs: text("inputs", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    poolId: text("pool_id").references(() => pools.id, { onDelete: "set null" }),
    targetAgentId: text("target_agent_id").references(() => agents.id, { onDelete: "set null" }),
    /** The agent holding (or that last held) the current attempt. */
    agentId: text("agent_id").references(() => agents.id, { onDelete: "set null" }),
    status: text("status").notNull().default("pending"),
    attempt: integer("attempt").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(3),
    limits: text("limits", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    timeoutS: integer("timeout_s"),
    priority: integer("priority").notNull().default(0),
    triggerSource: text("trigger_source").notNull(),
    triggeredBy: text("triggered_by").notNull(),
    /** The trigger that started the job (schedule, webhook or event); no foreign key: a deleted trigger leaves its runs. */
    triggerId: text("trigger_id"),
    /** How many event triggers led to this job (0: started by a person, a schedule or a webhook). */
    chainDepth: integer("chain_depth").notNull().default(0),
    /** The job this one re-runs (POST /api/v1/jobs/rerun); no foreign key: the original may be deleted. */
    rerunOf: text("rerun_of"),
    /** retry.backoff_s: failed attempts are retried (up to max_attempts) after an exponential backoff; null: only lost attempts are, at once. */
    retryBackoffS: integer("retry_backoff_s"),
    /** While `retrying`: when the job goes back to `pending`. */
    retryAt: text("retry_at"),
    exitCode: integer("exit_code"),
    errorReason: text("error_reason"),
    errorMessage: text("error_message"),
    errorStep: text("error_step"),
    steps: text("steps", { mode: "json" }).$type<unknown[]>().notNull().default([]),
    leaseExpiresAt: text("lease_expires_at"),
    logBytes: integer("log_bytes").notNull().default(0),
    /** The current attempt's container, from its `started` frame. */
    containerId: text("container_id"),
    /** The function names no image: only an agent with a container profile may claim the job. */
    imageFromProfile: integer("image_from_profile", { mode: "boolean" }).notNull().default(false),
    /** Labels the claiming agent must carry: the pool's at creation, then the job's own (dispatch/dispatch-labels.ts). */
    requiredLabels: text("required_labels", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    insertedAt: text("inserted_at").notNull().default(now),
    claimedAt: text("claimed_at"),
    startedAt: text("started_at"),
    completedAt: text("completed_at"),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    // The runs list: newest first by default, each filter, then the id (lib/cursor.ts keysetOrder),
    // so a page is an index walk from the cursor however many jobs the table holds.
    index("jobs_org_inserted").on(t.orgId, t.insertedAt, t.id),
    index("jobs_org_inserted_desc").on(t.orgId, sql`"inserted_at" desc`, t.id),
    index("jobs_org_status").on(t.orgId, t.status, sql`"inserted_at" desc`, t.id),
    index("jobs_org_trigger").on(t.orgId, t.triggerSource, sql`"inserted_at" desc`, t.id),
    index("jobs_org_completed").on(t.orgId, sql`"completed_at" desc`, t.id),
    // Oldest completed first: NULLs (unfinished jobs) last, as keysetOrder spells it.
    index("jobs_org_completed_asc").on(t.orgId, sql`"completed_at" is null`, t.completedAt, t.id),
    // Sorted by status (each direction), ties by id.
    index("jobs_org_status_id").on(t.orgId, t.status, t.id),
    index("jobs_org_status_id_desc").on(t.orgId, sql`"status" desc`, t.id),
    // The dispatch queue: only pending rows, in claim order (priority desc, then oldest), so the
    // next candidate is an index seek however many jobs the table has ever held.
    index("jobs_queue").on(t.orgId, sql`"priority" desc`, t.insertedAt, t.id).where(sql`"status" = 'pending'`),
    // Live attempts by lease end, for the lease and timeout sweeps (queries spell the statuses
    // literally: a partial index is not used for bound parameters).
    index("jobs_live").on(t.leaseExpiresAt).where(sql`"status" in ('claimed', 'running', 'cancelling')`),
    // The rest only hold rows that have the column: a new pending job is written to none of them
    // ("x = ?" implies "x is not null", so lookups still use them).
    index("jobs_agent").on(t.agentId, t.status).where(sql`"agent_id" is not null`),
    // Retries due (the trigger loop asks on every wake): only retrying rows, by when they are due.
    index("jobs_retrying").on(t.retryAt).where(sql`"status" = 'retrying'`),
    index("jobs_target_agent").on(t.targetAgentId).where(sql`"target_agent_id" is not null`),
    index("jobs_pool").on(t.poolId, sql`"inserted_at" desc`, t.id).where(sql`"pool_id" is not null`),
    // A pool's unfinished jobs (its overview counts them): only queued and live rows of pools, so
    // the count reads those instead of every job the pool ever ran (queries spell the statuses literally).
    index("jobs_pool_unfinished")
      .on(t.poolId)
      .where(sql`"pool_id" is not null and "status" in ('pending', 'retrying', 'claimed', 'running', 'cancelling')`),
  ],
);

/**
 * Finished jobs (completed, failed, cancelled) per (org, pool, status), kept by SQLite triggers on
 * `jobs` (a job counted when its status becomes terminal, uncounted if it leaves it or is deleted;
 * migration 0012), so /metrics never counts the jobs table's history. Live jobs are counted
 * through the partial indexes that hold only them (jobs_queue, jobs_live, jobs_retrying). The
 * triggers fire once per job, at its end, and cover every path that writes one, plain SQL included.
 */
export const jobCounts = sqliteTable(
  "job_counts",
  {
    orgId: text("org_id").notNull(),
    /** '' for jobs sent to a named agent (no pool). */
    poolId: text("pool_id").notNull().default(""),
    status: text("status").notNull(),
    n: integer("n").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.poolId, t.status] })],
);

/** Active (unarchived) agents per (org, status), kept by triggers on `agents`: the Overview's agent counts. */
export const agentCounts = sqliteTable(
  "agent_counts",
  {
    orgId: text("org_id").notNull(),
    status: text("status").notNull(),
    n: integer("n").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.status] })],
);

/**
 * Per org and minute (`YYYY-MM-DDTHH:MM:00Z`): jobs that finished each way (by completed_at), kept by
 * triggers on `jobs` (a job counted when its status becomes terminal, uncounted when it is deleted).
 * The Overview's "jobs per minute" reads a day of these rows instead of a day of jobs.
 */
export const jobMinutes = sqliteTable(
  "job_minutes",
  {
    orgId: text("org_id").notNull(),
    minute: text("minute").notNull(),
    completed: integer("completed").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    cancelled: integer("cancelled").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.minute] })],
);

/**
 * First claims per org, minute and queue-wait bucket (lib/queue-wait.ts: the bucket bounds), kept by
 * a trigger on `job_attempts` (attempt 1): the Overview's queue-wait count and quantiles over a day
 * read at most a day of minutes times the buckets, however many jobs ran.
 */
export const queueWaits = sqliteTable(
  "queue_waits",
  {
    orgId: text("org_id").notNull(),
    minute: text("minute").notNull(),
    bucket: integer("bucket").notNull(),
    n: integer("n").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.minute, t.bucket] })],
);

export const jobAttempts = sqliteTable(
  "job_attempts",
  {
    jobId: text("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    agentId: text("agent_id").notNull(),
    claimedAt: text("claimed_at").notNull(),
    startedAt: text("started_at"),
    endedAt: text("ended_at"),
    outcome: text("outcome").notNull().default("running"),
    exitCode: integer("exit_code"),
    errorReason: text("error_reason"),
    errorMessage: text("error_message"),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.attempt] }),
    // /metrics counts these two kinds; each partial index holds only its rows, so a count costs
    // the lost attempts or the retries, not every attempt ever made.
    index("job_attempts_lost").on(t.jobId).where(sql`"outcome" = 'lost'`),
    index("job_attempts_retries").on(t.jobId).where(sql`"attempt" > 1`),
  ],
);

export const jobLogs = sqliteTable(
  "job_logs",
  {
    jobId: text("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    seq: integer("seq").notNull(),
    stream: text("stream").notNull(),
    data: text("data").notNull(),
    at: text("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.attempt, t.seq] })],
);

export const jobReports = sqliteTable("job_reports", {
  jobId: text("job_id").primaryKey().references(() => jobs.id, { onDelete: "cascade" }),
  json: text("json"),
  markdown: text("markdown"),
  updatedAt: text("updated_at").notNull(),
});

export const reportShares = sqliteTable("report_shares", {
  id: text("id").primaryKey(),
  jobId: text("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
  digest: text("digest").notNull().unique(),
  expiresAt: text("expires_at").notNull(),
  insertedAt: text("inserted_at").notNull().default(now),
});

/** Schedules, webhooks and events that start jobs (modules/triggers). */
export const triggers = sqliteTable(
  "triggers",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["schedule", "webhook", "event"] }).notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** The job it starts (TriggerTarget). */
    target: text("target", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** Schedules: ScheduleSpec (cron, timezone, overlap, missed). */
    schedule: text("schedule", { mode: "json" }).$type<Record<string, unknown>>(),
    /** Schedules: the last cron time handled (fired, skipped or missed); firings come after it. */
    scheduledThrough: text("scheduled_through"),
    /** Webhooks: the id in POST /api/v1/hooks/<public id>; the secret is derived from it (modules/triggers/trigger-webhook.ts). */
    publicId: text("public_id").unique(),
    /** Event triggers: EventFilter (what it fires on). */
    event: text("event", { mode: "json" }).$type<Record<string, unknown>>(),
    createdBy: text("created_by").notNull(),
    insertedAt: text("inserted_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("triggers_org_name").on(t.orgId, t.name), index("triggers_kind").on(t.kind, t.enabled)],
);

export const triggerFirings = sqliteTable(
  "trigger_firings",
  {
    id: text("id").primaryKey(),
    triggerId: text("trigger_id").notNull().references(() => triggers.id, { onDelete: "cascade" }),
    /** The cron time (schedules): unique per trigger, so each scheduled time fires exactly once. */
    scheduledAt: text("scheduled_at"),
    /** Event triggers: the event fired for (job:<id>, agent-status:<history id>); unique per trigger. */
    eventKey: text("event_key"),
    firedAt: text("fired_at").notNull(),
    jobId: text("job_id").references(() => jobs.id, { onDelete: "set null" }),
    outcome: text("outcome", { enum: ["started", "skipped", "queued", "failed"] }).notNull(),
    error: text("error"),
  },
  (t) => [uniqueIndex("trigger_firings_once").on(t.triggerId, t.scheduledAt), uniqueIndex("trigger_firings_event_once").on(t.triggerId, t.eventKey), index("trigger_firings_trigger").on(t.triggerId, t.firedAt)],
);

/** Webhook deliveries (the last 100 per trigger are kept); unique per delivery id unless rejected. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    triggerId: text("trigger_id").notNull().references(() => triggers.id, { onDelete: "cascade" }),
    deliveryId: text("delivery_id").notNull(),
    receivedAt: text("received_at").notNull(),
    status: text("status", { enum: ["accepted", "rejected", "failed"] }).notNull(),
    error: text("error"),
    jobId: text("job_id").references(() => jobs.id, { onDelete: "set null" }),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_once").on(t.triggerId, t.deliveryId).where(sql`"status" != 'rejected'`),
    index("webhook_deliveries_trigger").on(t.triggerId, t.receivedAt),
  ],
);
