/**
 * Issue 9 §12: cursors are tamper-evident. Every paginated route (every route of the app's table
 * whose query takes `cursor`) answers a forged but well-formed cursor with 422 naming `cursor`,
 * and follows its own cursors to the end.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { encodeCursor } from "../src/lib/cursor.js";
import { collectPages, createJob, createPool, expectFieldError, makeTestApp, publish, registerAgent, type TestApp } from "./support.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(async () => t.close());

/** The GET routes whose query schema has a `cursor` field, with their path ids filled in. */
async function pagedRoutes(): Promise<string[]> {
  const agent = (await registerAgent(t)).details;
  const pool = await createPool(t);
  await publish(t, { version: "0.9.0" });
  const trig = await t.api("POST", "/api/v1/triggers", { body: { name: "hourly", kind: "schedule", target: { module: "hello", function: "greet", inputs: { who: "x" } }, schedule: { cron: "0 * * * *" } } });
  expect(trig.status, JSON.stringify(trig.body)).toBe(201);
  const urls: string[] = [];
  for (const r of t.app.routeAccess) {
    if (r.method !== "GET" || !(r.schema.querystring instanceof z.ZodObject) || !("cursor" in r.schema.querystring.shape)) continue;
    urls.push(r.url.replace(/^\/api\/v1\/agents\/:id/, `/api/v1/agents/${agent.id}`).replace(/^\/api\/v1\/pools\/:id/, `/api/v1/pools/${pool.id}`).replace(/^\/api\/v1\/triggers\/:id/, `/api/v1/triggers/${trig.body.details.id}`));
  }
  return urls;
}

/** Flips one character of a base64url text. */
const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);

describe("cursors", () => {
  it("are refused with 422 naming cursor on every paginated route when forged, however well-formed", async () => {
    const urls = await pagedRoutes();
    expect(urls.length).toBeGreaterThanOrEqual(8);
    const genuine = encodeCursor(t.deps.db, "2026-01-01T00:00:00.000Z", "x");
    const [payload, mac] = genuine.split(".") as [string, string];
    const other = await makeTestApp(); // another install: its own secret
    const fromElsewhere = encodeCursor(other.deps.db, "2026-01-01T00:00:00.000Z", "x");
    await other.close();
    const forged = {
      "unsigned (the old format)": Buffer.from(JSON.stringify(["2026-01-01T00:00:00.000Z", "x"])).toString("base64url"),
      "payload re-encoded, old MAC": `${Buffer.from(JSON.stringify(["zzz", "x"])).toString("base64url")}.${mac}`,
      "MAC flipped": `${payload}.${flip(mac, 2)}`,
      "MAC truncated": `${payload}.${mac.slice(0, 10)}`,
      "MAC of another install": fromElsewhere,
      "extra part": `${genuine}.x`,
      "empty MAC": `${payload}.`,
    };
    for (const url of urls) {
      for (const [what, cursor] of Object.entries(forged)) {
        const item = expectFieldError(await t.api("GET", `${url}?cursor=${encodeURIComponent(cursor)}`), "cursor");
        expect(item.message, `${url}: ${what}`).toContain("not a cursor this server issued");
      }
    }
  });

  it("are followed to the end on every paginated route, each row once", async () => {
    await publish(t);
    await publish(t, { version: "1.0.1" });
    for (let i = 0; i < 3; i++) await createJob(t);
    for (let i = 0; i < 2; i++) await createPool(t, { name: `pool-${i}` });
    for (let i = 0; i < 2; i++) await t.api("POST", "/api/v1/tokens", { body: { name: `tok-${i}`, scopes: ["read"] } });
    for (const url of await pagedRoutes()) {
      const { all, pages } = await collectPages(t, `${url}?limit=1`);
      expect(new Set(all.map((row) => JSON.stringify(row))).size, url).toBe(all.length);
      expect(pages.length, url).toBeGreaterThanOrEqual(all.length);
    }
  });
});
