/**
 * The one way to build an Ajv instance for user-written JSON Schemas (a function's input_schema).
 *
 * Every `pattern` and `patternProperties` key runs on RE2 (re2js, a pure-JS port): matching is
 * linear in the input, so no pattern and input can backtrack for seconds ("^(a+)+$" against 30 `a`s
 * and a `!` took 3.7 s on V8's engine). RE2 has no lookaround and no backreferences: a pattern that
 * needs them does not compile, and publishing its schema is refused with a 422.
 */
import { Ajv, type CodeOptions, type ErrorObject, type Options } from "ajv";
import type { ErrorItem } from "@outpost/shared";
import { RE2JS } from "re2js";

type RegExpEngine = NonNullable<CodeOptions["regExp"]>;

/** Compiling is roughly linear in a pattern's length, matching in length x input: keep both small. */
export const MAX_PATTERN_LENGTH = 1000;

export class UnsupportedPatternError extends Error {}

/** Ajv's `code.regExp`: the `u` flag is RE2's default (it matches code points). */
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    if (pattern.length > MAX_PATTERN_LENGTH) {
      throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern.slice(0, 40))}... is longer than ${MAX_PATTERN_LENGTH} characters`);
    }
    let re: RE2JS;
    try {
      re = RE2JS.compile(pattern);
    } catch (err) {
      throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)} is not supported by the linear-time (RE2) engine: ${(err as Error).message}`);
    }
    // toString keys Ajv's cache of compiled patterns.
    return { test: (s: string) => re.test(s), toString: () => `/${pattern}/re2` };
  },
  { code: "linearRegExp" },
);

/**
 * `logger: false`: a schema naming an unknown `format` would otherwise write to the console on
 * every compile (formats are not checked: no format plugin is loaded).
 */
export function userSchemaAjv(options: Options = {}): Ajv {
  return new Ajv({ allErrors: true, strict: false, logger: false, ...options, code: { regExp: linearRegExp } });
}

/** Ajv's errors (from an instance with `verbose`) as 422 items under `inputs`, each naming the value. */
export function inputErrors(errors: ErrorObject[]): ErrorItem[] {
  return errors.map((e) => {
    const path = ["inputs", ...e.instancePath.split("/").filter(Boolean)];
    if (e.keyword === "required") path.push(String(e.params.missingProperty));
    // An unexpected property is named as the field in error, not its parent object.
    if (e.keyword === "additionalProperties") path.push(String(e.params.additionalProperty));
    const value =
      e.keyword === "required"
        ? "missing"
        : e.keyword === "additionalProperties"
          ? `got property "${String(e.params.additionalProperty)}"`
          : `got ${JSON.stringify(e.data)?.slice(0, 80)}`;
    return { path: path.join("."), message: `${e.message ?? "invalid"} (${value})` };
  });
}
