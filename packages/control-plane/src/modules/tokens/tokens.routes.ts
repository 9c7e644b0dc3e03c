import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { CreateTokenBody, CreateTokenResponse, Id, TokenListQuery, TokenListResponse, TokenResponse } from "@outpost/shared";
import { ApiError } from "../../errors.js";
import { hasScope, userOf } from "../../plugins/auth.js";
import { boundByCreator } from "./token-bounds.js";
import { targetOrg } from "../../lib/org-scope.js";
import { nowIso, toUtc } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { createToken, revokeToken } from "./tokens.service.js";
import { findToken, listTokens, readToken } from "./tokens.repo.js";
import { successBody } from "../../lib/reply.js";

export async function tokenRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  app.post(
    "/api/v1/tokens",
    { onRequest: app.auth("read"), schema: { tags: ["tokens"], body: CreateTokenBody, response: { 201: CreateTokenResponse } } },
    async (req, reply) => {
      const p = userOf(req);
      const body = req.body;
      const now = nowIso(deps.clock);
      let expiresAt: string | null = body.expires_at ? toUtc(body.expires_at) : null;
      if (body.expires_in_days) expiresAt = new Date(deps.clock() + body.expires_in_days * 86_400_000).toISOString();
      if (expiresAt && expiresAt <= now) {
        throw ApiError.validation([{ path: "expires_at", message: `expires_at must be in the future (got "${body.expires_at}")` }]);
      }
      // No escalation through the API: nothing the creator itself lacks, nothing that outlives it.
      expiresAt = boundByCreator(p, { scopes: body.scopes, expiresAt, field: body.expires_in_days ? "expires_in_days" : "expires_at" });
      const orgId = body.org ? targetOrg(db, p, body.org) : p.restrictedOrgId;
      const { token, secret } = createToken(db, deps.installSecret, { userId: p.userId, name: body.name, scopes: body.scopes, orgId, expiresAt, maxUses: body.max_uses ?? null, kind: body.kind }, now);
      return reply.code(201).send(successBody({ ...token, token: secret }));
    },
  );

  app.get(
    "/api/v1/tokens",
    { onRequest: app.auth("read"), schema: { tags: ["tokens"], querystring: TokenListQuery, response: { 200: TokenListResponse } } },
    async (req) => {
      const p = userOf(req);
      const page = listTokens(db, [p.userId], { limit: req.query.limit, cursor: req.query.cursor, includeRevoked: req.query.include_revoked });
      return successBody(page.items, { next_cursor: page.next });
    },
  );

  app.delete(
    "/api/v1/tokens/:id",
    { onRequest: app.auth("read"), schema: { tags: ["tokens"], params: z.object({ id: Id }), response: { 200: TokenResponse } } },
    async (req) => {
      const p = userOf(req);
      const row = findToken(db, req.params.id);
      // Your own tokens; an admin may revoke anyone's.
      if (!row || (row.userId !== p.userId && !(p.isAdmin && hasScope(p, "admin")))) throw ApiError.notFound("token", req.params.id);
      revokeToken(db, row.id, nowIso(deps.clock));
      deps.events.publish({ type: "token.revoked", id: row.id }); // its open streams end now
      return successBody(readToken(db, row.id));
    },
  );
}
