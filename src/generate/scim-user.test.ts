import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { UsageError } from '../errors.ts'
import { CORE_USER_SCHEMA, loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { validateAgainst } from '../validate/ajv.ts'
import {
  minimalScimUser,
  omittableAttributes,
  readOnlyAttributes,
  scimUser,
  scimUserAttribute,
  scimUserExample,
  type ScimUserConstraints,
  type ScimUserPayload,
} from './scim-user.ts'

const SEED = 4242
const VENDORS = ['lightdash', 'maia', 'cube'] as const
const profiles: Record<string, VendorProfile> = {}
for (const vendor of VENDORS) profiles[vendor] = await loadProfile({ vendor })

const EMAIL = /^[a-z0-9]+(\.[a-z0-9]+)?@example\.(com|org|net)$/
const PREFIX = 'scimc-run42-'

/** The SCIM rules every valid payload keeps, beyond the vendor's schema. */
function assertScimShape(profile: VendorProfile, payload: ScimUserPayload): void {
  const verdict = validateAgainst(profile.requestSchema, payload)
  expect(verdict.errors).toEqual([])
  const schemas = payload.schemas as string[]
  expect(schemas[0]).toBe(CORE_USER_SCHEMA)
  expect(new Set(schemas).size).toBe(schemas.length)
  for (const urn of profile.extensionUrns) expect(schemas.includes(urn)).toBe(urn in payload)
  expect(payload.userName).toMatch(/^scimc-run42-[0-9a-z]{14}@example\.com$/)
  for (const [name, value] of Object.entries(payload)) {
    if (!Array.isArray(value)) continue
    const primaries = value.filter((v) => v && typeof v === 'object' && (v as { primary?: unknown }).primary === true)
    expect(primaries.length, `${name} has at most one primary`).toBeLessThanOrEqual(1)
  }
  for (const email of (payload.emails as { value?: string }[] | undefined) ?? []) expect(email.value).toMatch(EMAIL)
  if ('active' in payload) expect(typeof payload.active).toBe('boolean')
}

describe.each(VENDORS)('scimUser(%s)', (vendor) => {
  const profile = profiles[vendor]

  test.prop([scimUser(profile, { userNamePrefix: PREFIX })], { numRuns: 1000, seed: SEED })(
    'every payload validates against the vendor request schema and keeps the SCIM rules',
    (payload) => {
      assertScimShape(profile, payload)
      // readOnly attributes are left out by default, unless the vendor requires them (Maia: meta).
      for (const name of readOnlyAttributes(profile))
        expect(name in payload).toBe(profile.requiredFields.includes(name))
    },
  )

  test.prop([scimUser(profile, { userNamePrefix: PREFIX, readOnly: 'decoy', id: 'path-id-1' })], {
    numRuns: 200,
    seed: SEED,
  })("readOnly: 'decoy' sends every readOnly attribute with a schema-valid decoy", (payload) => {
    assertScimShape(profile, payload)
    for (const name of readOnlyAttributes(profile)) expect(name in payload).toBe(true)
    if ('id' in payload) expect(payload.id).toBe('path-id-1')
    const meta = payload.meta as Record<string, unknown> | undefined
    if (meta && 'resourceType' in meta) expect(meta.resourceType).toBe('User')
  })

  test.prop([scimUser(profile, { userNamePrefix: PREFIX, readOnly: 'mixed', password: 'always', maxItems: 1 })], {
    numRuns: 200,
    seed: SEED,
  })("readOnly: 'mixed', password: 'always', maxItems: 1", (payload) => {
    assertScimShape(profile, payload)
    if (profile.requestSchema && JSON.stringify(profile.requestSchema).includes('"password"'))
      expect(typeof payload.password).toBe('string')
    for (const value of Object.values(payload))
      if (Array.isArray(value) && value !== payload.schemas) expect(value.length).toBeLessThanOrEqual(1)
  })

  test('userName is unique per case, even unbiased over many cases', () => {
    const names = fc.sample(scimUser(profile), { seed: SEED, numRuns: 1000 }).map((p) => p.userName)
    expect(new Set(names).size).toBe(names.length)
  })

  test('the seed example (openapi-sampler + SCIM knowledge) is valid and readable', () => {
    const example = scimUserExample(profile, { userNamePrefix: PREFIX })
    expect(validateAgainst(profile.requestSchema, example).errors).toEqual([])
    expect(example.userName).toBe(`${PREFIX}example@example.com`)
    expect(JSON.stringify(example)).not.toContain('"string"')
  })

  test('the example is mixed in with low weight, with a fresh userName each time', () => {
    const example = scimUserExample(profile, { userNamePrefix: PREFIX })
    const { userName: _u, ...rest } = example
    const hits = fc.sample(scimUser(profile, { userNamePrefix: PREFIX }), { seed: SEED, numRuns: 1000 }).filter((p) => {
      const { userName: _v, ...other } = p
      return JSON.stringify(other) === JSON.stringify(rest)
    })
    expect(hits.length).toBeGreaterThan(10)
    expect(hits.length).toBeLessThan(150)
    expect(new Set(hits.map((h) => h.userName)).size).toBe(hits.length)
  })

  test('same seed and spec give the same payloads in the same order', async () => {
    const again = await loadProfile({ vendor })
    const first = fc.sample(scimUser(profile), { seed: 99, numRuns: 50 })
    const second = fc.sample(scimUser(again), { seed: 99, numRuns: 50 })
    expect(second).toEqual(first)
    expect(fc.sample(scimUser(profile), { seed: 100, numRuns: 50 })).not.toEqual(first)
    // fc.check with a fixed seed sees the same sequence too.
    const seen: ScimUserPayload[][] = [[], []]
    for (const run of [0, 1])
      fc.check(
        fc.property(scimUser(run === 0 ? profile : again), (p) => void seen[run].push(p)),
        { seed: 7, numRuns: 30 },
      )
    expect(seen[1]).toEqual(seen[0])
  })
})

describe('scimUser free text', () => {
  test(
    'strings include non-ASCII, leading/trailing whitespace and long values; ' +
      'userName, emails and schemas stay well-formed',
    () => {
      const payloads = fc.sample(scimUser(profiles.maia), { seed: SEED, numRuns: 500 })
      const strings = payloads
        .flatMap((p) => [
          p.displayName,
          p.nickName,
          p.title,
          (p.name as Record<string, unknown> | undefined)?.givenName,
        ])
        .filter((s): s is string => typeof s === 'string')
      expect(strings.some((s) => /[^\x00-\x7f]/.test(s))).toBe(true)
      expect(strings.some((s) => /\p{Script=Han}/u.test(s))).toBe(true)
      expect(strings.some((s) => /\p{Extended_Pictographic}/u.test(s))).toBe(true)
      expect(strings.some((s) => /^\s|\s$/.test(s))).toBe(true)
      expect(strings.some((s) => Array.from(s).length > 256)).toBe(true)
      expect(strings.every((s) => Array.from(s).length <= 1024)).toBe(true)
    },
  )

  test('password is sometimes present, sometimes not', () => {
    const payloads = fc.sample(scimUser(profiles.lightdash), { seed: SEED, numRuns: 200 })
    expect(payloads.some((p) => 'password' in p)).toBe(true)
    expect(payloads.some((p) => !('password' in p))).toBe(true)
  })

  test('sub-attributes `type` get canonical values', () => {
    const payloads = fc.sample(scimUser(profiles.maia, { exampleWeight: 0 }), { seed: SEED, numRuns: 300 })
    const types = payloads
      .flatMap((p) => ((p.emails as { type?: string }[] | undefined) ?? []).map((e) => e.type))
      .filter(Boolean)
    expect(new Set(types)).toEqual(new Set(['work', 'home', 'other']))
  })

  test('omit leaves attributes out; omitting a required one throws', () => {
    const payloads = fc.sample(scimUser(profiles.lightdash, { omit: ['roles'] }), { seed: SEED, numRuns: 100 })
    expect(payloads.every((p) => !('roles' in p))).toBe(true)
    expect(() => scimUser(profiles.maia, { omit: ['meta'] })).toThrow(/requires it/)
    expect(() => scimUser(profiles.cube, { omit: ['userName'] })).toThrow(/requires it/)
  })
})

describe('omittableAttributes', () => {
  test.each([
    [
      'lightdash',
      ['urn:lightdash:params:scim:schemas:extension:2.0:User', 'name', 'active', 'emails', 'roles', 'title'],
    ],
    [
      'maia',
      [
        'active',
        'addresses',
        'displayName',
        'emails',
        'entitlements',
        'externalId',
        'ims',
        'locale',
        'name',
        'nickName',
        'phoneNumbers',
        'photos',
        'preferredLanguage',
        'profileUrl',
        'roles',
        'timezone',
        'title',
        'userType',
        'x509Certificates',
      ],
    ],
    ['cube', ['name', 'emails', 'active', 'externalId']],
  ])('%s', (vendor, want) => {
    expect(omittableAttributes(profiles[vendor])).toEqual(want)
  })
})

describe('scimUser maxLength (regression: maxLength 10 never returned a value for maia)', () => {
  const ALL_VENDORS = ['lightdash', 'maia', 'cube', 'generic'] as const
  const loaded: Record<string, Promise<VendorProfile>> = {}
  const profileOf = (vendor: string) => (loaded[vendor] ??= loadProfile({ vendor }))

  /** Every string in a payload with its path, but the `schemas` URNs (fixed by RFC 7643 §3, never generated). */
  function stringsOf(value: unknown, path = ''): [string, string][] {
    if (typeof value === 'string') return [[path, value]]
    if (!value || typeof value !== 'object') return []
    return Object.entries(value).flatMap(([key, item]) =>
      path === '' && key === 'schemas' ? [] : stringsOf(item, `${path}/${key}`),
    )
  }

  test('issue: scimUser(maia, { maxLength: 10 }) samples', async () => {
    // Arrange
    const arb = scimUser(await profileOf('maia'), { maxLength: 10 })
    // Act
    const payloads = fc.sample(arb, { numRuns: 5, seed: 1 })
    // Assert
    expect(payloads).toHaveLength(5)
  })

  const cases = ALL_VENDORS.flatMap((vendor) =>
    [1, 5, 10, 40].flatMap((maxLength) => ['scimc-', 'x'].map((prefix) => ({ vendor, maxLength, prefix }))),
  )
  test.each(cases)(
    '$vendor, maxLength $maxLength, prefix "$prefix": values fit and validate, or a UsageError up front',
    async ({ vendor, maxLength, prefix }) => {
      const profile = await profileOf(vendor)
      const variants: ScimUserConstraints[] = [
        { userNamePrefix: prefix, maxLength },
        { userNamePrefix: prefix, maxLength, readOnly: 'mixed', password: 'always', id: 'p1' },
      ]
      for (const constraints of variants) {
        // A userName keeps the prefix and at least 4 unique characters.
        if (prefix.length + 4 > maxLength) {
          expect(() => scimUser(profile, constraints)).toThrow(UsageError)
          expect(() => scimUser(profile, constraints)).toThrow(/userNamePrefix .* maxLength/)
          continue
        }
        const payloads = fc.sample(scimUser(profile, constraints), { numRuns: 30, seed: SEED })
        for (const payload of payloads) {
          expect(validateAgainst(profile.requestSchema, payload).errors).toEqual([])
          const tooLong = stringsOf(payload).filter(
            ([path, v]) => Array.from(v).length > maxLength && !(path === '/id' && v === constraints.id),
          )
          expect(tooLong).toEqual([])
          expect(payload.userName).toMatch(new RegExp(`^${prefix}[0-9a-z]{4,14}(@example\\.com)?$`))
        }
        expect(new Set(payloads.map((p) => p.userName)).size).toBe(payloads.length)
      }
    },
  )

  test('formatted and SCIM-knowledge values take shorter valid forms before being left out', async () => {
    const maia = await profileOf('maia')
    const payloads = fc.sample(scimUser(maia, { maxLength: 22, readOnly: 'decoy', exampleWeight: 0 }), {
      numRuns: 200,
      seed: SEED,
    })
    const meta = payloads.map((p) => p.meta as Record<string, string>)
    // ISO timestamps without milliseconds (20 code points) where the usual ones (24) do not fit.
    expect(meta.some((m) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(m.created ?? ''))).toBe(true)
    const emails = payloads.flatMap((p) => (p.emails as { value: string }[] | undefined) ?? []).map((e) => e.value)
    expect(emails.length).toBeGreaterThan(0)
    expect(emails.every((e) => EMAIL.test(e) && e.length <= 22)).toBe(true)
    // userName: the unique part shortens before the domain goes.
    expect(payloads.every((p) => /^scimc-[0-9a-z]{4}@example\.com$/.test(p.userName as string))).toBe(true)
  })

  test('an impossible maxLength names itself: prefix, required attribute, seed example, bad numbers', async () => {
    const maia = await profileOf('maia')
    expect(() => scimUser(maia, { maxLength: 15, userNamePrefix: 'scimc-run42-' })).toThrow(
      /userNamePrefix "scimc-run42-" .* maxLength 15 .* Raise maxLength to 16/,
    )
    expect(() => scimUserAttribute(maia, ['meta', 'created'], { maxLength: 10 })).toThrow(UsageError)
    expect(() => scimUserAttribute(maia, ['meta', 'created'], { maxLength: 10 })).toThrow(
      /maxLength 10 .* date-time needs at least 20/,
    )
    expect(() => scimUserExample(maia, { maxLength: 10 })).toThrow(/more than maxLength 10/)
    expect(() => scimUser(maia, { maxLength: -1 })).toThrow(UsageError)
    expect(() => scimUser(maia, { maxLength: 2.5 })).toThrow(/maxLength must be a whole number/)
    expect(() => scimUser(maia, { exampleWeight: 101 })).toThrow(/exampleWeight/)
  })
})

describe('minimalScimUser: the smallest User the vendor allows', () => {
  test.each([
    ['cube', ['emails', 'schemas', 'userName']],
    ['lightdash', ['emails', 'schemas', 'userName']],
    // maia's document requires meta (readOnly: a decoy the server ignores).
    ['maia', ['emails', 'meta', 'schemas', 'userName']],
  ])('%s: %j, valid against its schema, the email being the userName', async (vendor, keys) => {
    const profile = profiles[vendor]
    for (const user of fc.sample(minimalScimUser(profile, { userNamePrefix: PREFIX }), { seed: SEED, numRuns: 50 })) {
      expect(Object.keys(user).sort()).toEqual(keys)
      expect(validateAgainst(profile.requestSchema, user).errors).toEqual([])
      expect(user.userName).toMatch(/^scimc-run42-[0-9a-z]{14}@example\.com$/)
      expect(user.emails).toEqual([{ value: user.userName, primary: true }])
      expect(user.schemas).toEqual([CORE_USER_SCHEMA])
    }
  })

  test('deterministic per seed, distinct per case', () => {
    const draw = (seed: number) =>
      fc.sample(minimalScimUser(profiles.cube, { userNamePrefix: PREFIX }), { seed, numRuns: 20 })
    expect(draw(1)).toEqual(draw(1))
    expect(new Set(draw(1).map((u) => u.userName)).size).toBe(20)
  })
})

const generic = await loadProfile({ vendor: 'generic', validate: false })

describe('scimUser narrowed to what a server accepts', () => {
  const itemsOf = (payload: ScimUserPayload): Record<string, unknown>[][] =>
    Object.entries(payload).flatMap(([name, value]) => {
      if (Array.isArray(value) && name !== 'schemas') return [value as Record<string, unknown>[]]
      if (/^urn:/i.test(name) && value && typeof value === 'object')
        return Object.values(value).filter(Array.isArray) as Record<string, unknown>[][]
      return []
    })

  test(
    'oneValuePerType: no two items of one multi-valued attribute share a type (ignoring case); ' +
      'noEmptyItems: no {}',
    () => {
      const narrowed = { oneValuePerType: true, noEmptyItems: true, maxLength: 100 }
      const payloads = fc.sample(scimUser(generic, narrowed), { seed: SEED, numRuns: 300 })
      for (const payload of payloads) {
        expect(validateAgainst(generic.requestSchema, payload).errors).toEqual([])
        for (const items of itemsOf(payload)) {
          const types = items.map((i) => i?.type).filter((t): t is string => typeof t === 'string')
          expect(new Set(types.map((t) => t.toLowerCase())).size).toBe(types.length)
          expect(items.filter((i) => i && typeof i === 'object' && Object.keys(i).length === 0)).toEqual([])
        }
      }
      // Without the option, repeated types occur in the same draws: the narrowing did something.
      const plain = fc.sample(scimUser(generic, { maxLength: 100 }), { seed: SEED, numRuns: 300 })
      const repeats = plain.some((p) =>
        itemsOf(p).some((items) => {
          const types = items.map((i) => i?.type).filter((t) => typeof t === 'string')
          return new Set(types).size < types.length
        }),
      )
      expect(repeats).toBe(true)
    },
  )

  test('the narrowing keeps the draws: only repeated types and empty items go', () => {
    const plain = fc.sample(scimUser(generic, {}), { seed: SEED, numRuns: 50 })
    const narrowed = fc.sample(scimUser(generic, { oneValuePerType: true, noEmptyItems: true }), {
      seed: SEED,
      numRuns: 50,
    })
    expect(narrowed.map((p) => p.userName)).toEqual(plain.map((p) => p.userName))
    // Off (false), the payloads are exactly those without the options.
    expect(
      fc.sample(scimUser(generic, { oneValuePerType: false, noEmptyItems: false }), { seed: SEED, numRuns: 50 }),
    ).toEqual(plain)
  })

  test('scimUserAttribute narrows a whole multi-valued attribute the same way', () => {
    for (const emails of fc.sample(
      scimUserAttribute(generic, ['emails'], { oneValuePerType: true, noEmptyItems: true }),
      {
        seed: SEED,
        numRuns: 200,
      },
    ) as Record<string, unknown>[][]) {
      const types = emails.map((e) => e.type).filter((t): t is string => typeof t === 'string')
      expect(new Set(types.map((t) => t.toLowerCase())).size).toBe(types.length)
      expect(emails.some((e) => Object.keys(e).length === 0)).toBe(false)
    }
  })
})
