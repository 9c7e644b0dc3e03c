ALTER TABLE `jobs` ADD `required_labels` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `pools` ADD `labels` text DEFAULT '{}' NOT NULL;