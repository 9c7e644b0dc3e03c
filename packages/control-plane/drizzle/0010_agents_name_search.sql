-- The agents search by name (a substring of name or agent_id, GET /api/v1/agents?q=): a trigram
-- index over both columns, kept by triggers, so a search reads the agents holding the query's
-- trigrams instead of every agent. External content: the text lives in agents only, keyed by its
-- rowid (a VACUUM may renumber rowids of a table without an INTEGER PRIMARY KEY: after one, run
-- insert into agents_search(agents_search) values('rebuild')).
CREATE VIRTUAL TABLE `agents_search` USING fts5(`name`, `agent_id`, content='agents', content_rowid='rowid', tokenize='trigram');
--> statement-breakpoint
INSERT INTO `agents_search`(`agents_search`) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `agents_search_insert` AFTER INSERT ON `agents` BEGIN
  INSERT INTO `agents_search`(rowid, `name`, `agent_id`) VALUES (new.rowid, new.`name`, new.`agent_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `agents_search_delete` AFTER DELETE ON `agents` BEGIN
  INSERT INTO `agents_search`(`agents_search`, rowid, `name`, `agent_id`) VALUES ('delete', old.rowid, old.`name`, old.`agent_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `agents_search_update` AFTER UPDATE OF `name`, `agent_id` ON `agents` BEGIN
  INSERT INTO `agents_search`(`agents_search`, rowid, `name`, `agent_id`) VALUES ('delete', old.rowid, old.`name`, old.`agent_id`);
  INSERT INTO `agents_search`(rowid, `name`, `agent_id`) VALUES (new.rowid, new.`name`, new.`agent_id`);
END;
