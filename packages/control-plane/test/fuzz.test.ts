/**
 * Issue 9 §10: a fuzz test over every route the app serves. The operations come from the served
 * OpenAPI document (their path, query and body fields), plus the app's own route table for the
 * routes the document hides; nothing here lists routes by hand. Each route gets random path params,
 * query parameters (repeated ones too) and bodies (random JSON, deep JSON, wrong types, huge and
 * unicode strings, text that is not JSON), with an admin token and without. No answer may be a 5xx,
 * and every 4xx is the error envelope.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorEnvelope } from "@outpost/shared";
import { createJob, createPool, makeTestApp, publish, registerAgent } from "./support.js";
import { METHODS, operations, requestSchema, resolve } from "./openapi-walk.js";

const RUNS = 30;

const t = await makeTestApp();
afterAll(async () => t.close());
const doc = (await t.api("GET", "/api/v1/openapi.json")).body;
// Real rows, so random requests also reach the code behind the 404s.
await publish(t);
const agent = (await registerAgent(t)).details;
const pool = await createPool(t);
const job = await createJob(t);
const REAL = [agent.id, agent.agent_id, pool.id, job.id, "hello", "1.0.0", agent.org_id];

type Route = { method: string; path: string; pathParams: string[]; query: string[]; bodyFields: string[]; hasBody: boolean };

function fromDoc(): Route[] {
  return operations(doc).map(({ method, path, op }) => {
    const params = (op.parameters ?? []).map((p: any) => resolve(doc, p));
    const body = requestSchema(doc, op);
    return {
      method,
      path,
      pathParams: params.filter((p: any) => p.in === "path").map((p: any) => p.name),
      query: params.filter((p: any) => p.in === "query").map((p: any) => p.name),
      bodyFields: Object.keys(body?.properties ?? {}),
      hasBody: Boolean(body),
    };
  });
}

/** The app's routes the document does not describe (SSE, the agent session, the document itself). */
function hiddenRoutes(documented: Route[]): Route[] {
  const known = new Set(documented.map((r) => `${r.method} ${r.path}`));
  return t.app.routeAccess
    .map((r) => ({ method: r.method.toLowerCase(), path: r.url.replace(/:(\w+)/g, "{$1}") }))
    .filter((r) => (METHODS as readonly string[]).includes(r.method) && !known.has(`${r.method} ${r.path}`) && r.path !== "*")
    .map((r) => ({ ...r, pathParams: [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!), query: [], bodyFields: [], hasBody: r.method !== "get" }));
}

const documented = fromDoc();
const ROUTES = [...documented, ...hiddenRoutes(documented)];

// --- arbitraries -------------------------------------------------------------------------------

/** No lone surrogate (encodeURIComponent throws on one). */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }).filter(wellFormed),
  fc.constantFrom("", " ", "0", "-1", "1e400", "NaN", "null", "true", "[]", "{}", "../..", "a,b,,c", "\u0000", "😀", "%00", "__proto__", "constructor"),
  fc.constantFrom(...REAL),
);
const huge = fc.integer({ min: 1_000, max: 300_000 }).map((n) => "x".repeat(n));
const deepText = fc.tuple(fc.integer({ min: 60, max: 5_000 }), fc.boolean()).map(([n, arr]) => (arr ? "[".repeat(n) + "]".repeat(n) : '{"a":'.repeat(n) + "1" + "}".repeat(n)));
const jsonValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), text, huge);

/** A JSON body as text: random JSON, the route's fields with random values, deep, or not JSON. */
function bodyText(route: Route): fc.Arbitrary<string> {
  const fields = route.bodyFields.length ? route.bodyFields : ["name"];
  const wrongTypes = fc.dictionary(fc.constantFrom(...fields), jsonValue, { maxKeys: fields.length }).map((o) => JSON.stringify(o));
  const deepField = fc.tuple(fc.constantFrom(...fields), deepText).map(([k, deep]) => `{${JSON.stringify(k)}:${deep}}`);
  return fc.oneof(
    { weight: 4, arbitrary: wrongTypes },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: deepText },
    { weight: 1, arbitrary: deepField },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "nul", '{"a":1}x', '{"__proto__":{"x":1}}', '"\\ud800"') },
  );
}

function queryString(route: Route): fc.Arbitrary<string> {
  const key = fc.oneof(fc.constantFrom(...route.query, "token", "q", "x"), fc.string({ maxLength: 8 }).filter(wellFormed));
  const pair = fc.tuple(key, fc.oneof(text, huge.map((s) => s.slice(0, 4_000))));
  // Repeated keys on purpose: a key drawn twice, or the same pair twice.
  return fc
    .tuple(fc.array(pair, { maxLength: 5 }), fc.boolean())
    .map(([pairs, repeat]) => (repeat && pairs.length ? [...pairs, pairs[0]!] : pairs))
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"));
}

const pathValue = fc.oneof(
  { weight: 3, arbitrary: text.filter((s) => s.length > 0).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom("%", "%zz", "%C0%AF", "a%2Fb", "x".repeat(101)) },
);

type Req = { params: string[]; query: string; body: string | null; contentType: string; admin: boolean };

function request(route: Route): fc.Arbitrary<Req> {
  return fc.record({
    params: fc.array(pathValue, { minLength: route.pathParams.length, maxLength: route.pathParams.length }),
    query: queryString(route),
    body: route.hasBody ? fc.option(bodyText(route), { freq: 5 }) : fc.constant(null),
    contentType: fc.oneof({ weight: 9, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/json; charset=latin1") }),
    admin: fc.boolean(),
  });
}

async function send(route: Route, req: Req) {
  let i = 0;
  const path = route.path.replace(/\{\w+\}/g, () => req.params[i++] ?? "x");
  const url = req.query ? `${path}?${req.query}` : path;
  const res = await t.app.inject({
    method: route.method.toUpperCase() as never,
    url,
    headers: { ...(req.admin ? { authorization: `Bearer ${t.adminToken}` } : {}), ...(req.body !== null ? { "content-type": req.contentType } : {}) },
    ...(req.body !== null ? { payload: req.body } : {}),
    // SSE answers never end: take the head, then drop the stream.
    payloadAsStream: true,
  });
  const stream = res.stream();
  if (String(res.headers["content-type"] ?? "").startsWith("text/event-stream")) {
    stream.destroy();
    return { status: res.statusCode, body: undefined, url };
  }
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    // not JSON: the envelope check below says so
  }
  return { status: res.statusCode, body, url };
}

describe("every route survives random input", () => {
  it("covers every route of the document and the app", () => {
    expect(documented.length).toBeGreaterThan(40);
    const paths = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    for (const r of t.app.routeAccess) {
      if ((METHODS as readonly string[]).includes(r.method.toLowerCase()) && r.url !== "*") {
        expect(paths, r.url).toContain(`${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, "{$1}")}`);
      }
    }
  });

  it.each(ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))("%s: no 5xx, every 4xx in the envelope", async (_name, route) => {
    await fc.assert(
      fc.asyncProperty(request(route), async (req) => {
        const res = await send(route, req);
        const where = `${route.method.toUpperCase()} ${res.url.slice(0, 200)} -> ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`;
        expect(res.status, where).toBeLessThan(500);
        if (res.status >= 400) expect(ErrorEnvelope.strict().safeParse(res.body).success, where).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
