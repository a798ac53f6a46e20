import fc from 'fast-check'
import { sample } from 'openapi-sampler'
import { UsageError } from '../errors.ts'
import { cloneJson } from '../scim/clone-json.ts'
import { CORE_USER_SCHEMA, topLevelProperties, type VendorProfile } from '../profile/vendor-profile.ts'
import type { JsonSchema } from '../openapi/json-schema.ts'
import { validateAgainst } from '../validate/ajv.ts'
import { mergeAllOf } from './_internals/merge-all-of.ts'
import {
  acceptsPlainString,
  exampleValue,
  isTypeWithoutCanonicalValues,
  knownValue,
  READ_ONLY_CORE,
} from './_internals/scim-knowledge.ts'
import { schemaArbitrary, type LocationPlan, type SchemaLocation } from './schema-arbitrary.ts'

/** A request body for `PUT /Users/{id}`: a JSON object. */
export type ScimUserPayload = Record<string, unknown>

/** Options of {@link scimUser}. */
export interface ScimUserConstraints {
  /**
   * Start of every generated `userName`, so test users are recognisable (and can be cleaned up), e.g. `scimc-<runid>-`.
   * @defaultValue 'scimc-'
   */
  userNamePrefix?: string
  /**
   * What to do with readOnly attributes (`id`, `meta`, `groups`, and any the schema marks `readOnly`):
   * leave them out, always send decoy values, or send each one sometimes. A property the vendor's
   * schema lists as required is always sent (with a decoy value), whatever this says.
   * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.5.1
   * @defaultValue 'omit'
   */
  readOnly?: 'omit' | 'decoy' | 'mixed'
  /**
   * Value of a generated `id` (when one is sent): pass the path's id to send a matching one.
   * @defaultValue a random UUID (a decoy that differs from the path)
   */
  id?: string
  /**
   * Whether `password` (when the schema declares it) is sent.
   * @defaultValue 'sometimes'
   */
  password?: 'always' | 'sometimes' | 'never'
  /**
   * Top-level attributes never to generate (for a server known to reject free values in them, e.g. `roles`).
   * Naming a required attribute, `userName` or `schemas` throws a `UsageError`.
   * @defaultValue []
   */
  omit?: string[]
  /**
   * Longest multi-valued attribute generated (a whole number).
   * @defaultValue 3
   */
  maxItems?: number
  /**
   * Longest generated string, in code points (a whole number). Free text is cut to it; a SCIM-knowledge
   * value (email address, URL, timestamp, phone number, language tag, password, ...) takes a shorter
   * valid form, or the schema's plain text when none fits; a canonical `type` or formatted attribute
   * with no value this short is left out when optional. `userName` keeps `userNamePrefix` and at least
   * 4 unique characters: its unique part shortens, then `@example.com` is dropped. What is not
   * generated is sent as it is: the `schemas` URNs and a given `id`. Throws a `UsageError` when the
   * prefix leaves no room for the unique part, or a required attribute has no value this short.
   * @defaultValue 1024
   */
  maxLength?: number
  /**
   * Weight (out of 100, a whole number) of the openapi-sampler seed example among generated values; 0
   * leaves it out, and so does a `maxLength` that one of its values is longer than.
   * @defaultValue 5
   */
  exampleWeight?: number
  /**
   * At most one value per `type` (compared ignoring case) in each multi-valued attribute: a later item
   * whose `type` repeats an earlier one is left out. For a server that refuses two values of one type
   * (RFC 7644 §3.12 `invalidValue`: a choice the RFC leaves to the service provider).
   * @defaultValue false
   */
  oneValuePerType?: boolean
  /**
   * No empty complex item (`{}`) in a multi-valued attribute: such items are left out. For a server
   * that refuses them.
   * @defaultValue false
   */
  noEmptyItems?: boolean
}

const lower = (s: string) => s.toLowerCase()

/** Top-level attributes treated as readOnly: the RFC's (`id`, `meta`, `groups`) and any the schema marks `readOnly`. */
export function readOnlyAttributes(profile: VendorProfile): string[] {
  return Object.entries(topLevelProperties(profile.requestSchema))
    .filter(
      ([name, schema]) =>
        READ_ONLY_CORE.includes(lower(name) as (typeof READ_ONLY_CORE)[number]) || mergeAllOf(schema).readOnly === true,
    )
    .map(([name]) => name)
}

