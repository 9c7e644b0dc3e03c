CREATE INDEX `agents_list_restarted` ON `agents` (`org_id`,`archived`,"last_restarted_at" is null,`last_restarted_at`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_status` ON `agents` (`org_id`,`archived`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_status_desc` ON `agents` (`org_id`,`archived`,"status" desc,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_status_at` ON `agents` (`org_id`,`archived`,`status_updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_status_at_desc` ON `agents` (`org_id`,`archived`,"status_updated_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_completed_asc` ON `jobs` (`org_id`,"completed_at" is null,`completed_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_status_id` ON `jobs` (`org_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_org_status_id_desc` ON `jobs` (`org_id`,"status" desc,`id`);