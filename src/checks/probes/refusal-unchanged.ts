import type { Exchange } from '../../http/exchange.ts'
import { type CharacteristicsOf, childPath, differs, getAttr, isObject, isUnassigned, kindOf } from '../compare.ts'
import { violation, type Verdict } from '../define-check.ts'
import type { AttributeDiff, Level } from '../types.ts'
import { bodyObject, statusOf } from './requests.ts'
import { describeRefusal } from './attribution.ts'

type Body = Record<string, unknown>

/**
 * The rule "a refused PUT changes nothing": one owner (the check put.invalid.refusal-unchanged), and the
 * runner's refusal guard (src/run/refusal-guard.ts) applies the same judgement to every other check's
 * refused PUTs, graded at this level whatever the level of the check it happens in.
 *
 * MUST: a 4xx states that the request was not applied. RFC 9110 §15: the status code "describes the
 * result of the request ... including whether the request was successful"; §15.5.2: a 401 means "the
 * request has not been applied"; §13.1.1: a server "MUST NOT perform the requested method" when If-Match
 * is false (412). SCIM says the same of PATCH in RFC 7644 §3.5.2: "the original SCIM resource MUST be
 * restored", and PUT's replace (§3.5.1) is one request: a client that reads an error as "nothing
 * changed" is otherwise left with a user that is neither the old one nor the one it sent.
 */
export const REFUSAL_RULE: Readonly<{ id: string; level: Level; source: string }> = {
  id: 'put.invalid.refusal-unchanged',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1, §3.5.2, §3.12; RFC 9110 §15, §15.5.2, §13.1.1',
}

/** The statuses the rule judges: every 4xx but 404/410 (the user gone is not a write of the PUT's). */
export function isRefusal(status: number | null): boolean {
  return status !== null && status >= 400 && status < 500 && status !== 404 && status !== 410
}

/**
 * What the user was before the refused PUT: a GET's 200 body (`get`, its exchange kept), or the answer
 * to the POST that created it (`created`), which proves only the values it shows: RFC 7644 §3.3 says the
 * POST response "SHOULD" be the representation, so a value it leaves out is not compared.
 */
export interface Baseline {
  body: Body
  from: 'get' | 'created'
  exchange?: Exchange
}

/** Top-level keys that are not client data: compared by their own rules (meta below, as a trait only). */
const NOT_JUDGED = new Set(['id', 'meta', 'groups', 'password', 'schemas'])

/** The body a request carried, as JSON; `{}` when it carried none or no JSON object. */
export function sentBody(e: Exchange): Body {
  try {
    const parsed: unknown = e.request.body === null ? null : JSON.parse(e.request.body)
    return isObject(parsed) ? parsed : {}
  } catch {
    return {}
  }
}

/**
 * The attributes compared: those RFC 7643 or the server's /Schemas know that a client can write, and
 * extension objects (`urn:` keys). A key nobody declares may be computed by the server (not client data).
 */
function judged(name: string, characteristicsOf: CharacteristicsOf): boolean {
  if (NOT_JUDGED.has(name.toLowerCase())) return false
  if (/^urn:/i.test(name)) return true
  const def = characteristicsOf(name)
  return def !== undefined && def.mutability !== 'readOnly'
}

/** Names of both bodies, case-insensitive (RFC 7643 §2.1), first spelling kept. */
function namesOf(...bodies: Body[]): string[] {
  const names = new Map<string, string>()
  for (const body of bodies)
    for (const k of Object.keys(body)) if (!names.has(k.toLowerCase())) names.set(k.toLowerCase(), k)
  return [...names.values()]
}

/**
 * Deeper than any SCIM value (a multi-valued complex attribute is 3 levels): the value of a `deeply-nested`
 * probe a server stored. Compared as JSON text, since comparing it as sets costs time exponential in depth.
 */
const MAX_DEPTH = 8
function tooDeep(value: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH) return true
  if (Array.isArray(value)) return value.some((v) => tooDeep(v, depth + 1))
  return isObject(value) && Object.values(value).some((v) => tooDeep(v, depth + 1))
}

/** The same value under SCIM's rules (compared both ways), or the same JSON where too deep to compare as sets. */
function same(a: unknown, b: unknown, name: string, characteristicsOf: CharacteristicsOf): boolean {
  if (tooDeep(a) || tooDeep(b)) return JSON.stringify(a) === JSON.stringify(b)
  return (differs(a, b, name, characteristicsOf) ?? differs(b, a, name, characteristicsOf)) === null
}

/** `stored` holds `sent` (a server may add sub-attributes; white space trimmed at the ends counts). */
function holds(sent: unknown, stored: unknown, name: string, characteristicsOf: CharacteristicsOf): boolean {
  if (tooDeep(sent) || tooDeep(stored)) return JSON.stringify(sent) === JSON.stringify(stored)
  const note = differs(sent, stored, name, characteristicsOf)
  return note === null || kindOf(note) === 'trimmed'
}

/**
 * What the GET shows of the refused PUT's value that was not there before: the whole value, the attribute
 * cleared (the PUT omitted or emptied it), one new item of a multi-valued attribute, or one sub-attribute
 * of a complex one. Null when the change is not the PUT's: something else changed the user (another
 * writer, a replica catching up), which this rule does not blame on the refusal.
 */
