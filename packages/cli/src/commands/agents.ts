/** `outpost agents ls|show|retire|reinstate|pause|resume`. */
import { Command, Option } from "commander";
import { AGENT_SORTS, AGENT_STATUSES, type Agent } from "@outpost/shared";
import { seg } from "../client.js";
import { pagingOptions, printList } from "../list.js";
import { fields, json, out, type Column } from "../output.js";
import { group, leaf } from "../program.js";
import { resolveAgent } from "../resolve.js";

const COLUMNS: Column<Agent>[] = [
  ["ID", (a) => a.id],
  ["NAME", (a) => a.name],
  ["STATUS", (a) => a.status + (a.paused ? " (paused)" : "") + (a.archived ? " (retired)" : "")],
  ["VERSION", (a) => a.version],
  ["HOST", (a) => a.hostname],
  ["SLOTS", (a) => a.slots],
  ["POOLS", (a) => a.pools.map((p) => p.name)],
  ["LAST SEEN", (a) => a.last_seen_at],
];

const SHOW = ["id", "agent_id", "name", "status", "run_state", "connected", "paused", "archived", "version", "hostname", "host_os", "cpu_count", "memory_bytes", "slots", "cpus", "mem_limit", "pids_limit", "labels", "pools", "modules", "container_profile", "error_message", "last_seen_at", "created_at"];

function show(run: { json: boolean }, a: Agent): void {
  if (run.json) json(a);
  else out(fields({ ...a, pools: a.pools.map((p) => p.name), modules: a.modules.map((m) => `${m.name}@${m.version}`), container_profile: a.container_profile?.name }, SHOW));
}

export function agentsCommand(): Command {
  const cmd = group("agents", "list and manage agents");
  cmd.addCommand(
    leaf(
      pagingOptions(
        new Command("ls")
          .description("list agents")
          .option("-q, --query <text>", "search text (see --search-by)")
          .addOption(new Option("--search-by <field>", "what --query searches").choices(["name", "module"]))
          .option("--status <list>", `comma list of ${AGENT_STATUSES.join(", ")}`)
          .addOption(new Option("--archived <which>", "retired agents").choices(["active", "archived", "all"]))
          .addOption(new Option("--pool <which>", "in a pool or not").choices(["any", "in", "none"]))
          .addOption(new Option("--sort <key>", "sort key").choices([...AGENT_SORTS]))
          .option("--org <org>", "one org (slug or id)"),
      ),
      async (run, o: Record<string, string | undefined> & { limit?: number; all?: boolean }) =>
        printList<Agent>(run, "/api/v1/agents", o, { q: o.query, search_by: o.searchBy, status: o.status, archived: o.archived, pool: o.pool, sort: o.sort, org: o.org }, COLUMNS),
    ),
  );
  cmd.addCommand(
    leaf(new Command("show").description("one agent, by id, agent_id or name").argument("<agent>"), async (run, ref: string) => show(run, await resolveAgent(run.api(), ref))),
  );
  const actions: [string, string][] = [
    ["retire", "retire (archive) an agent: it receives no more jobs"],
    ["reinstate", "bring a retired agent back"],
    ["pause", "pause an agent: no new jobs, running ones finish"],
    ["resume", "resume a paused agent"],
  ];
  for (const [name, description] of actions) {
    cmd.addCommand(
      leaf(new Command(name).description(description).argument("<agent>", "id, agent_id or name"), async (run, ref: string) => {
        const api = run.api();
        const agent = await resolveAgent(api, ref);
        show(run, await api.post<Agent>(`/api/v1/agents/${seg(agent.id)}/${name}`));
      }),
    );
  }
  return cmd;
}
