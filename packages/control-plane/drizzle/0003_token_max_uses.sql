ALTER TABLE `tokens` ADD `max_uses` integer;--> statement-breakpoint
ALTER TABLE `tokens` ADD `uses` integer DEFAULT 0 NOT NULL;