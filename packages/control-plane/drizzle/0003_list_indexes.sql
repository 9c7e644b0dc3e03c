DROP INDEX `jobs_org_inserted`;--> statement-breakpoint
DROP INDEX `jobs_pool`;--> statement-breakpoint
CREATE INDEX `jobs_org_inserted_desc` ON `jobs` (`org_id`,"inserted_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_status` ON `jobs` (`org_id`,`status`,"inserted_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_trigger` ON `jobs` (`org_id`,`trigger_source`,"inserted_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_completed` ON `jobs` (`org_id`,"completed_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_inserted` ON `jobs` (`org_id`,`inserted_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_pool` ON `jobs` (`pool_id`,"inserted_at" desc,`id`) WHERE "pool_id" is not null;--> statement-breakpoint
CREATE INDEX `agents_org_connected` ON `agents` (`org_id`,`connected`);--> statement-breakpoint
CREATE INDEX `agents_list_name` ON `agents` (`org_id`,`archived`,`name`,`id`);