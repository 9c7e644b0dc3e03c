CREATE TABLE `agent_counts` (
	`org_id` text NOT NULL,
	`status` text NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`org_id`, `status`)
);
--> statement-breakpoint
CREATE TABLE `job_counts` (
	`org_id` text NOT NULL,
	`pool_id` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`org_id`, `pool_id`, `status`)
);
--> statement-breakpoint
CREATE TABLE `job_minutes` (
	`org_id` text NOT NULL,
	`minute` text NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`cancelled` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`org_id`, `minute`)
);
--> statement-breakpoint
CREATE TABLE `queue_waits` (
	`org_id` text NOT NULL,
	`minute` text NOT NULL,
	`bucket` integer NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`org_id`, `minute`, `bucket`)
);
--> statement-breakpoint
CREATE INDEX `job_attempts_lost` ON `job_attempts` (`job_id`) WHERE "outcome" = 'lost';--> statement-breakpoint
CREATE INDEX `job_attempts_retries` ON `job_attempts` (`job_id`) WHERE "attempt" > 1;--> statement-breakpoint
CREATE TRIGGER `job_counts_insert` AFTER INSERT ON `jobs` WHEN new.`status` IN ('completed', 'failed', 'cancelled') BEGIN
	INSERT INTO `job_counts` (`org_id`, `pool_id`, `status`, `n`) VALUES (new.`org_id`, coalesce(new.`pool_id`, ''), new.`status`, 1)
		ON CONFLICT DO UPDATE SET `n` = `n` + 1;
	INSERT INTO `job_minutes` (`org_id`, `minute`, `completed`, `failed`, `cancelled`)
		SELECT new.`org_id`, substr(new.`completed_at`, 1, 16) || ':00Z', new.`status` = 'completed', new.`status` = 'failed', new.`status` = 'cancelled'
		WHERE new.`completed_at` IS NOT NULL
		ON CONFLICT DO UPDATE SET `completed` = `completed` + excluded.`completed`, `failed` = `failed` + excluded.`failed`, `cancelled` = `cancelled` + excluded.`cancelled`;
END;--> statement-breakpoint
CREATE TRIGGER `job_counts_finish` AFTER UPDATE OF `status`, `pool_id`, `org_id` ON `jobs`
WHEN (old.`status` IS NOT new.`status` OR old.`pool_id` IS NOT new.`pool_id` OR old.`org_id` IS NOT new.`org_id`) AND new.`status` IN ('completed', 'failed', 'cancelled') BEGIN
	INSERT INTO `job_counts` (`org_id`, `pool_id`, `status`, `n`) VALUES (new.`org_id`, coalesce(new.`pool_id`, ''), new.`status`, 1)
		ON CONFLICT DO UPDATE SET `n` = `n` + 1;
	INSERT INTO `job_minutes` (`org_id`, `minute`, `completed`, `failed`, `cancelled`)
		SELECT new.`org_id`, substr(new.`completed_at`, 1, 16) || ':00Z', new.`status` = 'completed', new.`status` = 'failed', new.`status` = 'cancelled'
		WHERE new.`completed_at` IS NOT NULL
		ON CONFLICT DO UPDATE SET `completed` = `completed` + excluded.`completed`, `failed` = `failed` + excluded.`failed`, `cancelled` = `cancelled` + excluded.`cancelled`;
END;--> statement-breakpoint
CREATE TRIGGER `job_counts_unfinish` AFTER UPDATE OF `status`, `pool_id`, `org_id` ON `jobs`
WHEN (old.`status` IS NOT new.`status` OR old.`pool_id` IS NOT new.`pool_id` OR old.`org_id` IS NOT new.`org_id`) AND old.`status` IN ('completed', 'failed', 'cancelled') BEGIN
	UPDATE `job_counts` SET `n` = `n` - 1 WHERE `org_id` = old.`org_id` AND `pool_id` = coalesce(old.`pool_id`, '') AND `status` = old.`status`;
	UPDATE `job_minutes` SET `completed` = `completed` - (old.`status` = 'completed'), `failed` = `failed` - (old.`status` = 'failed'), `cancelled` = `cancelled` - (old.`status` = 'cancelled')
		WHERE `org_id` = old.`org_id` AND `minute` = substr(old.`completed_at`, 1, 16) || ':00Z';
END;--> statement-breakpoint
CREATE TRIGGER `job_counts_delete` AFTER DELETE ON `jobs` WHEN old.`status` IN ('completed', 'failed', 'cancelled') BEGIN
	UPDATE `job_counts` SET `n` = `n` - 1 WHERE `org_id` = old.`org_id` AND `pool_id` = coalesce(old.`pool_id`, '') AND `status` = old.`status`;
	UPDATE `job_minutes` SET `completed` = `completed` - (old.`status` = 'completed'), `failed` = `failed` - (old.`status` = 'failed'), `cancelled` = `cancelled` - (old.`status` = 'cancelled')
		WHERE `org_id` = old.`org_id` AND `minute` = substr(old.`completed_at`, 1, 16) || ':00Z';
