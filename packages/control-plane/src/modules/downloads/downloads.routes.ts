/**
 * Unauthenticated downloads for joining a host: the agent binary of the release directory
 * (`--release-dir`, `pnpm release` output) with its SHA-256, and the install script that fetches,
 * verifies and installs it. Nothing here reads the database or takes a token: a host downloads
 * before it has anything but the PAT it was handed, and the PAT never travels to these routes.
 */
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../../errors.js";
import type { Deps } from "../../deps.js";
import { agentInstallScript, SAFE_URL } from "./download-install-script.js";

export const AGENT_DOWNLOAD = "/downloads/outpost-agent-linux-x64";
export const INSTALL_SCRIPT = "/install/agent.sh";
const BINARY = "outpost-agent-linux-x64";

/** The URL hosts reach this server at, as the request addressed it. */
export const baseUrl = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

export async function downloadRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const releaseDir = deps.config.releaseDir ?? "";
  const missing = () =>
    new ApiError("not_found", `This server has no agent binary: build one with \`pnpm release\` or start outpost-server with --release-dir DIR (looked in ${releaseDir || "(no release dir)"}).`);
  // No credential: the binary, its checksum and the install script hold nothing secret (docs/security.md).
  const hidden = { schema: { hide: true }, config: { access: "public" as const } };

  app.get(AGENT_DOWNLOAD, hidden, async (_req, reply) => {
    const file = join(releaseDir, BINARY);
    if (!releaseDir || !existsSync(file)) throw missing();
    return reply
      .type("application/octet-stream")
      .header("content-length", statSync(file).size)
      .header("content-disposition", `attachment; filename="${BINARY}"`)
      .send(createReadStream(file));
  });
  app.get(`${AGENT_DOWNLOAD}.sha256`, hidden, async (_req, reply) => {
    const file = join(releaseDir, `${BINARY}.sha256`);
    if (!releaseDir || !existsSync(file)) throw missing();
    return reply.type("text/plain; charset=utf-8").send(readFileSync(file, "utf8"));
  });
  app.get(INSTALL_SCRIPT, hidden, async (req, reply) => {
    const url = baseUrl(req);
    // The URL goes into a script run as root: a Host header that is not a plain host[:port] is refused.
    if (!SAFE_URL.test(url)) throw new ApiError("bad_request", `The Host header must be a plain host name or address with an optional port; got ${JSON.stringify(req.host)}.`);
    return reply.type("text/x-shellscript; charset=utf-8").send(agentInstallScript(url));
  });
}
