import fc from 'fast-check'
import type { JsonSchema } from '../../openapi/json-schema.ts'
import { EMAIL_MIN_LENGTH, freeText, plainEmail, plainUrl, token, URL_MIN_LENGTH } from './text.ts'

/**
 * Core User attributes whose mutability is readOnly (RFC 7643 §3.1 `id`, `meta`; §4.1.2 `groups`).
 * OpenAPI documents rarely mark them; the generator knows them anyway.
 */
export const READ_ONLY_CORE = ['id', 'meta', 'groups'] as const

/** The RFC's own example id (RFC 7643 §8.1), used where a readable decoy is wanted. */
export const EXAMPLE_ID = '2819c223-7f76-453a-919d-413861904646'

/** Canonical `type` values per multi-valued attribute (RFC 7643 §4.1.2); others get work/home/other. */
const TYPE_VALUES: Record<string, readonly string[]> = {
  emails: ['work', 'home', 'other'],
  phonenumbers: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
  ims: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
  photos: ['photo', 'thumbnail'],
  addresses: ['work', 'home', 'other'],
}
const DEFAULT_TYPES = ['work', 'home', 'other'] as const

/**
 * Multi-valued attributes whose `type` RFC 7643 §8.7.1 declares with `"canonicalValues": []`: there is no
 * value a client can count on. Canonical values are "suggested" and "service providers MAY choose to
 * ignore unsupported values" (§7), so a server may ignore or refuse any `type` here; valid payloads
 * leave it out rather than invent one (an invented value would fail a server for a permitted choice).
 */
export const NO_CANONICAL_TYPES: ReadonlySet<string> = new Set(['roles', 'x509certificates'])

/**
 * True for a `type` sub-attribute with no canonical value a client can count on: the attribute is in
 * {@link NO_CANONICAL_TYPES}, or none of its canonical values fits in `maxLength` code points.
 */
export function isTypeWithoutCanonicalValues(path: readonly string[], maxLength = Infinity): boolean {
  const { attr, parent } = nameOf(path)
  if (attr !== 'type' || parent === undefined) return false
  return NO_CANONICAL_TYPES.has(parent) || !canonicalTypes(parent).some((t) => t.length <= maxLength)
}

function canonicalTypes(parent: string): readonly string[] {
  return TYPE_VALUES[parent] ?? DEFAULT_TYPES
}

const LANGUAGE_TAGS = ['en-US', 'en-GB', 'fr-FR', 'de-DE', 'ja-JP', 'pt-BR', 'zh-Hans-CN', 'da'] as const
const TIME_ZONES = [
  'UTC',
  'Europe/Paris',
  'America/Los_Angeles',
  'Asia/Tokyo',
  'Australia/Sydney',
  'America/Sao_Paulo',
] as const
const COUNTRIES = ['US', 'FR', 'DE', 'JP', 'BR', 'IN', 'GB'] as const
const USER_TYPES = ['Employee', 'Contractor', 'Intern', 'Temp', 'External'] as const

/** Lower-cased attribute name and the multi-valued (or complex) attribute it belongs to. */
function nameOf(path: readonly string[]): { attr: string; parent: string | undefined } {
  const names = path.filter((p) => p !== '[]').map((p) => p.toLowerCase())
  return { attr: names[names.length - 1] ?? '', parent: names[names.length - 2] }
}

/** True when any non-empty string up to `length` code points satisfies the schema (no enum, pattern or format). */
export function acceptsPlainString(schema: JsonSchema, length: number): boolean {
  const types = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : []
  if (!types.includes('string')) return false
  if (schema.enum !== undefined || 'const' in schema || schema.pattern !== undefined || schema.format !== undefined)
    return false
  if (typeof schema.minLength === 'number' && schema.minLength > 1) return false
  return typeof schema.maxLength !== 'number' || schema.maxLength >= length
}

