import { z } from "zod";
import { Id, Name, OrgRef, PageQuery, Timestamp, success, successList } from "./common.js";

/**
 * admin: everything, including orgs and users. agents:register: POST /api/v1/agent.
 * agents:write: manage agents and pools. modules:write: publish modules. jobs:write: create,
 * cancel and delete jobs. read: every GET.
 */
export const TOKEN_SCOPES = ["admin", "agents:register", "agents:write", "modules:write", "jobs:write", "read", "metrics:read"] as const;
export const TokenScope = z.enum(TOKEN_SCOPES);
export type TokenScope = z.infer<typeof TokenScope>;

export const CreateTokenBody = z.object({
  name: Name,
  scopes: z.array(TokenScope).min(1).default(["agents:register", "read"]),
  /** Restrict the token to one of its user's orgs (slug or id). */
  org: OrgRef.optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
  /** Alternative to expires_at: days from now. */
  expires_in_days: z.number().int().min(1).max(3650).optional(),
  /**
   * A registration token: at most this many agent registrations (POST /api/v1/agent), each
   * consuming one use; used up, the token is refused like an expired one. Only with scopes
   * ["agents:register"].
   */
  max_uses: z.number().int().min(1).max(100_000).optional(),
  /**
   * `copilot`: an integration token. Jobs it creates are `trigger_source: copilot`, triggered by the
   * token's name (the integration), and the session id it sends in X-Outpost-Copilot-Session.
   */
  kind: z.enum(["pat", "copilot"]).default("pat"),
}).superRefine((body, ctx) => {
  if (body.kind === "copilot" && body.max_uses !== undefined) {
    ctx.addIssue({ code: "custom", path: ["max_uses"], message: "a copilot token is not a registration token; leave max_uses out" });
  }
  if (body.max_uses !== undefined && (body.scopes.length !== 1 || body.scopes[0] !== "agents:register")) {
    ctx.addIssue({
      code: "custom",
      path: ["max_uses"],
      message: `max_uses (${body.max_uses}) makes a registration token, which holds only the "agents:register" scope (got scopes ${JSON.stringify(body.scopes)})`,
    });
  }
});
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

export const Token = z.object({
  id: Id,
  name: z.string(),
  kind: z.enum(["pat", "copilot"]),
  scopes: z.array(TokenScope),
  user_id: Id,
  org_id: Id.nullable(),
  /** The first characters of the secret, to tell tokens apart. */
  prefix: z.string(),
  expires_at: Timestamp.nullable(),
  revoked_at: Timestamp.nullable(),
  last_used_at: Timestamp.nullable(),
  /** Registration tokens: the agent registrations allowed (null: no limit), made, and left. */
  max_uses: z.number().int().nullable(),
  uses: z.number().int(),
  uses_left: z.number().int().nullable(),
  inserted_at: Timestamp,
});
export type Token = z.infer<typeof Token>;

export const CreatedToken = Token.extend({ token: z.string() });
export const CreateTokenResponse = success(CreatedToken);
export const TokenResponse = success(Token);
export const TokenListResponse = successList(Token);
export const TokenListQuery = PageQuery.extend({
  include_revoked: z.stringbool().default(false),
});
