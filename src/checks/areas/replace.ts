import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import {
  diffStored,
  differs,
  getAttr,
  isUnassigned,
  kindOf,
  sameRepresentation,
  WHITESPACE_TRIMMED,
} from '../compare.ts'
import type { CheckContext } from '../context.ts'
import { defineCheck, verdict, violation, type CheckUsers } from '../define-check.ts'
import { describeRefusal, refusedAnyway } from '../probes/attribution.ts'
import { clearable, clearRound, fateOf, valuesOnly } from '../probes/clearing.ts'
import { recase, spellingDivergence } from '../probes/name-case.ts'
import { fullPayloads, validPayloads } from '../probes/payloads.ts'
import {
  declaresPath,
  documented,
  labelOf,
  notCompared,
  notReturnedByDefault,
  pathOf,
  readOnly,
  textSlots,
  valuesAt,
  without,
} from '../probes/replace-scope.ts'
import { echo, isVerdict, replaceThenGet, samePutTwice } from '../probes/replace-steps.ts'
import { bodyObject, describeStatus, getUser, is2xx, putUser, scimTypeOf, statusOf } from '../probes/requests.ts'
import {
  multiValuedOptional,
  primaryCapable,
  requestProperties,
  setPath,
  singleValuedOptional,
} from '../probes/slots.ts'

/**
 * The replace area (RFC 7644 §3.5.1; RFC 7643 §2.1, §2.4, §2.5, §4.1.1; RFC 9110 §9.2.2): what a successful PUT
 * stores and returns.
 * Each check's identity is its `defineCheck` literal; the request sequences they share are in
 * probes/replace-steps.ts, probes/clearing.ts and probes/name-case.ts, and which attributes a replace
 * must store and show is probes/replace-scope.ts.
 */

type Body = Record<string, unknown>

/** `400 invalidValue ("name.givenName" is 120 characters long…)`: the server's answer, for a message or a trait. */
const answerOf = describeRefusal

/** A value's JSON text, cut at 120 characters with an ellipsis (a finding states facts, not kilobytes). */
const clip = (json: string | undefined): string => (json && json.length > 120 ? `${json.slice(0, 120)}…` : String(json))

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
    const diff = diffStored(documented(ctx, body), bodyObject(r.get), ctx.attribute, notCompared(ctx), {
      declared: (path) => declaresPath(ctx, path),
      unknown,
    })
    // Trimmed ends are put.replace.whitespace-kept's warning, and what becomes of a null or [] is judged by
    // put.replace.null-clears and put.replace.empty-array-clears (RFC 7643 §2.5): neither is a value lost.
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
    return violation(
      {
        received: `GET after PUT differs for ${lost.map((d) => `${d.attribute} (${d.note})`).join(', ')}`,
        expected:
          'the values provided (RFC 7644 §3.5.1), compared by SCIM rules: case-insensitive unless caseExact, ' +
          'multi-valued as sets',
        fix: 'Store every provided value as sent',
      },
      [r.put, r.get],
      { focus: 1, diff: lost, traits },
    )
  },
})

const NO_TEXT_SLOT =
  "the vendor's request schema has no free-text string attribute that the server declares, accepts from clients " +
  'and returns'

/**
 * RFC 7644 §3.5.1: "Any values provided SHALL replace the existing attribute values", and RFC 7643 §2.3.1: a
 * String is "a sequence of zero or more Unicode characters". A string stored with the white space at its ends
 * trimmed departs from the value sent without losing it → warn, wherever it sits (top level, sub-attribute,
 * multi-valued item).
 */
