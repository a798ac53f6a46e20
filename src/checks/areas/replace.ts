import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext } from '../context.ts'
import type { AttributeDefinition } from '../../scim/attribute.ts'
import {
  childPath,
  diffStored,
  differs,
  getAttr,
  isObject,
  isUnassigned,
  kindOf,
  sameRepresentation,
  WHITESPACE_TRIMMED,
} from '../compare.ts'
import { defineCheck, verdict, type CheckUsers, type Verdict } from '../define-check.ts'
import { describeRefusal } from '../probes/attribution.ts'
import { fullPayloads, validPayloads } from '../probes/payloads.ts'
import { bodyObject, describeStatus, getUser, is2xx, putUser, scimTypeOf, statusOf } from '../probes/requests.ts'
import { serverDeclares } from '../probes/server-schemas.ts'
import {
  freeTextSlots,
  itemTextSlots,
  multiValuedOptional,
  primaryCapable,
  READ_ONLY,
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

/**
 * Whether the server's /Schemas declares an attribute path (`name.givenName`, `<urn>:role`); true when
 * it publishes none. A sub-attribute it does not declare is an unknown attribute to it (SCIM-PUT-RULES 14).
 */
function declaresPath(ctx: CheckContext, path: string): boolean {
  const declared = ctx.discovery.declared
  return !declared || declared.has(path.toLowerCase())
}

/** `400 invalidValue ("name.givenName" is 120 characters long…)`: the server's answer, for a message or a trait. */
const answerOf = describeRefusal

/**
 * A case whose PUT was refused although nothing of this rule was in it (or its control was refused as
 * well): the server's own input constraint, not evidence about the rule. Inconclusive, with the answer
 * as a `constraint.<what>` trait.
 */
function refusedAnyway(what: string, why: string, refusal: Exchange, exchanges: Exchange[] = [refusal]): Verdict {
  return verdict('inconclusive', `${why}: ${answerOf(refusal)}`, exchanges, {
    traits: { [`constraint.${what}`]: answerOf(refusal) },
  })
}

/** PUT then GET; a verdict instead when the PUT of this valid payload was refused (the server's own constraint). */
async function replaceThenGet(
  ctx: CheckContext,
  id: string,
  body: unknown,
): Promise<{ put: Exchange; get: Exchange } | Verdict> {
  const put = await putUser(ctx, id, body)
  if (!is2xx(put))
    return refusedAnyway('payload', 'the PUT of a valid payload was refused, so nothing was stored to judge', put)
  return { put, get: await getUser(ctx, id) }
}

const isVerdict = (v: unknown): v is Verdict => isObject(v) && typeof v.outcome === 'string'

/**
 * The value without its unassigned parts (null, [], {}), at any depth, and with at most one `primary: true`
 * per list (RFC 7643 §2.4): a body that sets only real values, as a base for clearing or omitting them.
 */
function valuesOnly(value: unknown): unknown {
  if (Array.isArray(value)) {
    let primary = false
    return value
      .map(valuesOnly)
      .filter((v) => !isUnassigned(v))
      .map((v) => {
        if (!isObject(v) || v.primary !== true) return v
        const first = !primary
        primary = true
        return first ? v : { ...v, primary: false }
      })
  }
  if (!isObject(value)) return value
  return Object.fromEntries(
    Object.entries(value)
      .map(([k, v]) => [k, valuesOnly(v)] as const)
      .filter(([, v]) => !isUnassigned(v)),
  )
}

/** Every string in a value, at any depth. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(stringsIn)
  return isObject(value) ? Object.values(value).flatMap(stringsIn) : []
}

/**
 * What became of attribute `name` after a PUT that cleared or omitted it: `cleared`; `retained` (every
 * value still the one held before the PUT, SCIM-PUT-RULES 6 when null/[] was sent); or `defaulted`, a
 * value the server assigned (RFC 7644 §3.5.1 "MAY assign a default value"): one the attribute did not
 * hold before, or one derived from what the same PUT sent (e.g. `emails` made from `userName`).
 */
function fateOf(
  ctx: CheckContext,
  name: string,
  before: unknown,
  after: unknown,
  sent: Body,
): 'cleared' | 'retained' | 'defaulted' {
  if (isUnassigned(after)) return 'cleared'
  const others = new Set(
    stringsIn(
      Object.entries(sent).flatMap(([k, v]) => (k.toLowerCase() === name.toLowerCase() || k === 'schemas' ? [] : [v])),
    ).map((s) => s.toLowerCase()),
  )
  const leaves = stringsIn(after)
  if (leaves.length > 0 && leaves.every((s) => others.has(s.toLowerCase()))) return 'defaulted'
  return !isUnassigned(before) && differs(after, before, name, ctx.attribute) === null ? 'retained' : 'defaulted'
}

/** RFC 7644 §3.5.1 (verified): "Any values provided SHALL replace the existing attribute values." */
export const valuesReplaced = defineCheck({
  id: 'put.replace.values-stored',
  title: 'Provided values replace the stored ones (GET after PUT shows them)',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'replace',
  rule: 'Any values provided SHALL replace the existing attribute values.',
  users: 1,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const r = await replaceThenGet(ctx, users.ids[0], body)
    if (isVerdict(r)) return r
    const unknown = new Set<string>()
    const diff = diffStored(documented(ctx, body), bodyObject(r.get), ctx.attribute, comparable(ctx), {
      declared: (path) => declaresPath(ctx, path),
      unknown,
    })
    // Trimmed ends are SCIM-PUT-RULES 4's warning (put.replace.whitespace-kept), and what becomes of a null
    // or [] is rule 6's (put.replace.null-clears, put.replace.empty-array-clears): neither is a value lost.
    const lost = diff.filter((d) => kindOf(d.note) === 'lost')
    const traits = Object.fromEntries(
      [...unknown].map((path) => [`unknown.${path}`, 'not declared in the server’s /Schemas: not compared']),
    )
    if (lost.length === 0) {
      const others = diff.map((d) => `${d.attribute} (${d.note})`)
      return verdict(
        'passed',
        `every provided value stored${others.length > 0 ? `; judged elsewhere: ${others.join(', ')}` : ''}`,
        [r.put, r.get],
        { traits },
      )
    }
    return verdict(
      'violated',
      `Received: GET after PUT differs for ${lost.map((d) => `${d.attribute} (${d.note})`).join(', ')}\nExpected: the values provided, compared by SCIM rules (case-insensitive unless caseExact, multi-valued as sets)\n\nStore every provided value as sent`,
      [r.put, r.get],
      { focus: 1, diff: lost, traits },
    )
  },
})

