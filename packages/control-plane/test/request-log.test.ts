/**
 * Issue 9 §3: no secret reaches the server's log. Every route of the app (read from its OpenAPI
 * document, plus the hidden ones and an unknown path) is requested with `?token=`, a bearer
 * header and a secret-shaped path segment, with request logging on (debug); the log names each
 * request but holds none of the secrets.
 */
import { afterEach, describe, expect, it } from "vitest";
import { makeTestApp, type TestApp } from "../src/test-support/test-app.js";
import { createLogger, REDACTED, redactSecrets } from "../src/lib/log.js";
import { generateSecret } from "../src/lib/secrets.js";

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

describe("redactSecrets", () => {
  it("replaces ?token=, &access_token=, &credential= values and every secret-shaped string", () => {
    const pat = generateSecret("pat");
    const agent = generateSecret("agent");
    const share = generateSecret("share");
    const text = redactSecrets(`/api/v1/events?org=a&token=${pat}&x=1 /r/${share} Bearer ${agent} ?access_token=abc;credential=zz`);
    for (const s of [pat, agent, share, "abc", "zz"]) expect(text).not.toContain(s);
    expect(text).toContain(`token=${REDACTED}&x=1`);
  });
});

describe("request logs", () => {
  it("never hold ?token=, a bearer or a secret in the path, on any route", async () => {
    const lines: string[] = [];
    const log = createLogger("debug", { write: (l: string) => void lines.push(l) });
    t = await makeTestApp({}, { log });
    const doc = (await t.api("GET", "/api/v1/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const routes: [string, string][] = [];
    for (const [path, methods] of Object.entries(doc.paths)) for (const m of Object.keys(methods)) routes.push([m.toUpperCase(), path]);
    routes.push(["GET", "/healthz"], ["GET", "/api/v1/openapi.json"], ["GET", "/api/v1/agent/session"], ["GET", "/api/v1/no-such-route"], ["GET", "/no/such/page"]);
    expect(routes.length).toBeGreaterThan(30);
    const secrets: string[] = [];
    for (const [method, path] of routes) {
      const inPath = generateSecret("share");
      const query = generateSecret("pat");
      const bearer = generateSecret("pat");
      secrets.push(inPath, query, bearer);
      const url = `${path.replace(/\{[^}]+\}/g, inPath)}?limit=1&token=${query}`;
      const before = lines.length;
      const res = await t.app.inject({ method: method as never, url, headers: { authorization: `Bearer ${bearer}` }, ...(method === "GET" || method === "DELETE" ? {} : { payload: {} }) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(500);
      const logged = lines.slice(before).join("");
      // The request was logged (so the check below is not vacuous), with its secrets replaced.
      expect(logged, `${method} ${path}`).toContain(REDACTED);
    }
    const all = lines.join("");
    for (const s of secrets) expect(all).not.toContain(s);
    expect(all).not.toMatch(/o(pat|agt|shr)_[0-9A-Za-z]{20,}/);
  });
});
