/**
 * Bearer authentication. A PAT acts for its user in the user's orgs (or the one org it is
 * restricted to); an agent credential acts for one agent. Format and checksum are checked before
 * any lookup, and every failure answers the same 401 body.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { and, eq, isNull } from "drizzle-orm";
import type { TokenScope } from "@outpost/shared";
import { agents, memberships, tokens, users } from "../db/schema.js";
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

/** Resolves a bearer secret to a principal, or null. Never throws for a bad secret. */
export function authenticate(deps: Deps, secret: string | null): Principal | null {
  if (!secret) return null;
  const kind = secretKindOf(secret);
  if (kind === "agent") {
    if (!isWellFormedSecret("agent", secret)) return null;
    const row = deps.db
      .select({ id: agents.id, orgId: agents.orgId })
      .from(agents)
      .where(and(eq(agents.credentialDigest, digestSecret(deps.installSecret, secret)), isNull(agents.credentialRevokedAt)))
      .get();
    return row ? { kind: "agent", agentId: row.id, orgId: row.orgId } : null;
  }
  if (kind !== "pat" || !isWellFormedSecret("pat", secret)) return null;
  const row = deps.db
    .select({ token: tokens, user: users })
    .from(tokens)
    .innerJoin(users, eq(users.id, tokens.userId))
    .where(eq(tokens.digest, digestSecret(deps.installSecret, secret)))
    .get();
  if (!row || row.token.revokedAt) return null;
  const now = deps.clock();
  if (row.token.expiresAt && Date.parse(row.token.expiresAt) <= now) return null;
  if (!row.token.lastUsedAt || now - Date.parse(row.token.lastUsedAt) > LAST_USED_EVERY_MS) {
    deps.db.update(tokens).set({ lastUsedAt: new Date(now).toISOString() }).where(eq(tokens.id, row.token.id)).run();
  }
  const orgIds = deps.db
    .select({ orgId: memberships.orgId })
    .from(memberships)
    .where(eq(memberships.userId, row.user.id))
    .orderBy(memberships.insertedAt, memberships.orgId)
    .all()
    .map((m) => m.orgId);
  const restricted = row.token.orgId;
  return {
    kind: "user",
    userId: row.user.id,
    userName: row.user.name,
    isAdmin: row.user.isAdmin,
    tokenId: row.token.id,
    tokenName: row.token.name,
    scopes: row.token.scopes as TokenScope[],
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
