import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext } from '../context.ts'
import type { AttributeDefinition } from '../../scim/attribute.ts'
import {
  childPath,
  diffStored,
  getAttr,
  isObject,
  isUnassigned,
  NOT_CLEARED,
  sameRepresentation,
  WHITESPACE_TRIMMED,
} from '../compare.ts'
import { defineCheck, verdict, type Verdict } from '../define-check.ts'
import { fullPayloads, validPayloads } from '../probes/payloads.ts'
import {
  bodyObject,
  describeStatus,
  getUser,
  is2xx,
  noResponse,
  putUser,
  scimTypeOf,
  statusOf,
} from '../probes/requests.ts'
import { serverDeclares } from '../probes/server-schemas.ts'
import {
  freeTextSlots,
  multiValuedOptional,
  primaryCapable,
  requestProperties,
  setPath,
  singleValuedOptional,
} from '../probes/slots.ts'

type Body = Record<string, unknown>
type Characteristics = AttributeDefinition | undefined

/** RFC 7643 §7: "never" is in no response, "request" only in the response to the request that named it, so a GET does not show either. */
const notReturnedByDefault = (def: Characteristics): boolean => def?.returned === 'never' || def?.returned === 'request'
/** RFC 7643 §7 readOnly: "The attribute SHALL NOT be modified"; the server maintains it (id, meta, a vendor's updatedAt). */
const readOnly = (def: Characteristics): boolean => def?.mutability === 'readOnly'
/** Whether a GET after a replace must show the value sent: client-writable and returned by default. */
const storedAndShown = (def: Characteristics): boolean => !readOnly(def) && !notReturnedByDefault(def)

/** Attributes a replace must store: documented by the vendor, client-writable and returned by default. */
function comparable(ctx: CheckContext): Set<string> {
  const skip = new Set(['schemas', 'id', 'meta', 'groups', 'password'])
  for (const name of Object.keys(requestProperties(ctx.profile))) {
    if (!storedAndShown(ctx.attribute(name))) skip.add(name.toLowerCase())
  }
  return skip
}

/** `value` without the attributes, at any depth, whose characteristics `drop` (a comparison must not see them). */
function without(ctx: CheckContext, value: unknown, drop: (def: Characteristics) => boolean, path = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => without(ctx, item, drop, path))
  if (!isObject(value)) return value
  return Object.fromEntries(
    Object.entries(value).flatMap(([name, v]) => {
      const at = path ? childPath(path, name) : name
      return drop(ctx.attribute(at)) ? [] : [[name, without(ctx, v, drop, at)]]
    }),
  )
}

/**
 * Only the attributes the vendor's schema documents and, when the server publishes /Schemas, that the
 * server declares: anything else in a payload is an unknown attribute to it, not the server's to store.
 */
function documented(ctx: CheckContext, body: Body): Body {
  const known = new Set(Object.keys(requestProperties(ctx.profile)).map((k) => k.toLowerCase()))
  return Object.fromEntries(Object.entries(body).filter(([k]) => known.has(k.toLowerCase()) && serverDeclares(ctx, k)))
}

/** PUT then GET; null with a verdict when the PUT was not a success (another check owns that). */
async function replaceThenGet(
  ctx: CheckContext,
  id: string,
  body: unknown,
): Promise<{ put: Exchange; get: Exchange } | Verdict> {
  const put = await putUser(ctx, id, body)
  const broken = noResponse([put])
  if (broken) return broken
  if (!is2xx(put))
    return verdict('passed', `PUT answered ${describeStatus(put)}; put.status.success-200 judges that`, [put])
  const get = await getUser(ctx, id)
  return noResponse([put, get]) ?? { put, get }
}

const isVerdict = (v: unknown): v is Verdict => isObject(v) && typeof v.outcome === 'string'

