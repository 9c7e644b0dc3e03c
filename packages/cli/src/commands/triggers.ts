/** `outpost triggers ls`: the org's schedules, webhooks and event triggers. */
import { Command, Option } from "commander";
import { TRIGGER_KINDS, type Trigger } from "@outpost/shared";
import { pagingOptions, printList } from "../list.js";
import type { Column } from "../output.js";
import { group, leaf } from "../program.js";

const COLUMNS: Column<Trigger>[] = [
  ["ID", (t) => t.id],
  ["NAME", (t) => t.name],
  ["KIND", (t) => t.kind],
  ["ENABLED", (t) => (t.enabled ? "yes" : "no")],
  ["NEXT OR URL", (t) => t.next_fire_times[0] ?? t.hook_path ?? ""],
  ["LAST", (t) => (t.last_firing ? `${t.last_firing.outcome} ${t.last_firing.fired_at}` : "")],
];

export function triggersCommand(): Command {
  const cmd = group("triggers", "schedules, webhooks and event triggers that start jobs");
  cmd.addCommand(
    leaf(
      pagingOptions(new Command("ls").description("list triggers").addOption(new Option("--kind <kind>", "only this kind").choices([...TRIGGER_KINDS])).option("--org <org>", "one org (slug or id)")),
      async (run, o: { kind?: string; org?: string; limit?: number }) => printList<Trigger>(run, "/api/v1/triggers", o, { kind: o.kind, org: o.org }, COLUMNS),
    ),
  );
  return cmd;
}
