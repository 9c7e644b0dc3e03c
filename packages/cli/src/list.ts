/**
 * Lists: the paging options every `ls` takes (--limit, --cursor, --all), one page or all of them,
 * printed as a table or JSON (the items; the next cursor is noted on stderr).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import type { Api, Page, Query } from "./client.js";
import { json, note, out, table, type Column } from "./output.js";
import type { Run } from "./program.js";

export function pagingOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--limit <n>", "items per page (1-200)").argParser(positiveInt))
    .option("--cursor <cursor>", "the page after this cursor (from a previous listing)")
    .option("--all", "follow the cursors and print every page")
    .addOption(new Option("--order <order>", "sort order").choices(["asc", "desc"]));
}

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer (got ${JSON.stringify(v)})`);
  return n;
}

type Paging = { limit?: number; cursor?: string; all?: boolean; order?: string };

export async function fetchList<T>(api: Api, path: string, opts: Paging, query: Query): Promise<Page<T>> {
  const items: T[] = [];
  let cursor = opts.cursor;
  for (;;) {
    const page = await api.page<T>(path, { ...query, limit: opts.limit, cursor, order: opts.order });
    items.push(...page.details);
    if (!opts.all || !page.next_cursor) return { details: items, next_cursor: opts.all ? null : page.next_cursor };
    cursor = page.next_cursor;
  }
}

export async function printList<T>(run: Run, path: string, opts: Paging, query: Query, columns: Column<T>[]): Promise<void> {
  const page = await fetchList<T>(run.api(), path, opts, query);
  if (run.json) json(page.details);
  else out(table(page.details, columns));
  if (page.next_cursor) note(`more: --cursor ${page.next_cursor}`);
}