/** RFC 7644 §3.5.1 (verified): "Any values provided SHALL replace the existing attribute values." */
export const valuesReplaced = defineCheck({
  id: 'put.replace.values-stored',
  title: 'Provided values replace the stored ones (GET after PUT shows them)',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'replace',
  rule: 'Any values provided SHALL replace the existing attribute values.',
  users: 1,
  cases: (ctx) => validPayloads(ctx, 'put.replace.values-stored'),
  async run(ctx, users, body) {
    const r = await replaceThenGet(ctx, users.ids[0], body)
    if (isVerdict(r)) return r
    const diff = diffStored(documented(ctx, body), bodyObject(r.get), ctx.attribute, comparable(ctx))
    if (diff.length === 0) return verdict('passed', 'every provided value stored', [r.put, r.get])
    // Trimming the ends of a string alters the value but loses nothing a user typed on purpose: a warning.
    // So is an old value that survived a null or [] (SCIM-PUT-RULES 6): clearing is a MAY, not a value provided.
    const outcome = diff.every((d) => d.note.endsWith(WHITESPACE_TRIMMED) || d.note.endsWith(NOT_CLEARED))
      ? 'warned'
      : 'failed'
    return verdict(
      outcome,
      `Received: GET after PUT differs for ${diff.map((d) => `${d.attribute} (${d.note})`).join(', ')}\nExpected: the values provided, compared by SCIM rules (case-insensitive unless caseExact, multi-valued as sets)\n\nStore every provided value as sent`,
      [r.put, r.get],
      { focus: 1, diff },
    )
  },
})

/** RFC 7644 §3.5.1: a successful PUT returns "the entire resource": the state a GET shows next. */
export const responseMatchesGet = defineCheck({
  id: 'put.replace.response-matches-get',
  title: 'The PUT response is the resource a following GET returns',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'replace',
  rule: 'A successful PUT operation returns a 200 OK response code and the entire resource within the response body.',
  users: 1,
  cases: (ctx) => validPayloads(ctx, 'put.replace.response-matches-get'),
  async run(ctx, users, body) {
    const r = await replaceThenGet(ctx, users.ids[0], body)
    if (isVerdict(r)) return r
    const putBody = bodyObject(r.put)
    if (!putBody) return verdict('passed', 'no body in the PUT response; put.status.success-200 judges that', [r.put])
    // returned "request"/"never" attributes may be in the PUT response and are absent from a GET by definition.
    const shown = (resource: unknown) => without(ctx, resource, notReturnedByDefault)
    const diff = sameRepresentation(shown(putBody), shown(bodyObject(r.get)), ctx.attribute)
    if (diff.length === 0) return verdict('passed', 'PUT response equals the following GET', [r.put, r.get])
    // §3.5.1 states this without an RFC 2119 keyword (SCIM-PUT-RULES 10: warn): a deviation from the intent, no MUST broken.
    return verdict(
      'warned',
      `Received: the PUT response and the GET right after it differ in ${diff.map((d) => d.attribute).join(', ')}\nExpected: the PUT response is the stored resource\n\nReturn the resource as stored, after the replace`,
      [r.put, r.get],
      { diff: diff.map((d) => ({ ...d, note: `PUT response vs GET: ${d.note}` })) },
    )
  },
})

/**
 * RFC 7644 §3.5.1 (verified): the service provider "MAY assume that any existing values are to be
 * cleared, or ... MAY assign a default value". Observed per attribute, never a failure.
 */
export const omittedAttributes = defineCheck({
  id: 'put.replace.omitted-attributes',
  title: 'What happens to attributes a PUT omits (cleared, defaulted or retained)',
  level: 'MAY',
  source: 'RFC 7644 §3.5.1',
  area: 'replace',
  rule: 'If one or more values are already set for the attribute, the service provider MAY assume that any existing values are to be cleared, or it MAY assign a default value to the final resource representation.',
  users: 1,
  maxRuns: 20,
  cases: (ctx) =>
    fc.tuple(
      fullPayloads(ctx, 'put.replace.omitted-attributes'),
      fc.subarray([...singleValuedOptional(ctx.profile), ...multiValuedOptional(ctx.profile)], { minLength: 1 }),
    ),
  async run(ctx, users, [full, omit]) {
    const id = users.ids[0]
    const first = await putUser(ctx, id, full)
    if (noResponse([first]) || !is2xx(first))
      return (
        noResponse([first]) ??
        verdict('passed', `full PUT answered ${describeStatus(first)}; put.status.success-200 judges that`, [first])
      )
    const present = omit.filter((name) => !isUnassigned(getAttr(bodyObject(first), name)))
    const partial = Object.fromEntries(Object.entries(full).filter(([k]) => !omit.includes(k)))
    const r = await replaceThenGet(ctx, id, partial)
    if (isVerdict(r)) return r
    const traits: Record<string, string> = {}
    for (const name of present) {
      const before = getAttr(bodyObject(first), name)
      const after = getAttr(bodyObject(r.get), name)
      traits[`omitted.${name}`] = isUnassigned(after)
        ? 'cleared'
        : sameRepresentation({ v: before }, { v: after }, () => undefined).length === 0
          ? 'retained'
          : 'defaulted'
    }
    const kept = Object.entries(traits).filter(([, t]) => t !== 'cleared')
    if (kept.length === 0)
      return verdict(
        'passed',
        `omitted attributes cleared (${present.join(', ') || 'none were set'})`,
        [first, r.put, r.get],
        { traits },
      )
    return verdict(
      'observed',
      `Omitted attributes: ${kept.map(([k, t]) => `${k.slice(8)} ${t}`).join(', ')} (RFC 7644 §3.5.1 allows clearing or a default; retaining is reported as a trait)`,
      [first, r.put, r.get],
      { traits },
    )
  },
})

