/** Organizations, users and memberships; also the first-start bootstrap. */
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { memberships, orgs, users } from "../../db/schema.js";
import { newId } from "../../lib/ids.js";
import { findOrg } from "../../lib/org-scope.js";

export type OrgRow = typeof orgs.$inferSelect;
export type UserRow = typeof users.$inferSelect;

export function toOrg(o: OrgRow) {
  return { id: o.id, slug: o.slug, name: o.name, inserted_at: o.insertedAt };
}
export function toUser(u: UserRow) {
  return { id: u.id, name: u.name, inserted_at: u.insertedAt };
}

export function ensureOrg(db: Db, slug: string, now: string, name = slug): OrgRow {
  db.insert(orgs).values({ id: newId(), slug, name, insertedAt: now }).onConflictDoNothing().run();
  return findOrg(db, slug)!;
}

export function ensureUser(db: Db, name: string, now: string, isAdmin = false): UserRow {
  db.insert(users).values({ id: newId(), name, isAdmin, insertedAt: now }).onConflictDoNothing().run();
  const user = db.select().from(users).where(eq(users.name, name)).get()!;
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

export function membershipsOf(db: Db, userId: string) {
  return db
    .select({ org: orgs, role: memberships.role })
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(eq(memberships.userId, userId))
    .orderBy(memberships.insertedAt, memberships.orgId)
    .all()
    .map((m) => ({ org: toOrg(m.org), role: m.role }));
}

export function isEmptyInstall(db: Db): boolean {
  return !db.select({ id: users.id }).from(users).limit(1).get();
}
