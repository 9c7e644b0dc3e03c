ALTER TABLE `jobs` ADD `retry_backoff_s` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `retry_at` text;