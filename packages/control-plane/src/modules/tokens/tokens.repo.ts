/** Reading tokens: the API shape (never the digest) and a user's list. Minting and spending are in tokens.service.ts. */
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Token, TokenScope } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { tokens } from "../../db/schema.js";
import { keysetPage, type PageClauses } from "../../lib/cursor.js";

export type TokenRow = typeof tokens.$inferSelect;

export function findToken(db: Db, id: string): TokenRow | undefined {
  return db.select().from(tokens).where(eq(tokens.id, id)).get();
}

/** The API shape of a token known to exist. */
export function readToken(db: Db, id: string): Token {
  return toToken(findToken(db, id)!);
}

export function toToken(row: TokenRow): Token {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    scopes: row.scopes as TokenScope[],
    user_id: row.userId,
    org_id: row.orgId,
    prefix: row.prefix,
    expires_at: row.expiresAt,
    revoked_at: row.revokedAt,
    last_used_at: row.lastUsedAt,
    max_uses: row.maxUses,
    uses: row.uses,
    uses_left: row.maxUses === null ? null : Math.max(0, row.maxUses - row.uses),
    inserted_at: row.insertedAt,
  };
}

/** A user's tokens, newest first; admins listing all users' tokens pass userIds = null. */
export function listTokens(db: Db, userIds: string[] | null, opts: { limit: number; cursor?: string; includeRevoked: boolean }) {
  const keyset = { column: tokens.insertedAt, idColumn: tokens.id, order: "desc" as const, cursor: opts.cursor, limit: opts.limit, keyOf: (r: typeof tokens.$inferSelect) => r.insertedAt };
  const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
    db
      .select()
      .from(tokens)
      .where(and(userIds ? inArray(tokens.userId, userIds) : undefined, opts.includeRevoked ? undefined : isNull(tokens.revokedAt), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit)
      .all(),
  );
  return { items: rows.map(toToken), next };
}