/** Every value a slot holds in a resource (several for a multi-valued item slot `[attribute, '[]', sub]`). */
function valuesAt(resource: unknown, slot: string[]): unknown[] {
  const top = getAttr(resource, slot[0])
  if (slot.length === 1) return [top]
  if (slot[1] === '[]') return Array.isArray(top) ? top.map((item) => getAttr(item, slot[2])) : [undefined]
  return [getAttr(top, slot[1])]
}

/** The characteristics path of a slot: `name.givenName`, `roles.value`. */
const pathOf = (slot: string[]): string => slot.filter((s) => s !== '[]').join('.')
/** How a slot reads in a message: `name.givenName`, `roles[].value`. */
const labelOf = (slot: string[]): string => slot.join('.').replace('.[].', '[].')

/**
 * The string slots a replace must store and show: documented by the vendor, declared by the server
 * (an attribute it does not declare is unknown to it, SCIM-PUT-RULES 14), client-writable and returned.
 */
function textSlots(ctx: CheckContext, withItems: boolean): string[][] {
  const skip = comparable(ctx)
  return [...freeTextSlots(ctx.profile), ...(withItems ? itemTextSlots(ctx.profile) : [])].filter(
    (slot) =>
      serverDeclares(ctx, slot[0]) &&
      !skip.has(slot[0].toLowerCase()) &&
      (slot.length === 1 || declaresPath(ctx, pathOf(slot))) &&
      storedAndShown(ctx.attribute(pathOf(slot))),
  )
}

/**
 * SCIM-PUT-RULES 4: a string stored with the white space at its ends trimmed → warn, wherever it sits
 * (top level, sub-attribute, multi-valued item). RFC 7643 §2.3.1: a String is "a sequence of zero or
 * more Unicode characters"; RFC 7644 §3.5.1: "Any values provided SHALL replace the existing attribute values."
 */
export const whitespaceKept = defineCheck({
  id: 'put.replace.whitespace-kept',
  title: 'White space at the ends of a string is stored as sent (top level, sub-attribute, multi-valued item)',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1; RFC 7643 §2.3.1',
  area: 'replace',
  rule: 'Any values provided SHALL replace the existing attribute values (a String is a sequence of zero or more Unicode characters): a value stored with the white space at its ends trimmed is a deviation.',
  users: 1,
  maxRuns: 20,
  skipIf: (ctx) =>
    textSlots(ctx, true).length === 0
      ? "the vendor's request schema has no free-text string attribute that the server declares, accepts from clients and returns"
      : null,
  cases: (ctx) =>
    fc.tuple(
      validPayloads(ctx),
      fc.constantFrom(...textSlots(ctx, true)),
      fc
        .tuple(
          fc.constantFrom(' ', '', '  ', '\t'),
          fc.constantFrom('Ada', 'Zoë Ångström', 'Grace B. Hopper'),
          fc.constantFrom(' ', '', '  ', '\t'),
        )
        .filter(([left, , right]) => left + right !== '')
        .map(([left, text, right]) => `${left}${text}${right}`),
    ),
  async run(ctx, users, [base, slot, value]) {
    const id = users.ids[0]
    const put = await putUser(ctx, id, setPath(base, slot, value))
    if (!is2xx(put)) {
      // The control: the same payload with the same text without the white space.
      const control = await putUser(ctx, id, setPath(base, slot, value.trim()))
      if (!is2xx(control))
        return refusedAnyway('payload', 'the payload was refused with and without white space at the ends', put, [
          put,
          control,
        ])
      // Nothing stored, so the rule (what is stored) is not reached: the server's own input rule, a trait.
      return verdict(
        'inconclusive',
        `${labelOf(slot)} with white space at its ends was refused with ${answerOf(put)}, the same value without it accepted: nothing stored to judge`,
        [put, control],
        { traits: { 'constraint.whitespace-at-ends': answerOf(put) } },
      )
    }
    const get = await getUser(ctx, id)
    const notes = valuesAt(bodyObject(get), slot).map((stored) => differs(value, stored, pathOf(slot), ctx.attribute))
    if (notes.includes(null)) return verdict('passed', `${labelOf(slot)} stored with its white space`, [put, get])
    const stored = valuesAt(bodyObject(get), slot)
    if (notes.some((n) => n === WHITESPACE_TRIMMED))
      return verdict(
        'violated',
        `Received: ${labelOf(slot)} stored as ${JSON.stringify(stored.length === 1 ? stored[0] : stored)}\nExpected: ${JSON.stringify(value)}, white space at the ends included\n\nStore strings as sent, without trimming them`,
        [put, get],
        { focus: 1, diff: [{ attribute: labelOf(slot), sent: value, stored, note: WHITESPACE_TRIMMED }] },
      )
    return verdict(
      'inconclusive',
      `${labelOf(slot)} stored as ${JSON.stringify(stored)?.slice(0, 120)}, neither as sent nor trimmed (put.replace.values-stored judges a value not stored)`,
      [put, get],
    )
  },
})