export const whitespaceKept = defineCheck({
  id: 'put.replace.whitespace-kept',
  title: 'White space at the ends of a string is stored as sent (top level, sub-attribute, multi-valued item)',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1; RFC 7643 §2.3.1',
  area: 'replace',
  rule:
    'Any values provided SHALL replace the existing attribute values (a String is a sequence of zero or more ' +
    'Unicode characters): a value stored with the white space at its ends trimmed is a deviation.',
  users: 1,
  maxRuns: 20,
  skipIf: (ctx) => (textSlots(ctx, true).length === 0 ? NO_TEXT_SLOT : null),
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
        `${labelOf(slot)} with white space at its ends was refused with ${answerOf(put)}, the same value without ` +
          'it accepted: nothing stored to judge',
        [put, control],
        { traits: { 'constraint.whitespace-at-ends': answerOf(put) } },
      )
    }
    const get = await getUser(ctx, id)
    const notes = valuesAt(bodyObject(get), slot).map((stored) => differs(value, stored, pathOf(slot), ctx.attribute))
    if (notes.includes(null)) return verdict('passed', `${labelOf(slot)} stored with its white space`, [put, get])
    const stored = valuesAt(bodyObject(get), slot)
    if (notes.some((n) => n === WHITESPACE_TRIMMED))
      return violation(
        {
          received: `${labelOf(slot)} stored as ${JSON.stringify(stored.length === 1 ? stored[0] : stored)}`,
          expected: `${JSON.stringify(value)}, white space at the ends included (RFC 7643 §2.3.1; RFC 7644 §3.5.1)`,
          fix: 'Store strings as sent, without trimming them',
        },
        [put, get],
        { focus: 1, diff: [{ attribute: labelOf(slot), sent: value, stored, note: WHITESPACE_TRIMMED }] },
      )
    return verdict(
      'inconclusive',
      `${labelOf(slot)} stored as ${JSON.stringify(stored)?.slice(0, 120)}, neither as sent nor trimmed ` +
        '(put.replace.values-stored judges a value not stored)',
      [put, get],
    )
  },
})

/** RFC 7644 §3.5.1: a successful PUT returns "the entire resource": the state a GET shows next. */
export const responseMatchesGet = defineCheck({
  id: 'put.replace.response-matches-get',
  title: 'The PUT response is the resource a following GET returns',
  // §3.5.1 states this without an RFC 2119 keyword: a deviation from the intent is a warning.
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
        `the PUT answered ${describeStatus(r.put)} without a JSON resource, so there is no response to compare ` +
          '(put.status.success-200 judges that)',
        [r.put],
      )
    // returned "request"/"never" attributes may be in the PUT response and are absent from a GET by definition.
    const shown = (resource: unknown) => without(ctx, resource, notReturnedByDefault)
    const diff = sameRepresentation(shown(putBody), shown(bodyObject(r.get)), ctx.attribute)
    if (diff.length === 0) return verdict('passed', 'PUT response equals the following GET', [r.put, r.get])
    return violation(
      {
        received: `the PUT response and the GET right after it differ in ${diff.map((d) => d.attribute).join(', ')}`,
        expected: 'the PUT response is the stored resource (RFC 7644 §3.5.1: "the entire resource")',
        fix: 'Return the resource as stored, after the replace',
      },
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
  rule:
    'If one or more values are already set for the attribute, the service provider MAY assume that any existing ' +
    'values are to be cleared, or it MAY assign a default value to the final resource representation.',
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
        `the PUT without ${present.join(', ')} was refused with ${describeStatus(put)}; the same payload with ` +
          'them was accepted',
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
      `Omitted attributes: ${kept.map(([k, t]) => `${k.slice(8)} ${t}`).join(', ')} (RFC 7644 §3.5.1 allows ` +
        'clearing or a default; retaining is reported as a trait)',
      [first, put, get],
      { traits },
    )
  },
})

const CLEARING_RULE =
  'Clients MAY specify "null" for a single-valued attribute, or an empty array "[]" for a multi-valued attribute, ' +
  'to clear all values. Unassigned, null and [] SHALL be considered to be equivalent in "state".'

/** The `skipIf` of a clearing check: no optional attribute of its kind to clear. */
const nothingToClear = (ctx: CheckContext, kind: 'null' | 'empty-array'): string | null =>
  clearable(ctx, kind).length === 0
    ? `the vendor's request schema has no optional ${kind === 'null' ? 'single' : 'multi'}-valued attribute ` +
      'that the server declares, accepts from clients and returns'
    : null

