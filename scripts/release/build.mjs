// `pnpm release` (after `pnpm build`): writes dist/release/
//   outpost-agent-<version>-linux-x64   one executable: Node's single executable application with the
//                                       agent and its dependencies bundled by esbuild (no Node, no node_modules)
//   outpost-agent-<version>.tgz         npm pack: the same bundle, `npm i -g` gives `outpost-agent`
//   outpost-server-<version>.tgz        npm pack: the server bundled, better-sqlite3 built at install,
//                                       migrations and the console inside
//   outpost-agent-linux-x64             the executable again under the name outpost-server serves
//   SHA256SUMS and <file>.sha256        SHA-256 of each
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OUT = join(ROOT, "dist/release");
const STAGE = join(ROOT, "dist/release-stage");
const require = createRequire(import.meta.url);
const pkg = (dir) => JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8"));
const agentPkg = pkg("packages/daemon");
const serverPkg = pkg("packages/control-plane");
const root = pkg(".");
const engines = root.engines;
const say = (m) => process.stderr.write(`==> ${m}\n`);

rmSync(OUT, { recursive: true, force: true });
rmSync(STAGE, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

async function bundle(entry, outfile, opts) {
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    logLevel: "error",
    legalComments: "none",
    ...opts,
  });
}

// --- the agent: one CommonJS file (what a single executable application runs) -----------------
say(`bundling outpost-agent ${agentPkg.version}`);
const agentStage = join(STAGE, "outpost-agent");
const agentBundle = join(agentStage, "bin/outpost-agent.cjs");
await bundle("packages/daemon/bin/outpost-agent.js", agentBundle, {
  format: "cjs",
  // (esbuild keeps the entry's #!/usr/bin/env node line first, so the bundle runs as a script too)
  define: { __OUTPOST_VERSION__: JSON.stringify(agentPkg.version), "import.meta.url": "__filename_url" },
  inject: [join(ROOT, "scripts/release/cjs-shims.js")],
  // ssh2 (under dockerode) loads these native helpers in a try/catch and works without them.
  external: ["cpu-features", "*.node"],
});
chmodSync(agentBundle, 0o755);

say("building the single executable");
const seaDir = join(STAGE, "sea");
mkdirSync(seaDir, { recursive: true });
const blob = join(seaDir, "agent.blob");
writeFileSync(join(seaDir, "sea-config.json"), JSON.stringify({ main: agentBundle, output: blob, disableExperimentalSEAWarning: true }));
execFileSync(process.execPath, ["--experimental-sea-config", join(seaDir, "sea-config.json")], { stdio: "inherit" });
const exe = join(OUT, `outpost-agent-${agentPkg.version}-linux-x64`);
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
execFileSync(
  process.execPath,
  [require.resolve("postject/dist/cli.js"), exe, "NODE_SEA_BLOB", blob, "--sentinel-fuse", "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"],
  { stdio: ["ignore", "ignore", "inherit"] },
);
copyFileSync(exe, join(OUT, "outpost-agent-linux-x64"));

// --- npm pack tarballs ---------------------------------------------------------------------------
const readme = (name, text) => `# ${name}\n\n${text}\n\nThe Outpost README documents installing and running it.\n`;
writeFileSync(
  join(agentStage, "package.json"),
  JSON.stringify({ name: "outpost-agent", version: agentPkg.version, description: "Outpost agent: runs Outpost jobs in Docker containers", license: "UNLICENSED", bin: { "outpost-agent": "bin/outpost-agent.cjs" }, engines, files: ["bin"] }, null, 2),
);
writeFileSync(join(agentStage, "README.md"), readme("outpost-agent", "`outpost-agent --help`"));

say(`bundling outpost-server ${serverPkg.version}`);
const serverStage = join(STAGE, "outpost-server");
await bundle("packages/control-plane/bin/outpost-server.js", join(serverStage, "bin/outpost-server.mjs"), {
  format: "esm",
  banner: { js: "import { createRequire as __outpostRequire } from 'node:module'; const require = __outpostRequire(import.meta.url);" },
  define: { __OUTPOST_VERSION__: JSON.stringify(serverPkg.version), __OUTPOST_BUNDLE__: "true" },
  external: ["better-sqlite3"],
});
chmodSync(join(serverStage, "bin/outpost-server.mjs"), 0o755);
cpSync(join(ROOT, "packages/control-plane/drizzle"), join(serverStage, "drizzle"), { recursive: true });
cpSync(join(ROOT, "packages/console/dist"), join(serverStage, "console"), { recursive: true, filter: (src) => !src.endsWith(".map") });
writeFileSync(
  join(serverStage, "package.json"),
  JSON.stringify(
    {
      name: "outpost-server",
      version: serverPkg.version,
      description: "Outpost control plane: REST API, agent sessions, dispatch, web console, SQLite",
      license: "UNLICENSED",
      type: "module",
      bin: { "outpost-server": "bin/outpost-server.mjs" },
      engines,
      files: ["bin", "drizzle", "console"],
      dependencies: { "better-sqlite3": serverPkg.dependencies["better-sqlite3"] },
    },
    null,
    2,
  ),
);
writeFileSync(join(serverStage, "README.md"), readme("outpost-server", "`outpost-server --help`"));

for (const dir of [agentStage, serverStage]) {
  execFileSync("npm", ["pack", "--pack-destination", OUT, "--silent"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
}

// --- checksums ---------------------------------------------------------------------------------
const sums = [];
for (const file of readdirSync(OUT).sort()) {
  const hex = createHash("sha256").update(readFileSync(join(OUT, file))).digest("hex");
  writeFileSync(join(OUT, `${file}.sha256`), `${hex}  ${file}\n`);
  sums.push(`${hex}  ${file}`);
}
writeFileSync(join(OUT, "SHA256SUMS"), `${sums.join("\n")}\n`);
rmSync(STAGE, { recursive: true, force: true });
for (const line of sums) process.stdout.write(`${line.split("  ")[1]}\n`);
process.stdout.write(`release in ${relative(process.cwd(), OUT) || "."}\n`);
