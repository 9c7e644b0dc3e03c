/**
 * Shared steps for the control plane's API tests: every test builds the real app over a real
 * SQLite file (src/test-support/test-app.ts) and talks to it with app.inject().
 */
import { expect } from "vitest";
import { ErrorEnvelope } from "@outpost/shared";
import { sampleModule, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";

export { makeTestApp, sampleModule, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";

/** A clock that moves one second per read from 2026-01-01: distinct, ordered timestamps without waiting. */
export function tickingClock(t: TestApp): void {
  let now = Date.parse("2026-01-01T00:00:00.000Z");
  t.deps.clock = () => (now += 1000);
}

export const UNAUTHORIZED_BODY = { status: "error", code: "unauthorized", message: "Missing, invalid, expired or revoked token." };

/** Asserts the reference error envelope and the status; returns the body for further checks. */
export function expectError(res: { status: number; body: any }, status: number, code?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const parsed = ErrorEnvelope.strict().safeParse(res.body);
  expect(parsed.success, JSON.stringify(res.body)).toBe(true);
  if (code) expect(res.body.code).toBe(code);
  return res.body as { status: "error"; code: string; message: string; errors?: { path: string; message: string }[] };
}

/** A 422 whose errors name `path`; returns that error item. */
export function expectFieldError(res: { status: number; body: any }, path: string) {
  const body = expectError(res, 422, "validation_errors");
  const item = body.errors?.find((e) => e.path === path);
  expect(item, `no error at ${path} in ${JSON.stringify(body.errors)}`).toBeDefined();
  return item!;
}

export async function registerAgent(t: TestApp, over: Record<string, unknown> = {}, token?: string) {
  const res = await t.api("POST", "/api/v1/agent", { body: sampleRegistration(over), ...(token ? { token } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { status: "success"; details: any; credential: string };
}

export async function publish(t: TestApp, over: Record<string, unknown> = {}, token?: string) {
  const res = await t.api("POST", "/api/v1/modules", { body: sampleModule(over), ...(token ? { token } : {}) });
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  return res.body.details;
}

export async function createPool(t: TestApp, body: Record<string, unknown> = { name: "pool" }, token?: string) {
  const res = await t.api("POST", "/api/v1/pools", { body, ...(token ? { token } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details;
}

export async function createJob(t: TestApp, body: Record<string, unknown> = {}, token?: string) {
  const res = await t.api("POST", "/api/v1/jobs", {
    body: { module: "hello", function: "greet", inputs: { who: "x" }, ...body },
    ...(token ? { token } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details;
}

/** Follows next_cursor to the end; returns every page's details in order. */
export async function collectPages(t: TestApp, url: string, token?: string): Promise<{ pages: any[][]; all: any[] }> {
  const pages: any[][] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const sep = url.includes("?") ? "&" : "?";
    const res: { status: number; body: any } = await t.api("GET", cursor ? `${url}${sep}cursor=${encodeURIComponent(cursor)}` : url, token ? { token } : {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.status).toBe("success");
    expect(Array.isArray(res.body.details)).toBe(true);
    pages.push(res.body.details);
    cursor = res.body.next_cursor;
    if (cursor === null) break;
    expect(typeof cursor).toBe("string");
  }
  return { pages, all: pages.flat() };
}

/** An admin token restricted to one org: the way to create resources in that org. */
export async function orgAdminToken(t: TestApp, org: string): Promise<string> {
  const res = await t.api("POST", "/api/v1/tokens", { body: { name: `admin-${org}`, scopes: ["admin"], org } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details.token;
}

export async function createOrg(t: TestApp, slug: string) {
  const res = await t.api("POST", "/api/v1/orgs", { body: { slug } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details as { id: string; slug: string };
}
