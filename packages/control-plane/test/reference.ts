/**
 * list-agents-api.txt, parsed: its example agent (the JSON array) and, per field, the type line,
 * the default and the enum options of its field list. The file is copied verbatim into
 * test/fixtures so a test compares the API against the reference itself.
 */
import { readFileSync } from "node:fs";

export type RefField = { name: string; type: string; nullable: boolean; default?: string; options?: string[] };

export function parseListAgentsReference(): { example: Record<string, unknown>; fields: Map<string, RefField> } {
  const text = readFileSync(new URL("./fixtures/list-agents-api.txt", import.meta.url), "utf8");
  const start = text.indexOf("\n[\n");
  const end = text.indexOf("\n]\n", start);
  const example = (JSON.parse(text.slice(start + 1, end + 2)) as Record<string, unknown>[])[0]!;
  const lines = text.slice(text.indexOf("Agent list")).split("\n").map((l) => l.trim());
  const keys = new Set(Object.keys(example));
  const fields = new Map<string, RefField>();
  for (let i = 0; i < lines.length; i++) {
    const name = lines[i]!;
    if (!keys.has(name) || fields.has(name)) continue;
    const type = lines[i + 1]!;
    const field: RefField = { name, type, nullable: type.includes("| null") };
    for (let j = i + 2; j < lines.length && !keys.has(lines[j]!); j++) {
      const l = lines[j]!;
      if (l.startsWith("default:")) field.default = l.slice("default:".length);
      if (l === "Available options:") {
        field.options = [];
        for (let k = j + 1; k < lines.length && lines[k] && !keys.has(lines[k]!); k++) field.options.push(lines[k]!.replace(/,$/, ""));
      }
    }
    fields.set(name, field);
  }
  return { example, fields };
}

/** The JSON type a reference type line names ("string<uuid> | null" -> "string"). */
export function jsonTypeOf(refType: string): string {
  const base = refType.split("|")[0]!.trim();
  if (base.endsWith("[]")) return "array";
  if (base.startsWith("string")) return "string";
  if (base.startsWith("enum<string>")) return "string";
  if (base === "integer") return "integer";
  if (base === "object[]") return "array";
  return base;
}
