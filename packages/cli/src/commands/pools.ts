/** `outpost pools ls|show|create|add`. */
import { Command, Option } from "commander";
import { POOL_SORTS, type Pool } from "@outpost/shared";
import { seg } from "../client.js";
import { pagingOptions, printList } from "../list.js";
import { fields, json, out, type Column } from "../output.js";
import { group, leaf } from "../program.js";
import { resolveAgent, resolvePool } from "../resolve.js";

const COLUMNS: Column<Pool>[] = [
  ["ID", (p) => p.id],
  ["NAME", (p) => p.name],
  ["AGENTS", (p) => p.agent_count],
  ["USERS", (p) => p.user_count],
  ["ARCHIVED", (p) => (p.archived ? "yes" : "no")],
  ["DESCRIPTION", (p) => p.description],
];
const SHOW = ["id", "name", "description", "agent_count", "user_count", "archived", "inserted_at", "updated_at"];
const show = (run: { json: boolean }, p: Pool) => (run.json ? json(p) : out(fields(p, SHOW)));

export function poolsCommand(): Command {
  const cmd = group("pools", "list and manage pools");
  cmd.addCommand(
    leaf(
      pagingOptions(
        new Command("ls")
          .description("list pools")
          .option("-q, --query <text>", "search by name")
          .addOption(new Option("--archived <which>", "archived pools").choices(["active", "archived", "all"]))
          .addOption(new Option("--sort <key>", "sort key").choices([...POOL_SORTS]))
          .option("--org <org>", "one org (slug or id)"),
      ),
      async (run, o: Record<string, string | undefined>) => printList<Pool>(run, "/api/v1/pools", o, { q: o.query, archived: o.archived, sort: o.sort, org: o.org }, COLUMNS),
    ),
  );
  cmd.addCommand(leaf(new Command("show").description("one pool, by id or name").argument("<pool>"), async (run, ref: string) => show(run, await resolvePool(run.api(), ref))));
  cmd.addCommand(
    leaf(
      new Command("create").description("create a pool").argument("<name>").option("--description <text>", "what the pool is for").option("--org <org>", "the org (slug or id)"),
      async (run, name: string, o: { description?: string; org?: string }) => show(run, await run.api().post<Pool>("/api/v1/pools", { name, description: o.description, org: o.org })),
    ),
  );
  cmd.addCommand(
    leaf(new Command("add").description("add agents to a pool").argument("<pool>", "id or name").argument("<agents...>", "ids, agent_ids or names"), async (run, poolRef: string, agentRefs: string[]) => {
      const api = run.api();
      const pool = await resolvePool(api, poolRef);
      const ids = [];
      for (const ref of agentRefs) ids.push((await resolveAgent(api, ref)).id);
      const result = await api.post<unknown>(`/api/v1/pools/${seg(pool.id)}/agents`, { agent_ids: ids });
      if (run.json) json(result);
      else out(`added ${ids.length} agent(s) to ${pool.name}\n`);
    }),
  );
  return cmd;
}