/** The attributes of `body` that a clearing value changed, and whether the server cleared them. */
function notCleared(ctx: CheckContext, names: string[], get: Exchange): string[] {
  return names.filter((name) => {
    const def = ctx.attribute(name)
    if (def?.returned === 'never' || def?.returned === 'request') return false
    return !isUnassigned(getAttr(bodyObject(get), name))
  })
}

function clearingCheck(kind: 'null' | 'empty-array') {
  const id = kind === 'null' ? 'put.replace.null-clears' : 'put.replace.empty-array-clears'
  const candidates = (ctx: CheckContext) =>
    kind === 'null' ? singleValuedOptional(ctx.profile) : multiValuedOptional(ctx.profile)
  return defineCheck({
    id,
    title: kind === 'null' ? 'null clears a single-valued attribute' : '[] clears a multi-valued attribute',
    level: 'SHOULD',
    source: 'RFC 7644 §3.5.1; RFC 7643 §2.5',
    area: 'replace',
    rule: 'Clients MAY specify "null" for a single-valued attribute, or an empty array "[]" for a multi-valued attribute, to clear all values. Unassigned, null and [] SHALL be considered to be equivalent in "state".',
    users: 1,
    maxRuns: 20,
    skipIf: (ctx) =>
      candidates(ctx).length === 0
        ? `the vendor's request schema has no optional ${kind === 'null' ? 'single' : 'multi'}-valued attribute`
        : null,
    cases: (ctx) => fc.tuple(fullPayloads(ctx, id), fc.subarray(candidates(ctx), { minLength: 1 })),
    async run(ctx, users, [full, names]) {
      const userId = users.ids[0]
      const first = await putUser(ctx, userId, full)
      if (noResponse([first]) || !is2xx(first))
        return (
          noResponse([first]) ??
          verdict('passed', `PUT answered ${describeStatus(first)}; put.status.success-200 judges that`, [first])
        )
      const set = names.filter((n) => !isUnassigned(getAttr(bodyObject(first), n)))
      const clearing: Body = { ...full }
      for (const n of names) clearing[n] = kind === 'null' ? null : []
      const r = await replaceThenGet(ctx, userId, clearing)
      if (isVerdict(r)) return r
      const left = notCleared(ctx, set, r.get)
      if (left.length === 0)
        return verdict('passed', `${kind} cleared ${set.join(', ') || 'nothing that was set'}`, [first, r.put, r.get])
      return verdict(
        'warned',
        `Received: ${left.join(', ')} still set after a PUT with ${kind === 'null' ? 'null' : '[]'}\nExpected: the attribute cleared (null, [] and unassigned are the same state)\n\nTreat ${kind === 'null' ? 'null' : '[]'} as "no value"`,
        [first, r.put, r.get],
        {
          focus: 1,
          diff: left.map((a) => ({
            attribute: a,
            sent: clearing[a],
            stored: getAttr(bodyObject(r.get), a),
            note: 'old value survived',
          })),
        },
      )
    },
  })
}
export const nullClears = clearingCheck('null')
export const emptyArrayClears = clearingCheck('empty-array')