/** RFC 7644 §3.5.1: a successful PUT returns "the entire resource": the state a GET shows next. */
export const responseMatchesGet = defineCheck({
  id: 'put.replace.response-matches-get',
  title: 'The PUT response is the resource a following GET returns',
  // §3.5.1 states this without an RFC 2119 keyword (SCIM-PUT-RULES 10): a deviation from the intent is a warning.
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1',
  area: 'replace',
  rule: 'A successful PUT operation returns a 200 OK response code and the entire resource within the response body.',
  users: 1,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const r = await replaceThenGet(ctx, users.ids[0], body)
    if (isVerdict(r)) return r
    const putBody = bodyObject(r.put)
    if (!putBody)
      return verdict(
        'inconclusive',
        `the PUT answered ${describeStatus(r.put)} without a JSON resource, so there is no response to compare (put.status.success-200 judges that)`,
        [r.put],
      )
    // returned "request"/"never" attributes may be in the PUT response and are absent from a GET by definition.
    const shown = (resource: unknown) => without(ctx, resource, notReturnedByDefault)
    const diff = sameRepresentation(shown(putBody), shown(bodyObject(r.get)), ctx.attribute)
    if (diff.length === 0) return verdict('passed', 'PUT response equals the following GET', [r.put, r.get])
    return verdict(
      'violated',
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
      fullPayloads(ctx),
      fc.subarray([...singleValuedOptional(ctx.profile), ...multiValuedOptional(ctx.profile)], { minLength: 1 }),
    ),
  async run(ctx, users, [generated, omit]) {
    const id = users.ids[0]
    // The attributes are set first with values only (a null or [] would be another rule's case).
    const full = valuesOnly(generated) as Body
    const first = await putUser(ctx, id, full)
    if (!is2xx(first)) return refusedAnyway('payload', 'the PUT that sets the attributes first was refused', first)
    const before = await getUser(ctx, id)
    const present = omit.filter((name) => !isUnassigned(getAttr(bodyObject(before), name)))
    if (present.length === 0)
      return verdict(
        'inconclusive',
        `none of ${omit.join(', ')} held a value after the PUT that set them, so omitting them shows nothing`,
        [first, before],
      )
    const partial = Object.fromEntries(Object.entries(full).filter(([k]) => !omit.includes(k)))
    const put = await putUser(ctx, id, partial)
    if (!is2xx(put))
      // The same payload with them was accepted: the server requires them (a choice of its own, not this MAY's).
      return verdict(
        'observed',
        `the PUT without ${present.join(', ')} was refused with ${describeStatus(put)}; the same payload with them was accepted`,
        [first, put],
        { traits: Object.fromEntries(present.map((name) => [`omitted.${name}`, `refused (${answerOf(put)})`])) },
      )
    const get = await getUser(ctx, id)
    const traits: Record<string, string> = {}
    for (const name of present)
      traits[`omitted.${name}`] = fateOf(
        ctx,
        name,
        getAttr(bodyObject(before), name),
        getAttr(bodyObject(get), name),
        partial,
      )
    const kept = Object.entries(traits).filter(([, t]) => t !== 'cleared')
    if (kept.length === 0)
      return verdict('passed', `omitted attributes cleared (${present.join(', ')})`, [first, put, get], { traits })
    return verdict(
      'observed',
      `Omitted attributes: ${kept.map(([k, t]) => `${k.slice(8)} ${t}`).join(', ')} (RFC 7644 §3.5.1 allows clearing or a default; retaining is reported as a trait)`,
      [first, put, get],
      { traits },
    )
  },
})

