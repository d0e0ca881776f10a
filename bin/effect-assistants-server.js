#!/usr/bin/env node
// Runs the TypeScript entry point through tsx, so the bin works from a source checkout.
import { spawnSync } from "node:child_process"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const require = createRequire(import.meta.url)
const entry = fileURLToPath(new URL("../src/server/bin.ts", import.meta.url))
const tsx = require.resolve("tsx/cli")
const result = spawnSync(process.execPath, [tsx, entry, ...process.argv.slice(2)], { stdio: "inherit" })
process.exit(result.status ?? 1)