/**
 * Realistic values for an attribute the RFC describes but a vendor's schema types only as `string`:
 * addresses for `emails.value`, URLs for `profileUrl`, language tags for `locale`, `type` canonical
 * values, and so on, none longer than `maxLength` code points (a shorter form where one exists).
 * `undefined` when the generator should follow the schema, including when no realistic value fits.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-4.1
 */
export function knownValue(
  path: readonly string[],
  schema: JsonSchema,
  options: { id?: string; maxLength?: number } = {},
): fc.Arbitrary<string> | undefined {
  const { attr, parent } = nameOf(path)
  const arbitrary = knownArbitrary(attr, parent, path.length, options.id, options.maxLength ?? Infinity)
  if (!arbitrary) return undefined
  // The longest value below is a URL of ~60 code points; a schema allowing fewer keeps its own strings.
  return acceptsPlainString(schema, 128) ? arbitrary : undefined
}

// Each value is the usual one when it fits in `max` (drawn exactly as without a maxLength), else a
// shorter form of the same thing, else `undefined`.
function knownArbitrary(
  attr: string,
  parent: string | undefined,
  depth: number,
  id: string | undefined,
  max: number,
): fc.Arbitrary<string> | undefined {
  const oneOf = (values: readonly string[]) => {
    const fitting = values.filter((v) => v.length <= max)
    return fitting.length > 0 ? fc.constantFrom(...fitting) : undefined
  }
  // The caller's own id is sent as given: it names the user in the path.
  if (depth === 1 && attr === 'id')
    return id !== undefined ? fc.constant(id) : max >= UUID_LENGTH ? fc.uuid() : undefined
  if (parent === 'meta') {
    if (attr === 'resourcetype') return oneOf(['User'])
    if (attr === 'location') {
      if (max >= LOCATION_LENGTH) return fc.uuid().map((u) => `https://example.com/scim/v2/Users/${u}`)
      return max >= URL_MIN_LENGTH ? plainUrl(max) : undefined
    }
    if (attr === 'version')
      return max >= 'W/"x"'.length
        ? token(Math.min(4, max - 4), Math.min(12, max - 4)).map((t) => `W/"${t}"`)
        : undefined
    if (attr === 'created' || attr === 'lastmodified') return isoDateTime(max)
  }
  if (attr === 'type' && parent !== undefined) return oneOf(canonicalTypes(parent))
  if (attr === 'value') {
    if (parent === 'emails') return max >= EMAIL_MIN_LENGTH ? plainEmail(max) : undefined
    if (parent === 'phonenumbers') return phoneNumber(max)
    if (parent === 'photos') return max >= URL_MIN_LENGTH ? plainUrl(max) : undefined
    if (parent === 'ims') return token(Math.min(3, max), Math.min(12, max))
    if (parent === 'x509certificates')
      return max >= 4 ? fc.base64String({ minLength: 4, maxLength: Math.min(64, max) }) : undefined
    if (parent === 'groups' || parent === 'manager') return max >= UUID_LENGTH ? fc.uuid() : undefined
  }
  if ((attr === 'ref' || attr === '$ref') && parent !== undefined)
    return max >= URL_MIN_LENGTH ? plainUrl(max) : undefined
  if (attr === 'profileurl') return max >= URL_MIN_LENGTH ? plainUrl(max) : undefined
  if (attr === 'locale' || attr === 'preferredlanguage') return oneOf(LANGUAGE_TAGS)
  if (attr === 'timezone') return oneOf(TIME_ZONES)
  if (attr === 'country' && parent === 'addresses') return oneOf(COUNTRIES)
  if (attr === 'postalcode')
    return max >= 5
      ? fc.integer({ min: 1000, max: 99999 }).map(String)
      : max === 4
        ? fc.integer({ min: 1000, max: 9999 }).map(String)
        : undefined
  if (attr === 'usertype') return oneOf(USER_TYPES)
  // Below 12 code points no password of the usual strength fits: the schema's plain text then.
  if (attr === 'password') return max >= 12 ? freeText({ minLength: 12, maxLength: Math.min(64, max) }) : undefined
  return undefined
}