/**
 * SCIM-PUT-RULES 6. RFC 7644 §3.5.1 (verified): clients "MAY specify "null" for a single-valued
 * attribute, or an empty array "[]" for a multi-valued attribute, to clear all values"; RFC 7643 §2.5:
 * unassigned, null and [] "SHALL be considered to be equivalent in 'state'". The old value surviving →
 * warn; null or [] refused (where the same PUT without them is accepted) → warn; a default the server
 * assigns in their place (RFC 7644 §3.5.1 "MAY assign a default value") → observe.
 */
function clearingCheck(kind: 'null' | 'empty-array') {
  const id = kind === 'null' ? 'put.replace.null-clears' : 'put.replace.empty-array-clears'
  const empty = kind === 'null' ? 'null' : '[]'
  const candidates = (ctx: CheckContext) =>
    (kind === 'null' ? singleValuedOptional(ctx.profile) : multiValuedOptional(ctx.profile)).filter(
      (name) => serverDeclares(ctx, name) && !READ_ONLY.has(name.toLowerCase()) && storedAndShown(ctx.attribute(name)),
    )
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
        ? `the vendor's request schema has no optional ${kind === 'null' ? 'single' : 'multi'}-valued attribute that the server declares, accepts from clients and returns`
        : null,
    cases: (ctx) => fc.tuple(fullPayloads(ctx), fullPayloads(ctx), fc.subarray(candidates(ctx), { minLength: 1 })),
    async run(ctx, users, [generated, other, names]) {
      const userId = users.ids[0]
      // Set the attributes first, with values only: the base the clearing PUT changes is one the server accepted.
      const full = valuesOnly(generated) as Body
      const round = await clearRound(ctx, userId, full, names, kind)
      if (isVerdict(round)) return round
      let { fates, exchanges } = round
      const clearing = round.clearing
      if (fates.length === 0)
        return verdict(
          'inconclusive',
          `none of ${names.join(', ')} held a value after the PUT that set them, so there was nothing for ${empty} to clear`,
          exchanges,
        )
      // A value equal to the one before may still be a default the server assigns (active: true): set another
      // value first and clear again. Only a value that follows what was set survived.
      const retained = fates.filter((f) => f.fate === 'retained')
      if (retained.length > 0) {
        const changed: Body = { ...full }
        const otherValues = valuesOnly(other) as Body
        for (const f of retained) {
          const alt = typeof f.before === 'boolean' ? !f.before : getAttr(otherValues, f.name)
          if (!isUnassigned(alt) && differs(alt, f.before, f.name, ctx.attribute) !== null) changed[f.name] = alt
        }
        const again = await clearRound(ctx, userId, changed, names, kind)
        if (!isVerdict(again)) {
          exchanges = [...exchanges, ...again.exchanges]
          fates = fates.map((f) => {
            const second = again.fates.find((g) => g.name === f.name)
            // The same value again, whatever was set before: a default the server assigns, not the old value.
            return f.fate === 'retained' && changed[f.name] !== full[f.name] && second?.fate === 'defaulted'
              ? { ...f, fate: 'defaulted' as const }
              : f
          })
        }
      }
      const traits = Object.fromEntries(fates.map((f) => [`cleared.${f.name}`, f.fate]))
      const left = fates.filter((f) => f.fate === 'retained')
      if (left.length > 0)
        return verdict(
          'violated',
          `Received: ${left.map((f) => f.name).join(', ')} still holding the value from before a PUT with ${empty}\nExpected: the attribute cleared (null, [] and unassigned are the same state), or a default assigned\n\nTreat ${empty} as "no value"`,
          exchanges,
          {
            focus: 3,
            traits,
            diff: left.map((f) => ({
              attribute: f.name,
              sent: clearing[f.name],
              stored: f.after,
              note: 'old value survived',
            })),
          },
        )
      const defaulted = fates.filter((f) => f.fate === 'defaulted')
      if (defaulted.length > 0)
        return verdict(
          'observed',
          `${empty} for ${defaulted.map((f) => f.name).join(', ')}: the server assigned a default (${defaulted.map((f) => JSON.stringify(f.after)?.slice(0, 80)).join(', ')}) instead of keeping the old value (RFC 7644 §3.5.1 MAY assign a default value)`,
          exchanges,
          { traits },
        )
      return verdict('passed', `${empty} cleared ${fates.map((f) => f.name).join(', ')}`, exchanges, { traits })
    },
  })
}

/** What one round of a clearing check saw: each attribute that held a value, and its fate after null/[]. */
interface ClearRound {
  clearing: Body
  fates: { name: string; before: unknown; after: unknown; fate: 'cleared' | 'retained' | 'defaulted' }[]
  exchanges: Exchange[]
}

/**
 * PUT `full`, GET, PUT it again with `names` as null/[], GET. A refused clearing PUT is judged by its
 * control, the same PUT with `names` left out: accepted → the refusal is the null's/[]'s (SCIM-PUT-RULES
 * 6: warn); refused too → the server's own constraint (inconclusive).
 */
