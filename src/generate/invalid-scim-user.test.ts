import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { CORE_USER_SCHEMA, loadProfile, topLevelProperties, type VendorProfile } from '../profile/vendor-profile.ts'
import { validateAgainst } from '../validate/ajv.ts'
import {
  caseVariants,
  DEEP_NESTING,
  INVALID_MUTATIONS,
  invalidScimUser,
  mutation,
  OVERSIZE_BYTES,
  type InvalidCase,
  type MutationContext,
} from './invalid-scim-user.ts'
import { scimUser, type ScimUserPayload } from './scim-user.ts'

const SEED = 777
const VENDORS = ['lightdash', 'maia', 'cube'] as const
const profiles: Record<string, VendorProfile> = {}
for (const vendor of VENDORS) profiles[vendor] = await loadProfile({ vendor })

const OTHER = 'scimc-run42-other@example.com'
const PATH_ID = '11111111-2222-4333-8444-555555555555'

const parses = (body: string): boolean => {
  try {
    JSON.parse(body)
    return true
  } catch {
    return false
  }
}
const isObject = (v: unknown): v is ScimUserPayload => typeof v === 'object' && v !== null && !Array.isArray(v)
const depthOf = (v: unknown): number => {
  let depth = 0
  while (Array.isArray(v) || isObject(v)) {
    v = Array.isArray(v) ? v[0] : Object.values(v)[0]
    depth++
  }
  return depth
}
const schemaValid = (profile: VendorProfile, value: unknown) => validateAgainst(profile.requestSchema, value).valid

/** For each kind, the rule it names, checked independently of the generator: by ajv or by the rule itself. */
const BREAKS: Record<string, (c: InvalidCase, profile: VendorProfile) => boolean> = {
  'username-missing': (c) => isObject(c.mutated) && !('userName' in c.mutated),
  'username-empty': (c) => isObject(c.mutated) && c.mutated.userName === '',
  'username-null': (c, p) => isObject(c.mutated) && c.mutated.userName === null && !schemaValid(p, c.mutated),
  'schemas-missing': (c) => isObject(c.mutated) && !('schemas' in c.mutated),
  'schemas-empty': (c) => isObject(c.mutated) && Array.isArray(c.mutated.schemas) && c.mutated.schemas.length === 0,
  'schemas-without-core': (c) =>
    isObject(c.mutated) &&
    Array.isArray(c.mutated.schemas) &&
    !c.mutated.schemas.some((s) => String(s).toLowerCase() === CORE_USER_SCHEMA.toLowerCase()),
  'schemas-unknown-urn': (c, p) =>
    isObject(c.mutated) &&
    (c.mutated.schemas as string[]).some((s) => s !== CORE_USER_SCHEMA && !p.extensionUrns.includes(s)) &&
    schemaValid(p, c.mutated),
  'wrong-type': (c, p) => !schemaValid(p, c.mutated),
  'two-primaries': (c) =>
    isObject(c.mutated) &&
    Object.values(c.mutated).some(
      (v) => Array.isArray(v) && v.filter((e) => isObject(e) && e.primary === true).length >= 2,
    ),
  'duplicate-username': (c) => isObject(c.mutated) && c.mutated.userName === OTHER,
  'duplicate-username-case-variant': (c) =>
    isObject(c.mutated) &&
    c.mutated.userName !== OTHER &&
    String(c.mutated.userName).toLowerCase() === OTHER.toLowerCase(),
  'not-json': (c) => !parses(c.body),
  'truncated-json': (c) => !parses(c.body) && c.body.length > 0 && c.body.startsWith('{'),
  'json-array-body': (c) => parses(c.body) && Array.isArray(JSON.parse(c.body)),
  'json-scalar-body': (c) => parses(c.body) && (JSON.parse(c.body) === null || typeof JSON.parse(c.body) !== 'object'),
  'empty-body': (c) => c.body === '',
  'oversize-body': (c) => Buffer.byteLength(c.body) >= 1024 * 1024 && isObject(JSON.parse(c.body)),
  'wrong-content-type': (c, p) => !/json/i.test(c.contentType) && schemaValid(p, JSON.parse(c.body)),
  'deeply-nested': (c, p) =>
    !schemaValid(p, c.mutated) &&
    isObject(c.mutated) &&
    Object.values(c.mutated).some((v) => depthOf(v) >= DEEP_NESTING),
  'unknown-attribute': (c, p) => {
    const known = new Set(Object.keys(topLevelProperties(p.requestSchema)).map((k) => k.toLowerCase()))
    return (
      isObject(c.mutated) &&
      Object.keys(c.mutated).some((k) => !known.has(k.toLowerCase()) && k !== 'schemas' && k !== 'userName')
    )
  },
  'readonly-id-mismatch': (c, p) =>
    isObject(c.mutated) && typeof c.mutated.id === 'string' && c.mutated.id !== PATH_ID && schemaValid(p, c.mutated),
}

