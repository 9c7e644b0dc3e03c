import { z } from "zod";
import { Id, Name, OrgRef, Timestamp, success, successList } from "./common.js";
import { TokenScope } from "./tokens.js";

export const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/, "must be 2-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen");

export const Org = z.object({ id: Id, slug: Slug, name: z.string(), inserted_at: Timestamp });
export type Org = z.infer<typeof Org>;

export const User = z.object({ id: Id, name: z.string(), inserted_at: Timestamp });
export type User = z.infer<typeof User>;

export const MembershipRole = z.enum(["admin", "member"]);
export const Membership = z.object({ org: Org, role: MembershipRole });

export const CreateOrgBody = z.object({ slug: Slug, name: Name.optional() });
export const CreateUserBody = z.object({
  name: Name,
  orgs: z.array(OrgRef).default([]),
});
export const AddMemberBody = z.object({ user_id: Id, role: MembershipRole.default("member") });

export const Me = z.object({
  user: User,
  orgs: z.array(Membership),
  token: z.object({ id: Id, name: z.string(), scopes: z.array(TokenScope), org_id: Id.nullable() }),
  /** outpost-server's version: agents running another one can be upgraded (POST /api/v1/pools/:id/upgrade). */
  server_version: z.string(),
});
export const MeResponse = success(Me);
export const OrgResponse = success(Org);
export const OrgListResponse = successList(Org);
export const UserResponse = success(User.extend({ orgs: z.array(Membership) }));
