/**
 * The frame catalog's handlers, one file per frame type. The mapped type makes a frame type
 * without a handler a compile error.
 */
import type { AgentFrame } from "@outpost/shared";
import type { Handler } from "./handler.js";
import { accept } from "./accept.js";
import { finished } from "./finished.js";
import { hello } from "./hello.js";
import { logs } from "./logs.js";
import { moduleProgress } from "./module-progress.js";
import { moduleResult } from "./module-result.js";
import { ready } from "./ready.js";
import { reject } from "./reject.js";
import { renew } from "./renew.js";
import { report } from "./report.js";
import { started } from "./started.js";
import { steps } from "./steps.js";

export type { Handler } from "./handler.js";

export const HANDLERS: { [T in AgentFrame["type"]]: Handler<T> } = {
  hello,
  ready,
  accept,
  reject,
  started,
  renew,
  logs,
  steps,
  report,
  finished,
  module_progress: moduleProgress,
  module_result: moduleResult,
};

/** Frames whose handlers never write: they need no savepoint of their own (nothing to undo). */
export const READ_ONLY_FRAMES: ReadonlySet<AgentFrame["type"]> = new Set(["ready", "accept"]);