function exactStringsCheck(kind: 'unicode' | 'long') {
  const id = kind === 'unicode' ? 'put.replace.unicode-exact' : 'put.replace.long-strings-exact'
  // The slots put.replace.values-stored would compare: an attribute the server does not declare is an
  // unknown attribute to it (ignore or 400, SCIM-PUT-RULES 14), a readOnly or not-returned one is not shown as sent.
  const slots = (ctx: CheckContext) => {
    const skip = comparable(ctx)
    return freeTextSlots(ctx.profile).filter(
      (slot) =>
        serverDeclares(ctx, slot[0]) &&
        !skip.has(slot[0].toLowerCase()) &&
        storedAndShown(ctx.attribute(slot.join('.'))),
    )
  }
  const text =
    kind === 'unicode'
      ? fc
          .oneof(
            fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
            fc.constantFrom('Zoë Ångström', '山田 太郎', 'Ωμέγα 🎉👩‍💻', 'Ñandú', '\u00e9 vs e\u0301'),
          )
          .filter((s) => s.trim().length > 0)
      : fc
          .integer({ min: 256, max: 1024 })
          .chain((n) =>
            fc.string({ unit: 'grapheme-ascii', minLength: n, maxLength: n }).filter((s) => s.trim().length > 0),
          )
  return defineCheck({
    id,
    title:
      kind === 'unicode'
        ? 'Non-ASCII strings (accents, CJK, emoji) come back exactly'
        : 'Long strings (256 to 1024 characters) come back whole',
    level: 'MUST',
    source: 'RFC 7644 §3.5.1; RFC 7643 §2.3.1',
    area: 'replace',
    rule: 'Any values provided SHALL replace the existing attribute values (a String is a sequence of zero or more Unicode characters encoded using UTF-8).',
    users: 1,
    maxRuns: 30,
    skipIf: (ctx) =>
      slots(ctx).length === 0
        ? "the vendor's request schema has no free-text string attribute that the server declares, accepts from clients and returns"
        : null,
    cases: (ctx) => fc.tuple(validPayloads(ctx, id), fc.constantFrom(...slots(ctx)), text),
    async run(ctx, users, [base, slot, value]) {
      const body = setPath(base, slot, value)
      const r = await replaceThenGet(ctx, users.ids[0], body)
      if (isVerdict(r)) return r
      const stored =
        slot.length === 1 ? getAttr(bodyObject(r.get), slot[0]) : getAttr(getAttr(bodyObject(r.get), slot[0]), slot[1])
      const def = ctx.attribute(slot.join('.'))
      const same = (a: string, b: string) =>
        a === b || (!(def?.caseExact ?? false) && a.toLowerCase() === b.toLowerCase())
      if (typeof stored === 'string' && same(stored, value))
        return verdict('passed', `${slot.join('.')} stored exactly`, [r.put, r.get])
      // RFC 7643 §2.3.1 defines a String only as "A sequence of zero or more Unicode characters": a canonically
      // equivalent form (é as U+00E9 or as e + U+0301) is the same text: it passes, and the form is recorded as a trait.
      if (typeof stored === 'string' && same(stored.normalize('NFC'), value.normalize('NFC'))) {
        const form =
          stored === stored.normalize('NFC')
            ? 'NFC'
            : stored === stored.normalize('NFD')
              ? 'NFD'
              : 'canonically equivalent'
        return verdict(
          'passed',
          `${slot.join('.')} stored as a canonically equivalent string (${form})`,
          [r.put, r.get],
          { traits: { 'strings.normalisation': form } },
        )
      }
      if (typeof stored === 'string' && stored === value.trim()) {
        return verdict(
          'warned',
          `Received: ${slot.join('.')} stored without its leading/trailing white space\nExpected: ${JSON.stringify(value).slice(0, 120)} exactly`,
          [r.put, r.get],
          { focus: 1, diff: [{ attribute: slot.join('.'), sent: value, stored, note: WHITESPACE_TRIMMED }] },
        )
      }
      const note =
        typeof stored === 'string'
          ? `sent ${[...value].length} characters, stored ${[...stored].length}`
          : `stored ${JSON.stringify(stored)}`
      return verdict(
        'failed',
        `Received: ${slot.join('.')} stored as ${JSON.stringify(stored)?.slice(0, 120)}\nExpected: ${JSON.stringify(value).slice(0, 120)} exactly (${note})\n\nStore strings as UTF-8 without ${kind === 'unicode' ? 're-encoding or replacing characters' : 'truncating'}`,
        [r.put, r.get],
        { focus: 1, diff: [{ attribute: slot.join('.'), sent: value, stored, note }] },
      )
    },
  })
}
export const unicodeExact = exactStringsCheck('unicode')
export const longStringsExact = exactStringsCheck('long')

