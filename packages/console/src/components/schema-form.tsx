/**
 * A form generated from a function's input JSON Schema: one control per top-level property
 * (text, number, whole number, checkbox, or a select for an enum), required ones marked, and a JSON
 * text area for what a control cannot hold (nested objects, arrays, unions). A schema without
 * properties is edited as one JSON object. The server validates the result against the same
 * schema (Ajv), so this only shapes the input; its 422 names the field that is wrong.
 *
 * Not @rjsf/core: its validator compiles schemas with `new Function`, which the console's CSP
 * (no 'unsafe-eval') refuses, and it would more than double the bundle.
 */
import { useId } from "react";

type Schema = Record<string, unknown>;
type Kind = "string" | "number" | "integer" | "boolean" | "enum" | "json";

export interface SchemaField {
  name: string;
  kind: Kind;
  label: string;
  description: string | null;
  required: boolean;
  options: unknown[];
}

/** The raw text (or checkbox state) of each field, as the user left it. */
export type SchemaValues = Record<string, string | boolean>;

const ROOT = "__inputs";

function kindOf(s: Schema): Kind {
  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every((v) => ["string", "number"].includes(typeof v))) return "enum";
  if (s.type === "string" || s.type === "number" || s.type === "integer" || s.type === "boolean") return s.type;
  return "json";
}

/** The fields a schema is edited as; one `json` field for the whole object when it lists no properties. */
export function schemaFields(schema: Schema): SchemaField[] {
  const props = schema.properties && typeof schema.properties === "object" ? (schema.properties as Record<string, Schema>) : null;
  if (!props || Object.keys(props).length === 0) return [{ name: ROOT, kind: "json", label: "Inputs (JSON object)", description: null, required: false, options: [] }];
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    kind: kindOf(s ?? {}),
    label: typeof s?.title === "string" ? s.title : name,
    description: typeof s?.description === "string" ? s.description : null,
    required: required.has(name),
    options: Array.isArray(s?.enum) ? s.enum : [],
  }));
}

/** Starting values: each property's `default`, else empty. */
export function initialValues(schema: Schema): SchemaValues {
  const out: SchemaValues = {};
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const f of schemaFields(schema)) {
    const d = f.name === ROOT ? undefined : props[f.name]?.default;
    if (f.kind === "boolean") out[f.name] = d === true;
    else if (f.kind === "json") out[f.name] = d === undefined ? (f.name === ROOT ? "{}" : "") : JSON.stringify(d, null, 2);
    else out[f.name] = d === undefined ? "" : String(d);
  }
  return out;
}

/** The inputs object the values make, or the first problem (naming the field). Empty optional fields are left out. */
export function buildInputs(fields: SchemaField[], values: SchemaValues): { inputs: Record<string, unknown> } | { error: string } {
  const inputs: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = values[f.name];
    if (f.kind === "boolean") {
      inputs[f.name] = raw === true;
      continue;
    }
    const text = typeof raw === "string" ? raw.trim() : "";
    if (text === "") {
      if (f.required) return { error: `${f.label} is required.` };
      continue;
    }
    if (f.kind === "number" || f.kind === "integer") {
      const n = Number(text);
      if (!Number.isFinite(n) || (f.kind === "integer" && !Number.isInteger(n))) return { error: `${f.label} must be ${f.kind === "integer" ? "a whole number" : "a number"}.` };
      inputs[f.name] = n;
    } else if (f.kind === "enum") {
      inputs[f.name] = f.options.find((o) => String(o) === text) ?? text;
    } else if (f.kind === "json") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { error: `${f.label} is not valid JSON.` };
      }
      if (f.name !== ROOT) inputs[f.name] = parsed;
      else if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(inputs, parsed);
      else return { error: "Inputs must be a JSON object." };
    } else inputs[f.name] = text;
  }
  return { inputs };
}

export function SchemaForm({ fields, values, onChange }: { fields: SchemaField[]; values: SchemaValues; onChange: (next: SchemaValues) => void }) {
  const prefix = useId();
  const set = (name: string, value: string | boolean) => onChange({ ...values, [name]: value });
  return (
    <fieldset className="schema-form">
      {fields.map((f) => {
        const id = `${prefix}-${f.name}`;
        const label = (
          <label htmlFor={id}>
            {f.label}
            {f.required && <span aria-hidden="true"> *</span>}
            {f.kind === "json" && f.name !== ROOT && <span className="muted small"> (JSON)</span>}
          </label>
        );
        const help = f.description && <p className="muted small field-help">{f.description}</p>;
        const text = typeof values[f.name] === "string" ? (values[f.name] as string) : "";
        if (f.kind === "boolean") {
          return (
            <div key={f.name} className="schema-field schema-check">
              <input id={id} type="checkbox" checked={values[f.name] === true} onChange={(e) => set(f.name, e.target.checked)} />
              {label}
              {help}
            </div>
          );
        }
        return (
          <div key={f.name} className="schema-field">
            {label}
            {help}
            {f.kind === "enum" ? (
              <select id={id} value={text} required={f.required} onChange={(e) => set(f.name, e.target.value)}>
                <option value="">{f.required ? "Choose…" : "—"}</option>
                {f.options.map((o) => (
                  <option key={String(o)} value={String(o)}>
                    {String(o)}
                  </option>
                ))}
              </select>
            ) : f.kind === "json" ? (
              <textarea id={id} className="mono" rows={4} value={text} required={f.required} onChange={(e) => set(f.name, e.target.value)} />
            ) : (
              <input
                id={id}
                type={f.kind === "string" ? "text" : "number"}
                step={f.kind === "integer" ? 1 : f.kind === "number" ? "any" : undefined}
                value={text}
                required={f.required}
                aria-required={f.required}
                onChange={(e) => set(f.name, e.target.value)}
              />
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
