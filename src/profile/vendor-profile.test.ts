import { copyFileSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { SpecLoadError } from '../errors.ts'
import { loadSpec } from '../openapi/load-spec.ts'
import { loadProfile } from './vendor-profile.ts'
import { BUILT_IN_VENDORS } from './vendors.ts'

const CUBE_SPEC = fileURLToPath(new URL('../../specs/cube.yaml', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'profile-cache-'))

test('a profile is loaded once per spec file and reused', async () => {
  const [a, b] = await Promise.all([loadProfile({ vendor: 'cube' }), loadProfile({ vendor: 'cube' })])
  expect(a).toBe(b)
  expect(await loadProfile({ vendor: 'cube' })).toBe(a)
  expect(await loadProfile({ vendor: 'maia' })).not.toBe(a)
})

test('an edited spec file is loaded afresh', async () => {
  const path = join(dir, 'edited.yaml')
  copyFileSync(CUBE_SPEC, path)
  const before = await loadProfile({ spec: path })
  writeFileSync(path, readFileSync(CUBE_SPEC, 'utf8').replace(/^(\s*title:\s*).*$/m, '$1Edited Cube'))
  // A different size already tells the edit apart; a later mtime makes it plain whatever the clock's resolution.
  utimesSync(path, new Date(), new Date(Date.now() + 5000))
  const after = await loadProfile({ spec: path })
  expect(after).not.toBe(before)
  expect(after.declared.displayName).toBe('Edited Cube')
})

test('a failed load is reported again on the next call, and a fixed file then loads', async () => {
  const path = join(dir, 'broken.yaml')
  writeFileSync(path, 'openapi: 3.1.0\ninfo: [not, an, object\n')
  await expect(loadProfile({ spec: path })).rejects.toBeInstanceOf(SpecLoadError)
  await expect(loadProfile({ spec: path })).rejects.toBeInstanceOf(SpecLoadError)
  copyFileSync(CUBE_SPEC, path)
  utimesSync(path, new Date(), new Date(Date.now() + 5000))
  expect((await loadProfile({ spec: path })).op.path).toBe('/api/scim/v2/Users/{id}')
})

// Runs skip the meta-schema validation of the built-in documents (vendor-profile.ts load): this is where it happens.
test.each(BUILT_IN_VENDORS.map((v) => [v.name, v.specPath]))(
  'the built-in %s document is valid OpenAPI',
  async (_, path) => {
    await expect(loadSpec(path, { validate: true })).resolves.toBeTruthy()
  },
)
