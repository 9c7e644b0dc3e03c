/** outpost-agent settings and reconnect backoff: pure functions, no processes. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, agentLabelsOf, labelsOf, loadAgentConfig } from "./config.js";
import { fullJitter } from "./session/backoff.js";

describe("loadAgentConfig", () => {
  it("takes the agent's labels from --label (repeatable), OUTPOST_LABELS or the config file (list or object)", () => {
    const dir = mkdtempSync(join(tmpdir(), "outpost-cfg-"));
    const file = join(dir, "agent.json");
    writeFileSync(file, JSON.stringify({ url: "http://file:1", labels: { gpu: "true", zone: "eu" } }));
    expect(agentLabelsOf(loadAgentConfig(["--config", file]))).toEqual({ gpu: "true", zone: "eu" });
    expect(agentLabelsOf(loadAgentConfig(["--config", file, "--label", "gpu=false", "--label=os=debian 12"]))).toEqual({ gpu: "false", os: "debian 12" });
    expect(agentLabelsOf(loadAgentConfig([], { OUTPOST_URL: "http://e:1", OUTPOST_LABELS: "a=1,b=" }))).toEqual({ a: "1", b: "" });
    expect(agentLabelsOf(loadAgentConfig([], { OUTPOST_URL: "http://e:1" }))).toBeUndefined();
    expect(() => loadAgentConfig(["--label", "novalue"], { OUTPOST_URL: "http://e:1" })).toThrow(/--label="novalue": must be KEY=VALUE/);
  });

  it("takes flags over env over the config file, with defaults", () => {
    const dir = mkdtempSync(join(tmpdir(), "outpost-cfg-"));
    const file = join(dir, "agent.json");
    writeFileSync(file, JSON.stringify({ url: "http://file:1", slots: 3, name: "from-file", modules: ["a@1.0.0"] }));
    const c = loadAgentConfig(["--config", file, "--name", "from-flag", "--module", "b@2.0.0", "--module=c@3.0.0"], { OUTPOST_URL: "http://env:2/", OUTPOST_SLOTS: "4" });
    expect(c).toMatchObject({ url: "http://env:2", slots: 4, name: "from-flag", dataDir: "./data/agent", cancelGraceS: 10, drainDeadlineS: 60 });
    expect(c.modules).toEqual([{ name: "b", version: "2.0.0" }, { name: "c", version: "3.0.0" }]);
  });

  it("reports every bad value on its own line, naming where it came from and the value", () => {
    let err: ConfigError | undefined;
    try {
      loadAgentConfig(["--slots", "0", "--module", "x", "--bogus", "1"], { OUTPOST_URL: "ftp://nope" });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^--bogus: unknown option/),
        expect.stringMatching(/^OUTPOST_URL="ftp:\/\/nope": /),
        expect.stringMatching(/^--slots="0": /),
        expect.stringMatching(/^--module="x": must be NAME@VERSION/),
      ]),
    );
  });

  it("names a bad value's source by its flag, as typed", () => {
    let err: ConfigError | undefined;
    try {
      loadAgentConfig(["--drain-deadline", "soon", "--cancel-grace=-1"], { OUTPOST_URL: "http://x:1" });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^--drain-deadline="soon": /), expect.stringMatching(/^--cancel-grace="-1": /)]),
    );
  });

  it("takes container labels from env (comma separated) or repeated flags, and refuses the agent's own label keys", () => {
    expect(loadAgentConfig([], { OUTPOST_URL: "http://x:1", OUTPOST_CONTAINER_LABELS: "outpost.test-run=abc, team=qa" }).containerLabels).toEqual(["outpost.test-run=abc", "team=qa"]);
    expect(labelsOf(loadAgentConfig(["--container-label", "a=1", "--container-label=b=x=y"], { OUTPOST_URL: "http://x:1" }))).toEqual({ a: "1", b: "x=y" });
    let err: ConfigError | undefined;
    try {
      loadAgentConfig(["--container-label", "outpost.managed=false", "--container-label", "novalue"], { OUTPOST_URL: "http://x:1" });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err!.problems).toEqual([
      expect.stringMatching(/^--container-label="outpost.managed=false": sets a label the agent sets itself/),
      expect.stringMatching(/^--container-label="novalue": must be KEY=VALUE/),
    ]);
  });

  it("reads --profile FILE.json, checking each field as the server does and naming the file, the field and the value", () => {
    const dir = mkdtempSync(join(tmpdir(), "outpost-cfg-"));
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify({ soul_md: "# Soul", autonomy_level: "full_autonomy", models: ["m1"] }));
    const c = loadAgentConfig(["--url", "http://x:1", "--profile", good], {});
    expect(c.profile).toBe(good);
    expect(c.profileFields).toEqual({ soul_md: "# Soul", autonomy_level: "full_autonomy", models: ["m1"] });
    expect(loadAgentConfig(["--url", "http://x:1"], {}).profileFields).toEqual({});

    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ rules_md: "x".repeat(64 * 1024 + 1), autonomy_level: "yolo", colour: "red" }));
    let err: ConfigError | undefined;
    try {
      loadAgentConfig(["--url", "http://x:1"], { OUTPOST_PROFILE: bad });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^OUTPOST_PROFILE=${bad}: rules_md="x+"…: is 65537 bytes; at most 65536`)),
        expect.stringMatching(new RegExp(`^OUTPOST_PROFILE=${bad}: autonomy_level="yolo": `)),
        `OUTPOST_PROFILE=${bad}: unknown key "colour"`,
      ]),
    );
  });

  it("requires a URL", () => {
    expect(() => loadAgentConfig([], {})).toThrow(/url.*required|OUTPOST_URL|--url/i);
  });
});

describe("fullJitter", () => {
  it("stays within [0, min(cap, base * 2^n))", () => {
    const b = { baseMs: 500, capMs: 30_000 };
    expect(fullJitter(0, b, () => 0.999)).toBeLessThan(500);
    expect(fullJitter(3, b, () => 0.999)).toBeLessThan(4000);
    expect(fullJitter(20, b, () => 0.999)).toBeLessThan(30_000);
    expect(fullJitter(20, b, () => 0)).toBe(0);
  });
});