/**
 * readWrite top-level attributes, other than `userName` and `schemas`, that a payload may leave out:
 * not readOnly, not writeOnly (`password`), not required by the vendor's schema.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.5.1
 */
export function omittableAttributes(profile: VendorProfile): string[] {
  const readOnly = new Set(readOnlyAttributes(profile).map(lower))
  const required = new Set(profile.requiredFields.map(lower))
  return Object.entries(topLevelProperties(profile.requestSchema))
    .filter(([name, schema]) => {
      const n = lower(name)
      if (n === 'username' || n === 'schemas' || n === 'password') return false
      return !readOnly.has(n) && !required.has(n) && mergeAllOf(schema).writeOnly !== true
    })
    .map(([name]) => name)
}

/**
 * SCIM User accepted by the vendor's PUT schema, with what the RFC adds to it: `schemas` names the
 * core User and each extension present, `userName` is unique and (by default) an email address
 * starting with `userNamePrefix`, readOnly attributes are omitted or decoys, at most one `primary`
 * per multi-valued attribute, and free text that stresses the server (non-ASCII, whitespace, long).
 * Every value validates against `profile.requestSchema`.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-4.1
 */
export function scimUser(profile: VendorProfile, constraints: ScimUserConstraints = {}): fc.Arbitrary<ScimUserPayload> {
  assertConstraints('scimUser', constraints)
  assertOmittable(profile, constraints.omit ?? [])
  const nameFor = userNameFormatter('scimUser', profile, constraints)
  const values = compiling('scimUser', profile, () => compiledUsers(profile, constraints)).map((payload) =>
    finish(profile, payload, nameFor),
  )
  const weight = constraints.exampleWeight ?? 5
  const example = weight > 0 ? seedExample(profile, constraints) : undefined
  if (!example || (constraints.maxLength !== undefined && longerThan(example, constraints.maxLength, ['userName'])))
    return narrowed(values, constraints)
  // The example's userName is replaced per case so that uniqueness holds for it too.
  const exampleArbitrary = userName(profile, constraints).map((name) => ({
    ...cloneJson(example),
    userName: name,
  }))
  return narrowed(
    fc.oneof({ arbitrary: values, weight: 100 - weight }, { arbitrary: exampleArbitrary, weight }),
    constraints,
  )
}

/**
 * The smallest User the vendor's contract allows: `schemas`, a unique `userName`, the attributes the
 * vendor's request schema requires (a readOnly one as a decoy), and one email (`primary` where the
 * schema has it; the userName itself when it is an email address) where the schema declares `emails`,
 * since services commonly key a user on it. Nothing else: a test user starts from this and is grown by
 * the checks' own PUTs. Every value validates against `profile.requestSchema`.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.3
 */
export function minimalScimUser(
  profile: VendorProfile,
  constraints: Pick<ScimUserConstraints, 'userNamePrefix'> = {},
): fc.Arbitrary<ScimUserPayload> {
  const users = scimUser(profile, {
    userNamePrefix: constraints.userNamePrefix,
    omit: omittableAttributes(profile),
    password: 'never',
    exampleWeight: 0,
    maxItems: 1,
    // Long enough for a userName (prefix, unique part, domain); short for whatever else is required.
    maxLength: Math.max(
      64,
      Array.from(constraints.userNamePrefix ?? 'scimc-').length + UNIQUE_LENGTH + EMAIL_DOMAIN.length,
    ),
  })
  const emails = mergeAllOf(topLevelProperties(profile.requestSchema).emails ?? {})
  const item =
    emails.type === 'array' && emails.items && typeof emails.items === 'object' ? mergeAllOf(emails.items) : null
  if (!item?.properties?.value) return users
  return users.map((user) => {
    const name = String(user.userName)
    const value = profile.declared.userNameFormat === 'email' ? name : `${name}${EMAIL_DOMAIN}`
    return { ...user, emails: [{ value, ...(item.properties?.primary ? { primary: true } : {}) }] }
  })
}

