import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { expect, test } from 'vitest'

const ROOT = new URL('../..', import.meta.url).pathname
/** The width Biome formats to (biome.json): no source line may exceed it, strings and comments included. */
const WIDTH: number = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')).formatter.lineWidth

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path)
    return /\.(ts|mjs)$/.test(entry.name) ? [path] : []
  })
}

test(`no source line in src/, suites/ or test/ is over ${WIDTH} characters`, () => {
  const long = ['src', 'suites', 'test'].flatMap(sources).flatMap((file) =>
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .flatMap((line, i) => ([...line].length > WIDTH ? [`${relative(ROOT, join(ROOT, file))}:${i + 1}`] : [])),
  )
  expect(long).toEqual([])
})
