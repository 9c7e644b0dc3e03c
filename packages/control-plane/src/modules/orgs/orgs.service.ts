/** Changing organizations, users and memberships (also the first-start bootstrap). Reads are in orgs.repo.ts. */
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { memberships, orgs, users } from "../../db/schema.js";
import { newId } from "../../lib/ids.js";
import { findOrg } from "../../lib/org-scope.js";
import { findUser, findUserByName, type OrgRow, type UserRow } from "./orgs.repo.js";

export function ensureOrg(db: Db, slug: string, now: string, name = slug): OrgRow {
  db.insert(orgs).values({ id: newId(), slug, name, insertedAt: now }).onConflictDoNothing().run();
  return findOrg(db, slug)!;
}

export function ensureUser(db: Db, name: string, now: string, isAdmin = false): UserRow {
  db.insert(users).values({ id: newId(), name, isAdmin, insertedAt: now }).onConflictDoNothing().run();
  const user = findUserByName(db, name)!;
  if (isAdmin && !user.isAdmin) db.update(users).set({ isAdmin: true }).where(eq(users.id, user.id)).run();
  return { ...user, isAdmin: user.isAdmin || isAdmin };
}

export function addMember(db: Db, orgId: string, userId: string, role: "admin" | "member", now: string): boolean {
  const res = db.insert(memberships).values({ orgId, userId, role, insertedAt: now }).onConflictDoNothing().run();
  return res.changes > 0;
}

export function removeMember(db: Db, orgId: string, userId: string): boolean {
  return db.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId))).run().changes > 0;
}

/** A new user, a member of each of the given orgs. */
export function createUser(db: Db, name: string, orgIds: string[], now: string): UserRow {
  const id = crypto.randomUUID();
  db.insert(users).values({ id, name, insertedAt: now }).run();
  for (const orgId of orgIds) addMember(db, orgId, id, "member", now);
  return findUser(db, id)!;
}
