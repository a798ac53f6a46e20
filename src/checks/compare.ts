import type { AttributeDefinition } from '../scim/attribute.ts'
import type { AttributeDiff } from './types.ts'

type Obj = Record<string, unknown>
export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** RFC 7643 §2.5: unassigned, null and [] "SHALL be considered to be equivalent in 'state'". */
export function isUnassigned(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (Array.isArray(value) && value.length === 0) ||
    (isObject(value) && Object.values(value).every(isUnassigned))
  )
}

/** Attribute names are case-insensitive (RFC 7643 §2.1): finds `name` in `obj` whatever its case. */
export function getAttr(obj: unknown, name: string): unknown {
  if (!isObject(obj)) return undefined
  if (name in obj) return obj[name]
  const lower = name.toLowerCase()
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key]
  return undefined
}

/** The note of a string stored without its leading/trailing white space: a deviation, graded below a lost value. */
export const WHITESPACE_TRIMMED = 'white space at the ends trimmed'

/**
 * The note of an old value that survived a `null` or `[]`: RFC 7644 §3.5.1 says clients "MAY specify
 * "null" ... or an empty array "[]" ... to clear all values", so a value left in place is a warning
 * (RFC 7643 §2.5: null and [] are unassigned), not a provided value lost.
 */
export const NOT_CLEARED = 'sent empty (null/[]), stored a value'

/** Looks up the characteristics of an attribute path (e.g. `name.givenName`). */
export type CharacteristicsOf = (path: string) => AttributeDefinition | undefined

/**
 * What a difference between a value sent and the value stored amounts to: a `lost` value (RFC 7644
 * §3.5.1 "SHALL replace"), white space `trimmed` at the ends of a string (a departure from the value sent:
 * a warning), or a `null`/`[]` that left a value in place (`not-cleared`, RFC 7643 §2.5: the clearing checks
 * judge it).
 */
export type DiffKind = 'lost' | 'trimmed' | 'not-cleared'

/** The kind of difference a note of {@link differs} describes. */
export function kindOf(note: string): DiffKind {
  return note.endsWith(WHITESPACE_TRIMMED) ? 'trimmed' : note.endsWith(NOT_CLEARED) ? 'not-cleared' : 'lost'
}

const SEVERITY: Record<DiffKind, number> = { trimmed: 1, 'not-cleared': 2, lost: 3 }

/** The note of the worse of two differences (null: none). */
function worse(a: string | null, b: string | null): string | null {
  if (a === null) return b
  if (b === null) return a
  return SEVERITY[kindOf(b)] > SEVERITY[kindOf(a)] ? b : a
}

/** Options of a comparison. */
export interface CompareOptions {
  /**
   * Whether the server declares a sub-attribute path (its own /Schemas): one it does not declare is an
   * unknown attribute to it (RFC 7644 §3.5.1 is silent on those), not a value it must store.
   * @defaultValue every path declared
   */
  declared?: (path: string) => boolean
  /** Collects the paths left out of the comparison because the server does not declare them. */
  unknown?: Set<string>
}

/** A value that provides nothing: unassigned (RFC 7643 §2.5), or a list of such values. */
const isEmpty = (value: unknown): boolean => isUnassigned(value) || (Array.isArray(value) && value.every(isEmpty))

/** Top-level keys that are not user data: compared by their own checks. */
const NOT_DATA = new Set(['schemas', 'id', 'meta', 'groups', 'password'])

/**
 * Compares what a client sent with what the server stored, by SCIM's rules: names case-insensitive,
 * strings case-insensitive unless `caseExact`, multi-valued attributes as sets, complex values on the
 * sub-attributes sent (the server may add others), absent = null = []. Returns one diff per attribute that differs.
 */