describe('the catalogue', () => {
  test('has every kind the harness relies on, each with the rule it breaks', () => {
    expect(INVALID_MUTATIONS.map((m) => m.kind).sort()).toEqual(Object.keys(BREAKS).sort())
    for (const m of INVALID_MUTATIONS) expect(m.rule).toMatch(/^RFC \d+ §/)
  })
})

describe.each(VENDORS)('mutations of %s payloads', (vendor) => {
  const profile = profiles[vendor]
  const ctx: MutationContext = {
    base: scimUser(profile, { userNamePrefix: 'scimc-run42-' }),
    otherUserName: OTHER,
    pathId: PATH_ID,
  }

  test.each(INVALID_MUTATIONS.map((m) => [m.kind]))('%s really breaks the rule it names', (kind) => {
    // Arrange
    const m = mutation(kind)
    if (!m.appliesTo(profile)) return
    // Act / Assert
    fc.assert(
      fc.property(m.arbitrary(profile, ctx), (c) => {
        expect(c.kind).toBe(kind)
        expect(BREAKS[kind](c, profile), `${c.violation}: ${c.body.slice(0, 300)}`).toBe(true)
        expect(c.contentType).toBe(kind === 'wrong-content-type' ? 'text/plain' : profile.requestMediaType)
        if (c.mutated !== undefined) expect(JSON.parse(c.body)).toEqual(c.mutated)
        // Only a mutation that brings values of its own needs a control other than its base.
        if (kind !== 'two-primaries') expect(c.control).toBeUndefined()
      }),
      { seed: SEED, numRuns: kind === 'oversize-body' ? 3 : kind === 'deeply-nested' ? 20 : 60 },
    )
  })

  test('object-body mutations change only what they name: the rest still validates', () => {
    const restored = (c: InvalidCase): unknown => {
      const m = c.mutated as ScimUserPayload
      if (c.kind.startsWith('username-')) return { ...m, userName: 'scimc-run42-x@example.com' }
      if (c.kind.startsWith('duplicate-username')) return m
      return undefined
    }
    fc.assert(
      fc.property(
        invalidScimUser(profile, ctx, [
          'username-missing',
          'username-empty',
          'username-null',
          'duplicate-username',
          'duplicate-username-case-variant',
        ]),
        (c) => {
          expect(validateAgainst(profile.requestSchema, restored(c)).errors).toEqual([])
        },
      ),
      { seed: SEED, numRuns: 100 },
    )
  })

  test('two-primaries carries its control: the same entries with one primary, and nothing else changed', () => {
    const m = mutation('two-primaries')
    if (!m.appliesTo(profile)) return
    for (const c of fc.sample(m.arbitrary(profile, ctx), { seed: SEED, numRuns: 30 })) {
      const control = c.control as ScimUserPayload
      const mutated = c.mutated as ScimUserPayload
      const name = Object.keys(mutated).find((k) =>
        BREAKS['two-primaries']({ ...c, mutated: { [k]: mutated[k] } }, profile),
      )!
      expect((control[name] as { primary: boolean }[]).map((e) => e.primary)).toEqual([true, false])
      expect({ ...control, [name]: null }).toEqual({ ...mutated, [name]: null })
    }
  })

  test('wrong-type covers every non-readOnly attribute of the schema', () => {
    const labels = new Set(
      fc
        .sample(mutation('wrong-type').arbitrary(profile, ctx), { seed: SEED, numRuns: 1000 })
        .map((c) => c.violation.split(': ')[0]),
    )
    expect(labels).toContain('userName')
    expect(labels).toContain('schemas')
    for (const name of Object.keys(topLevelProperties(profile.requestSchema))) {
      if (!['id', 'meta', 'groups'].includes(name)) expect(labels).toContain(name)
    }
  })
})

