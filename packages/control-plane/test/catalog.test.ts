/** Issue 2 §7: the module catalog; published versions are immutable; versions resolve by semver. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collectPages, expectError, expectFieldError, makeTestApp, publish, sampleModule, type TestApp } from "./support.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(async () => t.close());

describe("publishing", () => {
  it("publishes one version (201) with its functions and defaults", async () => {
    const res = await t.api("POST", "/api/v1/modules", {
      body: sampleModule({
        description: "says hello",
        functions: [
          {
            name: "greet",
            display_name: "Greet",
            command: ["sh", "-c", "echo hi"],
            input_schema: { type: "object", properties: { who: { type: "string" } } },
            defaults: { cpus: "0.5", mem_limit: "256m", pids_limit: 64, timeout_s: 30 },
          },
        ],
      }),
    });
    expect(res.status).toBe(201);
    expect(res.body.details).toMatchObject({
      name: "hello",
      version: "1.0.0",
      image: "outpost-test/busybox:1",
      description: "says hello",
      functions: [{ name: "greet", display_name: "Greet", defaults: { cpus: "0.5", mem_limit: "256m", pids_limit: 64, timeout_s: 30 } }],
    });
  });

  it("is immutable: the same document again is a 200 no-op, a different one a 409", async () => {
    const first = await t.api("POST", "/api/v1/modules", { body: sampleModule() });
    expect(first.status).toBe(201);
    // Same content, keys in another order.
    const reordered = JSON.parse(JSON.stringify(sampleModule()));
    const again = await t.api("POST", "/api/v1/modules", { body: { functions: reordered.functions, image: reordered.image, version: "1.0.0", name: "hello" } });
    expect(again.status).toBe(200);
    expect(again.body.details.id).toBe(first.body.details.id);
    const changedImage = await t.api("POST", "/api/v1/modules", { body: sampleModule({ image: "other:2" }) });
    expect(expectError(changedImage, 409, "conflict").message).toContain("hello@1.0.0");
    const changedFn = await t.api("POST", "/api/v1/modules", { body: sampleModule({ functions: [{ name: "greet", display_name: "Hi", command: ["true"] }] }) });
    expectError(changedFn, 409, "conflict");
    const detail = await t.api("GET", "/api/v1/modules/hello/1.0.0");
    expect(detail.body.details.image).toBe("outpost-test/busybox:1");
    expect(detail.body.details.functions[0].display_name).toBe("Greet");
  });

  it("rejects invalid documents naming the field", async () => {
    const v = expectFieldError(await t.api("POST", "/api/v1/modules", { body: sampleModule({ version: "1.0" }) }), "version");
    expect(v.message).toContain('"1.0"');
    expectFieldError(await t.api("POST", "/api/v1/modules", { body: sampleModule({ name: "Hello World" }) }), "name");
    expectFieldError(await t.api("POST", "/api/v1/modules", { body: sampleModule({ image: "has space" }) }), "image");
    expectFieldError(await t.api("POST", "/api/v1/modules", { body: sampleModule({ functions: [] }) }), "functions");
    expectFieldError(await t.api("POST", "/api/v1/modules", { body: sampleModule({ functions: [{ name: "f", display_name: "F", command: "echo" }] }) }), "functions.0.command");
    expectFieldError(
      await t.api("POST", "/api/v1/modules", { body: sampleModule({ functions: [{ name: "f", display_name: "F", command: ["x"], defaults: { mem_limit: "1q" } }] }) }),
      "functions.0.defaults.mem_limit",
    );
    const badSchema = { name: "f", display_name: "F", command: ["x"], input_schema: { type: "nonsense" } };
    const schemaErr = expectFieldError(await t.api("POST", "/api/v1/modules", { body: sampleModule({ functions: [badSchema] }) }), "functions.0.input_schema");
    expect(schemaErr.message).toContain("JSON Schema");
    expectFieldError(
      await t.api("POST", "/api/v1/modules", { body: sampleModule({ functions: [{ ...badSchema, input_schema: { $ref: "#/definitions/missing" } }] }) }),
      "functions.0.input_schema",
    );
    const dup = { name: "f", display_name: "F", command: ["x"] };
    expectFieldError(await t.api("POST", "/api/v1/modules", { body: sampleModule({ functions: [dup, dup] }) }), "functions.1.name");
  });

  it("needs modules:write", async () => {
    const read = t.mint({ user: "r", name: "r", scopes: ["read"] });
    const err = expectError(await t.api("POST", "/api/v1/modules", { token: read, body: sampleModule() }), 403, "forbidden");
    expect(err.message).toContain("modules:write");
    const writer = t.mint({ user: "w", name: "w", scopes: ["modules:write"] });
    expect((await t.api("POST", "/api/v1/modules", { token: writer, body: sampleModule() })).status).toBe(201);
  });
});

describe("listing and detail", () => {
  it("lists every version, filters by name and q, sorts and pages", async () => {
    for (const v of ["1.0.0", "1.2.0", "2.0.0"]) await publish(t, { version: v });
    await publish(t, { name: "zip", version: "0.1.0", description: "archives" });
    const all = await collectPages(t, "/api/v1/modules?limit=1");
    expect(all.all.map((m: any) => `${m.name}@${m.version}`)).toEqual(["hello@1.0.0", "hello@1.2.0", "hello@2.0.0", "zip@0.1.0"]);
    const desc = await t.api("GET", "/api/v1/modules?order=desc");
    expect(desc.body.details[0].name).toBe("zip");
    const named = await t.api("GET", "/api/v1/modules?name=hello");
    expect(named.body.details).toHaveLength(3);
    const q = await t.api("GET", "/api/v1/modules?q=archiv");
    expect(q.body.details.map((m: any) => m.name)).toEqual(["zip"]);
    // LIKE wildcards in q are literal characters.
    expect((await t.api("GET", "/api/v1/modules?q=_")).body.details).toEqual([]);
    expect((await t.api("GET", "/api/v1/modules?q=%25")).body.details).toEqual([]);
    const byDate = await collectPages(t, "/api/v1/modules?sort=inserted_at&limit=3");
    expect(byDate.all).toHaveLength(4);
  });

  it("answers detail by name and version, 404 otherwise", async () => {
    await publish(t);
    expect((await t.api("GET", "/api/v1/modules/hello/1.0.0")).body.details.name).toBe("hello");
    expectError(await t.api("GET", "/api/v1/modules/hello/9.9.9"), 404, "not_found");
    expectError(await t.api("GET", "/api/v1/modules/nope/1.0.0"), 404, "not_found");
  });
});

describe("version resolution for jobs", () => {
  const run = (version?: string) =>
    t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, ...(version !== undefined ? { version } : {}) } });

  it("takes an exact version, the highest match of a range, or the latest release by default", async () => {
    for (const v of ["1.0.0", "1.2.0", "1.10.0", "2.0.0", "3.0.0-beta.1"]) await publish(t, { version: v });
    expect((await run("1.2.0")).body.details.version).toBe("1.2.0");
    expect((await run("^1.0.0")).body.details.version).toBe("1.10.0");
    expect((await run("~1.2")).body.details.version).toBe("1.2.0");
    expect((await run(">=1.0.0 <2")).body.details.version).toBe("1.10.0");
    expect((await run()).body.details.version).toBe("2.0.0");
    // A version published later is picked up by the next job (resolution is cached per version list).
    await publish(t, { version: "2.1.0" });
    expect((await run()).body.details.version).toBe("2.1.0");
    expect((await run("^2.0.0")).body.details.version).toBe("2.1.0");
    expect((await run("3.0.0-beta.1")).body.details.version).toBe("3.0.0-beta.1");
    expect(expectFieldError(await run("^4.0.0"), "version").message).toContain("^4.0.0");
    expectFieldError(await run("not a range!"), "version");
  });

  it("names the module when nothing is published under it", async () => {
    const res = await t.api("POST", "/api/v1/jobs", { body: { module: "ghost", function: "x" } });
    expect(expectFieldError(res, "module").message).toContain("ghost");
  });
});