export function diffStored(
  sent: Obj,
  stored: unknown,
  characteristicsOf: CharacteristicsOf,
  skip: ReadonlySet<string> = NOT_DATA,
  options: CompareOptions = {},
): AttributeDiff[] {
  const diffs: AttributeDiff[] = []
  for (const [name, value] of Object.entries(sent)) {
    if (skip.has(name.toLowerCase()) || skip.has(name)) continue
    const got = getAttr(stored, name)
    const note = differs(value, got, name, characteristicsOf, options)
    if (note) diffs.push({ attribute: name, sent: value, stored: got, note })
  }
  return diffs
}

/**
 * Why `stored` is not the value `sent` (null when they are equal under SCIM's rules). When several
 * parts differ, the note names the worst (see {@link kindOf}): a lost value before a `null` left in
 * place, before white space trimmed.
 */
export function differs(
  sent: unknown,
  stored: unknown,
  path: string,
  characteristicsOf: CharacteristicsOf,
  options: CompareOptions = {},
): string | null {
  // A complex value made only of readOnly sub-attributes provides nothing the server must store.
  if (isObject(sent) && !isUnassigned(sent) && isUnassigned(writable(sent, path, characteristicsOf))) return null
  // A complex value provides the sub-attributes it names: `{}` provides none (what becomes of them is the
  // omitted-attributes MAY of RFC 7644 §3.5.1), `{ "role": null }` clears role. So compare sub by sub.
  if (isObject(sent))
    return isObject(stored) || isUnassigned(stored)
      ? differsBySub(sent, stored, path, characteristicsOf, options)
      : 'sent a complex value, stored a simple one'
  if (isEmpty(sent)) return isEmpty(stored) ? null : NOT_CLEARED
  // Only white space, trimmed away to nothing: still a trimmed string (a warning), not a lost value.
  if (typeof sent === 'string' && sent !== '' && sent.trim() === '' && (isUnassigned(stored) || stored === ''))
    return WHITESPACE_TRIMMED
  if (isUnassigned(stored)) return 'sent a value, stored nothing'
  const def = characteristicsOf(path)
  if (Array.isArray(sent)) {
    if (!Array.isArray(stored)) return 'sent a list, stored a single value'
    return differsAsSets(
      sent.filter((item) => !isEmpty(item)),
      stored,
      path,
      characteristicsOf,
      options,
    )
  }
  if (typeof sent === 'string' && typeof stored === 'string') {
    const caseExact = def?.caseExact ?? false
    // Canonically equivalent text is the same value (RFC 7643 §2.3.1 strings are Unicode characters): a server
    // may normalise it.
    const same = (a: string, b: string) => {
      if (a === b) return true
      const [x, y] = [a.normalize('NFC'), b.normalize('NFC')]
      return x === y || (!caseExact && x.toLowerCase() === y.toLowerCase())
    }
    if (same(sent, stored)) return null
    if (same(sent.trim(), stored)) return WHITESPACE_TRIMMED
    if (def?.type === 'dateTime' && Date.parse(sent) === Date.parse(stored) && !Number.isNaN(Date.parse(sent)))
      return null
    const lengths = sent.length !== stored.length ? ` (sent ${sent.length} chars, stored ${stored.length})` : ''
    return `string differs${lengths}`
  }
  if (typeof sent === 'number' && typeof stored === 'number') return sent === stored ? null : 'number differs'
  return sent === stored
    ? null
    : `sent ${typeof sent} ${JSON.stringify(sent)}, stored ${typeof stored} ${JSON.stringify(stored)}`
}

/**
 * A multi-valued attribute compared as a set: every value sent needs a stored match, and no other value
 * may be stored. An exact match is taken first; a value stored only with white space trimmed (or a
 * `null` sub-attribute left in place) still matches, and the note says so, so that a trimmed item is
 * graded as a trimmed string wherever it sits, not as a lost value.
 */
