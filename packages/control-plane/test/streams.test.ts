/**
 * Issue 9, points 2 and 9, for every Server-Sent Events stream: the table below must name every
 * route declared with `config: { sse: true }` (a new stream fails the first test until it is
 * added), and each behaviour runs against each of them over a real port: the per-token cap (429),
 * dropping a consumer that stops reading, and ending when the token is revoked or expires.
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ServerConfig } from "../src/config.js";
import { prepared } from "../src/db/client.js";
import { openStreamCount, streamRoutes } from "../src/lib/sse.js";
import { revokeToken } from "../src/modules/tokens/tokens.service.js";
import { stalledReader } from "../src/test-support/stalled-reader.js";
import { until } from "../src/test-support/until.js";
import { UNAUTHORIZED_BODY, createJob, expectError, expectFieldError, makeTestApp, publish, type TestApp } from "./support.js";

type Ctx = { t: TestApp; url: string; jobId: string; orgId: string };

/** Stores `count` log chunks of `bytes` each for the job (attempt 1, from seq `from`) and wakes followers. */
function storeChunks(c: Ctx, from: number, count: number, bytes: number): void {
  const insert = prepared(c.t.deps.db, `insert into "job_logs" ("job_id", "attempt", "seq", "stream", "data", "at") values (?, 1, ?, 'stdout', ?, ?)`);
  const data = "y".repeat(bytes - 1) + "\n";
  for (let seq = from; seq < from + count; seq++) insert.run(c.jobId, seq, data, new Date().toISOString());
  c.t.deps.events.publish({ type: "job.log", id: c.jobId, org_id: c.orgId });
}

type StreamCase = {
  path: (c: Ctx) => string;
  /** Sends the stream more than a consumer that never reads can take; called until it is dropped. */
  flood: (c: Ctx, round: number) => void;
};

const STREAMS: Record<string, StreamCase> = {
  "/api/v1/jobs/:id/logs": {
    path: (c) => `/api/v1/jobs/${c.jobId}/logs?follow=1`,
    flood: (c, round) => round === 0 && storeChunks(c, 0, 128, 64 * 1024), // 8 MiB once
  },
  "/api/v1/events": {
    path: () => "/api/v1/events",
    flood: (c) => {
      for (let i = 0; i < 500; i++) c.t.deps.events.publish({ type: "job.updated", id: c.jobId, org_id: c.orgId });
    },
  },
};

let ctx: Ctx | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await ctx?.t.close();
  ctx = null;
});

async function setup(config: Partial<ServerConfig> = {}): Promise<Ctx> {
  const t = await makeTestApp(config);
  const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
  await publish(t);
  const job = await createJob(t); // no agent: it stays pending, so its log stream stays open
  ctx = { t, url, jobId: job.id, orgId: job.org_id };
  return ctx;
}

