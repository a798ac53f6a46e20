#!/usr/bin/env node
// Development entry (`npm run conformance`, the tests' CLI runs). When dist/ (`npm run build`; `npm ci` builds it) is
// newer than every source it is compiled from, it runs the compiled CLI: no TypeScript transpiled at run time, which
// was a third of a run's time (issue 15). After an edit it runs the TypeScript sources through tsx's loader.
import { readdirSync, statSync } from 'node:fs'

const root = new URL('../../', import.meta.url)
const compiled = new URL('dist/src/cli/main.js', root)

/** The newest modification time of the compiled sources under `dir` (tests are not compiled). */
function newestSource(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const url = new URL(`${entry.name}${entry.isDirectory() ? '/' : ''}`, dir)
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(url))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(url).mtimeMs)
  }
  return newest
}

function compiledIsCurrent() {
  const built = statSync(compiled, { throwIfNoEntry: false })?.mtimeMs
  if (built === undefined || process.env.SCIM_CONFORMANCE_FROM_SOURCE === '1') return false
  return newestSource(new URL('src/', root)) < built && newestSource(new URL('suites/', root)) < built
}

let main
if (compiledIsCurrent()) ({ main } = await import(compiled.href))
else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('./main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