/**
 * The readable seed example for a vendor: openapi-sampler's `sample(schema)`, with SCIM knowledge applied
 * (schemas, an email userName `<prefix>example@example.com`, realistic attribute values, readOnly handling).
 * Run it first with `fc.check(property, { examples: [[scimUserExample(profile)]] })`.
 */
export function scimUserExample(profile: VendorProfile, constraints: ScimUserConstraints = {}): ScimUserPayload {
  assertConstraints('scimUserExample', constraints)
  const example = seedExample(profile, constraints)
  if (!example)
    throw new UsageError(
      `scimUserExample: openapi-sampler's example for ${profile.name} ` +
        'does not validate against its own request schema.',
    )
  const long = constraints.maxLength !== undefined ? longerThan(example, constraints.maxLength) : undefined
  if (long)
    throw new UsageError(
      `scimUserExample: ${profile.name}'s seed example has ${long.length} code points at /${long.path.join('/')}, ` +
        `more than maxLength ${constraints.maxLength}. Raise maxLength to ${long.length} or more.`,
    )
  return cloneJson(example)
}

/**
 * Values for one attribute (or sub-attribute) of the vendor's User, with the same SCIM knowledge as
 * {@link scimUser}: e.g. `['emails', '[]']` gives one email object. Used to build invalid payloads.
 */
export function scimUserAttribute(
  profile: VendorProfile,
  path: readonly string[],
  constraints: ScimUserConstraints = {},
): fc.Arbitrary<unknown> {
  assertConstraints('scimUserAttribute', constraints)
  // Checks ask for the same attributes again and again (wrong-type targets, fullPayloads): compile each once.
  const key = JSON.stringify([
    path,
    constraints.userNamePrefix,
    constraints.readOnly,
    constraints.id,
    constraints.password,
    constraints.omit,
    constraints.maxItems,
    constraints.maxLength,
  ])
  let perProfile = compiledAttributes.get(profile)
  if (!perProfile) compiledAttributes.set(profile, (perProfile = new Map()))
  let arbitrary = perProfile.get(key)
  if (!arbitrary) {
    arbitrary = compileAttribute(profile, path, constraints)
    perProfile.set(key, arbitrary)
  }
  // A whole top-level attribute is narrowed like a payload's; an item or a sub-attribute is left as it is.
  return path.length === 1 ? narrowed(arbitrary, constraints, (value) => narrowItems(value, constraints)) : arbitrary
}

const compiledAttributes = new WeakMap<VendorProfile, Map<string, fc.Arbitrary<unknown>>>()

function compileAttribute(
  profile: VendorProfile,
  path: readonly string[],
  constraints: ScimUserConstraints,
): fc.Arbitrary<unknown> {
  let schema: JsonSchema = mergeAllOf(profile.requestSchema)
  for (const segment of path) {
    const next = segment === '[]' ? schema.items : schema.properties?.[segment]
    if (!next || typeof next !== 'object')
      throw new UsageError(`scimUserAttribute: ${profile.name}'s request schema has no /${path.join('/')}.`)
    schema = mergeAllOf(next)
  }
  const plan = planFor(profile, constraints, () => userName(profile, constraints))
  return compiling(
    'scimUserAttribute',
    profile,
    () =>
      schemaArbitrary(schema, {
        maxItems: constraints.maxItems ?? 3,
        maxLength: constraints.maxLength ?? 1024,
        override: (at) => plan({ ...at, path: [...path, ...at.path] }),
      }),
    path,
  )
}

/**
 * The userName arbitrary: `<prefix><14 random base-36 chars>@example.com`, or without the domain for
 * `userNameFormat: 'any'`; shorter within a `maxLength` (see {@link ScimUserConstraints.maxLength}).
 */
export function userName(profile: VendorProfile, constraints: ScimUserConstraints = {}): fc.Arbitrary<string> {
  const nameFor = userNameFormatter('userName', profile, constraints)
  return uniquePart().map(nameFor)
}

/** The random middle of a userName: 14 base-36 characters. */
function uniquePart(): fc.Arbitrary<string> {
  // Unbiased and never shrunk: a shrunk or biased userName would collide with another case's user.
  return fc
    .noShrink(fc.noBias(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }))))
    .map(([a, b]) => `${a.toString(36).padStart(7, '0')}${b.toString(36).padStart(7, '0')}`)
}

