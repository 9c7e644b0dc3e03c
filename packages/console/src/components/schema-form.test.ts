import { describe, expect, it } from "vitest";
import { buildInputs, initialValues, schemaFields, type SchemaValues } from "./schema-form";

const schema = {
  type: "object",
  properties: {
    env: { type: "string", enum: ["a", "b"], title: "Environment" },
    n: { type: "integer", default: 2 },
    x: { type: "number" },
    on: { type: "boolean" },
    s: { type: "string" },
    nested: { type: "object" },
    list: { type: "array" },
    either: { oneOf: [{ type: "string" }, { type: "number" }] },
  },
  required: ["env", "s"],
};

describe("schema form", () => {
  it("renders each property as the control its type needs; what no control holds is JSON", () => {
    expect(schemaFields(schema).map((f) => [f.name, f.kind, f.required])).toEqual([
      ["env", "enum", true],
      ["n", "integer", false],
      ["x", "number", false],
      ["on", "boolean", false],
      ["s", "string", true],
      ["nested", "json", false],
      ["list", "json", false],
      ["either", "json", false],
    ]);
    expect(schemaFields({ type: "object" }).map((f) => f.kind)).toEqual(["json"]);
  });

  it("builds typed inputs, leaves out empty optional fields, and names the field that is wrong", () => {
    const fields = schemaFields(schema);
    const values: SchemaValues = { ...initialValues(schema), env: "b", s: "hi", x: "1.5", on: true, nested: '{"a":1}', list: "[1]" };
    expect(values.n).toBe("2");
    expect(buildInputs(fields, values)).toEqual({ inputs: { env: "b", n: 2, x: 1.5, on: true, s: "hi", nested: { a: 1 }, list: [1] } });
    expect(buildInputs(fields, { ...values, env: "" })).toEqual({ error: "Environment is required." });
    expect(buildInputs(fields, { ...values, n: "2.5" })).toEqual({ error: "n must be a whole number." });
    expect(buildInputs(fields, { ...values, nested: "{" })).toEqual({ error: "nested is not valid JSON." });
    const root = schemaFields({ type: "object" });
    expect(buildInputs(root, { __inputs: '{"k":"v"}' })).toEqual({ inputs: { k: "v" } });
    expect(buildInputs(root, { __inputs: "[1]" })).toEqual({ error: "Inputs must be a JSON object." });
  });
});