const UUID_LENGTH = 36
const LOCATION_LENGTH = 'https://example.com/scim/v2/Users/'.length + UUID_LENGTH

/** A reserved fictional number (555-0100 to 555-0199), `+1-555-01NN`, or `+155501NN` where that does not fit. */
function phoneNumber(max: number): fc.Arbitrary<string> | undefined {
  const n = fc.integer({ min: 0, max: 99 }).map((k) => String(k).padStart(2, '0'))
  if (max >= '+1-555-0100'.length) return n.map((k) => `+1-555-01${k}`)
  return max >= '+155501NN'.length ? n.map((k) => `+155501${k}`) : undefined
}

/** ISO 8601 timestamps with milliseconds, or without them where that does not fit; `undefined` below 20 code points. */
function isoDateTime(max = Infinity): fc.Arbitrary<string> | undefined {
  if (max < 'YYYY-MM-DDTHH:MM:SSZ'.length) return undefined
  const iso = fc
    .date({ min: new Date('2015-01-01T00:00:00.000Z'), max: new Date('2035-01-01T00:00:00.000Z'), noInvalidDate: true })
    .map((d) => d.toISOString())
  return max >= 'YYYY-MM-DDTHH:MM:SS.sssZ'.length ? iso : iso.map((t) => t.replace(/\.\d{3}Z$/, 'Z'))
}

/** A readable, fixed value for the seed example (openapi-sampler writes `"string"` everywhere). */
export function exampleValue(path: readonly string[], options: { id?: string } = {}): string | undefined {
  const { attr, parent } = nameOf(path)
  if (path.length === 1 && attr === 'id') return options.id ?? EXAMPLE_ID
  if (parent === 'meta') {
    const meta: Record<string, string> = {
      resourcetype: 'User',
      location: `https://example.com/scim/v2/Users/${options.id ?? EXAMPLE_ID}`,
      version: 'W/"3694e05e9dff590"',
      created: '2024-01-23T04:56:22Z',
      lastmodified: '2024-05-13T04:42:34Z',
    }
    return meta[attr]
  }
  if (attr === 'type' && parent !== undefined) return (TYPE_VALUES[parent] ?? DEFAULT_TYPES)[0]
  if (attr === 'value') {
    const values: Record<string, string> = {
      emails: 'ada.lovelace@example.com',
      phonenumbers: '+1-555-0100',
      photos: 'https://example.com/photos/ada.jpg',
      ims: 'ada_lovelace',
      x509certificates: 'MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw',
      groups: 'e9e30dba-f08f-4109-8486-d5c6a331660a',
      manager: '26118915-6090-4610-87e4-49d8ca9f808d',
      roles: 'member',
      entitlements: 'analytics',
    }
    return parent ? values[parent] : undefined
  }
  if (attr === 'display') return parent === 'groups' ? 'Analysts' : 'Ada Lovelace'
  const plain: Record<string, string> = {
    givenname: 'Ada',
    familyname: 'Lovelace',
    middlename: 'King',
    formatted: parent === 'addresses' ? '12 St James’s Square\nLondon SW1Y 4JH\nGB' : 'Ms. Ada King Lovelace',
    honorificprefix: 'Ms.',
    honorificsuffix: 'III',
    displayname: 'Ada Lovelace',
    nickname: 'Ada',
    title: 'Analyst',
    usertype: 'Employee',
    locale: 'en-GB',
    preferredlanguage: 'en-GB',
    timezone: 'Europe/London',
    profileurl: 'https://example.com/people/ada',
    externalid: 'ada-0001',
    password: 'correct-horse-battery-staple',
    streetaddress: '12 St James’s Square',
    locality: 'London',
    region: 'London',
    postalcode: 'SW1Y 4JH',
    country: 'GB',
    ref: 'https://example.com/scim/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a',
    $ref: 'https://example.com/scim/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a',
    role: 'member',
  }
  return plain[attr]
}
