/** `outpost tokens ls|create|revoke`. */
import { Command } from "commander";
import { TOKEN_SCOPES, type Token } from "@outpost/shared";
import type { z } from "zod";
import type { CreatedToken } from "@outpost/shared";
import { seg } from "../client.js";
import { pagingOptions, positiveInt, printList } from "../list.js";
import { fields, json, note, out, type Column } from "../output.js";
import { group, leaf } from "../program.js";

const COLUMNS: Column<Token>[] = [
  ["ID", (t) => t.id],
  ["NAME", (t) => t.name],
  ["PREFIX", (t) => t.prefix],
  ["SCOPES", (t) => t.scopes],
  ["EXPIRES", (t) => t.expires_at ?? "never"],
  ["USES LEFT", (t) => (t.max_uses === null ? "" : t.uses_left)],
  ["LAST USED", (t) => t.last_used_at],
  ["REVOKED", (t) => t.revoked_at],
];

export function tokensCommand(): Command {
  const cmd = group("tokens", "your API tokens");
  cmd.addCommand(
    leaf(pagingOptions(new Command("ls").description("list your tokens (never their secrets)").option("--include-revoked", "list revoked tokens too")), async (run, o: { includeRevoked?: boolean; limit?: number }) =>
      printList<Token>(run, "/api/v1/tokens", o, { include_revoked: o.includeRevoked ? "true" : undefined }, COLUMNS),
    ),
  );
  cmd.addCommand(
    leaf(
      new Command("create")
        .description("create a token; its secret is printed once")
        .argument("<name>")
        .option("--scope <scope...>", `scopes: ${TOKEN_SCOPES.join(", ")} (repeat or comma-separate)`)
        .option("--org <org>", "restrict the token to one org")
        .option("--expires-in-days <n>", "days until it expires", positiveInt)
        .option("--expires-at <time>", "RFC 3339 expiry")
        .option("--max-uses <n>", "a registration token: this many agent registrations", positiveInt),
      async (run, name: string, o: { scope?: string[]; org?: string; expiresInDays?: number; expiresAt?: string; maxUses?: number }) => {
        const scopes = o.scope?.flatMap((s) => s.split(",")).filter(Boolean);
        const created = await run.api().post<z.infer<typeof CreatedToken>>("/api/v1/tokens", {
          name,
          scopes,
          org: o.org,
          expires_in_days: o.expiresInDays,
          expires_at: o.expiresAt,
          max_uses: o.maxUses,
        });
        if (run.json) return json(created);
        out(fields(created, ["id", "name", "scopes", "expires_at", "max_uses"]));
        note("The secret is shown once; keep it now:");
        out(created.token + "\n");
      },
    ),
  );
  cmd.addCommand(
    leaf(new Command("revoke").description("revoke a token").argument("<id>"), async (run, id: string) => {
      const r = await run.api().del<unknown>(`/api/v1/tokens/${seg(id)}`);
      if (run.json) json(r);
      else out(`revoked ${id}\n`);
    }),
  );
  return cmd;
}