/** Characters in a userName's unique part: 14 base-36 characters, about 64 bits. */
const UNIQUE_LENGTH = 14

/** Fewest unique characters a userName keeps within a maxLength: 36^4 (about 1.7 million) keeps a run's cases apart. */
const MIN_UNIQUE_LENGTH = 4

const EMAIL_DOMAIN = '@example.com'

/**
 * How a unique part becomes a userName: `<prefix><unique>@example.com` (or no domain for
 * `userNameFormat: 'any'`). Within a maxLength the unique part shortens, down to
 * {@link MIN_UNIQUE_LENGTH}, then the domain is dropped; a prefix that leaves less room throws.
 */
function userNameFormatter(caller: string, profile: VendorProfile, c: ScimUserConstraints): (unique: string) => string {
  const prefix = c.userNamePrefix ?? 'scimc-'
  const maxLength = c.maxLength ?? Infinity
  const prefixLength = Array.from(prefix).length
  const email = profile.declared.userNameFormat === 'email'
  const withDomain = maxLength - prefixLength - EMAIL_DOMAIN.length
  if (email && withDomain >= UNIQUE_LENGTH) return (unique) => `${prefix}${unique}${EMAIL_DOMAIN}`
  if (email && withDomain >= MIN_UNIQUE_LENGTH)
    return (unique) => `${prefix}${shortUnique(unique, withDomain)}${EMAIL_DOMAIN}`
  const bare = maxLength - prefixLength
  if (bare >= MIN_UNIQUE_LENGTH) return (unique) => `${prefix}${shortUnique(unique, Math.min(UNIQUE_LENGTH, bare))}`
  throw new UsageError(
    `${caller}: userNamePrefix "${prefix}" (${prefixLength} code points) leaves ${Math.max(0, bare)} ` +
      `of maxLength ${maxLength} for the unique part of userName, ` +
      `which needs ${MIN_UNIQUE_LENGTH} to stay unique per case. ` +
      `Raise maxLength to ${prefixLength + MIN_UNIQUE_LENGTH} or more, or shorten userNamePrefix.`,
  )
}

/**
 * `length` characters of a {@link uniquePart}, taken from the low-order digits of its two halves: the
 * leading digit of each 7-digit half has only two values.
 */
function shortUnique(unique: string, length: number): string {
  if (length >= UNIQUE_LENGTH) return unique
  if (length === UNIQUE_LENGTH - 1) return unique.slice(1)
  const half = UNIQUE_LENGTH / 2
  return unique.slice(half - Math.ceil(length / 2), half) + unique.slice(UNIQUE_LENGTH - Math.floor(length / 2))
}

const compiled = new WeakMap<VendorProfile, Map<string, fc.Arbitrary<ScimUserPayload>>>()

/**
 * The schema compiled into an arbitrary once per profile and constraints: every check asks for payloads
 * with its own userName prefix, and compiling costs far more than drawing a value. The userName it
 * generates is the bare {@link uniquePart}; {@link finish} adds the prefix (a `map` draws no randomness,
 * so the values are the ones a per-prefix compile gives).
 */
function compiledUsers(profile: VendorProfile, c: ScimUserConstraints): fc.Arbitrary<ScimUserPayload> {
  const key = JSON.stringify([c.readOnly, c.id, c.password, c.omit, c.maxItems, c.maxLength])
  let perProfile = compiled.get(profile)
  if (!perProfile) compiled.set(profile, (perProfile = new Map()))
  let arbitrary = perProfile.get(key)
  if (!arbitrary) {
    arbitrary = schemaArbitrary(profile.requestSchema, {
      maxItems: c.maxItems ?? 3,
      maxLength: c.maxLength ?? 1024,
      override: planFor(profile, c, uniquePart),
    }) as fc.Arbitrary<ScimUserPayload>
    perProfile.set(key, arbitrary)
  }
  return arbitrary
}

