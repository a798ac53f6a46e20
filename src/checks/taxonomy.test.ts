import { describe, expect, test } from 'vitest'
import { ATTRIBUTES_CHECKS } from './areas/attributes.ts'
import { AUTH_CHECKS } from './areas/auth.ts'
import { CONCURRENCY_CHECKS } from './areas/concurrency.ts'
import { DECLARED_CHECKS } from './areas/declared.ts'
import { ERROR_CHECKS } from './areas/errors.ts'
import { ETAG_CHECKS } from './areas/etag.ts'
import { INVALID_CHECKS } from './areas/invalid.ts'
import { MEDIA_CHECKS } from './areas/media.ts'
import { META_CHECKS } from './areas/meta.ts'
import { READONLY_CHECKS } from './areas/readonly.ts'
import { REPLACE_CHECKS } from './areas/replace.ts'
import { SCHEMA_CHECKS } from './areas/schema.ts'
import { SEQUENCE_CHECKS } from './areas/sequence.ts'
import { STABILITY_CHECKS } from './areas/stability.ts'
import { STATUS_CHECKS } from './areas/status.ts'
import { UNIQUENESS_CHECKS } from './areas/uniqueness.ts'
import { CHECK_ALIASES, CHECKS, selectChecks } from './index.ts'

// One taxonomy: a check's file (src/checks/areas/<file>.ts) is its area and the prefix of its id.
const FILES = {
  attributes: ATTRIBUTES_CHECKS,
  auth: AUTH_CHECKS,
  concurrency: CONCURRENCY_CHECKS,
  declared: DECLARED_CHECKS,
  errors: ERROR_CHECKS,
  etag: ETAG_CHECKS,
  invalid: INVALID_CHECKS,
  media: MEDIA_CHECKS,
  meta: META_CHECKS,
  readonly: READONLY_CHECKS,
  replace: REPLACE_CHECKS,
  schema: SCHEMA_CHECKS,
  sequence: SEQUENCE_CHECKS,
  stability: STABILITY_CHECKS,
  status: STATUS_CHECKS,
  uniqueness: UNIQUENESS_CHECKS,
}
/** The schema area holds two families: the vendor's declared response schemas, and RFC 7643 §3 `schemas`. */
const PREFIXES: Record<string, string[]> = { schema: ['response', 'schemas'] }

describe('file = area = id prefix', () => {
  test.each(Object.entries(FILES))('areas/%s.ts: every check has that area and id prefix', (file, checks) => {
    for (const check of checks) {
      expect(check.area, check.id).toBe(file)
      expect(PREFIXES[file] ?? [file], check.id).toContain(check.id.split('.')[1])
    }
  })

  test('the registry is exactly the checks of the area files', () => {
    const inFiles = Object.values(FILES).flatMap((checks) => checks.map((c) => c.id))
    expect([...inFiles].sort()).toEqual(CHECKS.map((c) => c.id).sort())
  })

  test('former ids still select their check in --only/--skip', () => {
    for (const [old, current] of Object.entries(CHECK_ALIASES)) {
      expect(selectChecks(CHECKS, [old], []).map((c) => c.id)).toEqual([current])
      expect(selectChecks(CHECKS, [], [old]).map((c) => c.id)).not.toContain(current)
    }
  })
})