/**
 * The `run` of put.replace.null-clears and put.replace.empty-array-clears (RFC 7643 §2.5): set the
 * attributes (values only), PUT them as null/[], and judge what became of each one. The old value surviving
 * → violated; null/[] refused where the same PUT leaving them out is accepted → violated; a default the
 * server assigns in their place (RFC 7644 §3.5.1 "MAY assign a default value") → observed.
 */
function judgeClearing(kind: 'null' | 'empty-array') {
  const empty = kind === 'null' ? 'null' : '[]'
  return async (ctx: CheckContext, users: CheckUsers, [generated, other, names]: [Body, Body, string[]]) => {
    const userId = users.ids[0]
    // Set the attributes first, with values only: the base the clearing PUT changes is one the server accepted.
    const full = valuesOnly(generated) as Body
    const round = await clearRound(ctx, userId, full, names, kind)
    if (isVerdict(round)) return round
    if ('refused' in round)
      return violation(
        {
          received:
            `${describeStatus(round.refused)} for a PUT with ${empty} for ${names.join(', ')}; ` +
            `the same PUT leaving them out answered ${statusOf(round.control)}`,
          expected: `${empty} accepted as "no value" (RFC 7644 §3.5.1: clients MAY send it to clear an attribute)`,
          fix: `Treat ${empty} as the attribute unassigned`,
        },
        round.exchanges,
        { focus: 2, traits: { [`clearing.${kind}`]: `refused (${answerOf(round.refused)})` } },
      )
    let { fates, exchanges } = round
    const clearing = round.clearing
    if (fates.length === 0)
      return verdict(
        'inconclusive',
        `none of ${names.join(', ')} held a value after the PUT that set them, so there was nothing for ${empty} ` +
          'to clear',
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
      if ('fates' in again) {
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
      return violation(
        {
          received: `${left.map((f) => f.name).join(', ')} still holding the value from before a PUT with ${empty}`,
          expected:
            'the attribute cleared (RFC 7643 §2.5: null, [] and unassigned are the same state), or a default ' +
            'assigned (RFC 7644 §3.5.1)',
          fix: `Treat ${empty} as "no value"`,
        },
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
        `${empty} for ${defaulted.map((f) => f.name).join(', ')}: the server assigned a default ` +
          `(${defaulted.map((f) => JSON.stringify(f.after)?.slice(0, 80)).join(', ')}) instead of keeping the old ` +
          'value (RFC 7644 §3.5.1 MAY assign a default value)',
        exchanges,
        { traits },
      )
    return verdict('passed', `${empty} cleared ${fates.map((f) => f.name).join(', ')}`, exchanges, { traits })
  }
}

/**
 * RFC 7644 §3.5.1: clients "MAY specify "null" for a single-valued
 * attribute, or an empty array "[]" for a multi-valued attribute, to clear all values"; RFC 7643 §2.5:
 * unassigned, null and [] "SHALL be considered to be equivalent in 'state'". The old value surviving →
 * warn; null or [] refused (where the same PUT without them is accepted) → warn; a default the server
 * assigns in their place (RFC 7644 §3.5.1 "MAY assign a default value") → observe.
 */
export const nullClears = defineCheck({
  id: 'put.replace.null-clears',
  title: 'null clears a single-valued attribute',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1; RFC 7643 §2.5',
  area: 'replace',
  rule: CLEARING_RULE,
  users: 1,
  maxRuns: 20,
  skipIf: (ctx) => nothingToClear(ctx, 'null'),
  cases: (ctx) => fc.tuple(fullPayloads(ctx), fullPayloads(ctx), fc.subarray(clearable(ctx, 'null'), { minLength: 1 })),
  run: judgeClearing('null'),
})

/** RFC 7644 §3.5.1 and RFC 7643 §2.5, as put.replace.null-clears, for [] on a multi-valued attribute. */
export const emptyArrayClears = defineCheck({
  id: 'put.replace.empty-array-clears',
  title: '[] clears a multi-valued attribute',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1; RFC 7643 §2.5',
  area: 'replace',
  rule: CLEARING_RULE,
  users: 1,
  maxRuns: 20,
  skipIf: (ctx) => nothingToClear(ctx, 'empty-array'),
  cases: (ctx) =>
    fc.tuple(fullPayloads(ctx), fullPayloads(ctx), fc.subarray(clearable(ctx, 'empty-array'), { minLength: 1 })),
  run: judgeClearing('empty-array'),
})

/** No white space at the ends: trimming is put.replace.whitespace-kept's, not a lost value here. */
const unpadded = (s: string) => s.trim().length > 0 && s.trim() === s

/** Non-ASCII text: any graphemes, and accents, CJK, emoji, and a decomposed é. */
const nonAsciiText = () =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      fc.constantFrom('Zoë Ångström', '山田 太郎', 'Ωμέγα 🎉👩‍💻', 'Ñandú', '\u00e9 vs e\u0301'),
    )
    .filter(unpadded)

/** ASCII text of 256 to 1024 characters. */
const longText = () =>
  fc
    .integer({ min: 256, max: 1024 })
    .chain((n) => fc.string({ unit: 'grapheme-ascii', minLength: n, maxLength: n }).filter(unpadded))

const EXACT_STRINGS_RULE =
  'Any values provided SHALL replace the existing attribute values (a String is a sequence of zero or more ' +
  'Unicode characters encoded using UTF-8).'

/**
 * The `run` of put.replace.unicode-exact and put.replace.long-strings-exact (RFC 7643 §2.3.1): the value
 * in one free-text slot comes back as sent (a canonically equivalent form passes, recorded as a trait).
 */
function judgeExactString(kind: 'unicode' | 'long') {
  const what = kind === 'unicode' ? 'non-ASCII' : 'long'
  return async (ctx: CheckContext, users: CheckUsers, [base, slot, value]: [Body, string[], string]) => {
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
        `a ${what} value in ${labelOf(slot)} was refused with ${answerOf(put)}, the same payload with a short ` +
          'ASCII value accepted: nothing stored to judge',
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
    return violation(
      {
        received: `${labelOf(slot)} stored as ${clip(JSON.stringify(stored))} (${note})`,
        expected: `${clip(JSON.stringify(value))} exactly (RFC 7644 §3.5.1; RFC 7643 §2.3.1)`,
        fix:
          'Store strings as UTF-8 without ' +
          `${kind === 'unicode' ? 're-encoding or replacing characters' : 'truncating'}`,
      },
      [put, get],
      { focus: 1, diff: [{ attribute: labelOf(slot), sent: value, stored, note }] },
    )
  }
}

/** RFC 7643 §2.3.1: a String is "A sequence of zero or more Unicode characters"; §3.5.1 stores it as sent. */
export const unicodeExact = defineCheck({
  id: 'put.replace.unicode-exact',
  title: 'Non-ASCII strings (accents, CJK, emoji) come back exactly',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1; RFC 7643 §2.3.1',
  area: 'replace',
  rule: EXACT_STRINGS_RULE,
  users: 1,
  maxRuns: 30,
  skipIf: (ctx) => (textSlots(ctx, false).length === 0 ? NO_TEXT_SLOT : null),
  cases: (ctx) => fc.tuple(validPayloads(ctx), fc.constantFrom(...textSlots(ctx, false)), nonAsciiText()),
  run: judgeExactString('unicode'),
})

/** As put.replace.unicode-exact, for ASCII strings of 256 to 1024 characters. */
export const longStringsExact = defineCheck({
  id: 'put.replace.long-strings-exact',
  title: 'Long strings (256 to 1024 characters) come back whole',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1; RFC 7643 §2.3.1',
  area: 'replace',
  rule: EXACT_STRINGS_RULE,
  users: 1,
  maxRuns: 30,
  skipIf: (ctx) => (textSlots(ctx, false).length === 0 ? NO_TEXT_SLOT : null),
  cases: (ctx) => fc.tuple(validPayloads(ctx), fc.constantFrom(...textSlots(ctx, false)), longText()),
  run: judgeExactString('long'),
})

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
        `the same PUT answered ${describeStatus(first)}, then ${describeStatus(second)}: no second representation ` +
          'to compare (put.replace.idempotent-status judges the status)',
        [first, second],
      )
    const a = bodyObject(first)
    const b = bodyObject(second)
    if (!a || !b)
      return verdict(
        'inconclusive',
        'a PUT response carried no JSON resource, so there are no representations to compare ' +
          '(put.status.success-200 judges that)',
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
    const changed = diff.map((d) => d.attribute).join(', ')
    if (diff.length > 0)
      return violation(
        {
          received: `the second identical PUT returned a different resource (${changed})`,
          expected: 'the same representation (RFC 9110 §9.2.2: PUT is idempotent)',
        },
        [first, second],
        { focus: 1, diff, traits },
      )
    // Whether an unchanged PUT updates the resource (RFC 7643 §3.1 lastModified) is the server's call: meta
    // moving on it is observed, not a deviation.
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
 * responses: a repeated PUT answered otherwise than the first is a deviation.
 */
export const idempotentStatus = defineCheck({
  id: 'put.replace.idempotent-status',
  title: 'The same PUT twice gets the same status',
  level: 'SHOULD',
  source: 'RFC 9110 §9.2.2',
  area: 'replace',
  rule:
    'A request method is considered "idempotent" if the intended effect on the server of multiple identical ' +
    'requests with that method is the same as the effect for a single such request.',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const pair = await samePutTwice(ctx, users.ids[0], body)
    if (isVerdict(pair)) return pair
    const [first, second] = pair
    if (statusOf(second) === statusOf(first))
      return verdict('passed', `the same PUT answered ${statusOf(first)} both times`, [first, second])
    return violation(
      {
        received: `${describeStatus(first)} then ${describeStatus(second)} for the same PUT`,
        expected: 'the same outcome both times (RFC 9110 §9.2.2: PUT is idempotent)',
        fix: 'Answer a repeated PUT as the first one',
      },
      [first, second],
      { focus: 1 },
    )
  },
})

