import { describe, expect, it } from 'vitest'
import { CHECK_IDS } from './ids.ts'
import { CHECKS } from './index.ts'
import { selectedCount, unknownCheckIds } from './select.ts'

describe('CHECK_IDS', () => {
  it("is the catalog's ids in its order (add or remove a check: update src/checks/ids.ts too)", () => {
    expect(CHECK_IDS).toEqual(CHECKS.map((c) => c.id))
  })

  it('answers --only/--skip as the catalog would: unknown names, and the count selected', () => {
    expect(unknownCheckIds(['put.status.*', 'put.nope', 'put.attributes-param'])).toEqual(['put.nope'])
    expect(selectedCount(['put.meta.*'], ['put.meta.location'])).toBe(
      CHECKS.filter((c) => c.id.startsWith('put.meta.') && c.id !== 'put.meta.location').length,
    )
  })
})