/** RFC 9110 §9.2.2: PUT is idempotent; the same PUT twice leaves the same representation. */
export const idempotent = defineCheck({
  id: 'put.replace.idempotent',
  title: 'The same PUT twice gives the same representation',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1; RFC 9110 §9.2.2',
  area: 'replace',
  rule: 'PUT is idempotent: the intended effect of several identical requests is the same as for a single one.',
  users: 1,
  maxRuns: 25,
  cases: (ctx) => validPayloads(ctx, 'put.replace.idempotent'),
  async run(ctx, users, body) {
    const first = await putUser(ctx, users.ids[0], body)
    if (noResponse([first]) || !is2xx(first))
      return (
        noResponse([first]) ??
        verdict('passed', `PUT answered ${describeStatus(first)}; put.status.success-200 judges that`, [first])
      )
    const second = await putUser(ctx, users.ids[0], body)
    const broken = noResponse([first, second])
    if (broken) return broken
    // RFC 9110 §9.2.2 defines idempotence by "the intended effect on the server", not by identical responses
    // (SCIM-PUT-RULES 25): a different status is a deviation; a 5xx is put.stability.repeatable's to fail.
    if (statusOf(second) !== statusOf(first)) {
      return verdict(
        'warned',
        `Received: ${describeStatus(first)} then ${describeStatus(second)} for the same PUT\nExpected: the same outcome both times\n\nAnswer a repeated PUT as the first one`,
        [first, second],
        { focus: 1 },
      )
    }
    const a = bodyObject(first)
    const b = bodyObject(second)
    // readOnly attributes are the server's to maintain (meta, a vendor's updatedAt): they may move between two PUTs.
    const diff =
      a && b
        ? sameRepresentation(without(ctx, a, readOnly), without(ctx, b, readOnly), ctx.attribute, new Set(['meta']))
        : []
    const metaA = getAttr(a, 'meta')
    const metaB = getAttr(b, 'meta')
    const moved =
      getAttr(metaA, 'lastModified') !== getAttr(metaB, 'lastModified') ||
      getAttr(metaA, 'version') !== getAttr(metaB, 'version')
    const traits = {
      'idempotent.meta': moved
        ? 'lastModified/version move on an unchanged PUT'
        : 'lastModified/version stable on an unchanged PUT',
    }
    if (diff.length > 0)
      return verdict(
        'failed',
        `Received: the second identical PUT returned a different resource (${diff.map((d) => d.attribute).join(', ')})\nExpected: the same representation`,
        [first, second],
        { focus: 1, diff, traits },
      )
    return verdict(
      moved ? 'observed' : 'passed',
      moved ? 'same representation; meta.lastModified/version moved although nothing changed' : 'same representation',
      [first, second],
      { traits },
    )
  },
})

/** Renames keys to a case variant, recursively, except `schemas` and URN keys (left as sent). */
function recase(value: unknown, flip: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => recase(v, flip))
  if (!isObject(value)) return value
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k === 'schemas' || /^urn:/i.test(k) ? k : flip(k), recase(v, flip)]),
  )
}

/**
 * RFC 7643 §2.1: "Attribute names are case insensitive". Judged as a divergence (SCIM-PUT-RULES 15): the
 * case-variant PUT must store what the same body with camelCase names stores, whatever that is, so a
 * server that loses values either way is judged by put.replace.values-stored, not here.
 */
