/**
 * What a token may give a token it creates: only scopes it holds, and a lifetime within its own.
 * A request that asks for more is a 422 naming the field; an omitted expiry inherits the creator's
 * (a token that dies tomorrow mints tokens that die tomorrow, not ones that never do). Any path that
 * mints a credential on behalf of a token (PATs, registration tokens) goes through here.
 */
import type { TokenScope } from "@outpost/shared";
import { ApiError } from "../../errors.js";
import { hasScope, type UserPrincipal } from "../../plugins/auth.js";

export type Requested = {
  scopes: TokenScope[];
  /** RFC 3339 UTC, or null when the request gave none. */
  expiresAt: string | null;
  /** The request field the expiry came from, named in the error. */
  field?: "expires_at" | "expires_in_days";
};

/** Returns the expiry to store: the requested one, else the creator's; throws a 422 past either bound. */
export function boundByCreator(creator: UserPrincipal, req: Requested): string | null {
  const missing = req.scopes.filter((s) => !hasScope(creator, s));
  if (missing.length) {
    throw ApiError.validation([{ path: "scopes", message: `this token cannot grant scopes it lacks (got ${JSON.stringify(missing)})` }]);
  }
  const limit = creator.tokenExpiresAt;
  if (!limit) return req.expiresAt;
  if (!req.expiresAt) return limit;
  if (Date.parse(req.expiresAt) > Date.parse(limit)) {
    const field = req.field ?? "expires_at";
    throw ApiError.validation([
      { path: field, message: `must not be later than this token's own expiry ${limit} (got an expiry of ${req.expiresAt})` },
    ]);
  }
  return req.expiresAt;
}
