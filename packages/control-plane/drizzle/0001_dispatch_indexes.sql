DROP INDEX `jobs_agent`;--> statement-breakpoint
CREATE INDEX `jobs_queue` ON `jobs` (`org_id`,"priority" desc,`inserted_at`,`id`) WHERE "status" = 'pending';--> statement-breakpoint
CREATE INDEX `jobs_agent` ON `jobs` (`agent_id`,`status`);