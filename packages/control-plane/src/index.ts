export { buildApp } from "./app.js";
export { loadConfig, type ServerConfig } from "./config.js";
export { openDb, tx, type Db } from "./db/client.js";
export * as schema from "./db/schema.js";
export { startServer, makeDeps, type RunningServer } from "./server.js";
export { mintToken, bootstrapIfEmpty } from "./bootstrap.js";
export type { Deps } from "./deps.js";
