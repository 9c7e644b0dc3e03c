/** Reading container profiles: the API shape (with how many agents use each) and the filtered list. */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { ContainerProfile, ContainerProfileListQuery } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { agents, containerProfiles } from "../../db/schema.js";
import { keysetPage, type PageClauses } from "../../lib/cursor.js";

export type ProfileRow = typeof containerProfiles.$inferSelect;

export function toProfiles(db: Db, rows: ProfileRow[]): ContainerProfile[] {
  const ids = rows.map((r) => r.id);
  const counts = new Map(
    ids.length
      ? db
          .select({ id: agents.containerProfileId, n: sql<number>`count(*)` })
          .from(agents)
          .where(inArray(agents.containerProfileId, ids))
          .groupBy(agents.containerProfileId)
          .all()
          .map((r) => [r.id!, r.n] as const)
      : [],
  );
  return rows.map((r) => ({
    id: r.id,
    org_id: r.orgId,
    name: r.name,
    docker_image: r.dockerImage,
    description: r.description,
    archived: r.archived,
    archived_at: r.archivedAt,
    agent_count: counts.get(r.id) ?? 0,
    created_at: r.insertedAt,
    updated_at: r.updatedAt,
  }));
}

export function findProfile(db: Db, id: string): ProfileRow | undefined {
  return db.select().from(containerProfiles).where(eq(containerProfiles.id, id)).get();
}

/** The API shape of a profile known to exist (just written). */
export function profileOf(db: Db, id: string): ContainerProfile {
  return toProfiles(db, [findProfile(db, id)!])[0]!;
}

/** How many agents (retired ones included) name the profile. */
export function profileUsers(db: Db, id: string): number {
  return db.select({ n: sql<number>`count(*)` }).from(agents).where(eq(agents.containerProfileId, id)).get()!.n;
}

/** The profiles of the given orgs, filtered, a keyset page at a time. */
export function listProfiles(db: Db, orgIds: string[], q: ContainerProfileListQuery) {
  const byName = q.sort === "name";
  const keyset = { column: byName ? containerProfiles.name : containerProfiles.insertedAt, idColumn: containerProfiles.id, order: q.order, cursor: q.cursor, limit: q.limit, keyOf: (r: ProfileRow) => (byName ? r.name : r.insertedAt) };
  const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
    db
      .select()
      .from(containerProfiles)
      .where(and(inArray(containerProfiles.orgId, orgIds), q.archived === "all" ? undefined : eq(containerProfiles.archived, q.archived === "archived"), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit)
      .all(),
  );
  return { items: toProfiles(db, rows), next };
}
