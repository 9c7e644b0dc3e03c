CREATE INDEX `agents_list_name_desc` ON `agents` (`org_id`,`archived`,"name" desc,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_version` ON `agents` (`org_id`,`archived`,`version`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_version_desc` ON `agents` (`org_id`,`archived`,"version" desc,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_host_os` ON `agents` (`org_id`,`archived`,`host_os`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_host_os_desc` ON `agents` (`org_id`,`archived`,"host_os" desc,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_restarted_desc` ON `agents` (`org_id`,`archived`,"last_restarted_at" desc,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_inserted` ON `agents` (`org_id`,`archived`,`inserted_at`,`id`);--> statement-breakpoint
CREATE INDEX `agents_list_inserted_desc` ON `agents` (`org_id`,`archived`,"inserted_at" desc,`id`);