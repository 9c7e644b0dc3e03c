/**
 * Registers `n` agents through the API's own registration (createAgent, what POST /api/v1/agent
 * runs after auth), in batches of one transaction; returns their credentials.
 */
import type { Db } from "../../packages/control-plane/src/db/client.js";
import { createAgent } from "../../packages/control-plane/src/modules/agents/agents.service.js";

export function registerAgents(db: Db, installSecret: string, n: number, prefix = "fleet"): string[] {
  const c = db.$client;
  const orgId = c.prepare("select id from orgs limit 1").pluck().get() as string;
  const creds: string[] = [];
  const at = new Date().toISOString();
  const batch = c.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const body = { name: `${prefix}-${i}`, hostname: `${prefix}-${i}.bench`, os: { platform: "linux", distro: "Debian", release: "12", kernel: "6.1", arch: "x64" }, version: "bench", modules: [{ name: "hello", version: "1.0.0" }] };
      creds.push(createAgent(db, installSecret, orgId, null as never, body as never, at).credential);
    }
  });
  for (let i = 0; i < n; i += 1000) batch(i, Math.min(n, i + 1000));
  return creds;
}