export const caseInsensitiveNames = defineCheck({
  id: 'put.replace.case-insensitive-names',
  title: 'Attribute names that differ only in case (UserName, NAME.GIVENNAME) are understood',
  level: 'SHOULD',
  source: 'RFC 7643 §2.1',
  area: 'replace',
  rule: 'Attribute names are case insensitive and are often "camel-cased" (e.g., "camelCase").',
  users: 1,
  maxRuns: 20,
  cases: (ctx) =>
    fc.tuple(
      validPayloads(ctx, 'put.replace.case-insensitive-names'),
      fc.constantFrom<'upper' | 'capital'>('upper', 'capital'),
    ),
  async run(ctx, users, [body, style]) {
    const flip = style === 'upper' ? (k: string) => k.toUpperCase() : (k: string) => k[0].toUpperCase() + k.slice(1)
    const variant = recase(body, flip) as Body
    const put = await putUser(ctx, users.ids[0], variant)
    const broken = noResponse([put])
    if (broken) return broken
    if (!is2xx(put)) {
      return verdict(
        'warned',
        `Received: ${describeStatus(put)} for a valid payload whose attribute names differ only in case\nExpected: the same outcome as with camelCase names\n\nMatch attribute names case-insensitively`,
        [put],
      )
    }
    const get = await getUser(ctx, users.ids[0])
    // The variant goes first: had the server ignored its names, the camelCase PUT that follows changes what GET shows.
    const canonical = await replaceThenGet(ctx, users.ids[0], body)
    if (isVerdict(canonical)) return canonical
    const sent = Object.keys(documented(ctx, body)).filter((k) => !comparable(ctx).has(k.toLowerCase()))
    const pick = (e: Exchange) => Object.fromEntries(sent.map((k) => [k, getAttr(bodyObject(e), k)]))
    const diff = sameRepresentation(pick(canonical.get), pick(get), ctx.attribute)
    if (diff.length === 0)
      return verdict('passed', 'case-variant names stored as their canonical attributes', [
        put,
        get,
        canonical.put,
        canonical.get,
      ])
    return verdict(
      'warned',
      `Received: after a PUT with ${style}-cased names, GET differs for ${diff.map((d) => d.attribute).join(', ')} from what the same body with camelCase names stores\nExpected: the same stored values whatever the case of the names\n\nMatch attribute names case-insensitively`,
      [put, get, canonical.put, canonical.get],
      { focus: 0, diff: diff.map((d) => ({ ...d, note: `camelCase vs ${style}-cased names: ${d.note}` })) },
    )
  },
})

/** RFC 7643 §4.1.1 (verified): "The cleartext value or the hashed value of a password SHALL NOT be returnable by a service provider." */
export const passwordNotReturned = defineCheck({
  id: 'put.replace.password-not-returned',
  title: 'password is accepted but never returned',
  level: 'MUST',
  source: 'RFC 7643 §4.1.1',
  area: 'replace',
  rule: 'The cleartext value or the hashed value of a password SHALL NOT be returnable by a service provider.',
  users: 1,
  maxRuns: 10,
  skipIf: (ctx) =>
    Object.keys(requestProperties(ctx.profile)).some((k) => k.toLowerCase() === 'password')
      ? null
      : "the vendor's request schema has no password attribute",
  cases: (ctx) =>
    fc.tuple(
      validPayloads(ctx, 'put.replace.password-not-returned'),
      fc.string({ minLength: 12, maxLength: 24, unit: 'grapheme-ascii' }).map((s) => `Pw1!${s}`),
    ),
  async run(ctx, users, [body, password]) {
    const put = await putUser(ctx, users.ids[0], { ...body, password })
    const get = await getUser(ctx, users.ids[0])
    const broken = noResponse([put, get])
    if (broken) return broken
    const leaks = [put, get].filter(
      (e) => getAttr(bodyObject(e), 'password') !== undefined || (e.response?.bodyText.includes(password) ?? false),
    )
    if (leaks.length === 0) return verdict('passed', 'password not in the PUT response or the GET', [put, get])
    return verdict(
      'failed',
      `Received: password returned in the ${leaks.map((e) => e.request.method).join(' and ')} response\nExpected: password never returned (returned "never")\n\nDrop password (and its hash) from every representation`,
      [put, get],
      { focus: [put, get].indexOf(leaks[0]) },
    )
  },
})

