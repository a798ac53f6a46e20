import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { CHECKS } from './index.ts'

/**
 * Issue 13 item 8: every check has a given/want table in its area's test file (a fake exchange in, a
 * graded verdict out). A table names the check by its id, the constant it is exported as, or (a family of
 * checks built from one list, e.g. put.invalid.<kind>) the quoted last part of its id.
 */
describe('every check has a given/want table in src/checks/areas/<area>[-topic].test.ts', () => {
  test.each(CHECKS.map((c) => [c.id, c] as const))('%s', async (id, check) => {
    const module: Record<string, unknown> = await import(`./areas/${check.area}.ts`)
    const names = Object.entries(module)
      .filter(([, value]) => value === check)
      .map(([name]) => name)
    // The area's tables: areas/<area>.test.ts, and areas/<area>-<topic>.test.ts where one grew its own file.
    const files = readdirSync(new URL('./areas/', import.meta.url)).filter(
      (f) => f === `${check.area}.test.ts` || (f.startsWith(`${check.area}-`) && f.endsWith('.test.ts')),
    )
    const table = files.map((f) => readFileSync(new URL(`./areas/${f}`, import.meta.url), 'utf8')).join('\n')
    const quoted = (name: string) => new RegExp(`['"\`]${escapeRegExp(name)}['"\`]`).test(table)
    const word = (name: string) => new RegExp(`\\b${escapeRegExp(name)}\\b`).test(table)
    const named = [id, ...names].filter((name) => quoted(name) || word(name))
    if (quoted(id.split('.').at(-1)!)) named.push(id)
    expect(named, `${id} is not named in areas/${check.area}.test.ts`).not.toEqual([])
  })
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
