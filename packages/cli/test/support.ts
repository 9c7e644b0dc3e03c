/** Runs the built `outpost` binary as a real process, with its own config dir. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI_BIN = fileURLToPath(new URL("../bin/outpost.js", import.meta.url));

export type CliResult = { code: number | null; stdout: string; stderr: string };

export function cli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OUTPOST_")));
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...clean, ...env }, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  if (stdin !== undefined) child.stdin!.end(stdin);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
