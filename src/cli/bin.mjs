#!/usr/bin/env node
// Development entry: the TypeScript CLI through tsx's loader, no build step. The installed package's
// command is the compiled dist/src/cli/cli.js (src/cli/cli.ts), which needs no loader.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv.slice(2))
