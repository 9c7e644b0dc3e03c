CREATE TABLE `container_profiles` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`docker_image` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`archived` integer DEFAULT false NOT NULL,
	`archived_at` text,
	`inserted_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `container_profiles_org_name` ON `container_profiles` (`org_id`,`name`);--> statement-breakpoint
ALTER TABLE `agents` ADD `description` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `agents` ADD `tools_config` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `agents` ADD `soul_md` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `agents` ADD `rules_md` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `agents` ADD `autonomy_level` text DEFAULT 'act_within_scope' NOT NULL;--> statement-breakpoint
ALTER TABLE `agents` ADD `models` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `agents` ADD `skills` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `agents` ADD `model_policy_id` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `container_profile_id` text REFERENCES container_profiles(id);--> statement-breakpoint
ALTER TABLE `agents` ADD `error_message` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `container_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `image_from_profile` integer DEFAULT false NOT NULL;