CREATE TABLE `trigger_firings` (
	`id` text PRIMARY KEY NOT NULL,
	`trigger_id` text NOT NULL,
	`scheduled_at` text,
	`fired_at` text NOT NULL,
	`job_id` text,
	`outcome` text NOT NULL,
	`error` text,
	FOREIGN KEY (`trigger_id`) REFERENCES `triggers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `trigger_firings_once` ON `trigger_firings` (`trigger_id`,`scheduled_at`);--> statement-breakpoint
CREATE INDEX `trigger_firings_trigger` ON `trigger_firings` (`trigger_id`,`fired_at`);--> statement-breakpoint
CREATE TABLE `triggers` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`target` text NOT NULL,
	`schedule` text,
	`scheduled_through` text,
	`created_by` text NOT NULL,
	`inserted_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `triggers_org_name` ON `triggers` (`org_id`,`name`);--> statement-breakpoint
CREATE INDEX `triggers_kind` ON `triggers` (`kind`,`enabled`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `trigger_id` text;