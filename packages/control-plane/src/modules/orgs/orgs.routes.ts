import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AddMemberBody, CreateOrgBody, CreateUserBody, Id, MeResponse, OkDetails, OrgListResponse, OrgResponse, UserResponse } from "@outpost/shared";
import { ApiError } from "../../errors.js";
import { userOf } from "../../plugins/auth.js";
import { findOrg } from "../../lib/org-scope.js";
import { nowIso } from "../../lib/time.js";
import { SERVER_VERSION } from "../../version.js";
import type { Deps } from "../../deps.js";
import { addMember, createUser, ensureOrg, removeMember } from "./orgs.service.js";
import { findUser, findUserByName, membershipsOf, toOrg, toUser } from "./orgs.repo.js";
import { successBody } from "../../lib/reply.js";

export async function orgRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  app.get("/api/v1/me", { onRequest: app.auth("read"), schema: { tags: ["orgs"], response: { 200: MeResponse } } }, async (req) => {
    const p = userOf(req);
    const user = findUser(db, p.userId)!;
    const orgList = membershipsOf(db, p.userId).filter((m) => p.orgIds.includes(m.org.id));
    return successBody({ user: toUser(user), orgs: orgList, token: { id: p.tokenId, name: p.tokenName, scopes: p.scopes, org_id: p.restrictedOrgId }, server_version: SERVER_VERSION });
  });

  app.get("/api/v1/orgs", { onRequest: app.auth("read"), schema: { tags: ["orgs"], response: { 200: OrgListResponse } } }, async (req) => {
    const p = userOf(req);
    const list = membershipsOf(db, p.userId).filter((m) => p.orgIds.includes(m.org.id)).map((m) => m.org);
    return successBody(list, { next_cursor: null });
  });

  app.post("/api/v1/orgs", { onRequest: app.auth("admin"), schema: { tags: ["orgs"], body: CreateOrgBody, response: { 201: OrgResponse } } }, async (req, reply) => {
    const p = userOf(req);
    if (findOrg(db, req.body.slug)) throw ApiError.conflict(`An org with slug "${req.body.slug}" already exists.`);
    const now = nowIso(deps.clock);
    const org = ensureOrg(db, req.body.slug, now, req.body.name ?? req.body.slug);
    addMember(db, org.id, p.userId, "admin", now);
    return reply.code(201).send(successBody(toOrg(org)));
  });

  app.post("/api/v1/users", { onRequest: app.auth("admin"), schema: { tags: ["orgs"], body: CreateUserBody, response: { 201: UserResponse } } }, async (req, reply) => {
    const p = userOf(req);
    if (findUserByName(db, req.body.name)) throw ApiError.conflict(`A user named "${req.body.name}" already exists.`);
    const orgIds = req.body.orgs.map((slug, i) => {
      const org = findOrg(db, slug);
      if (!org || !p.orgIds.includes(org.id)) throw ApiError.validation([{ path: `orgs.${i}`, message: `no org "${slug}"` }]);
      return org.id;
    });
    const user = createUser(db, req.body.name, orgIds, nowIso(deps.clock));
    return reply.code(201).send(successBody({ ...toUser(user), orgs: membershipsOf(db, user.id) }));
  });

  const OrgParams = z.object({ id: Id });

  app.post(
    "/api/v1/orgs/:id/members",
    { onRequest: app.auth("admin"), schema: { tags: ["orgs"], params: OrgParams, body: AddMemberBody, response: { 200: UserResponse } } },
    async (req) => {
      const p = userOf(req);
      const org = findOrg(db, req.params.id);
      if (!org || !p.orgIds.includes(org.id)) throw ApiError.notFound("org", req.params.id);
      const user = findUser(db, req.body.user_id);
      if (!user) throw ApiError.notFound("user", req.body.user_id);
      addMember(db, org.id, user.id, req.body.role, nowIso(deps.clock));
      return successBody({ ...toUser(user), orgs: membershipsOf(db, user.id) });
    },
  );

  app.delete(
    "/api/v1/orgs/:id/members/:userId",
    { onRequest: app.auth("admin"), schema: { tags: ["orgs"], params: OrgParams.extend({ userId: Id }), response: { 200: OkDetails } } },
    async (req) => {
      const p = userOf(req);
      const org = findOrg(db, req.params.id);
      if (!org || !p.orgIds.includes(org.id)) throw ApiError.notFound("org", req.params.id);
      if (!removeMember(db, org.id, req.params.userId)) throw ApiError.notFound("member", req.params.userId);
      return successBody({ ok: true as const });
    },
  );

}
