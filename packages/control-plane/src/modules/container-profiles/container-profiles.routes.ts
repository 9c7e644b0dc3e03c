/**
 * Container profiles: an org resource naming the Docker image an agent's jobs run in when their
 * module function names none. Archived rather than deleted while agents use them: DELETE answers
 * 409 then, so an agent's container_profile_id never dangles.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  ContainerProfileListQuery,
  ContainerProfileListResponse,
  ContainerProfileResponse,
  CreateContainerProfileBody,
  Id,
  OkDetails,
  UpdateContainerProfileBody,
} from "@outpost/shared";
import { userOf, type UserPrincipal } from "../../plugins/auth.js";
import { assertVisible, orgFilter, targetOrg } from "../../lib/org-scope.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { successBody } from "../../lib/reply.js";
import { findProfile, listProfiles, profileOf } from "./container-profiles.repo.js";
import { createProfile, deleteProfile, setProfileArchived, updateProfile } from "./container-profiles.service.js";

const Params = z.object({ id: Id });

export async function containerProfileRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const getProfile = (p: UserPrincipal, id: string) => assertVisible(p, findProfile(db, id), "container profile", id);
  const one = (id: string) => successBody(profileOf(db, id));
  const changed = (id: string, orgId: string) => deps.events.publish({ type: "container_profile.updated", id, org_id: orgId });
  const tags = ["container-profiles"];

  app.post(
    "/api/v1/container-profiles",
    { onRequest: app.auth("agents:write"), schema: { tags, body: CreateContainerProfileBody, response: { 201: ContainerProfileResponse } } },
    async (req, reply) => {
      const orgId = targetOrg(db, userOf(req), req.body.org);
      const id = createProfile(db, orgId, req.body, nowIso(deps.clock));
      changed(id, orgId);
      return reply.code(201).send(one(id));
    },
  );

  app.get("/api/v1/container-profiles", { onRequest: app.auth("read"), schema: { tags, querystring: ContainerProfileListQuery, response: { 200: ContainerProfileListResponse } } }, async (req) => {
    const page = listProfiles(db, orgFilter(db, userOf(req), req.query.org), req.query);
    return successBody(page.items, { next_cursor: page.next });
  });

  app.get("/api/v1/container-profiles/:id", { onRequest: app.auth("read"), schema: { tags, params: Params, response: { 200: ContainerProfileResponse } } }, async (req) => {
    return one(getProfile(userOf(req), req.params.id).id);
  });

  app.patch(
    "/api/v1/container-profiles/:id",
    { onRequest: app.auth("agents:write"), schema: { tags, params: Params, body: UpdateContainerProfileBody, response: { 200: ContainerProfileResponse } } },
    async (req) => {
      const row = getProfile(userOf(req), req.params.id);
      updateProfile(db, row, req.body, nowIso(deps.clock));
      changed(row.id, row.orgId);
      return one(row.id);
    },
  );

  for (const [action, archived] of [["archive", true], ["restore", false]] as const) {
    app.post(
      `/api/v1/container-profiles/:id/${action}`,
      { onRequest: app.auth("agents:write"), schema: { tags, params: Params, response: { 200: ContainerProfileResponse } } },
      async (req) => {
        const row = getProfile(userOf(req), req.params.id);
        setProfileArchived(db, row, archived, nowIso(deps.clock));
        changed(row.id, row.orgId);
        return one(row.id);
      },
    );
  }

  app.delete("/api/v1/container-profiles/:id", { onRequest: app.auth("agents:write"), schema: { tags, params: Params, response: { 200: OkDetails } } }, async (req) => {
    const row = getProfile(userOf(req), req.params.id);
    deleteProfile(db, row);
    changed(row.id, row.orgId);
    return successBody({ ok: true as const });
  });
}
