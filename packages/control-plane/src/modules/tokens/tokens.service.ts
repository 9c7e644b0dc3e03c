/** Personal access tokens: minted here (API and CLI alike), stored only as a keyed digest. */
import { and, eq, isNull } from "drizzle-orm";
import { prepared } from "../../db/client.js";
import type { Token, TokenScope } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { tokens } from "../../db/schema.js";
import { digestSecret, displayPrefix, generateSecret } from "../../lib/secrets.js";
import { newId } from "../../lib/ids.js";
import { readToken } from "./tokens.repo.js";

export type NewToken = {
  userId: string;
  name: string;
  scopes: TokenScope[];
  orgId?: string | null;
  expiresAt?: string | null;
  /** A registration token: at most this many agent registrations. */
  maxUses?: number | null;
  kind?: "pat" | "copilot";
};

export function createToken(db: Db, installSecret: string, input: NewToken, now: string): { token: Token; secret: string } {
  const secret = generateSecret("pat");
  const id = newId();
  db.insert(tokens)
    .values({
      id,
      userId: input.userId,
      orgId: input.orgId ?? null,
      name: input.name,
      digest: digestSecret(installSecret, secret),
      prefix: displayPrefix(secret),
      scopes: [...new Set(input.scopes)],
      expiresAt: input.expiresAt ?? null,
      maxUses: input.maxUses ?? null,
      kind: input.kind ?? "pat",
      insertedAt: now,
    })
    .run();
  return { token: readToken(db, id), secret };
}

export function revokeToken(db: Db, id: string, now: string): void {
  db.update(tokens).set({ revokedAt: now }).where(and(eq(tokens.id, id), isNull(tokens.revokedAt))).run();
}

/**
 * One agent registration made with token `id`: a compare-and-set that counts the use only while
 * the token is live (not revoked, not expired at `now`) and has uses left. False means the
 * registration must be refused; two registrations racing for the last use cannot both win.
 * Precondition: inside the registration's transaction, so a registration that fails later
 * gives its use back.
 */
export function consumeRegistration(db: Db, id: string, now: string): boolean {
  return (
    prepared(
      db,
      `update "tokens" set "uses" = "uses" + 1
        where "id" = ? and "revoked_at" is null and ("expires_at" is null or "expires_at" > ?) and ("max_uses" is null or "uses" < "max_uses")`,
    ).run(id, now).changes === 1
  );
}
