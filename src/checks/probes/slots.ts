import { topLevelProperties, type VendorProfile } from '../../profile/vendor-profile.ts'
import type { JsonSchema } from '../../openapi/json-schema.ts'

/** Request attributes the harness must not null, change or echo as user data. */
export const READ_ONLY = new Set(['id', 'meta', 'groups'])
const NOT_FREE_TEXT = new Set([
  'username',
  'password',
  'schemas',
  'id',
  'externalid',
  'locale',
  'timezone',
  'preferredlanguage',
  'profileurl',
  'usertype',
])

const typeOf = (s: JsonSchema): string | undefined =>
  (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type) ?? (s.properties ? 'object' : undefined)

/** Top-level request properties the vendor documents, with their schema (allOf merged). */
export function requestProperties(profile: VendorProfile): Record<string, JsonSchema> {
  return topLevelProperties(profile.requestSchema)
}

/** Single-valued, optional, writable top-level attributes: candidates for `null` to clear. */
export function singleValuedOptional(profile: VendorProfile): string[] {
  const props = requestProperties(profile)
  return Object.keys(props).filter((name) => {
    const lower = name.toLowerCase()
    return (
      !READ_ONLY.has(lower) &&
      lower !== 'schemas' &&
      lower !== 'username' &&
      lower !== 'password' &&
      !profile.requiredFields.includes(name) &&
      typeOf(props[name]) !== 'array'
    )
  })
}

/** Multi-valued, optional, writable top-level attributes: candidates for `[]` to clear. */
export function multiValuedOptional(profile: VendorProfile): string[] {
  const props = requestProperties(profile)
  return Object.keys(props).filter((name) => {
    const lower = name.toLowerCase()
    return (
      !READ_ONLY.has(lower) &&
      lower !== 'schemas' &&
      !profile.requiredFields.includes(name) &&
      typeOf(props[name]) === 'array'
    )
  })
}

/**
 * Free-text string slots (`displayName`, `name.givenName`, ...): plain strings with no format or enum,
 * where any unicode text is a valid value. Paths are top-level or one level into a complex attribute.
 */
export function freeTextSlots(profile: VendorProfile): string[][] {
  const slots: string[][] = []
  const plain = (s: JsonSchema) =>
    typeOf(s) === 'string' && !s.format && !s.enum && s.const === undefined && !s.pattern && s.maxLength === undefined
  for (const [name, schema] of Object.entries(requestProperties(profile))) {
    const lower = name.toLowerCase()
    if (READ_ONLY.has(lower) || NOT_FREE_TEXT.has(lower) || /^urn:/i.test(name)) continue
    if (plain(schema)) slots.push([name])
    else if (typeOf(schema) === 'object' && schema.properties) {
      for (const [sub, subSchema] of Object.entries(schema.properties)) if (plain(subSchema)) slots.push([name, sub])
    }
  }
  return slots
}

/** Multi-valued complex attributes whose items have a boolean `primary`. */
export function primaryCapable(profile: VendorProfile): string[] {
  const props = requestProperties(profile)
  return Object.keys(props).filter((name) => {
    const items = props[name].items
    return (
      typeOf(props[name]) === 'array' &&
      !READ_ONLY.has(name.toLowerCase()) &&
      !!items?.properties?.primary &&
      !!items.properties.value
    )
  })
}

/**
 * Multi-valued attributes whose items carry free text a user types (RFC 7643 §4.1.2: roles and
 * entitlements have no canonical values; an address's lines are free text), and the sub-attributes of
 * that text. Values of emails, phoneNumbers, ims, photos and x509Certificates have a syntax of their own.
 */
const ITEM_TEXT: Readonly<Record<string, readonly string[]>> = {
  roles: ['value', 'display'],
  entitlements: ['value', 'display'],
  addresses: ['formatted', 'streetAddress', 'locality', 'region'],
}

/**
 * Free-text slots inside the items of a multi-valued attribute, as `[attribute, '[]', sub]`
 * (`roles[].value`, `addresses[].locality`), where the vendor's request schema has them as plain strings.
 */
export function itemTextSlots(profile: VendorProfile): string[][] {
  const slots: string[][] = []
  const plain = (s: JsonSchema | undefined) =>
    !!s &&
    typeOf(s) === 'string' &&
    !s.format &&
    !s.enum &&
    s.const === undefined &&
    !s.pattern &&
    s.maxLength === undefined
  for (const [name, schema] of Object.entries(requestProperties(profile))) {
    const subs = ITEM_TEXT[name.toLowerCase()]
    const items = schema.items
    if (!subs || typeOf(schema) !== 'array' || !items?.properties) continue
    for (const [sub, subSchema] of Object.entries(items.properties))
      if (subs.some((s) => s.toLowerCase() === sub.toLowerCase()) && plain(subSchema)) slots.push([name, '[]', sub])
  }
  return slots
}

/**
 * Sets `value` at `path` in a copy of `body`, creating the complex parent when absent. A path
 * `[attribute, '[]', sub]` replaces the attribute with one item holding `value` in `sub` (and, when `sub`
 * is a display of roles or entitlements, a plain `value` beside it: some schemas require it).
 */
export function setPath(body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body)
  if (path.length === 1) copy[path[0]] = value
  else if (path[1] === '[]') {
    const sub = path[2]
    const withValue = sub.toLowerCase() !== 'value' && ['roles', 'entitlements'].includes(path[0].toLowerCase())
    copy[path[0]] = [withValue ? { value: 'scimc-item', [sub]: value } : { [sub]: value }]
  } else {
    const parent = copy[path[0]]
    copy[path[0]] = {
      ...(typeof parent === 'object' && parent !== null && !Array.isArray(parent) ? parent : {}),
      [path[1]]: value,
    }
  }
  return copy
}
