// Injected into the CommonJS agent bundle: what the ESM sources read from import.meta.url.
export const __filename_url = require("node:url").pathToFileURL(__filename).href;