/** Whole, non-negative numbers where the constraints ask for them; anything else throws a `UsageError` naming it. */
function assertConstraints(caller: string, c: ScimUserConstraints): void {
  for (const key of ['maxLength', 'maxItems', 'exampleWeight'] as const) {
    const value = c[key]
    if (value === undefined) continue
    const max = key === 'exampleWeight' ? 100 : Infinity
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new UsageError(
        `${caller}: ${key} must be a whole number ` +
          `${max === Infinity ? 'of 0 or more' : `from 0 to ${max}`}, not ${String(value)}.`,
      )
    }
  }
}

/**
 * Compiles with `schemaArbitrary` on behalf of `caller`: a maxLength that leaves a required attribute
 * no value throws a `UsageError` naming the caller and the vendor.
 */
function compiling<T>(caller: string, profile: VendorProfile, build: () => T, at: readonly string[] = []): T {
  try {
    return build()
  } catch (error) {
    if (!(error instanceof UsageError) || !error.message.startsWith('schemaArbitrary: ')) throw error
    const where = at.length > 0 ? ` at /${at.join('/')}` : ''
    throw new UsageError(
      `${caller}: ${profile.name}'s request schema${where}: ${error.message.slice('schemaArbitrary: '.length)}`,
      { cause: error },
    )
  }
}

/**
 * The first string in a payload longer than `maxLength` code points, with its path; the `schemas` URNs
 * (fixed by RFC 7643 §3) and the top-level attributes in `skip` aside.
 */
function longerThan(
  value: unknown,
  maxLength: number,
  skip: readonly string[] = [],
  path: string[] = [],
): { path: string[]; length: number } | undefined {
  if (typeof value === 'string') {
    const length = Array.from(value).length
    return length > maxLength ? { path, length } : undefined
  }
  if (!value || typeof value !== 'object') return undefined
  for (const [key, item] of Object.entries(value)) {
    if (path.length === 0 && (key === 'schemas' || skip.includes(key))) continue
    const found = longerThan(item, maxLength, skip, [...path, key])
    if (found) return found
  }
  return undefined
}

function assertOmittable(profile: VendorProfile, omit: string[]): void {
  const required = new Set(profile.requiredFields.map(lower))
  for (const name of omit) {
    const n = lower(name)
    if (n === 'username' || n === 'schemas' || required.has(n)) {
      throw new UsageError(
        `scimUser: cannot omit "${name}": ${profile.name} requires it ` +
          '(RFC 7644 §3.5.1: required attributes MUST be specified).',
      )
    }
  }
}

/** Where SCIM knowledge overrides the schema: userName, schemas, readOnly, password, omitted, well-known attributes. */
function planFor(
  profile: VendorProfile,
  c: ScimUserConstraints,
  userNames: () => fc.Arbitrary<string>,
): (at: SchemaLocation) => LocationPlan | undefined {
  const readOnly = new Set(readOnlyAttributes(profile).map(lower))
  const omit = new Set((c.omit ?? []).map(lower))
  const mode = c.readOnly ?? 'omit'
  const decoys = new Map<string, fc.Arbitrary<unknown> | null>()
  const plan = (at: SchemaLocation): LocationPlan | undefined => {
    if (at.path.length === 0) return undefined
    if (at.path.length === 1) {
      const name = lower(at.path[0])
      if (name === 'username') return { arbitrary: userNames(), presence: 'always' }
      // Filled in by finish(); listed here so that it is always present.
      if (name === 'schemas') return { arbitrary: fc.constant([CORE_USER_SCHEMA]), presence: 'always' }
      if (omit.has(name)) return { presence: 'never' }
      if (readOnly.has(name)) {
        const presence = at.required ? 'always' : mode === 'omit' ? 'never' : mode === 'decoy' ? 'always' : 'sometimes'
        if (presence === 'never') return { presence }
        let decoy = decoys.get(name)
        if (decoy === undefined) {
          try {
            // Compiled with the same knowledge (meta.resourceType "User", ISO timestamps), so it satisfies the schema.
            decoy = schemaArbitrary(at.schema, {
              maxItems: c.maxItems ?? 3,
              maxLength: c.maxLength ?? 1024,
              override: (inner) => known({ ...inner, path: [...at.path, ...inner.path] }),
            })
          } catch (error) {
            // No decoy fits in maxLength: an optional readOnly attribute is then not sent.
            if (!(error instanceof UsageError) || at.required) throw error
            decoy = null
          }
          decoys.set(name, decoy)
        }
        return decoy === null ? { presence: 'never' } : { arbitrary: decoy, presence }
      }
      if (name === 'password') {
        const presence = at.required
          ? 'always'
          : c.password === 'never'
            ? 'never'
            : c.password === 'always'
              ? 'always'
              : 'sometimes'
        return { ...known(at), presence }
      }
    }
    // A multi-valued attribute's entry without its `value` says nothing (RFC 7643 §2.4); always send it.
    const n = at.path.length
    if (n >= 2 && at.path[n - 2] === '[]' && lower(at.path[n - 1]) === 'value')
      return { ...known(at), presence: 'always' }
    if (!at.required && isTypeWithoutCanonicalValues(at.path, c.maxLength)) return { presence: 'never' }
    return known(at)
  }
  const known = (at: SchemaLocation): LocationPlan | undefined => {
    const arbitrary = knownValue(at.path, at.schema, { id: c.id, maxLength: c.maxLength })
    return arbitrary ? { arbitrary } : undefined
  }
  return plan
}