function differsAsSets(
  sent: unknown[],
  stored: unknown[],
  path: string,
  characteristicsOf: CharacteristicsOf,
  options: CompareOptions,
): string | null {
  const unmatched = [...stored]
  const pending: unknown[] = []
  for (const item of sent) {
    const index = unmatched.findIndex((c) => differs(item, c, path, characteristicsOf, options) === null)
    if (index === -1) pending.push(item)
    else unmatched.splice(index, 1)
  }
  let note: string | null = null
  for (const item of pending) {
    let best = -1
    let bestNote: string | null = null
    for (const [i, candidate] of unmatched.entries()) {
      const n = differs(item, candidate, path, characteristicsOf, options)
      if (n === null || kindOf(n) === 'lost') continue
      if (bestNote === null || SEVERITY[kindOf(n)] < SEVERITY[kindOf(bestNote)]) [best, bestNote] = [i, n]
    }
    if (bestNote === null) return `value ${JSON.stringify(item)} not stored`
    unmatched.splice(best, 1)
    note = worse(note, `value ${JSON.stringify(item)}: ${bestNote}`)
  }
  const extra = unmatched.filter((v) => !isEmpty(v))
  return extra.length > 0 ? `stored ${extra.length} value(s) that were not sent` : note
}

/** Why the sub-attributes sent in a complex value are not the ones stored (`stored` an object or unassigned). */
function differsBySub(
  sent: Obj,
  stored: unknown,
  path: string,
  characteristicsOf: CharacteristicsOf,
  options: CompareOptions,
): string | null {
  let note: string | null = null
  for (const [sub, value] of Object.entries(sent)) {
    const subPath = childPath(path, sub)
    if (characteristicsOf(subPath)?.mutability === 'readOnly') continue
    // A sub-attribute the server's /Schemas does not declare is unknown to it (RFC 7644 is silent on those):
    // not compared.
    if (options.declared && !options.declared(subPath)) {
      options.unknown?.add(subPath)
      continue
    }
    const got = getAttr(stored, sub)
    // `primary: false` and no `primary` say the same thing.
    if (sub.toLowerCase() === 'primary' && value === false && (got === undefined || got === null || got === false))
      continue
    const n = differs(value, got, subPath, characteristicsOf, options)
    if (n) note = worse(note, `${sub}: ${n}`)
    if (note && kindOf(note) === 'lost') return note
  }
  return note
}

/**
 * The sub-attributes of a complex value a client can write: RFC 7644 §3.5.1 says readOnly values
 * provided "SHALL be ignored", so the server need not store them.
 */
function writable(value: Obj, path: string, characteristicsOf: CharacteristicsOf): Obj {
  return Object.fromEntries(
    Object.entries(value).filter(([sub, v]) => {
      const subPath = childPath(path, sub)
      if (characteristicsOf(subPath)?.mutability === 'readOnly') return false
      return !isObject(v) || !isUnassigned(writable(v, subPath, characteristicsOf))
    }),
  )
}

/** Deep equality of two resource representations under SCIM rules (used for PUT response vs GET). */
export function sameRepresentation(
  a: unknown,
  b: unknown,
  characteristicsOf: CharacteristicsOf,
  ignore: ReadonlySet<string> = new Set(),
): AttributeDiff[] {
  const diffs: AttributeDiff[] = []
  const names = new Map<string, string>()
  for (const source of [a, b])
    if (isObject(source))
      for (const k of Object.keys(source)) if (!names.has(k.toLowerCase())) names.set(k.toLowerCase(), k)
  for (const [lower, name] of names) {
    if (ignore.has(lower)) continue
    const left = getAttr(a, name)
    const right = getAttr(b, name)
    const note = differs(left, right, name, characteristicsOf) ?? differs(right, left, name, characteristicsOf)
    if (note) diffs.push({ attribute: name, sent: left, stored: right, note })
  }
  return diffs
}

/**
 * Path of a sub-attribute: `name.givenName`, but `<schema urn>:role` for an extension's attributes
 * (RFC 7644 §3.10 fully qualified names). A schema URN ends in its resource name (`…:User`).
 */
export function childPath(path: string, sub: string): string {
  const last = path.slice(path.lastIndexOf(':') + 1)
  return /^urn:/i.test(path) && !last.includes('.') && /^[A-Z]/.test(last) ? `${path}:${sub}` : `${path}.${sub}`
}
