DROP INDEX `jobs_org_inserted`;--> statement-breakpoint
DROP INDEX `jobs_pool`;--> statement-breakpoint
CREATE INDEX `jobs_org_inserted_desc` ON `jobs` (`org_id`,"inserted_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_status` ON `jobs` (`org_id`,`status`,"inserted_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_trigger` ON `jobs` (`org_id`,`trigger_source`,"inserted_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_completed` ON `jobs` (`org_id`,"completed_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_inserted` ON `jobs` (`org_id`,`inserted_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_pool` ON `jobs` (`pool_id`,"inserted_at" desc,`id`) WHERE "pool_id" is not null;--> statement-breakpoint
CREATE INDEX `agents_org_connected` ON `agents` (`org_id`,`connected`);--> statement-breakpoint
CREATE INDEX `agents_list_name` ON `agents` (`org_id`,`archived`,`name`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_name_desc` ON `agents` (`org_id`,`archived`,"name" desc,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_version` ON `agents` (`org_id`,`archived`,`version`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_version_desc` ON `agents` (`org_id`,`archived`,"version" desc,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_host_os` ON `agents` (`org_id`,`archived`,`host_os`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_host_os_desc` ON `agents` (`org_id`,`archived`,"host_os" desc,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_restarted_desc` ON `agents` (`org_id`,`archived`,"last_restarted_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_inserted` ON `agents` (`org_id`,`archived`,`inserted_at`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_inserted_desc` ON `agents` (`org_id`,`archived`,"inserted_at" desc,`id`);