/** SCIM rules the schema cannot state: `schemas` lists core + present extensions, one `primary` per attribute. Pure. */
function finish(
  profile: VendorProfile,
  payload: ScimUserPayload,
  nameFor?: (unique: string) => string,
): ScimUserPayload {
  const present = profile.extensionUrns.filter((urn) => urn in payload)
  const out: ScimUserPayload = { schemas: [CORE_USER_SCHEMA, ...present] }
  // One pass and one new object per payload: this runs for every generated case.
  for (const name of Object.keys(payload)) {
    if (name === 'schemas') continue
    const value = payload[name]
    if (nameFor !== undefined && lower(name) === 'username') {
      // Generated by compiledUsers() as the bare unique part.
      out[name] = nameFor(value as string)
    } else if (present.includes(name) && value && typeof value === 'object' && !Array.isArray(value)) {
      const extension: Record<string, unknown> = {}
      for (const key of Object.keys(value)) extension[key] = singlePrimary((value as Record<string, unknown>)[key])
      out[name] = extension
    } else {
      out[name] = singlePrimary(value)
    }
  }
  return out
}

/**
 * The payloads narrowed to what the server accepts ({@link ScimUserConstraints.oneValuePerType},
 * {@link ScimUserConstraints.noEmptyItems}); the arbitrary itself when neither is asked for, so the
 * values stay those of an unconstrained run.
 */
function narrowed<T>(
  arbitrary: fc.Arbitrary<T>,
  c: ScimUserConstraints,
  narrow: (value: T) => T = (value) => narrowPayload(value as ScimUserPayload, c) as T,
): fc.Arbitrary<T> {
  return c.oneValuePerType || c.noEmptyItems ? arbitrary.map(narrow) : arbitrary
}

/** Each multi-valued attribute of a payload (extension attributes too) narrowed by {@link narrowItems}. Pure. */
function narrowPayload(payload: ScimUserPayload, c: ScimUserConstraints): ScimUserPayload {
  const out: ScimUserPayload = {}
  for (const [name, value] of Object.entries(payload)) {
    if (/^urn:/i.test(name) && value && typeof value === 'object' && !Array.isArray(value)) {
      const extension: Record<string, unknown> = {}
      for (const [key, inner] of Object.entries(value)) extension[key] = narrowItems(inner, c)
      out[name] = extension
    } else out[name] = name === 'schemas' ? value : narrowItems(value, c)
  }
  return out
}

/** A multi-valued attribute without empty items and with one value per `type` (the first), as asked. Pure. */
function narrowItems(value: unknown, c: ScimUserConstraints): unknown {
  if (!Array.isArray(value)) return value
  const types = new Set<string>()
  return value.filter((item: unknown) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return true
    const entry = item as Record<string, unknown>
    if (c.noEmptyItems && Object.keys(entry).length === 0) return false
    if (c.oneValuePerType && typeof entry.type === 'string') {
      const type = entry.type.toLowerCase()
      if (types.has(type)) return false
      types.add(type)
    }
    return true
  })
}

