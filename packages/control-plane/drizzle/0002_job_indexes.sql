DROP INDEX `jobs_status_priority`;--> statement-breakpoint
DROP INDEX `jobs_agent`;--> statement-breakpoint
DROP INDEX `jobs_target_agent`;--> statement-breakpoint
DROP INDEX `jobs_pool`;--> statement-breakpoint
CREATE INDEX `jobs_live` ON `jobs` (`lease_expires_at`) WHERE "status" in ('claimed', 'running', 'cancelling');--> statement-breakpoint
CREATE INDEX `jobs_agent` ON `jobs` (`agent_id`,`status`) WHERE "agent_id" is not null;--> statement-breakpoint
CREATE INDEX `jobs_target_agent` ON `jobs` (`target_agent_id`) WHERE "target_agent_id" is not null;--> statement-breakpoint
CREATE INDEX `jobs_pool` ON `jobs` (`pool_id`) WHERE "pool_id" is not null;