async function clearRound(
  ctx: CheckContext,
  userId: string,
  full: Body,
  names: string[],
  kind: 'null' | 'empty-array',
): Promise<ClearRound | Verdict> {
  const empty = kind === 'null' ? 'null' : '[]'
  const first = await putUser(ctx, userId, full)
  if (!is2xx(first))
    return refusedAnyway('payload', 'the PUT that sets the attributes before clearing them was refused', first)
  const before = await getUser(ctx, userId)
  const clearing: Body = { ...full }
  for (const n of names) clearing[n] = kind === 'null' ? null : []
  const put = await putUser(ctx, userId, clearing)
  if (!is2xx(put)) {
    const control = await putUser(
      ctx,
      userId,
      Object.fromEntries(Object.entries(full).filter(([k]) => !names.includes(k))),
    )
    if (!is2xx(control))
      return refusedAnyway(
        'payload',
        `the PUT was refused with ${empty} for ${names.join(', ')} and with them left out`,
        put,
        [first, before, put, control],
      )
    return verdict(
      'violated',
      `Received: ${describeStatus(put)} for a PUT with ${empty} for ${names.join(', ')}; the same PUT leaving them out answered ${statusOf(control)}\nExpected: ${empty} accepted as "no value" (clients MAY send it to clear an attribute)\n\nTreat ${empty} as the attribute unassigned`,
      [first, before, put, control],
      { focus: 2, traits: { [`clearing.${kind}`]: `refused (${answerOf(put)})` } },
    )
  }
  const get = await getUser(ctx, userId)
  const fates = names
    .filter((n) => !isUnassigned(getAttr(bodyObject(before), n)))
    .map((name) => {
      const was = getAttr(bodyObject(before), name)
      const after = getAttr(bodyObject(get), name)
      return { name, before: was, after, fate: fateOf(ctx, name, was, after, clearing) }
    })
  return { clearing, fates, exchanges: [first, before, put, get] }
}
export const nullClears = clearingCheck('null')
export const emptyArrayClears = clearingCheck('empty-array')

function exactStringsCheck(kind: 'unicode' | 'long') {
  const id = kind === 'unicode' ? 'put.replace.unicode-exact' : 'put.replace.long-strings-exact'
  // No white space at the ends: trimming is put.replace.whitespace-kept's (SCIM-PUT-RULES 4), not a lost value here.
  const unpadded = (s: string) => s.trim().length > 0 && s.trim() === s
  const text =
    kind === 'unicode'
      ? fc
          .oneof(
            fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
            fc.constantFrom('Zoë Ångström', '山田 太郎', 'Ωμέγα 🎉👩‍💻', 'Ñandú', '\u00e9 vs e\u0301'),
          )
          .filter(unpadded)
      : fc
          .integer({ min: 256, max: 1024 })
          .chain((n) => fc.string({ unit: 'grapheme-ascii', minLength: n, maxLength: n }).filter(unpadded))
  const what = kind === 'unicode' ? 'non-ASCII' : 'long'
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
      textSlots(ctx, false).length === 0
        ? "the vendor's request schema has no free-text string attribute that the server declares, accepts from clients and returns"
        : null,
    cases: (ctx) => fc.tuple(validPayloads(ctx), fc.constantFrom(...textSlots(ctx, false)), text),
    async run(ctx, users, [base, slot, value]) {
      const userId = users.ids[0]
      const put = await putUser(ctx, userId, setPath(base, slot, value))
      if (!is2xx(put)) {
        // The control: the same payload with a short ASCII value in the slot.
        const control = await putUser(ctx, userId, setPath(base, slot, 'Ada'))
        if (!is2xx(control))
          return refusedAnyway('payload', `the payload was refused with and without the ${what} value`, put, [
            put,
            control,
          ])
        // A value the service cannot store, refused (RFC 7644 §3.12 invalidValue): its own input limit, recorded as a
        // trait. Nothing was stored, so the rule (the value stored exactly) was not reached.
        return verdict(
          'inconclusive',
          `a ${what} value in ${labelOf(slot)} was refused with ${answerOf(put)}, the same payload with a short ASCII value accepted: nothing stored to judge`,
          [put, control],
          { traits: { [`constraint.${kind === 'unicode' ? 'non-ascii-strings' : 'long-strings'}`]: answerOf(put) } },
        )
      }
      const get = await getUser(ctx, userId)
      const stored = valuesAt(bodyObject(get), slot)[0]
      const def = ctx.attribute(pathOf(slot))
      const same = (a: string, b: string) =>
        a === b || (!(def?.caseExact ?? false) && a.toLowerCase() === b.toLowerCase())
      if (typeof stored === 'string' && same(stored, value))
        return verdict('passed', `${labelOf(slot)} stored exactly`, [put, get])
      // RFC 7643 §2.3.1 defines a String only as "A sequence of zero or more Unicode characters": a canonically
      // equivalent form (é as U+00E9 or as e + U+0301) is the same text: it passes, and the form is recorded as a trait.
      if (typeof stored === 'string' && same(stored.normalize('NFC'), value.normalize('NFC'))) {
        const form =
          stored === stored.normalize('NFC')
            ? 'NFC'
            : stored === stored.normalize('NFD')
              ? 'NFD'
              : 'canonically equivalent'
        return verdict('passed', `${labelOf(slot)} stored as a canonically equivalent string (${form})`, [put, get], {
          traits: { 'strings.normalisation': form },
        })
      }
      const note =
        typeof stored === 'string'
          ? `sent ${[...value].length} characters, stored ${[...stored].length}`
          : `stored ${JSON.stringify(stored)}`
      return verdict(
        'violated',
        `Received: ${labelOf(slot)} stored as ${JSON.stringify(stored)?.slice(0, 120)}\nExpected: ${JSON.stringify(value).slice(0, 120)} exactly (${note})\n\nStore strings as UTF-8 without ${kind === 'unicode' ? 're-encoding or replacing characters' : 'truncating'}`,
        [put, get],
        { focus: 1, diff: [{ attribute: labelOf(slot), sent: value, stored, note }] },
      )
    },
  })
}
export const unicodeExact = exactStringsCheck('unicode')
export const longStringsExact = exactStringsCheck('long')

