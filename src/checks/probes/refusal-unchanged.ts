import type { Exchange } from '../../http/exchange.ts'
import { type CharacteristicsOf, differs, getAttr, isObject, isUnassigned, kindOf } from '../compare.ts'
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

/** Whether `now` differs from `before` under SCIM's rules, in either direction. */
function changed(before: unknown, now: unknown, name: string, characteristicsOf: CharacteristicsOf): boolean {
  if (tooDeep(before) || tooDeep(now)) return JSON.stringify(before) !== JSON.stringify(now)
  return (differs(before, now, name, characteristicsOf) ?? differs(now, before, name, characteristicsOf)) !== null
}

/** Whether `stored` is what the refused PUT sent for the attribute (white space trimmed counts). */
function fromThePut(sent: unknown, stored: unknown, name: string, characteristicsOf: CharacteristicsOf): boolean {
  if (tooDeep(sent) || tooDeep(stored)) return JSON.stringify(sent) === JSON.stringify(stored)
  const note = differs(sent, stored, name, characteristicsOf)
  return note === null || kindOf(note) === 'trimmed'
}

/** One changed attribute of the user: what the refused PUT sent, what a GET shows now, and what it was. */
export function changedAttributes(
  baseline: Baseline,
  after: Body,
  put: Exchange,
  characteristicsOf: CharacteristicsOf,
): AttributeDiff[] {
  const sent = sentBody(put)
  const out: AttributeDiff[] = []
  for (const name of namesOf(baseline.body, after)) {
    if (!judged(name, characteristicsOf)) continue
    const before = getAttr(baseline.body, name)
    const now = getAttr(after, name)
    if (!changed(before, now, name, characteristicsOf)) continue
    const put = getAttr(sent, name)
    const toward = fromThePut(put, now, name, characteristicsOf)
    // A creation answer proves only the values it shows: only a value it showed, replaced by the PUT's, counts.
    if (baseline.from === 'created' && !(toward && !isUnassigned(before) && !isUnassigned(now))) continue
    const was = isUnassigned(before) ? 'unassigned' : JSON.stringify(before)
    const note = toward
      ? `was ${was} before the refused PUT, now ${isUnassigned(now) ? 'cleared as' : 'the value'} the PUT sent`
      : `was ${was} before the refused PUT, now another value`
    out.push({ attribute: name, sent: put, stored: now, note })
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
 * the same user right after it, with no other write in between. `violated` when a value changed (a
 * partial write); else `passed`, with a `sideEffect.meta` trait when only meta moved (RFC 7643 §3.1 says
 * lastModified is when "the details of this resource were updated": no value changed, so an observation).
 * Null when the GET shows no user to compare (not 200 with an object).
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
  const diff = changedAttributes(baseline, shown, put, characteristicsOf)
  if (diff.length === 0) {
    const meta = metaMoved(baseline, shown)
    const message = `after the ${refusal} refusal, a GET shows the user's values as before`
    return {
      outcome: 'passed',
      message: meta ? `${message} (${meta})` : message,
      exchanges,
      traits: meta ? { 'sideEffect.meta': `${meta} after a ${statusOf(put)} refusal, no value changed` } : undefined,
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