/**
 * RFC 7643 §2.1: "Attribute names are case insensitive". No RFC 2119 keyword: a divergence warns. The
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
      return violation(
        {
          received:
            `${describeStatus(put)} for a payload with ${style}-cased attribute names; the same payload with ` +
            `camelCase names answered ${statusOf(control)}`,
          expected: 'the same outcome whatever the case of the names (RFC 7643 §2.1)',
          fix: 'Match attribute names case-insensitively',
        },
        [put, control],
      )
    }
    const get = await getUser(ctx, id)
    const canonical = await replaceThenGet(ctx, id, body)
    if (isVerdict(canonical)) return canonical
    const exchanges = [put, get, canonical.put, canonical.get]
    const sent = Object.keys(documented(ctx, body)).filter((k) => !notCompared(ctx).has(k.toLowerCase()))
    const pick = (e: Exchange) => Object.fromEntries(sent.map((k) => [k, getAttr(bodyObject(e), k)]))
    const diff = sameRepresentation(pick(canonical.get), pick(get), ctx.attribute)
    const spelled = spellingDivergence(bodyObject(canonical.get), bodyObject(get))
    if (diff.length === 0 && spelled.length === 0)
      return verdict('passed', `${style}-cased names stored as the camelCase attributes are`, exchanges)
    const found = [
      ...(diff.length > 0 ? [`the values of ${diff.map((d) => d.attribute).join(', ')} differ`] : []),
      ...spelled,
    ]
    return violation(
      {
        received:
          `after a PUT with ${style}-cased names, GET differs from what the same body with camelCase names ` +
          `stores: ${found.join('; ')}`,
        expected: 'the same stored resource whatever the case of the names (RFC 7643 §2.1)',
        fix: "Match attribute names case-insensitively and store them under the schema's name",
      },
      exchanges,
      { focus: 1, diff: diff.map((d) => ({ ...d, note: `camelCase vs ${style}-cased names: ${d.note}` })) },
    )
  },
})

/**
 * RFC 7643 §4.1.1 (verified): "The cleartext value or the hashed value of a password SHALL NOT be
 * returnable by a service provider."
 */
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
      return violation(
        {
          received: `password returned in the ${leaks.map((e) => e.request.method).join(' and ')} response`,
          expected: 'password never returned (RFC 7643 §4.1.1: returned "never")',
          fix: 'Drop password (and its hash) from every representation',
        },
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

/** What an echo refused with a control accepted was answered: the refusal and the control's status. */
const echoRefused = (put: Exchange, control: Exchange) =>
  `${describeStatus(put)} for a PUT of the body GET returned; without id, meta and groups the same body answered ` +
  String(statusOf(control))

/**
 * RFC 7644 §3.5.1: clients "MAY send all attributes, regardless of each
 * attribute's mutability".
 */
export const wholeBodyEcho = defineCheck({
  id: 'put.replace.whole-body-echo',
  title: 'Echoing a GET body back (id, meta, schemas, groups included) succeeds',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'replace',
  rule:
    "Clients MAY send all attributes, regardless of each attribute's mutability (readOnly values SHALL be " +
    'ignored).',
  users: 1,
  async run(ctx, users) {
    const r = await echo(ctx, users)
    if (isVerdict(r)) return r
    if (!r.control) return verdict('passed', `PUT of the GET body answered ${statusOf(r.put)}`, [r.get, r.put])
    const exchanges = [r.get, r.put, r.control]
    // §3.12's own example answers 400 mutability "Attribute 'id' is readOnly" (RFC 7644 §3.12): the sibling
    // check grades it.
    if (statusOf(r.put) === 400 && scimTypeOf(r.put) === 'mutability')
      return verdict(
        'inconclusive',
        `the GET body was refused with ${describeStatus(r.put)} (put.replace.whole-body-echo-mutability judges ` +
          'that answer)',
        exchanges,
      )
    return violation(
      {
        received: echoRefused(r.put, r.control),
        expected: '200 (RFC 7644 §3.5.1: readOnly values in the body SHALL be ignored)',
        fix: 'Ignore id, meta and groups in a PUT body instead of rejecting it',
      },
      exchanges,
      { focus: 1 },
    )
  },
})

/**
 * RFC 7644 §3.12's own example answers 400 mutability "Attribute 'id' is readOnly", a
 * permitted answer to a readOnly value; but an echoed body carries the stored values, so refusing them
 * departs from RFC 7644 §3.5.1's "MAY send all attributes": a warning.
 */
export const wholeBodyEchoMutability = defineCheck({
  id: 'put.replace.whole-body-echo-mutability',
  title: 'An echoed GET body is not refused with 400 mutability for its unchanged readOnly values',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1, §3.12',
  area: 'replace',
  rule:
    "Clients MAY send all attributes, regardless of each attribute's mutability; readOnly values provided SHALL " +
    'be ignored.',
  users: 1,
  async run(ctx, users) {
    const r = await echo(ctx, users)
    if (isVerdict(r)) return r
    if (!r.control) return verdict('passed', `PUT of the GET body answered ${statusOf(r.put)}`, [r.get, r.put])
    const exchanges = [r.get, r.put, r.control]
    if (statusOf(r.put) === 400 && scimTypeOf(r.put) === 'mutability')
      return violation(
        {
          received: echoRefused(r.put, r.control),
          expected:
            '200 (RFC 7644 §3.5.1: clients MAY send all attributes; readOnly values SHALL be ignored, and these ' +
            'were unchanged)',
          fix: 'Ignore id, meta and groups in a PUT body, at least when they match the stored values',
        },
        exchanges,
        { focus: 1 },
      )
    return verdict(
      'inconclusive',
      `the GET body was refused with ${describeStatus(r.put)}, not 400 mutability (put.replace.whole-body-echo ` +
        'judges that answer)',
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
      // RFC 7643 §2.4 (one primary at most): rejecting the request (400 invalidValue) is a permitted answer.
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
      return violation(
        {
          received: `${count(bad)} values of ${attr} with primary true in the ${bad.request.method} response`,
          expected: 'at most one (RFC 7643 §2.4: the primary value "true" MUST appear no more than once)',
          fix: 'Reject the request with 400 invalidValue, or keep one primary',
        },
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
