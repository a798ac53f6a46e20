import fc from 'fast-check'
import { UsageError } from '../errors.ts'
import {
  CORE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  topLevelProperties,
  type VendorProfile,
} from '../profile/vendor-profile.ts'
import type { JsonSchema } from '../openapi/json-schema.ts'
import { mergeAllOf } from './_internals/merge-all-of.ts'
import { freeText, token } from './_internals/text.ts'
import { readOnlyAttributes, scimUserAttribute, type ScimUserPayload } from './scim-user.ts'

/**
 * One invalid request: the raw body text (possibly not JSON), its media type and the rule it breaks. How
 * a server's answer is graded is the checks' business (src/checks/expectation.ts).
 */
export interface InvalidCase {
  kind: string
  violation: string
  rule: string
  body: string
  contentType: string
  /** The JSON value the body encodes, when it encodes one (`undefined` for a body that is not JSON). */
  mutated: unknown
  /**
   * The same request without the violation, where the mutation brings values of its own (two-primaries:
   * the same two entries, one of them primary): what a refusal is compared with. Absent: the base payload.
   */
  control?: ScimUserPayload
}

/** What a mutation builds on: valid payloads, and what it needs to know about the target. */
export interface MutationContext {
  /** Valid payloads to break, usually `scimUser(profile, …)`; shrinking a failure shrinks through them. */
  base: fc.Arbitrary<ScimUserPayload>
  /** userName of another user that exists on the server (uniqueness mutations use it, exact or as a case variant). */
  otherUserName?: string
  /** The id in the request path; `readonly-id-mismatch` sends a different one. */
  pathId?: string
}

/** One labelled way to break a valid payload. */
export interface Mutation {
  /** Stable id, e.g. `username-missing`. */
  kind: string
  violation: string
  rule: string
  /** Context a mutation cannot do without. */
  requires: readonly 'otherUserName'[]
  /** False when the vendor's schema has nothing to break this way (e.g. no attribute with `primary`). */
  appliesTo(profile: VendorProfile): boolean
  /**
   * `'heavy'`: every case sends the same large body (a megabyte), so a check needs only a case or two
   * of it, and a mix of kinds draws it less often than the others. @defaultValue 'light'
   */
  cost: 'light' | 'heavy'
  arbitrary(profile: VendorProfile, ctx: MutationContext): fc.Arbitrary<InvalidCase>
}

const lower = (s: string) => s.toLowerCase()
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A payload with one more extension key must list its URN, or it breaks a second rule. */
function listExtension(profile: VendorProfile, payload: ScimUserPayload, key: string): ScimUserPayload {
  if (!profile.extensionUrns.includes(key) || !Array.isArray(payload.schemas) || payload.schemas.includes(key))
    return payload
  return { ...payload, schemas: [...payload.schemas, key] }
}

type Built = { mutated: unknown; body?: string; contentType?: string; violation?: string; control?: ScimUserPayload }

interface MutationSpec {
  kind: string
  violation: string
  rule: string
  requires?: readonly 'otherUserName'[]
  appliesTo?: (profile: VendorProfile) => boolean
  cost?: 'light' | 'heavy'
  build: (profile: VendorProfile, ctx: MutationContext) => fc.Arbitrary<Built>
}

function define(spec: MutationSpec): Mutation {
  return {
    kind: spec.kind,
    violation: spec.violation,
    rule: spec.rule,
    requires: spec.requires ?? [],
    appliesTo: spec.appliesTo ?? (() => true),
    cost: spec.cost ?? 'light',
    arbitrary(profile, ctx) {
      if (spec.requires?.includes('otherUserName') && ctx.otherUserName === undefined) {
        throw new UsageError(
          `${spec.kind} needs ctx.otherUserName: the userName of another user that exists on the server.`,
        )
      }
      return spec.build(profile, ctx).map((b) => ({
        kind: spec.kind,
        violation: b.violation ?? spec.violation,
        rule: spec.rule,
        body: b.body ?? JSON.stringify(b.mutated),
        contentType: b.contentType ?? profile.requestMediaType,
        mutated: b.mutated,
        ...(b.control ? { control: b.control } : {}),
      }))
    },
  }
}

const without = (payload: ScimUserPayload, key: string): ScimUserPayload => {
  const { [key]: _removed, ...rest } = payload
  return rest
}

type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object'

