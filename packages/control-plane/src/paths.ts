/**
 * Files outpost-server reads beside its code. From the repository (src/ or dist/) they are the
 * package's drizzle/, the console's Vite build and the repository's dist/release; from the
 * `npm pack` tarball (`pnpm release`: one esbuild bundle in bin/, __OUTPOST_BUNDLE__ defined) they
 * are drizzle/, console/ and release/ in the installed package.
 */
import { fileURLToPath } from "node:url";

declare const __OUTPOST_BUNDLE__: boolean | undefined;
const bundled = typeof __OUTPOST_BUNDLE__ !== "undefined";

/** A path relative to the package root: this file is one level below it in src/, dist/ and bin/ alike. */
const fromPackage = (rel: string) => fileURLToPath(new URL(`../${rel}`, import.meta.url));

export const MIGRATIONS_DIR = fromPackage("drizzle");
export const DEFAULT_CONSOLE_DIR = fromPackage(bundled ? "console" : "../console/dist");
export const DEFAULT_RELEASE_DIR = fromPackage(bundled ? "release" : "../../dist/release");