/** The same PUT sent twice; a verdict instead when the first was refused (the server's own constraint). */
async function samePutTwice(ctx: CheckContext, id: string, body: Body): Promise<[Exchange, Exchange] | Verdict> {
  const first = await putUser(ctx, id, body)
  if (!is2xx(first)) return refusedAnyway('payload', 'the PUT of a valid payload was refused', first)
  return [first, await putUser(ctx, id, body)]
}

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
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const pair = await samePutTwice(ctx, users.ids[0], body)
    if (isVerdict(pair)) return pair
    const [first, second] = pair
    if (!is2xx(second))
      return verdict(
        'inconclusive',
        `the same PUT answered ${describeStatus(first)}, then ${describeStatus(second)}: no second representation to compare (put.replace.idempotent-status judges the status)`,
        [first, second],
      )
    const a = bodyObject(first)
    const b = bodyObject(second)
    if (!a || !b)
      return verdict(
        'inconclusive',
        'a PUT response carried no JSON resource, so there are no representations to compare (put.status.success-200 judges that)',
        [first, second],
      )
    // readOnly attributes are the server's to maintain (meta, a vendor's updatedAt): they may move between two PUTs.
    const diff = sameRepresentation(
      without(ctx, a, readOnly),
      without(ctx, b, readOnly),
      ctx.attribute,
      new Set(['meta']),
    )
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
        'violated',
        `Received: the second identical PUT returned a different resource (${diff.map((d) => d.attribute).join(', ')})\nExpected: the same representation`,
        [first, second],
        { focus: 1, diff, traits },
      )
    // SCIM-PUT-RULES 25: lastModified/version moving on an unchanged PUT is observed, not a deviation.
    return verdict(
      moved ? 'observed' : 'passed',
      moved ? 'same representation; meta.lastModified/version moved although nothing changed' : 'same representation',
      [first, second],
      { traits },
    )
  },
})

/**
 * RFC 9110 §9.2.2 defines idempotence by "the intended effect on the server", not by identical
 * responses (SCIM-PUT-RULES 25): a repeated PUT answered otherwise than the first is a deviation.
 */