function typesOf(schema: JsonSchema): JsonType[] {
  if (typeof schema.type === 'string') return [schema.type as JsonType]
  if (Array.isArray(schema.type)) return schema.type as JsonType[]
  if (schema.properties) return ['object']
  if (schema.items) return ['array']
  return []
}

/** One place in the vendor's schema where a value of the wrong JSON type can go. */
export interface WrongTypeTarget {
  /** e.g. `['emails', '[]', 'primary']` */
  path: string[]
  /** Readable path, e.g. `emails[].primary`. */
  label: string
  expected: JsonType
  given: JsonType
}

/**
 * Every attribute of the vendor's request schema (top level, sub-attributes of complex attributes and
 * of multi-valued items) with the wrong type it gets: string where boolean, object where array,
 * number where string, string where number, array where object. readOnly attributes are left out:
 * a server may ignore them whatever their type.
 */
export function wrongTypeTargets(profile: VendorProfile): WrongTypeTarget[] {
  const readOnly = new Set(readOnlyAttributes(profile).map(lower))
  const out: WrongTypeTarget[] = []
  const visit = (path: string[], schema: JsonSchema, depth: number) => {
    const types = typesOf(schema)
    const primary = types.find((t) => t !== 'null')
    const given = primary ? WRONG_FOR[primary] : undefined
    if (primary && given && !types.includes(given) && !(given === 'integer' && types.includes('number'))) {
      out.push({ path, label: path.join('.').replace(/\.\[\]/g, '[]'), expected: primary, given })
    }
    if (depth > 0) return
    if (primary === 'object')
      for (const [name, sub] of Object.entries(schema.properties ?? {}))
        visit([...path, name], mergeAllOf(sub), depth + 1)
    if (primary === 'array' && schema.items && typeof schema.items === 'object') {
      const items = mergeAllOf(schema.items)
      if (typesOf(items).includes('object'))
        for (const [name, sub] of Object.entries(items.properties ?? {}))
          visit([...path, '[]', name], mergeAllOf(sub), depth + 1)
    }
  }
  for (const [name, schema] of Object.entries(topLevelProperties(profile.requestSchema))) {
    if (!readOnly.has(lower(name))) visit([name], mergeAllOf(schema), 0)
  }
  return out
}

const WRONG_FOR: Partial<Record<JsonType, JsonType>> = {
  boolean: 'string',
  array: 'object',
  string: 'integer',
  integer: 'string',
  number: 'string',
  object: 'array',
}

function wrongValue(profile: VendorProfile, target: WrongTypeTarget): fc.Arbitrary<unknown> {
  switch (target.given) {
    case 'string':
      return fc.constantFrom('true', 'false', 'yes', '42', '1.5')
    case 'integer':
      return fc.integer({ min: -1000, max: 1000 })
    // One entry of a multi-valued attribute, not wrapped in an array (a common client mistake).
    case 'object':
      return target.path.includes('[]')
        ? fc.constant({ value: 'x' })
        : scimUserAttribute(profile, [...target.path, '[]']).map((v) => (isObject(v) ? v : { value: v }))
    // A complex value wrapped in an array, as if it were multi-valued.
    case 'array':
      return target.path.includes('[]') ? fc.constant([{}]) : scimUserAttribute(profile, target.path).map((v) => [v])
    default:
      return fc.constant(null)
  }
}

function setWrong(
  profile: VendorProfile,
  payload: ScimUserPayload,
  target: WrongTypeTarget,
  wrong: unknown,
  item: unknown,
): ScimUserPayload {
  const [top, second, third] = target.path
  if (target.path.length === 1) return listExtension(profile, { ...payload, [top]: wrong }, top)
  if (second !== '[]') {
    const parent = isObject(payload[top]) ? payload[top] : {}
    return listExtension(profile, { ...payload, [top]: { ...parent, [second]: wrong } }, top)
  }
  const existing =
    Array.isArray(payload[top]) && (payload[top] as unknown[]).length > 0 ? [...(payload[top] as unknown[])] : [item]
  existing[0] = { ...(isObject(existing[0]) ? existing[0] : {}), [third]: wrong }
  return listExtension(profile, { ...payload, [top]: existing }, top)
}

