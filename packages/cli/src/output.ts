/** Tables for people, JSON for scripts: every command prints through these. */
export type Column<T> = [header: string, value: (row: T) => unknown];

export function cell(v: unknown): string {
  if (v === null || v === undefined || v === "") return "-";
  if (Array.isArray(v)) return v.length ? v.map(cell).join(",") : "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

export function table<T>(rows: T[], columns: Column<T>[]): string {
  const grid = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, f]) => cell(f(r))))];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => line[i]!.length)));
  return grid.map((line) => line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

/** `key  value` lines for one object. */
export function fields(obj: Record<string, unknown>, keys: string[]): string {
  const w = Math.max(...keys.map((k) => k.length));
  return keys.map((k) => `${k.padEnd(w)}  ${cell(obj[k])}`).join("\n") + "\n";
}

export function out(text: string): void {
  process.stdout.write(text);
}
export function json(value: unknown): void {
  out(JSON.stringify(value, null, 2) + "\n");
}
export function note(text: string): void {
  process.stderr.write(text + "\n");
}
