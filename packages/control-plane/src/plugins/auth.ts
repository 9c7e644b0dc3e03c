/**
 * Bearer authentication. A PAT acts for its user in the user's orgs (or the one org it is
 * restricted to); an agent credential acts for one agent. Format and checksum are checked before
 * any lookup, and every failure answers the same 401 body.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { TokenScope } from "@outpost/shared";
import { prepared } from "../db/client.js";
import { ApiError, UNAUTHORIZED } from "../errors.js";
import { digestSecret, isWellFormedSecret, secretKindOf } from "../lib/secrets.js";
import type { Deps } from "../deps.js";

export type UserPrincipal = {
  kind: "user";
  userId: string;
  userName: string;
  isAdmin: boolean;
  tokenId: string;
  tokenName: string;
  /** When the token stops working (RFC 3339 UTC), or null for never. */
  tokenExpiresAt: string | null;
  scopes: TokenScope[];
  restrictedOrgId: string | null;
  /** Orgs this principal may see, in membership order (first = default). */
  orgIds: string[];
};
export type AgentPrincipal = { kind: "agent"; agentId: string; orgId: string };
export type Principal = UserPrincipal | AgentPrincipal;

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    auth: (scope: TokenScope | "agent" | "agents:register|agent") => (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

const LAST_USED_EVERY_MS = 60_000;

export function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1]! : null;
}

type TokenRow = {
  id: string;
  orgId: string | null;
  name: string;
  scopes: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  maxUses: number | null;
  uses: number;
  userId: string;
  userName: string;
  isAdmin: number;
};

/**
 * Resolves a bearer secret to a principal, or null. Never throws for a bad secret. Nothing is
 * cached: a revoked token, a removed membership or a deleted user takes effect on the next
 * request. Plain prepared SQL, since every API request comes through here.
 */
export function authenticate(deps: Deps, secret: string | null): Principal | null {
  if (!secret) return null;
  const kind = secretKindOf(secret);
  const { db } = deps;
  if (kind === "agent") {
    if (!isWellFormedSecret("agent", secret)) return null;
    const row = prepared(db, `select "id", "org_id" as orgId from "agents" where "credential_digest" = ? and "credential_revoked_at" is null`).get(
      digestSecret(deps.installSecret, secret),
    ) as { id: string; orgId: string } | undefined;
    return row ? { kind: "agent", agentId: row.id, orgId: row.orgId } : null;
  }
  if (kind !== "pat" || !isWellFormedSecret("pat", secret)) return null;
  const row = prepared(
    db,
    `select t."id", t."org_id" as orgId, t."name", t."scopes", t."expires_at" as expiresAt, t."revoked_at" as revokedAt, t."last_used_at" as lastUsedAt, t."max_uses" as maxUses, t."uses",
            u."id" as userId, u."name" as userName, u."is_admin" as isAdmin
       from "tokens" t join "users" u on u."id" = t."user_id"
      where t."digest" = ?`,
  ).get(digestSecret(deps.installSecret, secret)) as TokenRow | undefined;
  if (!row || row.revokedAt) return null;
  const now = deps.clock();
  if (row.expiresAt && Date.parse(row.expiresAt) <= now) return null;
  // A registration token whose uses are all spent is as dead as an expired one.
  if (row.maxUses !== null && row.uses >= row.maxUses) return null;
  if (!row.lastUsedAt || now - Date.parse(row.lastUsedAt) > LAST_USED_EVERY_MS) {
    prepared(db, `update "tokens" set "last_used_at" = ? where "id" = ?`).run(new Date(now).toISOString(), row.id);
  }
  const orgIds = prepared(db, `select "org_id" from "memberships" where "user_id" = ? order by "inserted_at", "org_id"`).pluck().all(row.userId) as string[];
  const restricted = row.orgId;
  return {
    kind: "user",
    userId: row.userId,
    userName: row.userName,
    isAdmin: Boolean(row.isAdmin),
    tokenId: row.id,
    tokenName: row.name,
    tokenExpiresAt: row.expiresAt,
    scopes: JSON.parse(row.scopes) as TokenScope[],
    restrictedOrgId: restricted,
    orgIds: restricted ? orgIds.filter((id) => id === restricted) : orgIds,
  };
}

export function hasScope(p: UserPrincipal, scope: TokenScope): boolean {
  return p.scopes.includes("admin") || p.scopes.includes(scope);
}

export function userOf(req: FastifyRequest): UserPrincipal {
  if (req.principal?.kind !== "user") throw UNAUTHORIZED;
  return req.principal;
}

export const authPlugin = fp(async (app, opts: { deps: Deps }) => {
  app.decorateRequest("principal", undefined);
  app.decorate("auth", (scope) => async (req) => {
    const principal = authenticate(opts.deps, bearerOf(req.headers.authorization));
    if (!principal) throw UNAUTHORIZED;
    if (principal.kind === "agent") {
      if (scope !== "agent" && scope !== "agents:register|agent") throw UNAUTHORIZED;
    } else if (scope === "agent") {
      throw UNAUTHORIZED;
    } else {
      const need: TokenScope = scope === "agents:register|agent" ? "agents:register" : scope;
      if (!hasScope(principal, need)) throw new ApiError("forbidden", `This token lacks the "${need}" scope.`);
    }
    req.principal = principal;
  });
});
