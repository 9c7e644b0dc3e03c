/**
 * Which orgs a request may touch. A resource of an org the caller cannot see is answered exactly
 * like a missing one.
 */
import { eq, or } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { orgs } from "../db/schema.js";
import { ApiError } from "../errors.js";
import type { UserPrincipal } from "../plugins/auth.js";

export function findOrg(db: Db, slugOrId: string) {
  return db.select().from(orgs).where(or(eq(orgs.slug, slugOrId), eq(orgs.id, slugOrId))).get();
}

/** The orgs a list covers: the one named (if visible) or all the caller's. */
export function orgFilter(db: Db, p: UserPrincipal, org: string | undefined): string[] {
  if (!org || org === "all") return p.orgIds;
  const row = findOrg(db, org);
  if (!row || !p.orgIds.includes(row.id)) throw ApiError.notFound("org", org);
  return [row.id];
}

/** The org a new resource joins: the one named, else the caller's first. */
export function targetOrg(db: Db, p: UserPrincipal, org: string | undefined): string {
  if (org) return orgFilter(db, p, org)[0]!;
  const first = p.orgIds[0];
  if (!first) throw new ApiError("forbidden", "This user belongs to no organization.");
  return first;
}

export function assertVisible<T extends { orgId: string }>(p: UserPrincipal, row: T | undefined, what: string, id: string): T {
  if (!row || !p.orgIds.includes(row.orgId)) throw ApiError.notFound(what, id);
  return row;
}
