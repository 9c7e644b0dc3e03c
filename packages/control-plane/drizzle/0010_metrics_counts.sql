CREATE TABLE `job_counts` (
	`org_id` text NOT NULL,
	`pool_id` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`org_id`, `pool_id`, `status`)
);
--> statement-breakpoint
CREATE INDEX `job_attempts_lost` ON `job_attempts` (`job_id`) WHERE "outcome" = 'lost';--> statement-breakpoint
CREATE INDEX `job_attempts_retries` ON `job_attempts` (`job_id`) WHERE "attempt" > 1;--> statement-breakpoint
CREATE INDEX `jobs_pending_pool` ON `jobs` (`org_id`,`pool_id`,`inserted_at`) WHERE "status" = 'pending';--> statement-breakpoint
CREATE TRIGGER `job_counts_insert` AFTER INSERT ON `jobs` BEGIN
	INSERT INTO `job_counts` (`org_id`, `pool_id`, `status`, `n`) VALUES (new.`org_id`, coalesce(new.`pool_id`, ''), new.`status`, 1)
		ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `job_counts_update` AFTER UPDATE OF `status`, `pool_id`, `org_id` ON `jobs`
WHEN old.`status` IS NOT new.`status` OR old.`pool_id` IS NOT new.`pool_id` OR old.`org_id` IS NOT new.`org_id` BEGIN
	UPDATE `job_counts` SET `n` = `n` - 1 WHERE `org_id` = old.`org_id` AND `pool_id` = coalesce(old.`pool_id`, '') AND `status` = old.`status`;
	INSERT INTO `job_counts` (`org_id`, `pool_id`, `status`, `n`) VALUES (new.`org_id`, coalesce(new.`pool_id`, ''), new.`status`, 1)
		ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `job_counts_delete` AFTER DELETE ON `jobs` BEGIN
	UPDATE `job_counts` SET `n` = `n` - 1 WHERE `org_id` = old.`org_id` AND `pool_id` = coalesce(old.`pool_id`, '') AND `status` = old.`status`;
END;--> statement-breakpoint
INSERT INTO `job_counts` (`org_id`, `pool_id`, `status`, `n`) SELECT `org_id`, coalesce(`pool_id`, ''), `status`, count(*) FROM `jobs` GROUP BY 1, 2, 3;