describe('invalidScimUser', () => {
  test('leaves out uniqueness kinds without another userName, and rejects them when asked for explicitly', () => {
    const profile = profiles.cube
    const base = scimUser(profile)
    const kinds = new Set(
      fc.sample(invalidScimUser(profile, { base }), { seed: SEED, numRuns: 500 }).map((c) => c.kind),
    )
    expect(kinds.has('duplicate-username')).toBe(false)
    expect(kinds.has('username-missing')).toBe(true)
    expect(() => invalidScimUser(profile, { base }, ['duplicate-username'])).toThrow(/otherUserName/)
    expect(() => invalidScimUser(profile, { base }, ['no-such-kind'])).toThrow(/unknown mutation kind/)
  })

  test('same seed gives the same invalid cases', () => {
    const profile = profiles.lightdash
    const ctx: MutationContext = { base: scimUser(profile), otherUserName: OTHER }
    const first = fc.sample(invalidScimUser(profile, ctx), { seed: 5, numRuns: 40 }).map((c) => c.body)
    const second = fc.sample(invalidScimUser(profile, ctx), { seed: 5, numRuns: 40 }).map((c) => c.body)
    expect(second).toEqual(first)
  })

  test('a failing case shrinks through the base payload to a small body', () => {
    const profile = profiles.maia
    const arb = mutation('username-missing').arbitrary(profile, { base: scimUser(profile) })
    const details = fc.check(
      fc.property(arb, (c) => c.body.length < 0),
      { seed: SEED, numRuns: 20 },
    )
    expect(details.failed).toBe(true)
    const smallest = details.counterexample![0]
    // Only what Maia requires survives: schemas and meta (userName is the removed part).
    expect(Object.keys(smallest.mutated as object).sort()).toEqual(['meta', 'schemas'])
  })

  test('caseVariants', () => {
    expect(caseVariants('ada@example.com')).toEqual(['ADA@EXAMPLE.COM', 'Ada@Example.Com'])
    expect(caseVariants('Ada')).toEqual(['ADA', 'aDA', 'ada'])
    expect(caseVariants('123')).toEqual([])
  })

  test('oversize bodies are just over 1 MiB, the JSON of their mutated value, and one body per arbitrary', () => {
    const cases = fc.sample(mutation('oversize-body').arbitrary(profiles.maia, { base: scimUser(profiles.maia) }), {
      seed: SEED,
      numRuns: 3,
    })
    expect(Buffer.byteLength(cases[0].body)).toBe(OVERSIZE_BYTES)
    expect(JSON.parse(cases[0].body)).toEqual(cases[0].mutated)
    expect(new Set(cases.map((c) => c.body)).size).toBe(1)
    expect(mutation('oversize-body').cost).toBe('heavy')
  })

  test('deeply nested bodies are the JSON of their mutated value', () => {
    for (const profile of Object.values(profiles)) {
      const cases = fc.sample(mutation('deeply-nested').arbitrary(profile, { base: scimUser(profile) }), {
        seed: SEED,
        numRuns: 20,
      })
      for (const c of cases) expect(JSON.parse(c.body)).toEqual(c.mutated)
    }
  })
})
