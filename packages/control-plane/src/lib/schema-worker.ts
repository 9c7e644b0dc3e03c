/**
 * The worker thread behind schema-checks.ts: compiles input schemas and validates job inputs, so a
 * schema whose validation costs seconds (a $ref chain doubling at each step, thousands of patterns
 * applied to a large input) spends them here, where the main thread can stop it, and never on the
 * event loop. Loaded from dist/ (see schema-checks.ts).
 */
import { readlinkSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import type { ValidateFunction } from "ajv";
import { inputErrors, userSchemaAjv } from "./json-schema.js";
import type { SchemaTask, SchemaTaskResult } from "./schema-checks.js";

// verbose: errors carry the offending value (e.data), which the 422 message names.
const ajv = userSchemaAjv({ verbose: true });
const validators = new Map<string, ValidateFunction>();
const MAX_VALIDATORS = 1000;

function run(task: SchemaTask): SchemaTaskResult {
  try {
    if (task.kind === "compile") {
      ajv.compile(task.schema);
      ajv.removeSchema(task.schema);
      return { id: task.id, errors: [] };
    }
    let validate = validators.get(task.key);
    if (!validate) {
      if (validators.size >= MAX_VALIDATORS) {
        validators.clear();
        ajv.removeSchema(); // Ajv keeps every schema it compiled
      }
      validators.set(task.key, (validate = ajv.compile(task.schema)));
    }
    return { id: task.id, errors: validate(task.inputs) ? [] : inputErrors(validate.errors ?? []) };
  } catch (err) {
    return { id: task.id, compileError: (err as Error).message };
  }
}

/** This thread's kernel id (from /proc/thread-self: "PID/task/TID"), so the main thread can read its CPU time. */
function threadId(): number | undefined {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").pop());
  } catch {
    return undefined;
  }
}

parentPort!.on("message", (task: SchemaTask) => parentPort!.postMessage(run(task)));
parentPort!.postMessage({ ready: true, tid: threadId() });