END;--> statement-breakpoint
INSERT INTO `job_counts` (`org_id`, `pool_id`, `status`, `n`) SELECT `org_id`, coalesce(`pool_id`, ''), `status`, count(*) FROM `jobs` WHERE `status` IN ('completed', 'failed', 'cancelled') GROUP BY 1, 2, 3;--> statement-breakpoint
CREATE TRIGGER `queue_waits_first_claim` AFTER INSERT ON `job_attempts` WHEN new.`attempt` = 1 BEGIN
	INSERT INTO `queue_waits` (`org_id`, `minute`, `bucket`, `n`)
		SELECT j.`org_id`, substr(new.`claimed_at`, 1, 16) || ':00Z', CASE WHEN w <= 0.1 THEN 0 WHEN w <= 0.25 THEN 1 WHEN w <= 0.5 THEN 2 WHEN w <= 1 THEN 3 WHEN w <= 2.5 THEN 4 WHEN w <= 5 THEN 5 WHEN w <= 10 THEN 6 WHEN w <= 30 THEN 7 WHEN w <= 60 THEN 8 WHEN w <= 120 THEN 9 WHEN w <= 300 THEN 10 WHEN w <= 600 THEN 11 WHEN w <= 1800 THEN 12 WHEN w <= 3600 THEN 13 ELSE 14 END, 1
		FROM (SELECT `org_id`, round((julianday(new.`claimed_at`) - julianday(`inserted_at`)) * 86400.0, 3) AS w FROM `jobs` WHERE `id` = new.`job_id`) j
		WHERE true
		ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `agent_counts_insert` AFTER INSERT ON `agents` WHEN new.`archived` = 0 BEGIN
	INSERT INTO `agent_counts` (`org_id`, `status`, `n`) VALUES (new.`org_id`, new.`status`, 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `agent_counts_update` AFTER UPDATE OF `status`, `archived`, `org_id` ON `agents`
WHEN old.`status` IS NOT new.`status` OR old.`archived` IS NOT new.`archived` OR old.`org_id` IS NOT new.`org_id` BEGIN
	UPDATE `agent_counts` SET `n` = `n` - 1 WHERE old.`archived` = 0 AND `org_id` = old.`org_id` AND `status` = old.`status`;
	INSERT INTO `agent_counts` (`org_id`, `status`, `n`) SELECT new.`org_id`, new.`status`, 1 WHERE new.`archived` = 0 ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `agent_counts_delete` AFTER DELETE ON `agents` WHEN old.`archived` = 0 BEGIN
	UPDATE `agent_counts` SET `n` = `n` - 1 WHERE `org_id` = old.`org_id` AND `status` = old.`status`;
END;--> statement-breakpoint
INSERT INTO `job_minutes` (`org_id`, `minute`, `completed`, `failed`, `cancelled`)
	SELECT `org_id`, substr(`completed_at`, 1, 16) || ':00Z', sum(`status` = 'completed'), sum(`status` = 'failed'), sum(`status` = 'cancelled')
	FROM `jobs` WHERE `status` IN ('completed', 'failed', 'cancelled') AND `completed_at` IS NOT NULL GROUP BY 1, 2;--> statement-breakpoint
INSERT INTO `queue_waits` (`org_id`, `minute`, `bucket`, `n`)
	SELECT `org_id`, `minute`, CASE WHEN w <= 0.1 THEN 0 WHEN w <= 0.25 THEN 1 WHEN w <= 0.5 THEN 2 WHEN w <= 1 THEN 3 WHEN w <= 2.5 THEN 4 WHEN w <= 5 THEN 5 WHEN w <= 10 THEN 6 WHEN w <= 30 THEN 7 WHEN w <= 60 THEN 8 WHEN w <= 120 THEN 9 WHEN w <= 300 THEN 10 WHEN w <= 600 THEN 11 WHEN w <= 1800 THEN 12 WHEN w <= 3600 THEN 13 ELSE 14 END, count(*)
	FROM (SELECT j.`org_id`, substr(a.`claimed_at`, 1, 16) || ':00Z' AS `minute`, round((julianday(a.`claimed_at`) - julianday(j.`inserted_at`)) * 86400.0, 3) AS w
		FROM `job_attempts` a JOIN `jobs` j ON j.`id` = a.`job_id` WHERE a.`attempt` = 1)
	GROUP BY 1, 2, 3;--> statement-breakpoint
INSERT INTO `agent_counts` (`org_id`, `status`, `n`) SELECT `org_id`, `status`, count(*) FROM `agents` WHERE `archived` = 0 GROUP BY 1, 2;