export const idempotentStatus = defineCheck({
  id: 'put.replace.idempotent-status',
  title: 'The same PUT twice gets the same status',
  level: 'SHOULD',
  source: 'RFC 9110 §9.2.2',
  area: 'replace',
  rule: 'A request method is considered "idempotent" if the intended effect on the server of multiple identical requests with that method is the same as the effect for a single such request.',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const pair = await samePutTwice(ctx, users.ids[0], body)
    if (isVerdict(pair)) return pair
    const [first, second] = pair
    if (statusOf(second) === statusOf(first))
      return verdict('passed', `the same PUT answered ${statusOf(first)} both times`, [first, second])
    return verdict(
      'violated',
      `Received: ${describeStatus(first)} then ${describeStatus(second)} for the same PUT\nExpected: the same outcome both times\n\nAnswer a repeated PUT as the first one`,
      [first, second],
      { focus: 1 },
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

/** The spellings of every attribute name in a resource, by lower-cased path (items of a list share their path). */
function spellings(value: unknown, path = '', out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  if (Array.isArray(value)) for (const item of value) spellings(item, path, out)
  else if (isObject(value))
    for (const [key, v] of Object.entries(value)) {
      if (!path && key.toLowerCase() === 'meta') continue
      const at = `${path}${path ? '.' : ''}${key.toLowerCase()}`
      if (!out.has(at)) out.set(at, new Set())
      out.get(at)!.add(key)
      spellings(v, at, out)
    }
  return out
}

/**
 * Where the resource stored from case-variant names spells an attribute otherwise than the resource stored
 * from the camelCase names (`UserName` kept as a key of its own), or holds two spellings of one name.
 */
function spellingDivergence(canonical: unknown, variant: unknown): string[] {
  const want = spellings(canonical)
  const out: string[] = []
  for (const [path, got] of spellings(variant)) {
    const names = [...got]
    if (names.length > 1) out.push(`${names.join(' and ')} held side by side`)
    else if (want.has(path) && !want.get(path)!.has(names[0]))
      out.push(`${names[0]} kept as sent (the camelCase PUT stores ${[...want.get(path)!][0]})`)
  }
  return out
}

/**
 * RFC 7643 §2.1: "Attribute names are case insensitive". Judged as a divergence (SCIM-PUT-RULES 15): the
 * case-variant PUT must be answered and stored as the same body with camelCase names is, whatever that
 * is, so a server that loses values either way is judged by put.replace.values-stored, not here.
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
  cases: (ctx) => fc.tuple(validPayloads(ctx), fc.constantFrom<'upper' | 'capital'>('upper', 'capital')),
  async run(ctx, users, [body, style]) {
    const id = users.ids[0]
    const flip = style === 'upper' ? (k: string) => k.toUpperCase() : (k: string) => k[0].toUpperCase() + k.slice(1)
    const variant = recase(body, flip) as Body
    // The variant goes first: had the server ignored its names, the camelCase PUT that follows changes what GET shows.
    const put = await putUser(ctx, id, variant)
    if (!is2xx(put)) {
      // The control: the same body with the names as the schema spells them.
      const control = await putUser(ctx, id, body)
      if (!is2xx(control))
        return refusedAnyway('payload', 'the payload was refused with case-variant and with camelCase names', put, [
          put,
          control,
        ])
      return verdict(
        'violated',
        `Received: ${describeStatus(put)} for a payload with ${style}-cased attribute names; the same payload with camelCase names answered ${statusOf(control)}\nExpected: the same outcome whatever the case of the names\n\nMatch attribute names case-insensitively`,
        [put, control],
      )
    }
    const get = await getUser(ctx, id)
    const canonical = await replaceThenGet(ctx, id, body)
    if (isVerdict(canonical)) return canonical
    const exchanges = [put, get, canonical.put, canonical.get]
    const sent = Object.keys(documented(ctx, body)).filter((k) => !comparable(ctx).has(k.toLowerCase()))
    const pick = (e: Exchange) => Object.fromEntries(sent.map((k) => [k, getAttr(bodyObject(e), k)]))
    const diff = sameRepresentation(pick(canonical.get), pick(get), ctx.attribute)
    const spelled = spellingDivergence(bodyObject(canonical.get), bodyObject(get))
    if (diff.length === 0 && spelled.length === 0)
      return verdict('passed', `${style}-cased names stored as the camelCase attributes are`, exchanges)
    const found = [
      ...(diff.length > 0 ? [`the values of ${diff.map((d) => d.attribute).join(', ')} differ`] : []),
      ...spelled,
    ]
    return verdict(
      'violated',
      `Received: after a PUT with ${style}-cased names, GET differs from what the same body with camelCase names stores: ${found.join('; ')}\nExpected: the same stored resource whatever the case of the names\n\nMatch attribute names case-insensitively and store them under the schema's name`,
      exchanges,
      { focus: 1, diff: diff.map((d) => ({ ...d, note: `camelCase vs ${style}-cased names: ${d.note}` })) },
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
      validPayloads(ctx),
      fc.string({ minLength: 12, maxLength: 24, unit: 'grapheme-ascii' }).map((s) => `Pw1!${s}`),
    ),
  async run(ctx, users, [body, password]) {
    const put = await putUser(ctx, users.ids[0], { ...body, password })
    const get = await getUser(ctx, users.ids[0])
    const leaks = [put, get].filter(
      (e) => getAttr(bodyObject(e), 'password') !== undefined || (e.response?.bodyText.includes(password) ?? false),
    )
    if (leaks.length > 0)
      return verdict(
        'violated',
        `Received: password returned in the ${leaks.map((e) => e.request.method).join(' and ')} response\nExpected: password never returned (returned "never")\n\nDrop password (and its hash) from every representation`,
        [put, get],
        { focus: [put, get].indexOf(leaks[0]) },
      )
    if (!is2xx(put))
      return refusedAnyway('payload', 'the PUT with a password was refused, so no password was stored to leak', put, [
        put,
        get,
      ])
    return verdict('passed', 'password not in the PUT response or the GET', [put, get])
  },
})

/**
 * Echoes the test user's GET body back. When the echo is refused, the control is the same body without
 * the readOnly attributes (id, meta, groups and any the server declares readOnly): only if that is
 * accepted was the refusal about them; else the server refuses its own representation for another reason.
 */
async function echo(
  ctx: CheckContext,
  users: CheckUsers,
): Promise<{ get: Exchange; put: Exchange; control?: Exchange } | Verdict> {
  const get = await getUser(ctx, users.ids[0])
  const body = bodyObject(get)
  // A failed precondition, not a PUT behaviour: there is nothing to echo.
  if (!body)
    return verdict(
      'skipped',
      `GET of the test user answered ${describeStatus(get)} without a JSON resource, so there was no body to echo back`,
      [get],
    )
  const put = await putUser(ctx, users.ids[0], body)
  if (is2xx(put)) return { get, put }
  const writable = Object.fromEntries(
    Object.entries(body).filter(([k]) => !READ_ONLY.has(k.toLowerCase()) && !readOnly(ctx.attribute(k))),
  )
  const control = await putUser(ctx, users.ids[0], writable)
  if (!is2xx(control))
    return refusedAnyway('echo', 'the GET body was refused with and without its readOnly attributes', put, [
      get,
      put,
      control,
    ])
  return { get, put, control }
}

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
    const r = await echo(ctx, users)
    if (isVerdict(r)) return r
    if (!r.control) return verdict('passed', `PUT of the GET body answered ${statusOf(r.put)}`, [r.get, r.put])
    const exchanges = [r.get, r.put, r.control]
    // §3.12's own example answers 400 mutability "Attribute 'id' is readOnly" (SCIM-PUT-RULES 8): the sibling check grades it.
    if (statusOf(r.put) === 400 && scimTypeOf(r.put) === 'mutability')
      return verdict(
        'inconclusive',
        `the GET body was refused with ${describeStatus(r.put)} (put.replace.whole-body-echo-mutability judges that answer)`,
        exchanges,
      )
    return verdict(
      'violated',
      `Received: ${describeStatus(r.put)} for a PUT of the body GET returned; without id, meta and groups the same body answered ${statusOf(r.control)}\nExpected: 200 (readOnly values in the body SHALL be ignored)\n\nIgnore id, meta and groups in a PUT body instead of rejecting it`,
      exchanges,
      { focus: 1 },
    )
  },
})

