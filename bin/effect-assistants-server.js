#!/usr/bin/env node
// Loads the TypeScript entry point in this process through tsx's loader, so the bin works from a
// source checkout and a signal sent to it reaches the server itself.
import { register } from "tsx/esm/api"

register()
await import("../src/server/bin.ts")
