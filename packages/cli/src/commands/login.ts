/** `outpost login` and `outpost context ls|use|rm`: named contexts in the config file. */
import { createInterface } from "node:readline";
import { Command } from "commander";
import type { Me } from "@outpost/shared";
import { Api } from "../client.js";
import { configPath, readConfig, writeConfig } from "../config.js";
import { CliError, EXIT } from "../exit-codes.js";
import { json, note, out, table } from "../output.js";
import { group, leaf } from "../program.js";
import type { z } from "zod";

type MeDetails = z.infer<typeof Me>;

/** The token: OUTPOST_TOKEN, else stdin when it is not a terminal, else a prompt that does not echo. */
async function readToken(): Promise<string> {
  if (process.env.OUTPOST_TOKEN) return process.env.OUTPOST_TOKEN.trim();
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) text += chunk;
    return text.trim();
  }
  process.stderr.write("Token: ");
  const rl = createInterface({ input: process.stdin, terminal: true });
  const silenced = rl as unknown as { _writeToOutput: (s: string) => void };
  silenced._writeToOutput = () => {};
  const line = await new Promise<string>((resolve) => rl.question("", resolve));
  rl.close();
  process.stderr.write("\n");
  return line.trim();
}

export function loginCommand(): Command {
  return leaf(
    new Command("login")
      .description("log in to an outpost-server: the token comes from OUTPOST_TOKEN, stdin, or a prompt; it is checked, then stored 0600 in the config file")
      .requiredOption("--url <url>", "the server's URL, e.g. http://127.0.0.1:8080")
      .option("--name <context>", "the context's name (default: default)", "default"),
    async (run, opts: { url: string; name: string }) => {
      let url: string;
      try {
        url = new URL(opts.url).toString().replace(/\/$/, "");
      } catch {
        throw new CliError(`--url: not a URL (got ${JSON.stringify(opts.url)})`, EXIT.usage);
      }
      const token = await readToken();
      if (!token) throw new CliError("no token given (OUTPOST_TOKEN, stdin or the prompt)", EXIT.usage);
      const me = await new Api({ url, token }).get<MeDetails>("/api/v1/me");
      const config = readConfig();
      config.contexts[opts.name] = { url, token };
      config.current = opts.name;
      writeConfig(config);
      if (run.json) json({ context: opts.name, url, user: me.user, config: configPath() });
      else out(`Logged in to ${url} as ${me.user.name} (context ${opts.name}, saved in ${configPath()})\n`);
    },
  );
}

export function contextCommand(): Command {
  const cmd = group("context", "the stored login contexts");
  cmd.addCommand(
    leaf(new Command("ls").description("list the contexts (the current one is marked *)"), async (run) => {
      const config = readConfig();
      const rows = Object.entries(config.contexts).map(([name, c]) => ({ name, url: c.url, current: name === config.current }));
      if (run.json) json(rows);
      else out(table(rows, [["CURRENT", (r) => (r.current ? "*" : "")], ["NAME", (r) => r.name], ["URL", (r) => r.url]]));
    }),
  );
  cmd.addCommand(
    leaf(new Command("use").description("make a context the current one").argument("<name>"), async (_run, name: string) => {
      const config = readConfig();
      if (!config.contexts[name]) throw new CliError(`no context named ${JSON.stringify(name)}`, EXIT.usage);
      config.current = name;
      writeConfig(config);
      note(`current context: ${name}`);
    }),
  );
  cmd.addCommand(
    leaf(new Command("rm").description("forget a context and its token").argument("<name>"), async (_run, name: string) => {
      const config = readConfig();
      if (!config.contexts[name]) throw new CliError(`no context named ${JSON.stringify(name)}`, EXIT.usage);
      delete config.contexts[name];
      if (config.current === name) config.current = null;
      writeConfig(config);
    }),
  );
  return cmd;
}