/**
 * SCIM-PUT-RULES 3 and 8: §3.12's own example answers 400 mutability "Attribute 'id' is readOnly", a
 * permitted answer to a readOnly value; but an echoed body carries the stored values, so refusing them
 * departs from RFC 7644 §3.5.1's "MAY send all attributes": a warning.
 */
export const wholeBodyEchoMutability = defineCheck({
  id: 'put.replace.whole-body-echo-mutability',
  title: 'An echoed GET body is not refused with 400 mutability for its unchanged readOnly values',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1, §3.12',
  area: 'replace',
  rule: "Clients MAY send all attributes, regardless of each attribute's mutability; readOnly values provided SHALL be ignored.",
  users: 1,
  async run(ctx, users) {
    const r = await echo(ctx, users)
    if (isVerdict(r)) return r
    if (!r.control) return verdict('passed', `PUT of the GET body answered ${statusOf(r.put)}`, [r.get, r.put])
    const exchanges = [r.get, r.put, r.control]
    if (statusOf(r.put) === 400 && scimTypeOf(r.put) === 'mutability')
      return verdict(
        'violated',
        `Received: ${describeStatus(r.put)} for a PUT of the body GET returned; without id, meta and groups the same body answered ${statusOf(r.control)}\nExpected: 200 (clients MAY send all attributes; readOnly values SHALL be ignored, and these were unchanged)\n\nIgnore id, meta and groups in a PUT body, at least when they match the stored values`,
        exchanges,
        { focus: 1 },
      )
    return verdict(
      'inconclusive',
      `the GET body was refused with ${describeStatus(r.put)}, not 400 mutability (put.replace.whole-body-echo judges that answer)`,
      exchanges,
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
  cases: (ctx) => fc.tuple(validPayloads(ctx), fc.constantFrom(...primaryCapable(ctx.profile))),
  async run(ctx, users, [body, attr]) {
    const values = attr.toLowerCase() === 'emails' ? ['first@example.com', 'second@example.com'] : ['first', 'second']
    const put = await putUser(ctx, users.ids[0], {
      ...body,
      [attr]: values.map((value) => ({ value, primary: true })),
    })
    if (!is2xx(put)) {
      // The control: the same two values with one primary.
      const control = await putUser(ctx, users.ids[0], {
        ...body,
        [attr]: values.map((value, i) => ({ value, primary: i === 0 })),
      })
      if (!is2xx(control))
        return refusedAnyway('payload', 'the payload was refused with two primaries and with one', put, [put, control])
      // SCIM-PUT-RULES 23: rejecting the request (400 invalidValue) is one of the two permitted answers.
      return verdict(
        'passed',
        `two primaries rejected with ${describeStatus(put)}; one primary accepted`,
        [put, control],
        {
          traits: { [`primary.twoInRequest.${attr}`]: `rejected (${describeStatus(put)})` },
        },
      )
    }
    const get = await getUser(ctx, users.ids[0])
    const count = (e: Exchange) => {
      const list = getAttr(bodyObject(e), attr)
      return Array.isArray(list) ? list.filter((v) => getAttr(v, 'primary') === true).length : 0
    }
    const bad = [put, get].find((e) => count(e) > 1)
    if (bad)
      return verdict(
        'violated',
        `Received: ${count(bad)} values of ${attr} with primary true in the ${bad.request.method} response\nExpected: at most one\n\nReject the request with 400 invalidValue, or keep one primary`,
        [put, get],
        { focus: bad === put ? 0 : 1 },
      )
    return verdict('passed', `two primaries normalised to ${count(get)}`, [put, get], {
      traits: { [`primary.twoInRequest.${attr}`]: 'normalised' },
    })
  },
})

export const REPLACE_CHECKS = [
  valuesReplaced,
  whitespaceKept,
  responseMatchesGet,
  omittedAttributes,
  nullClears,
  emptyArrayClears,
  unicodeExact,
  longStringsExact,
  idempotent,
  idempotentStatus,
  caseInsensitiveNames,
  passwordNotReturned,
  wholeBodyEcho,
  wholeBodyEchoMutability,
  primaryOnce,
]
