#!/usr/bin/env node
// The installed command (package.json `bin`), compiled to dist/src/cli/cli.js: plain JavaScript, no loader.
// Development runs the TypeScript sources through src/cli/bin.mjs instead.
import { main } from './main.ts'

process.exitCode = await main(process.argv.slice(2))
