/**
 * The agent's identity: registration through POST /api/v1/agent with a PAT on the first start,
 * then the agent's own credential (kept in the data dir, mode 0600) on every later start, which
 * the server counts as a restart. Module checks against the catalog also live here.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ModuleRef, RegisterAgentBody } from "@outpost/shared";
import { FatalError } from "../errors.js";
import { writeFileAtomic } from "./fs.js";

export const CREDENTIAL_FILE = "credential.json";

export type StoredCredential = { url: string; agent_id: string; credential: string; registered_at: string };

export function readCredential(dataDir: string): StoredCredential | null {
  const file = join(dataDir, CREDENTIAL_FILE);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as StoredCredential;
  } catch (err) {
    throw new FatalError(`${file} is unreadable (${(err as Error).message}); delete it and start again with a registration token (OUTPOST_TOKEN or --token-file PATH)`);
  }
}

export function writeCredential(dataDir: string, cred: StoredCredential): void {
  writeFileAtomic(join(dataDir, CREDENTIAL_FILE), JSON.stringify(cred, null, 2), { mode: 0o600, exactMode: true, dirMode: 0o700 });
}

/** What to do when the server answers 401 to the stored credential or to the token. */
function refused(url: string, dataDir: string, withCredential: boolean): FatalError {
  const credFile = join(dataDir, CREDENTIAL_FILE);
  return new FatalError(
    withCredential
      ? `the agent credential in ${credFile} was revoked or is unknown to ${url}: delete ${credFile} and start again with a registration token (OUTPOST_TOKEN or --token-file PATH) to register a new agent`
      : `the token was refused by ${url} (unknown, revoked, expired or used up): create a registration token with the agents:register scope`,
  );
}

type ApiBody = { status: string; details?: Record<string, unknown>; credential?: string; code?: string; message?: string };

async function call(url: string, init: RequestInit): Promise<{ status: number; body: ApiBody }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  let body: ApiBody;
  try {
    body = JSON.parse(text) as ApiBody;
  } catch {
    body = { status: "error", message: text.slice(0, 200) };
  }
  return { status: res.status, body };
}

/**
 * Registers (PAT) or re-registers (`stored`, the credential read from the data dir). Returns the
 * credential to use from now on.
 * Network trouble throws a plain Error (retry); refusals throw FatalError (stop).
 */
export async function register(opts: { url: string; dataDir: string; token?: string; stored: StoredCredential | null; body: RegisterAgentBody }): Promise<StoredCredential> {
  const { stored } = opts;
  const credFile = join(opts.dataDir, CREDENTIAL_FILE);
  if (stored && stored.url !== opts.url) {
    throw new FatalError(`${credFile} belongs to ${stored.url}, not ${opts.url}; use another --data-dir or delete that file to register again`);
  }
  const secret = stored?.credential ?? opts.token;
  if (!secret) throw new FatalError(`no agent credential in ${credFile} and no token: start once with a registration token (a PAT with the agents:register scope) in OUTPOST_TOKEN or --token-file PATH`);
  const { status, body } = await call(`${opts.url}/api/v1/agent`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify(opts.body),
  });
  if (status === 401) throw refused(opts.url, opts.dataDir, Boolean(stored));
  if (status === 403) throw new FatalError(`the token may not register agents: ${body.message ?? "forbidden"} (it needs the agents:register scope)`);
  if (status >= 500 || status === 429) throw new Error(`the server answered ${status}: ${body.message ?? ""}`);
  if (status !== 200 && status !== 201) throw new FatalError(`registration refused (${status} ${body.code ?? ""}): ${body.message ?? JSON.stringify(body)}`);
  if (stored) return stored;
  const cred: StoredCredential = { url: opts.url, agent_id: String(body.details!.id), credential: body.credential!, registered_at: new Date().toISOString() };
  writeCredential(opts.dataDir, cred);
  return cred;
}

/**
 * Asks the catalog for a module version with the credential (else the token): its image (null for a
 * module without one: its functions name theirs or use the container profile's), or undefined when
 * the version is not there.
 */
export async function catalogImage(opts: { url: string; dataDir: string; token?: string; stored: StoredCredential | null }, m: ModuleRef): Promise<string | null | undefined> {
  const { stored } = opts;
  const secret = stored?.credential ?? opts.token;
  if (!secret) return undefined;
  const { status, body } = await call(`${opts.url}/api/v1/agent/modules/${encodeURIComponent(m.name)}/${encodeURIComponent(m.version)}`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  if (status === 401) throw refused(opts.url, opts.dataDir, Boolean(stored));
  if (status === 404) return undefined;
  // A server that is restarting, overloaded or out of disk is no refusal: the start is retried (issue 17).
  if (status >= 500 || status === 429) throw new Error(`cannot check module ${m.name}@${m.version} in the catalog yet: the server answered ${status} ${body.message ?? ""}`);
  if (status !== 200) throw new FatalError(`cannot check module ${m.name}@${m.version} in the catalog: ${status} ${body.message ?? ""}`);
  const image = body.details!.image;
  return typeof image === "string" && image ? image : null;
}