/** SCIM-PUT-RULES 3, RFC 7644 §3.5.1 (verified): clients "MAY send all attributes, regardless of each attribute's mutability". */
export const wholeBodyEcho = defineCheck({
  id: 'put.replace.whole-body-echo',
  title: 'Echoing a GET body back (id, meta, schemas, groups included) succeeds',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'replace',
  rule: "Clients MAY send all attributes, regardless of each attribute's mutability (readOnly values SHALL be ignored).",
  users: 1,
  async run(ctx, users) {
    const get = await getUser(ctx, users.ids[0])
    if (noResponse([get])) return noResponse([get])!
    const body = bodyObject(get)
    // A failed precondition, not a PUT behaviour: there is nothing to echo.
    if (!body)
      return verdict(
        'skipped',
        `GET of the test user answered ${describeStatus(get)} without a JSON resource, so there was no body to echo back`,
        [get],
      )
    const put = await putUser(ctx, users.ids[0], body)
    if (noResponse([get, put])) return noResponse([get, put])!
    if (is2xx(put)) return verdict('passed', `PUT of the GET body answered ${statusOf(put)}`, [get, put])
    // §3.12's own example answers 400 mutability "Attribute 'id' is readOnly" (SCIM-PUT-RULES 8): a permitted
    // answer to a readOnly value, but these values are the stored ones, so refusing them departs from §3.5.1's MAY.
    if (statusOf(put) === 400 && scimTypeOf(put) === 'mutability') {
      return verdict(
        'warned',
        `Received: ${describeStatus(put)} for a PUT of the body GET returned\nExpected: 200 (clients MAY send all attributes; readOnly values SHALL be ignored, and these were unchanged)\n\nIgnore id, meta and groups in a PUT body, at least when they match the stored values`,
        [get, put],
        { focus: 1 },
      )
    }
    return verdict(
      'failed',
      `Received: ${describeStatus(put)} for a PUT of the body GET returned\nExpected: 200 (readOnly values in the body SHALL be ignored)\n\nIgnore id, meta and groups in a PUT body instead of rejecting it`,
      [get, put],
      { focus: 1 },
    )
  },
})

/** RFC 7643 §2.4 (verified): 'The primary attribute value "true" MUST appear no more than once.' */
export const primaryOnce = defineCheck({
  id: 'put.replace.primary-once',
  title: 'Two primary values are rejected or normalised to one, never stored',
  level: 'MUST',
  source: 'RFC 7643 §2.4',
  area: 'replace',
  rule: 'The primary attribute value "true" MUST appear no more than once.',
  users: 1,
  maxRuns: 10,
  skipIf: (ctx) =>
    primaryCapable(ctx.profile).length === 0
      ? "the vendor's request schema has no multi-valued attribute with primary"
      : null,
  cases: (ctx) =>
    fc.tuple(validPayloads(ctx, 'put.replace.primary-once'), fc.constantFrom(...primaryCapable(ctx.profile))),
  async run(ctx, users, [body, attr]) {
    const values = attr.toLowerCase() === 'emails' ? ['first@example.com', 'second@example.com'] : ['first', 'second']
    const sent = { ...body, [attr]: values.map((value) => ({ value, primary: true })) }
    const put = await putUser(ctx, users.ids[0], sent)
    if (noResponse([put])) return noResponse([put])!
    if (!is2xx(put)) {
      if (statusOf(put) === 400)
        return verdict('observed', `two primaries rejected with ${describeStatus(put)}`, [put], {
          traits: { [`primary.twoInRequest.${attr}`]: 'rejected (400)' },
        })
      return verdict('passed', `PUT answered ${describeStatus(put)}; put.invalid.two-primaries judges that`, [put])
    }
    const get = await getUser(ctx, users.ids[0])
    if (noResponse([put, get])) return noResponse([put, get])!
    const count = (e: Exchange) => {
      const list = getAttr(bodyObject(e), attr)
      return Array.isArray(list) ? list.filter((v) => getAttr(v, 'primary') === true).length : 0
    }
    const bad = [put, get].find((e) => count(e) > 1)
    if (bad)
      return verdict(
        'failed',
        `Received: ${count(bad)} values of ${attr} with primary true in the ${bad.request.method} response\nExpected: at most one\n\nReject the request with 400 invalidValue, or keep one primary`,
        [put, get],
        { focus: bad === put ? 0 : 1 },
      )
    return verdict('observed', `two primaries normalised to ${count(get)}`, [put, get], {
      traits: { [`primary.twoInRequest.${attr}`]: 'normalised' },
    })
  },
})

export const REPLACE_CHECKS = [
  valuesReplaced,
  responseMatchesGet,
  omittedAttributes,
  nullClears,
  emptyArrayClears,
  unicodeExact,
  longStringsExact,
  idempotent,
  caseInsensitiveNames,
  passwordNotReturned,
  wholeBodyEcho,
  primaryOnce,
]