/** Top-level multi-valued attributes whose entries carry `primary`. */
export function primaryTargets(profile: VendorProfile): string[] {
  const readOnly = new Set(readOnlyAttributes(profile).map(lower))
  return Object.entries(topLevelProperties(profile.requestSchema))
    .filter(([name, schema]) => {
      const merged = mergeAllOf(schema)
      const items = merged.items && typeof merged.items === 'object' ? mergeAllOf(merged.items) : undefined
      return (
        !readOnly.has(lower(name)) &&
        typesOf(merged).includes('array') &&
        items?.properties?.primary !== undefined &&
        merged.uniqueItems !== true
      )
    })
    .map(([name]) => name)
}

function stringTargets(profile: VendorProfile): string[] {
  const readOnly = new Set(readOnlyAttributes(profile).map(lower))
  return Object.entries(topLevelProperties(profile.requestSchema))
    .filter(
      ([name, schema]) =>
        !readOnly.has(lower(name)) && lower(name) !== 'password' && typesOf(mergeAllOf(schema))[0] === 'string',
    )
    .map(([name]) => name)
}

/** Case variants of a userName that differ from it and compare equal case-insensitively. */
export function caseVariants(name: string): string[] {
  const swap = Array.from(name, (ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase())).join('')
  const capitalised = name.replace(
    /(^|[^\p{L}])(\p{L})/gu,
    (_m, before: string, letter: string) => before + letter.toUpperCase(),
  )
  return [...new Set([name.toUpperCase(), swap, capitalised, name.toLowerCase()])].filter(
    (v) => v !== name && lower(v) === lower(name),
  )
}

/** Nesting depth of `deeply-nested`. */
export const DEEP_NESTING = 1000

/** Body size of `oversize-body`: just over 1 MiB. */
export const OVERSIZE_BYTES = 1024 * 1024 + 1

/** JSON text with every non-ASCII character written as a `\u` escape, stored one byte per character. */
function asciiJson(value: unknown): string {
  const text = JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  // V8 keeps replace()'s result two bytes per character when the input was, ASCII or not; the latin1 round
  // trip (exact for ASCII) gives a one-byte string, so the body built on it is one byte per character too.
  return Buffer.from(text, 'latin1').toString('latin1')
}

// The padding value of `mutated` (the body is built as bytes): slices of one flat string cost nothing.
const OVERSIZE_PADDING = Buffer.alloc(OVERSIZE_BYTES, 'x').toString('latin1')

/** A valid payload padded past {@link OVERSIZE_BYTES} with an unknown attribute, as one flat one-byte string. */
function oversize(profile: VendorProfile, b: ScimUserPayload): Built {
  const name = unknownName(profile, 'scimcPadding')
  // ASCII JSON (non-ASCII characters as \u escapes, the same JSON value): one byte per character.
  const head = asciiJson({ ...b, [name]: '' }).slice(0, -2)
  const size = Math.max(OVERSIZE_BYTES, head.length + 2)
  // The padding is the last key and needs no escaping: the bytes are filled in place and read back as one
  // flat string (concatenating a megabyte makes a rope that every later scan of the body would flatten).
  const bytes = Buffer.allocUnsafe(size)
  bytes.write(head, 0, 'latin1')
  bytes.fill(0x78, head.length, size - 2)
  bytes.write('"}', size - 2, 'latin1')
  return {
    mutated: { ...b, [name]: OVERSIZE_PADDING.slice(0, size - 2 - head.length) },
    body: bytes.toString('latin1'),
  }
}

const UNKNOWN_URN = 'urn:example:params:scim:schemas:extension:scimc-unknown:2.0:User'

function nested(kind: 'array' | 'object', depth: number): unknown {
  let value: unknown = 'x'
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { value }
  return value
}

/** The two values `deeply-nested` sends, with their JSON text; never modified. */
const NESTED = {
  array: withJson(nested('array', DEEP_NESTING)),
  object: withJson(nested('object', DEEP_NESTING)),
}

function withJson(value: unknown): { value: unknown; json: string } {
  return { value, json: JSON.stringify(value) }
}

/** Stands in for the nested value while the rest of the body is serialised; no generated text contains it. */
const NESTED_MARKER = '\u0000scimc-nested\u0000'
const NESTED_MARKER_JSON = JSON.stringify(NESTED_MARKER)

