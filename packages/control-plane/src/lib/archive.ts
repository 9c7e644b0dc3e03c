/**
 * Archive and restore, for every resource that has them (agents retire and reinstate, pools and
 * container profiles archive and restore): one guarded write on the current flag, so the second of
 * two identical requests changes nothing and is a 409 naming the resource and its state.
 */
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { agents, containerProfiles, pools } from "../db/schema.js";
import { ApiError } from "../errors.js";

type Archivable = typeof agents | typeof pools | typeof containerProfiles;

/** `what` names the row in the 409 (`Pool "gpu"`); `state` is the word for archived ("retired" for agents). */
export function setArchivedFlag(db: Db, table: Archivable, id: string, archived: boolean, at: string, what: string, state = "archived"): void {
  const t = table as typeof pools;
  const changed = db
    .update(t)
    .set({ archived, archivedAt: archived ? at : null, updatedAt: at })
    .where(and(eq(t.id, id), eq(t.archived, !archived)))
    .run().changes;
  if (!changed) throw ApiError.conflict(`${what} is ${archived ? `already ${state}` : `not ${state}`}.`);
}
