/** outpost-server's version: set by the release bundle (esbuild define), else read from package.json. */
import { readFileSync } from "node:fs";

declare const __OUTPOST_VERSION__: string | undefined;

export const SERVER_VERSION: string =
  typeof __OUTPOST_VERSION__ === "string"
    ? __OUTPOST_VERSION__
    : (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
