import type { Logger } from "pino";
import type { ServerConfig } from "./config.js";
import type { Db } from "./db/client.js";
import type { EventBus } from "./modules/events/event-bus.js";

/** Everything the app's modules share; built once by server.ts (or a test). */
export type Deps = {
  db: Db;
  config: ServerConfig;
  installSecret: string;
  events: EventBus;
  log: Logger;
  clock: () => number;
};
