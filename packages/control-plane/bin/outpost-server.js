#!/usr/bin/env -S node --max-semi-space-size=8
// A young generation of 2 x 8 MB (Node 24 grows it to 2 x 32 MB under load) keeps the server's RSS
// flat while it takes in log floods; docs/performance.md, "Memory under log floods".
import { main } from "../dist/cli.js";

await main(process.argv.slice(2));
