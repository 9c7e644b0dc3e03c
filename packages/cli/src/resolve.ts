/**
 * Names to ids: a command takes an id or a name for agents and pools. An id (or agent_id slug)
 * is tried first; else the one active item whose name is exactly the argument.
 */
import type { Agent, Pool } from "@outpost/shared";
import { seg, type Api } from "./client.js";
import { CliError } from "./exit-codes.js";

async function byName<T extends { id: string; name: string }>(api: Api, list: string, ref: string, what: string): Promise<T> {
  const page = await api.page<T>(list, { q: ref, archived: "all", limit: 200 });
  const hits = page.details.filter((x) => x.name === ref);
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new CliError(`${hits.length} ${what}s are named ${JSON.stringify(ref)}: give the id (${hits.map((h) => h.id).join(", ")})`);
  throw new CliError(`no ${what} with id or name ${JSON.stringify(ref)}`);
}

async function byIdOrName<T extends { id: string; name: string }>(api: Api, base: string, ref: string, what: string): Promise<T> {
  try {
    return await api.get<T>(`${base}/${seg(ref)}`);
  } catch (err) {
    if (!(err instanceof CliError) || err.status !== 404) throw err;
    return byName<T>(api, base, ref, what);
  }
}

export const resolveAgent = (api: Api, ref: string) => byIdOrName<Agent>(api, "/api/v1/agents", ref, "agent");
export const resolvePool = (api: Api, ref: string) => byIdOrName<Pool>(api, "/api/v1/pools", ref, "pool");
