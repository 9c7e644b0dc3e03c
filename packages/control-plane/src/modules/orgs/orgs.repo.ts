/** Reading organizations, users and memberships. */
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { memberships, orgs, users } from "../../db/schema.js";

export type OrgRow = typeof orgs.$inferSelect;
export type UserRow = typeof users.$inferSelect;

export function toOrg(o: OrgRow) {
  return { id: o.id, slug: o.slug, name: o.name, inserted_at: o.insertedAt };
}
export function toUser(u: UserRow) {
  return { id: u.id, name: u.name, inserted_at: u.insertedAt };
}

export function findUser(db: Db, id: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.id, id)).get();
}

export function findUserByName(db: Db, name: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.name, name)).get();
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
