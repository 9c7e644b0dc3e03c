ALTER TABLE `jobs` ADD `chain_depth` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `trigger_firings` ADD `event_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `trigger_firings_event_once` ON `trigger_firings` (`trigger_id`,`event_key`);--> statement-breakpoint
ALTER TABLE `triggers` ADD `event` text;