async function newToken(c: Ctx, body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const res = await c.t.api("POST", "/api/v1/tokens", { body: { name: "streamer", scopes: ["read"], ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details;
}

/** Opens a stream and reads it: `readUntil(text)`, or `rest()` for everything up to its end. */
async function openSse(c: Ctx, path: string, token: string, headers: Record<string, string> = {}) {
  const res = await fetch(c.url + path, { headers: { authorization: `Bearer ${token}`, ...headers } });
  let text = "";
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const readUntil = async (needle: string) => {
    while (!text.includes(needle)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${JSON.stringify(needle)}; got ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    return text;
  };
  const rest = async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  };
  return { res, readUntil, rest, cancel: () => reader.cancel() };
}

const UNAUTHORIZED_EVENT = `event: unauthorized\ndata: ${JSON.stringify(UNAUTHORIZED_BODY)}\n\n`;

it("names every stream route of the app in its table", async () => {
  const c = await setup();
  expect(streamRoutes(c.t.deps).sort()).toEqual(Object.keys(STREAMS).sort());
});

describe.each(Object.entries(STREAMS))("stream %s", (_route, stream) => {
  it("ends at once with event: unauthorized when its token is revoked, long before a keepalive", async () => {
    const c = await setup({ streamKeepaliveS: 300 });
    const { id, token } = await newToken(c);
    const s = await openSse(c, stream.path(c), token);
    await s.readUntil(": connected");
    expect((await c.t.api("DELETE", `/api/v1/tokens/${id}`)).status).toBe(200);
    expect((await s.rest()).endsWith(UNAUTHORIZED_EVENT)).toBe(true);
    expect(openStreamCount(c.t.deps, id)).toBe(0);
    const again = await fetch(c.url + stream.path(c), { headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(401);
  });

  it("ends within a keepalive when its token expires by the app's clock or is revoked behind the API's back", async () => {
    const c = await setup({ streamKeepaliveS: 1 });
    const expiring = await newToken(c, { expires_in_days: 1 });
    const revoked = await newToken(c);
    const other = await newToken(c);
    const a = await openSse(c, stream.path(c), expiring.token);
    const b = await openSse(c, stream.path(c), revoked.token);
    const live = await openSse(c, stream.path(c), other.token);
    await Promise.all([a.readUntil(": connected"), b.readUntil(": connected"), live.readUntil(": connected")]);
    const real = c.t.deps.clock;
    c.t.deps.clock = () => real() + 2 * 86_400_000;
    revokeToken(c.t.deps.db, revoked.id, new Date().toISOString()); // as another process would: no event
    expect((await a.rest()).endsWith(UNAUTHORIZED_EVENT)).toBe(true);
    expect((await b.rest()).endsWith(UNAUTHORIZED_EVENT)).toBe(true);
    await live.readUntil(": keepalive"); // the untouched token's stream lives on past those keepalives
    expect(openStreamCount(c.t.deps, other.id)).toBe(1);
    await live.cancel();
  });

  it("ends within a keepalive when its user loses an org it was opened with", async () => {
    const c = await setup({ streamKeepaliveS: 1 });
    const token = c.t.mint({ user: "carol", name: "carol", scopes: ["read"] }); // a member of default
    const me = (await c.t.api("GET", "/api/v1/me", { token })).body.details;
    const s = await openSse(c, stream.path(c), token);
    await s.readUntil(": connected");
    expect((await c.t.api("DELETE", `/api/v1/orgs/default/members/${me.user.id}`)).status).toBe(200);
    const text = await s.rest();
    expect(text).not.toContain("event: unauthorized"); // the token is fine: a reconnect sees what is left
    expect(openStreamCount(c.t.deps, me.token.id)).toBe(0);
  });

  it("refuses a token's stream past the cap with 429 in the error envelope, and frees the slot when one closes", async () => {
    const c = await setup({ streamsPerToken: 2 });
    const { id, token } = await newToken(c);
    const first = await openSse(c, stream.path(c), token);
    const second = await openSse(c, stream.path(c), token);
    await Promise.all([first.readUntil(": connected"), second.readUntil(": connected")]);
    const third = await fetch(c.url + stream.path(c), { headers: { authorization: `Bearer ${token}` } });
    const body = expectError({ status: third.status, body: await third.json() }, 429, "rate_limited");
    expect(body.message).toContain("2 open streams");
    const someoneElse = await openSse(c, stream.path(c), (await newToken(c)).token);
    await someoneElse.readUntil(": connected");
    await first.cancel();
    await until("the slot to free", async () => openStreamCount(c.t.deps, id) === 1);
    const fourth = await openSse(c, stream.path(c), token);
    await fourth.readUntil(": connected");
    await Promise.all([second.cancel(), someoneElse.cancel(), fourth.cancel()]);
  });

  it("drops a consumer that stops reading instead of buffering for it, and keeps one that reads", async () => {
    const c = await setup({ streamKeepaliveS: 1, streamHighWaterBytes: 64 * 1024 });
    const slow = await newToken(c);
    const fast = await newToken(c);
    sockets.push(await stalledReader(c.url, stream.path(c), slow.token));
    const reader = await openSse(c, stream.path(c), fast.token);
    await reader.readUntil(": connected");
    expect(openStreamCount(c.t.deps, slow.id)).toBe(1);
    let round = 0;
    const drained = reader.rest(); // reads everything that comes, as a live console does
    await until(
      "the stalled consumer to be dropped",
      async () => {
        stream.flood(c, round++);
        return openStreamCount(c.t.deps, slow.id) === 0;
      },
      30_000,
    );
    expect(openStreamCount(c.t.deps, fast.id)).toBe(1);
    await reader.cancel();
    await drained.catch(() => undefined);
  });
});

describe("log follow", () => {
  it("sends every chunk once and in order whatever their sizes, then the end", async () => {
    const c = await setup();
    storeChunks(c, 0, 1000, 20); // short lines: big pages
    storeChunks(c, 1000, 20, 100 * 1024); // large chunks: small pages
    storeChunks(c, 1020, 500, 20);
    const s = await openSse(c, `/api/v1/jobs/${c.jobId}/logs?follow=1`, c.t.adminToken);
    await s.readUntil("id: 1:1519\n");
    expect((await c.t.api("POST", `/api/v1/jobs/${c.jobId}/cancel`)).status).toBe(200);
    const text = await s.rest();
    const ids = [...text.matchAll(/^id: 1:(\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([...Array(1520).keys()]);
    expect(text.endsWith(`event: end\ndata: {"status":"cancelled"}\n\n`)).toBe(true);
  });

  it("lets a consumer that is behind when the job ends read the tail and the end event", async () => {
    const c = await setup({ streamKeepaliveS: 5 });
    storeChunks(c, 0, 64, 64 * 1024); // 4 MiB stored before anyone reads
    expect((await c.t.api("POST", `/api/v1/jobs/${c.jobId}/cancel`)).status).toBe(200);
    const s = await openSse(c, `/api/v1/jobs/${c.jobId}/logs?follow=1`, c.t.adminToken);
    const text = await s.rest(); // ends with the last chunk and the end event, not cut off
    expect([...text.matchAll(/^id: 1:(\d+)$/gm)].length).toBe(64);
    expect(text.endsWith(`event: end\ndata: {"status":"cancelled"}\n\n`)).toBe(true);
  });

  it("resumes after Last-Event-ID, which wins over after_seq, and refuses a malformed one with 422 naming it", async () => {
    const c = await setup();
    storeChunks(c, 0, 5, 16);
    const s = await openSse(c, `/api/v1/jobs/${c.jobId}/logs?follow=1&after_seq=0`, c.t.adminToken, { "last-event-id": "1:2" });
    const text = await s.readUntil("id: 1:4\n");
    expect([...text.matchAll(/^id: (\S+)$/gm)].map((m) => m[1])).toEqual(["1:3", "1:4"]);
    await s.cancel();
    const bad = await c.t.api("GET", `/api/v1/jobs/${c.jobId}/logs?follow=1`, { headers: { "last-event-id": "three" } });
    expect(expectFieldError(bad, "last-event-id").message).toContain('"three"');
  });
});