/** RFC 7643 §2.4: "The primary attribute value "true" MUST appear no more than once." Later `true`s become `false`. */
function singlePrimary(value: unknown): unknown {
  if (!Array.isArray(value)) return value
  let seen = false
  return value.map((item: unknown) => {
    if (!item || typeof item !== 'object' || (item as Record<string, unknown>).primary !== true) return item
    if (!seen) {
      seen = true
      return item
    }
    return { ...(item as Record<string, unknown>), primary: false }
  })
}

const examples = new WeakMap<VendorProfile, Map<string, ScimUserPayload | null>>()
const readableExamples = new WeakMap<VendorProfile, Map<string, ScimUserPayload | null>>()

function seedExample(profile: VendorProfile, c: ScimUserConstraints): ScimUserPayload | undefined {
  const key = JSON.stringify([c.userNamePrefix, c.readOnly, c.id, c.password, c.omit])
  let perProfile = examples.get(profile)
  if (!perProfile) examples.set(profile, (perProfile = new Map()))
  if (perProfile.has(key)) return perProfile.get(key) ?? undefined
  const built = buildExample(profile, c)
  perProfile.set(key, built)
  return built ?? undefined
}

function buildExample(profile: VendorProfile, c: ScimUserConstraints): ScimUserPayload | null {
  const readable = readableSample(profile, c)
  if (!readable) return null
  const prefix = c.userNamePrefix ?? 'scimc-'
  const named = {
    ...readable,
    userName: profile.declared.userNameFormat === 'email' ? `${prefix}example@example.com` : `${prefix}example`,
  }
  const out = finish(profile, named)
  return validateAgainst(profile.requestSchema, out).valid ? out : null
}

/**
 * openapi-sampler's example made readable, readOnly and omitted attributes removed: the part of the seed
 * example that does not depend on the userName prefix, built once per profile and constraints (each check
 * has its own prefix). Shared: callers copy it, never change it.
 */
function readableSample(profile: VendorProfile, c: ScimUserConstraints): ScimUserPayload | null {
  const key = JSON.stringify([c.readOnly, c.id, c.password, c.omit])
  let perProfile = readableExamples.get(profile)
  if (!perProfile) readableExamples.set(profile, (perProfile = new Map()))
  if (perProfile.has(key)) return perProfile.get(key) ?? null
  let readable: ScimUserPayload | null = null
  const raw = sample(profile.requestSchema as Parameters<typeof sample>[0], { skipReadOnly: false, quiet: true })
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    readable = readableExample(raw, mergeAllOf(profile.requestSchema), [], c) as ScimUserPayload
    const readOnly = readOnlyAttributes(profile)
    const required = new Set(profile.requiredFields.map(lower))
    const omit = new Set((c.omit ?? []).map(lower))
    for (const name of Object.keys(readable)) {
      const n = lower(name)
      const keepReadOnly = required.has(n) || (c.readOnly ?? 'omit') !== 'omit'
      if (omit.has(n) || (readOnly.includes(name) && !keepReadOnly) || (n === 'password' && c.password === 'never'))
        delete readable[name]
    }
  }
  perProfile.set(key, readable)
  return readable
}

/** Swaps openapi-sampler's `"string"` placeholders for readable SCIM values where the schema allows them. */
function readableExample(value: unknown, schema: JsonSchema, path: readonly string[], c: ScimUserConstraints): unknown {
  if (Array.isArray(value)) {
    const items = schema.items && typeof schema.items === 'object' ? mergeAllOf(schema.items) : {}
    return value.map((v) => readableExample(v, items, [...path, '[]'], c))
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      if (isTypeWithoutCanonicalValues([...path, k]) && !(schema.required ?? []).includes(k)) continue
      const sub = schema.properties?.[k]
      out[k] = readableExample(v, sub && typeof sub === 'object' ? mergeAllOf(sub) : {}, [...path, k], c)
    }
    return out
  }
  if (typeof value === 'string') {
    const readable = exampleValue(path, { id: c.id })
    if (readable !== undefined && acceptsPlainString(schema, readable.length)) return readable
  }
  return value
}
