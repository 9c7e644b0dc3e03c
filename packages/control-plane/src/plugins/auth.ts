/**
 * Bearer authentication. A PAT acts for its user in the user's orgs (or the one org it is
 * restricted to); an agent credential acts for one agent. Format and checksum are checked before
 * any lookup, and every failure answers the same 401 body. Failed attempts are limited per client
 * address and per token prefix (429 with Retry-After, checked before the credential is).
 *
 * Every route declares who may call it: `onRequest: app.auth(scope)`, or `config.access` for the
 * few that take no bearer credential. A route that declares neither makes buildApp throw, and
 * `app.routeAccess`, the app's one route table, lists every route it serves (hidden ones too) with
 * its access, so a test can walk them all.
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from "fastify";
import fp from "fastify-plugin";
import type { TokenScope } from "@outpost/shared";
import { prepared } from "../db/client.js";
import { ApiError, UNAUTHORIZED } from "../errors.js";
import { digestSecret, displayPrefix, isWellFormedSecret, secretKindOf } from "../lib/secrets.js";
import { FailureLimiter } from "../lib/rate-limit.js";
import type { Deps } from "../deps.js";

export type UserPrincipal = {
  kind: "user";
  userId: string;
  userName: string;
  isAdmin: boolean;
  tokenId: string;
  tokenName: string;
  /** `copilot`: an integration token; its jobs are `trigger_source: copilot` (jobs.service.ts provenanceOf). */
  tokenKind: "pat" | "copilot";
  /** When the token stops working (RFC 3339 UTC), or null for never. */
  tokenExpiresAt: string | null;
  scopes: TokenScope[];
  restrictedOrgId: string | null;
  /** Orgs this principal may see, in membership order (first = default). */
  orgIds: string[];
};
export type AgentPrincipal = { kind: "agent"; agentId: string; orgId: string };
export type Principal = UserPrincipal | AgentPrincipal;

/** What app.auth() accepts: a PAT scope, the agent credential, or either (agent registration's own rule). */
export type AuthScope = TokenScope | "agent" | "agents:register|agent";
/**
 * Routes without a bearer credential, each for a stated reason (config.access): `public` (healthz,
 * the OpenAPI document), `share-link` (the link's own secret is the credential). Console files
 * served by @fastify/static are `static`, recognised by the config that plugin puts on them.
 */
export type OpenAccess = "public" | "share-link";
/**
 * One row of the route table. `limited`: the route has its own request limit (plugins/rate-limit.ts,
 * config.rateLimit). `schema`: its request schemas, for tests that walk every field of every route.
 */
export type RouteAccess = {
  method: string;
  url: string;
  access: AuthScope | OpenAccess | "static";
  limited: boolean;
  schema: { body?: unknown; querystring?: unknown; params?: unknown };
};

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    auth: (scope: AuthScope, opts?: { queryToken?: boolean }) => (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
    routeAccess: RouteAccess[];
  }
  interface FastifyContextConfig {
    access?: OpenAccess;
  }
}

const SCOPE_OF = Symbol("outpost.authScope");

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
  kind: "pat" | "copilot";
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
    `select t."id", t."org_id" as orgId, t."name", t."scopes", t."kind", t."expires_at" as expiresAt, t."revoked_at" as revokedAt, t."last_used_at" as lastUsedAt, t."max_uses" as maxUses, t."uses",
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
    tokenKind: row.kind,
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

/** The access a route declares, or null: its app.auth() hook, else config.access, else a static file. */
function accessOf(route: RouteOptions): RouteAccess["access"] | null {
  const hooks = [route.onRequest ?? []].flat() as { [SCOPE_OF]?: AuthScope }[];
  const scope = hooks.find((h) => h[SCOPE_OF])?.[SCOPE_OF];
  if (scope) return scope;
  const config = route.config as { access?: OpenAccess; rootPath?: string } | undefined;
  if (config?.access) return config.access;
  return config?.rootPath !== undefined ? "static" : null;
}

export const authPlugin = fp(async (app, opts: { deps: Deps }) => {
  const { config } = opts.deps;
  const failures = new FailureLimiter(() => opts.deps.clock(), config.authFailMax, config.authFailWindowS * 1000);
  app.decorateRequest("principal", undefined);
  app.decorate("routeAccess", [] as RouteAccess[]);
  app.addHook("onRoute", (route) => {
    const access = accessOf(route);
    const methods = [route.method].flat();
    if (!access) throw new Error(`${methods.join(",")} ${route.url} declares no access: add onRequest: app.auth(scope) or config.access`);
    const limited = Boolean((route.config as { rateLimit?: unknown } | undefined)?.rateLimit);
    const { body, querystring, params } = (route.schema ?? {}) as RouteAccess["schema"];
    for (const method of methods) app.routeAccess.push({ method, url: route.url, access, limited, schema: { body, querystring, params } });
  });
  app.decorate("auth", (scope, { queryToken = false } = {}) => {
    const hook = async (req: FastifyRequest, reply: FastifyReply) => {
      // EventSource sends no headers: stream routes also take ?token=.
      const secret = bearerOf(req.headers.authorization) ?? (queryToken ? ((req.query as { token?: string } | undefined)?.token ?? null) : null);
      const keys = secret ? [`ip:${req.ip}`, `prefix:${displayPrefix(secret)}`] : [];
      const wait = failures.retryAfterS(keys);
      if (wait > 0) {
        reply.header("retry-after", String(wait));
        throw new ApiError("rate_limited", `Too many failed authentications; retry after ${wait} s.`);
      }
      const principal = authenticate(opts.deps, secret);
      if (!principal) {
        failures.recordFailure(keys);
        throw UNAUTHORIZED;
      }
      authorize(principal, scope);
      req.principal = principal;
    };
    return Object.assign(hook, { [SCOPE_OF]: scope });
  });
});

/** Throws unless `principal` may use a route that needs `scope`. */
function authorize(principal: Principal, scope: AuthScope): void {
  if (principal.kind === "agent") {
    if (scope !== "agent" && scope !== "agents:register|agent") throw UNAUTHORIZED;
  } else if (scope === "agent") {
    throw UNAUTHORIZED;
  } else {
    const need: TokenScope = scope === "agents:register|agent" ? "agents:register" : scope;
    if (!hasScope(principal, need)) throw new ApiError("forbidden", `This token lacks the "${need}" scope.`);
  }
}