function fromThePut(
  put: unknown,
  before: unknown,
  now: unknown,
  name: string,
  characteristicsOf: CharacteristicsOf,
): string | null {
  if (isUnassigned(now)) return isUnassigned(put) ? 'cleared as the PUT asked' : null
  if (isUnassigned(put) || tooDeep(put) || tooDeep(now))
    return holds(put, now, name, characteristicsOf) ? 'the value the PUT sent' : null
  if (holds(put, now, name, characteristicsOf)) return 'the value the PUT sent'
  if (Array.isArray(now) && Array.isArray(put)) {
    const old = Array.isArray(before) ? before : []
    const fresh = now.filter((item) => !old.some((o) => same(o, item, name, characteristicsOf)))
    const item = fresh.find((i) =>
      put.some((p) => holds(p, i, name, characteristicsOf) || holds(i, p, name, characteristicsOf)),
    )
    return item === undefined ? null : `with the PUT's ${JSON.stringify(item)}`
  }
  if (isObject(now) && isObject(put))
    for (const [sub, value] of Object.entries(put)) {
      const path = childPath(name, sub)
      const [was, is] = [getAttr(before, sub), getAttr(now, sub)]
      if (!isUnassigned(value) && holds(value, is, path, characteristicsOf) && !same(was, is, path, characteristicsOf))
        return `with the PUT's ${sub}`
    }
  return null
}

/** What a GET after a refused PUT shows changed: the PUT's values stored (`diff`), and other changes (`other`). */
export interface Changes {
  diff: AttributeDiff[]
  other: string[]
}

/** The attributes a GET after the refused PUT shows changed since `baseline`, each the PUT's doing or not. */
export function changedAttributes(
  baseline: Baseline,
  after: Body,
  put: Exchange,
  characteristicsOf: CharacteristicsOf,
): Changes {
  const sent = sentBody(put)
  const out: Changes = { diff: [], other: [] }
  for (const name of namesOf(baseline.body, after)) {
    if (!judged(name, characteristicsOf)) continue
    const before = getAttr(baseline.body, name)
    const now = getAttr(after, name)
    if (baseline.from === 'created') {
      // A creation answer proves only the values it shows: one of them gone, replaced by the PUT's.
      if (isUnassigned(before) || isUnassigned(now) || holds(before, now, name, characteristicsOf)) continue
    } else if (same(before, now, name, characteristicsOf)) continue
    const value = getAttr(sent, name)
    const how = fromThePut(value, before, now, name, characteristicsOf)
    if (how === null) {
      out.other.push(name)
      continue
    }
    const was = isUnassigned(before) ? 'unassigned' : JSON.stringify(before)
    out.diff.push({ attribute: name, sent: value, stored: now, note: `was ${was} before the refused PUT, now ${how}` })
  }
  return out
}

/** `meta.version` / `meta.lastModified` that moved between the two GETs, in words; null when neither did. */
function metaMoved(baseline: Baseline, after: Body): string | null {
  if (baseline.from !== 'get') return null
  const [a, b] = [getAttr(baseline.body, 'meta'), getAttr(after, 'meta')]
  const moved: string[] = []
  const version = [getAttr(a, 'version'), getAttr(b, 'version')]
  if (version[0] !== undefined && version[1] !== undefined && version[0] !== version[1])
    moved.push(`meta.version ${JSON.stringify(version[0])} → ${JSON.stringify(version[1])}`)
  const [l0, l1] = [getAttr(a, 'lastModified'), getAttr(b, 'lastModified')]
  if (typeof l0 === 'string' && typeof l1 === 'string' && l0 !== l1 && Date.parse(l0) !== Date.parse(l1))
    moved.push(`meta.lastModified ${l0} → ${l1}`)
  return moved.length > 0 ? moved.join(', ') : null
}

/**
 * The judgement of one refused PUT: `put` answered a refusal ({@link isRefusal}) and `after` is the GET of
 * the same user right after it, with no other write in between. `violated` when the GET shows any of the
 * PUT's values stored (a partial write); else `passed`, with traits for what moved without a value of the
 * PUT: `sideEffect.meta` when only meta did (RFC 7643 §3.1: lastModified is when "the details of this
 * resource were updated"; no value changed, an observation), `sideEffect.other` for a value changed to
 * something the PUT did not send (not blamed on the refusal). Null when the GET shows no user (not a 200
 * with an object).
 */
export function judgeRefusal(
  characteristicsOf: CharacteristicsOf,
  baseline: Baseline,
  put: Exchange,
  after: Exchange,
): Verdict | null {
  const shown = bodyObject(after)
  if (statusOf(after) !== 200 || !shown || !isRefusal(statusOf(put))) return null
  const exchanges = [...(baseline.exchange ? [baseline.exchange] : []), put, after]
  const focus = baseline.exchange ? 1 : 0
  const refusal = describeRefusal(put)
  const { diff, other } = changedAttributes(baseline, shown, put, characteristicsOf)
  if (diff.length === 0) {
    const traits: Record<string, string> = {}
    const meta = metaMoved(baseline, shown)
    if (meta) traits['sideEffect.meta'] = `${meta} after a ${statusOf(put)} refusal, no value changed`
    if (other.length > 0)
      traits['sideEffect.other'] =
        `${other.join(', ')} changed after a ${statusOf(put)} refusal, not to a value the PUT sent (not blamed on it)`
    const message = `after the ${refusal} refusal, a GET shows none of the PUT's values stored`
    return {
      outcome: 'passed',
      message: meta ? `${message} (${meta})` : message,
      exchanges,
      traits: Object.keys(traits).length > 0 ? traits : undefined,
    }
  }
  const names = diff.map((d) => d.attribute).join(', ')
  return violation(
    {
      received: `after a ${refusal} refusal, a GET shows ${names} changed (${diff[0].attribute}: ${diff[0].note})`,
      expected:
        `the user as before the refused PUT (${REFUSAL_RULE.id}, ${REFUSAL_RULE.level}: ` + `${REFUSAL_RULE.source})`,
      fix: 'Validate the whole request before writing anything, or roll back what was written before refusing.',
    },
    exchanges,
    { focus, diff, traits: { sideEffect: REFUSAL_RULE.id } },
  )
}
