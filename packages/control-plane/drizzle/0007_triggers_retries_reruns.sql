CREATE TABLE `trigger_firings` (
	`id` text PRIMARY KEY NOT NULL,
	`trigger_id` text NOT NULL,
	`scheduled_at` text,
	`event_key` text,
	`fired_at` text NOT NULL,
	`job_id` text,
	`outcome` text NOT NULL,
	`error` text,
	FOREIGN KEY (`trigger_id`) REFERENCES `triggers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `trigger_firings_once` ON `trigger_firings` (`trigger_id`,`scheduled_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `trigger_firings_event_once` ON `trigger_firings` (`trigger_id`,`event_key`);--> statement-breakpoint
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
	`public_id` text,
	`event` text,
	`created_by` text NOT NULL,
	`inserted_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `triggers_public_id_unique` ON `triggers` (`public_id`);--> statement-breakpoint
CREATE INDEX `triggers_org_name` ON `triggers` (`org_id`,`name`);--> statement-breakpoint
CREATE INDEX `triggers_kind` ON `triggers` (`kind`,`enabled`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`trigger_id` text NOT NULL,
	`delivery_id` text NOT NULL,
	`received_at` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`job_id` text,
	FOREIGN KEY (`trigger_id`) REFERENCES `triggers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_once` ON `webhook_deliveries` (`trigger_id`,`delivery_id`) WHERE "status" != 'rejected';--> statement-breakpoint
CREATE INDEX `webhook_deliveries_trigger` ON `webhook_deliveries` (`trigger_id`,`received_at`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `trigger_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `chain_depth` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `rerun_of` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `retry_backoff_s` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `retry_at` text;--> statement-breakpoint
ALTER TABLE `tokens` ADD `kind` text DEFAULT 'pat' NOT NULL;