/** The catalogue of invalid PUT bodies, each labelled with the rule it breaks. */
export const INVALID_MUTATIONS: readonly Mutation[] = [
  define({
    kind: 'username-missing',
    violation: 'userName missing',
    rule: 'RFC 7643 §4.1.1; RFC 7644 §3.5.1',
    build: (_p, { base }) => base.map((b) => ({ mutated: without(b, 'userName') })),
  }),
  define({
    kind: 'username-empty',
    violation: 'userName is the empty string',
    rule: 'RFC 7643 §4.1.1',
    build: (_p, { base }) => base.map((b) => ({ mutated: { ...b, userName: '' } })),
  }),
  define({
    kind: 'username-null',
    violation: 'userName is null',
    rule: 'RFC 7643 §4.1.1; RFC 7644 §3.5.1',
    build: (_p, { base }) => base.map((b) => ({ mutated: { ...b, userName: null } })),
  }),
  define({
    kind: 'schemas-missing',
    violation: 'schemas missing',
    rule: 'RFC 7643 §3',
    build: (_p, { base }) => base.map((b) => ({ mutated: without(b, 'schemas') })),
  }),
  define({
    kind: 'schemas-empty',
    violation: 'schemas is []',
    rule: 'RFC 7643 §3',
    build: (_p, { base }) => base.map((b) => ({ mutated: { ...b, schemas: [] } })),
  }),
  define({
    kind: 'schemas-without-core',
    violation: `schemas lacks ${CORE_USER_SCHEMA}`,
    rule: 'RFC 7643 §3',
    build: (_p, { base }) =>
      fc.tuple(base, fc.constantFrom('extensions', 'group', 'enterprise')).map(([b, how]) => {
        const extensions = (Array.isArray(b.schemas) ? b.schemas : []).filter((s) => s !== CORE_USER_SCHEMA)
        const schemas =
          how === 'extensions' && extensions.length > 0
            ? extensions
            : how === 'group'
              ? ['urn:ietf:params:scim:schemas:core:2.0:Group', ...extensions]
              : [ENTERPRISE_USER_SCHEMA, ...extensions.filter((e) => e !== ENTERPRISE_USER_SCHEMA)]
        return {
          mutated: { ...b, schemas },
          violation: `schemas is ${JSON.stringify(schemas)}: no ${CORE_USER_SCHEMA}`,
        }
      }),
  }),
  define({
    kind: 'schemas-unknown-urn',
    violation: `schemas lists an unknown URN (${UNKNOWN_URN})`,
    rule: 'RFC 7643 §3',
    build: (_p, { base }) =>
      base.map((b) => ({
        mutated: { ...b, schemas: [...(Array.isArray(b.schemas) ? b.schemas : [CORE_USER_SCHEMA]), UNKNOWN_URN] },
      })),
  }),
  define({
    kind: 'wrong-type',
    violation: 'an attribute has the wrong JSON type',
    rule: 'RFC 7644 §3.12',
    appliesTo: (profile) => wrongTypeTargets(profile).length > 0,
    build: (profile, { base }) =>
      fc.oneof(
        ...wrongTypeTargets(profile).map((target) => {
          const item =
            target.path[1] === '[]' ? scimUserAttribute(profile, target.path.slice(0, 2)) : fc.constant(undefined)
          return fc.tuple(base, wrongValue(profile, target), item).map(([b, wrong, entry]) => ({
            mutated: setWrong(profile, b, target, wrong, entry),
            violation: `${target.label}: ${target.given} where ${target.expected} is declared`,
          }))
        }),
      ),
  }),
  define({
    kind: 'two-primaries',
    violation: 'two entries of a multi-valued attribute have primary: true',
    rule: 'RFC 7643 §2.4',
    appliesTo: (profile) => primaryTargets(profile).length > 0,
    build: (profile, { base }) =>
      fc.oneof(
        ...primaryTargets(profile).map((name) => {
          const item = scimUserAttribute(profile, [name, '[]'])
          const entries = (b: ScimUserPayload, first: unknown, second: unknown, both: boolean) =>
            listExtension(
              profile,
              {
                ...b,
                [name]: [
                  { ...(first as object), primary: true },
                  { ...(second as object), primary: both },
                ],
              },
              name,
            )
          return fc.tuple(base, item, item).map(([b, first, second]) => ({
            mutated: entries(b, first, second, true),
            control: entries(b, first, second, false),
            violation: `${name} has two entries with primary: true`,
          }))
        }),
      ),
  }),
  define({
    kind: 'duplicate-username',
    violation: "userName is another user's userName",
    rule: 'RFC 7643 §4.1.1',
    requires: ['otherUserName'],
    build: (_p, { base, otherUserName }) => base.map((b) => ({ mutated: { ...b, userName: otherUserName } })),
  }),
  define({
    kind: 'duplicate-username-case-variant',
    violation: "userName is a case variant of another user's userName",
    rule: 'RFC 7643 §4.1.1',
    requires: ['otherUserName'],
    build: (_p, { base, otherUserName }) => {
      const variants = caseVariants(otherUserName!)
      if (variants.length === 0)
        throw new UsageError(
          `duplicate-username-case-variant: "${otherUserName}" has no letters, so it has no case variant. ` +
            'Use a userName with letters.',
        )
      return fc.tuple(base, fc.constantFrom(...variants)).map(([b, variant]) => ({
        mutated: { ...b, userName: variant },
        violation: `userName "${variant}" differs from an existing "${otherUserName}" only in case`,
      }))
    },
  }),
  define({
    kind: 'not-json',
    violation: 'the body is not JSON',
    rule: 'RFC 7644 §3.12',
    build: (_p, { base }) =>
      fc
        .tuple(
          base,
          fc.constantFrom('single-quotes', 'trailing-comma', 'unquoted-keys', 'undefined-value', 'form-encoded'),
        )
        .map(([b, how]) => {
          const text = JSON.stringify(b)
          const body =
            how === 'single-quotes'
              ? text.replace(/"/g, "'")
              : how === 'trailing-comma'
                ? `${text.slice(0, -1)},}`
                : how === 'unquoted-keys'
                  ? text.replace(/"([A-Za-z_$][\w$]*)":/g, '$1:')
                  : how === 'undefined-value'
                    ? `${text.slice(0, -1)},"nickName":undefined}`
                    : new URLSearchParams(
                        Object.entries(b).map(([k, v]): [string, string] => [
                          k,
                          typeof v === 'string' ? v : JSON.stringify(v),
                        ]),
                      ).toString()
          return { mutated: undefined, body, violation: `the body is not JSON (${how})` }
        }),
  }),
  define({
    kind: 'truncated-json',
    violation: 'the body is JSON cut short',
    rule: 'RFC 7644 §3.12',
    build: (_p, { base }) =>
      fc.tuple(base, fc.nat()).map(([b, n]) => {
        const points = Array.from(JSON.stringify(b))
        // Any proper prefix of an object's text is unparsable: the closing brace is its last character.
        // n shrinks to 0, which drops that brace alone.
        const cut = points.length - 1 - (n % (points.length - 1))
        return {
          mutated: undefined,
          body: points.slice(0, cut).join(''),
          violation: `the body is JSON cut after ${cut} of ${points.length} characters`,
        }
      }),
  }),
  define({
    kind: 'json-array-body',
    violation: 'the body is a JSON array, not an object',
    rule: 'RFC 7644 §3.12',
    build: (_p, { base }) => base.map((b) => ({ mutated: [b] })),
  }),
  define({
    kind: 'json-scalar-body',
    violation: 'the body is a JSON scalar, not an object',
    rule: 'RFC 7644 §3.12',
    build: (_p, { base }) =>
      fc.tuple(base, fc.constantFrom('string', 'number', 'boolean', 'null')).map(([b, how]) => {
        const scalar = how === 'string' ? String(b.userName) : how === 'number' ? 42 : how === 'boolean' ? true : null
        return { mutated: scalar, violation: `the body is the JSON ${how} ${JSON.stringify(scalar)}` }
      }),
  }),
  define({
    kind: 'empty-body',
    violation: 'the body is empty',
    rule: 'RFC 7644 §3.12',
    build: (_p, { base }) => base.map(() => ({ mutated: undefined, body: '' })),
  }),
  define({
    kind: 'oversize-body',
    violation: 'the body is over 1 MiB (an unknown attribute padded)',
    rule: 'RFC 7644 §3.12; RFC 9110 §15.5.14',
    cost: 'heavy',
    build: (profile, { base }) => {
      // One body per arbitrary (per check and test user), built from its first base payload: what is on
      // trial is the size, and a megabyte built, scanned and encoded per case cost the client ~10 ms each
      // (a third of a run's CPU). The same string each time also lets the client reuse its encoded bytes.
      let built: Built | undefined
      return base.map((b) => (built ??= oversize(profile, b)))
    },
  }),
  define({
    kind: 'wrong-content-type',
    violation: 'a valid JSON body sent as text/plain',
    rule: 'RFC 7644 §8.1; RFC 9110 §15.5.16',
    build: (_p, { base }) => base.map((b) => ({ mutated: b, contentType: 'text/plain' })),
  }),
  define({
    kind: 'deeply-nested',
    violation: `a value nested ${DEEP_NESTING} deep where a string is declared`,
    rule: 'RFC 7644 §3.12',
    appliesTo: (profile) => stringTargets(profile).length > 0,
    build: (profile, { base }) =>
      fc
        .tuple(base, fc.constantFrom(...stringTargets(profile)), fc.constantFrom('array' as const, 'object' as const))
        .map(([b, name, how]) => {
          // The body is the payload's JSON with the nested value's JSON (made once) in place of a marker:
          // stringifying a thousand levels costs a quarter of a millisecond per case.
          const json = JSON.stringify(listExtension(profile, { ...b, [name]: NESTED_MARKER }, name))
          return {
            mutated: listExtension(profile, { ...b, [name]: NESTED[how].value }, name),
            body: json.replace(NESTED_MARKER_JSON, () => NESTED[how].json),
            violation:
              `${name} is ${how === 'array' ? 'an array' : 'an object'} nested ${DEEP_NESTING} deep ` +
              'where a string is declared',
          }
        }),
  }),
  define({
    kind: 'unknown-attribute',
    violation: 'a valid body plus an attribute no schema declares',
    rule: 'RFC 7644 §3.5.1',
    build: (profile, { base }) =>
      fc
        .tuple(
          base,
          fc.constantFrom('scimcUnknown', 'favouriteColour', 'x-scimc-extra'),
          fc.oneof(
            freeText({ maxLength: 64 }),
            fc.integer(),
            fc.boolean(),
            token(1, 8).map((t) => ({ note: t })),
          ),
        )
        .map(([b, wanted, value]) => {
          const name = unknownName(profile, wanted)
          return { mutated: { ...b, [name]: value }, violation: `unknown attribute "${name}" added` }
        }),
  }),
  define({
    kind: 'readonly-id-mismatch',
    violation: 'id differs from the id in the path',
    rule: 'RFC 7644 §3.5.1; RFC 7643 §3.1',
    build: (_p, { base, pathId }) =>
      fc
        .tuple(
          base,
          fc.uuid().filter((u) => u !== pathId),
        )
        .map(([b, id]) => ({ mutated: { ...b, id }, violation: `id "${id}" differs from the path's id` })),
  }),
]

// Lower-cased top-level property names per profile: unknownName runs for every oversize and unknown-attribute case.
const knownNames = new WeakMap<VendorProfile, Set<string>>()

/** A name no property of the vendor's schema has (compared case-insensitively, RFC 7643 §2.1). */
function unknownName(profile: VendorProfile, wanted: string): string {
  let known = knownNames.get(profile)
  if (!known)
    knownNames.set(profile, (known = new Set(Object.keys(topLevelProperties(profile.requestSchema)).map(lower))))
  let name = wanted
  for (let i = 2; known.has(lower(name)); i++) name = `${wanted}${i}`
  return name
}

/** The mutation with this kind; throws a `UsageError` listing the kinds otherwise. */
export function mutation(kind: string): Mutation {
  const found = INVALID_MUTATIONS.find((m) => m.kind === kind)
  if (!found)
    throw new UsageError(
      `unknown mutation kind "${kind}". Choose one of ${INVALID_MUTATIONS.map((m) => m.kind).join(', ')}.`,
    )
  return found
}

/**
 * Invalid PUT bodies of the given kinds (default: every kind that applies to the vendor and whose
 * context is available), labelled with the rule each breaks.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.12
 */
export function invalidScimUser(
  profile: VendorProfile,
  ctx: MutationContext,
  kinds?: readonly string[],
): fc.Arbitrary<InvalidCase> {
  const chosen = kinds
    ? kinds.map(mutation)
    : INVALID_MUTATIONS.filter(
        (m) => m.appliesTo(profile) && !(m.requires.includes('otherUserName') && ctx.otherUserName === undefined),
      )
  const applicable = chosen.filter((m) => m.appliesTo(profile))
  if (applicable.length === 0)
    throw new UsageError(
      `invalidScimUser: none of ${chosen.map((m) => m.kind).join(', ')} applies to ${profile.name}'s request schema.`,
    )
  return fc.oneof(...applicable.map((m) => m.arbitrary(profile, ctx)))
}
