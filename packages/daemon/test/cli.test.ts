/**
 * Issue 14 §5: CLI manners of both programs as real processes, for every command in each
 * program's command table (a command added later is covered without touching this file).
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../src/cli/main.js";
import { HELP as SERVER_HELP } from "../../control-plane/src/help.js";
import { AGENT_BIN, SERVER_BIN } from "./support/processes.js";

function cli(bin: string, args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OUTPOST_")));
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const programs = [
  { name: "outpost-agent", bin: AGENT_BIN, commands: Object.keys(COMMANDS).map((c) => c.split(" ")) },
  { name: "outpost-server", bin: SERVER_BIN, commands: Object.keys(SERVER_HELP).map((c) => c.split(" ")) },
];

describe.each(programs)("$name", ({ name, bin, commands }) => {
  it("prints its version with --version and its commands with --help / -h, on stdout, exit 0", () => {
    const v = cli(bin, ["--version"]);
    expect(v).toMatchObject({ code: 0, stderr: "" });
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    for (const flag of ["--help", "-h"]) {
      const h = cli(bin, [flag]);
      expect(h).toMatchObject({ code: 0, stderr: "" });
      for (const c of commands) expect(h.stdout).toContain(c.join(" "));
      expect(h.stdout).toMatch(/exit codes:/);
    }
  });

  it.each(commands)("%s: --help and -h print its usage and exit codes to stdout, exit 0", (...command) => {
    for (const flag of ["--help", "-h"]) {
      const h = cli(bin, [...command, flag]);
      expect(h).toMatchObject({ code: 0, stderr: "" });
      expect(h.stdout).toContain(`usage: ${name} ${command.join(" ")}`);
      expect(h.stdout).toMatch(/\nexit codes: 0 /);
    }
  });

  it.each(commands)("%s: an unknown flag is named and points to --help, exit 1", (...command) => {
    const r = cli(bin, [...command, "--no-such-flag"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("--no-such-flag");
    expect(r.stderr).toMatch(/see [\w -]*--help/);
  });

  it("names an unknown command and points to --help, exit 1", () => {
    const r = cli(bin, ["no-such-command"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command "no-such-command".*--help/);
  });
});
