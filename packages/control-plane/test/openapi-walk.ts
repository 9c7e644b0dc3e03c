/**
 * Reading the served OpenAPI document in tests: its operations and the fields of their request
 * bodies, so a test enumerates what the app serves instead of a hand-kept list.
 */
export type Operation = { method: string; path: string; op: any };

export const METHODS = ["get", "post", "put", "patch", "delete"] as const;

export function operations(doc: any): Operation[] {
  return Object.entries(doc.paths as Record<string, any>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })),
  );
}

export function resolve(doc: any, schema: any): any {
  let s = schema;
  while (s && typeof s.$ref === "string") s = s.$ref.replace(/^#\//, "").split("/").reduce((o: any, k: string) => o?.[k], doc);
  return s;
}

export function requestSchema(doc: any, op: any): any {
  return resolve(doc, op.requestBody?.content?.["application/json"]?.schema);
}

/** Every path (array items as index 0) at which a property named one of `names` appears. */
export function fieldPaths(doc: any, schema: any, names: readonly string[], at: string[] = [], seen = new Set<any>()): string[][] {
  const s = resolve(doc, schema);
  if (!s || typeof s !== "object" || seen.has(s)) return [];
  seen.add(s);
  const out: string[][] = [];
  for (const [key, sub] of Object.entries((s.properties ?? {}) as Record<string, any>)) {
    if (names.includes(key)) out.push([...at, key]);
    out.push(...fieldPaths(doc, sub, names, [...at, key], seen));
  }
  if (s.items) out.push(...fieldPaths(doc, s.items, names, [...at, "0"], seen));
  for (const k of ["anyOf", "oneOf", "allOf"]) for (const sub of s[k] ?? []) out.push(...fieldPaths(doc, sub, names, at, seen));
  seen.delete(s);
  return out;
}
