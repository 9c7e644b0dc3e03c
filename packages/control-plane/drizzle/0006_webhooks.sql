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
ALTER TABLE `triggers` ADD `public_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `triggers_public_id_unique` ON `triggers` (`public_id`);