import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { checksCatalogue } from './catalogue.ts'
import { CHECKS } from './index.ts'

test('docs/checks.md is the catalogue of the registry as it stands (npm run docs writes it)', () => {
  // Arrange
  const committed = readFileSync(new URL('../../docs/checks.md', import.meta.url), 'utf8')
  // Act
  const current = checksCatalogue(CHECKS)
  // Assert: every check appears once, and the file is exactly what the registry gives.
  for (const check of CHECKS) expect(current.split(`### \`${check.id}\` (${check.level})`)).toHaveLength(2)
  expect(committed, 'docs/checks.md is stale: run `npm run docs` and commit it').toBe(current)
})
