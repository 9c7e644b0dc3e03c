/** `outpost modules publish -f manifest.json|ls|show`. The manifest is checked with the server's own schema first. */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { PublishModuleBody, type ModuleVersion } from "@outpost/shared";
import { seg } from "../client.js";
import { CliError, EXIT } from "../exit-codes.js";
import { pagingOptions, printList } from "../list.js";
import { fields, json, out, table, type Column } from "../output.js";
import { group, leaf } from "../program.js";

const COLUMNS: Column<ModuleVersion>[] = [
  ["NAME", (m) => m.name],
  ["VERSION", (m) => m.version],
  ["IMAGE", (m) => m.image],
  ["FUNCTIONS", (m) => m.functions.map((f) => f.name)],
  ["PUBLISHED", (m) => m.inserted_at],
];

/** NAME VERSION, or NAME@VERSION in one argument. */
function nameVersion(name: string, version: string | undefined): [string, string] {
  if (version) return [name, version];
  const at = name.lastIndexOf("@");
  if (at <= 0) throw new CliError("give NAME VERSION or NAME@VERSION", EXIT.usage);
  return [name.slice(0, at), name.slice(at + 1)];
}

export function readManifest(file: string): PublishModuleBody {
  let raw: unknown;
  try {
    raw = JSON.parse(file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8"));
  } catch (err) {
    throw new CliError(`-f ${file}: ${(err as Error).message}`, EXIT.usage);
  }
  const parsed = PublishModuleBody.safeParse(raw);
  if (!parsed.success) throw new CliError(`-f ${file}: not a module manifest:${parsed.error.issues.map((i) => `\n  ${i.path.join(".")}: ${i.message}`).join("")}`, EXIT.usage);
  return parsed.data;
}

function show(run: { json: boolean }, m: ModuleVersion): void {
  if (run.json) return json(m);
  out(fields(m, ["id", "name", "version", "image", "description", "inserted_at"]));
  out("\n" + table(m.functions, [["FUNCTION", (f) => f.name], ["DISPLAY NAME", (f) => f.display_name], ["IMAGE", (f) => f.image], ["COMMAND", (f) => f.command.join(" ")]]));
}

export function modulesCommand(): Command {
  const cmd = group("modules", "the module catalog");
  cmd.addCommand(
    leaf(new Command("publish").description("publish a module version from a manifest (JSON, the body of POST /api/v1/modules)").requiredOption("-f, --file <manifest.json>", "the manifest; - reads stdin"), async (run, o: { file: string }) =>
      show(run, await run.api().post<ModuleVersion>("/api/v1/modules", readManifest(o.file))),
    ),
  );
  cmd.addCommand(
    leaf(
      pagingOptions(
        new Command("ls")
          .description("list published module versions")
          .option("-q, --query <text>", "search text")
          .option("--name <name>", "one module's versions")
          .addOption(new Option("--sort <key>", "sort key").choices(["name", "inserted_at"]))
          .option("--org <org>", "one org (slug or id)"),
      ),
      async (run, o: Record<string, string | undefined>) => printList<ModuleVersion>(run, "/api/v1/modules", o, { q: o.query, name: o.name, sort: o.sort, org: o.org }, COLUMNS),
    ),
  );
  cmd.addCommand(
    leaf(new Command("show").description("one module version").argument("<name>", "NAME or NAME@VERSION").argument("[version]"), async (run, name: string, version: string | undefined) => {
      const [n, v] = nameVersion(name, version);
      show(run, await run.api().get<ModuleVersion>(`/api/v1/modules/${seg(n)}/${seg(v)}`));
    }),
  );
  return cmd;
}
