import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { scimUser, type ScimUserPayload } from '../../generate/scim-user.ts'
import { loadProfile } from '../../profile/vendor-profile.ts'
import { fakeContext } from '../../../test/support/fake-target.ts'
import { testUserPrefix } from '../context.ts'
import { fullPayloads, learnedConstraints, validPayloads } from './payloads.ts'

// The learned constraints reach every check's payloads; with none learned, the payloads are those of
// an unconstrained run (replay by seed and the fault matrix depend on it).

const generic = await loadProfile({ vendor: 'generic', validate: false })
const serve = () => ({ status: 500 })
const LEARNED = { maxLength: 100, oneValuePerType: true, noEmptyItems: true }

/** Every string of a payload but the `schemas` URNs, with where it sits. */
function strings(value: unknown, path = ''): { path: string; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }]
  if (!value || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([k, v]) => (path === '' && k === 'schemas' ? [] : strings(v, `${path}/${k}`)))
}

/** The multi-valued attributes of a payload, extension ones included. */
function multiValued(payload: ScimUserPayload): Record<string, unknown>[][] {
  return Object.entries(payload).flatMap(([name, value]) => {
    if (Array.isArray(value)) return name === 'schemas' ? [] : [value as Record<string, unknown>[]]
    if (/^urn:/i.test(name) && value && typeof value === 'object')
      return Object.values(value).filter(Array.isArray) as Record<string, unknown>[][]
    return []
  })
}

function assertFits(payload: ScimUserPayload): void {
  for (const { path, text } of strings(payload)) expect(Array.from(text).length, path).toBeLessThanOrEqual(100)
  for (const items of multiValued(payload)) {
    const types = items.map((i) => i?.type).filter((t): t is string => typeof t === 'string')
    expect(new Set(types.map((t) => t.toLowerCase())).size).toBe(types.length)
    expect(items.some((i) => i && typeof i === 'object' && Object.keys(i).length === 0)).toBe(false)
  }
}

describe('validPayloads and fullPayloads apply ctx.constraints', () => {
  test('nothing learned: exactly the payloads of an unconstrained run, draw for draw', () => {
    const ctx = fakeContext({ profile: generic, serve })
    const tagged = fc.sample(validPayloads(ctx), { seed: 9, numRuns: 30 })
    const prefix = String(tagged[0].userName).match(/^scimc-unit-[0-9a-z]+-/)![0]
    expect(fc.sample(scimUser(generic, { userNamePrefix: prefix }), { seed: 9, numRuns: 30 })).toEqual(tagged)
    expect(learnedConstraints(ctx)).toEqual({})
  })

  test("the userName tag follows the check in progress (the runner's ctx.checkId), not an id the check repeats", () => {
    const tagOf = (checkId: string) =>
      String(
        fc.sample(validPayloads(fakeContext({ profile: generic, serve, checkId })), { seed: 3, numRuns: 1 })[0]
          .userName,
      )
        .split('-')
        .slice(0, 3)
        .join('-')
    expect(tagOf('put.replace.values-stored')).toBe(tagOf('put.replace.values-stored'))
    expect(tagOf('put.replace.values-stored')).not.toBe(tagOf('put.status.success-200'))
  })

  test('learned limits: every string within the cap, one value per type, no empty item', () => {
    const ctx = fakeContext({ profile: generic, serve, constraints: LEARNED })
    for (const payload of fc.sample(validPayloads(ctx), { seed: 9, numRuns: 200 })) assertFits(payload)
    for (const payload of fc.sample(fullPayloads(ctx), { seed: 9, numRuns: 200 })) assertFits(payload)
  })

  test("a check's own shorter cap wins; a learned cap never leaves a userName no room", () => {
    const ctx = fakeContext({ profile: generic, serve, constraints: { maxLength: 8 } })
    const prefix = `${testUserPrefix('unit')}abcde-`
    expect(learnedConstraints(ctx, prefix)).toEqual({ maxLength: Array.from(prefix).length + 4 })
    const capped = fakeContext({ profile: generic, serve, constraints: LEARNED })
    for (const payload of fc.sample(validPayloads(capped, { maxLength: 40 }), { seed: 1, numRuns: 50 }))
      for (const { text } of strings(payload)) expect(Array.from(text).length).toBeLessThanOrEqual(40)
    expect(fc.sample(validPayloads(ctx), { seed: 1, numRuns: 20 }).length).toBe(20)
  })
})
