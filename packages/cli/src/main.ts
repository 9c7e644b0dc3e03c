/** The process edge of `outpost`: run the command tree, resolve with the exit code. */
export { runCli as main } from "./program.js";
