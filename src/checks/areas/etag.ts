import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import { getAttr, isUnassigned, sameRepresentation } from '../compare.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, violation, type Verdict } from '../define-check.ts'
import {
  describeRefusal,
  refusedByConstraint,
  refusedValidPut,
  sendControl,
  type Control,
} from '../probes/attribution.ts'
import { validPayloads } from '../probes/payloads.ts'
import { bodyObject, describeStatus, getUser, is2xx, noResponse, putUser, statusOf } from '../probes/requests.ts'

type Body = Record<string, unknown>

/**
 * RFC 7644 §3.14, RFC 7643 §5 (etag.supported): ETag checks run only when /ServiceProviderConfig declares
 * etag.supported, never because a header happens to be there (some frameworks hash every body).
 */
function etagSkip(ctx: CheckContext): string | null {
  if (!ctx.discovery.capabilities) return '/ServiceProviderConfig is unavailable, so ETag support is unknown'
  return ctx.discovery.capabilities.etag ? null : '/ServiceProviderConfig does not declare etag.supported true'
}

const etagOf = (e: Exchange): string | undefined => e.response?.headers.etag
const isWeak = (tag: string) => /^W\//i.test(tag)
const versionOf = (e: Exchange) => getAttr(getAttr(bodyObject(e), 'meta'), 'version')

/** RFC 7644 §3.14: "When supported, SCIM ETags MUST be specified as an HTTP header". */
export const etagHeader = defineCheck({
  id: 'put.etag.header',
  title: 'A successful PUT, and a GET after it, return an ETag header',
  level: 'MUST',
  source: 'RFC 7644 §3.14',
  area: 'etag',
  rule:
    'When supported, SCIM ETags MUST be specified as an HTTP header and SHOULD be specified within the "version" ' +
    'attribute contained in the resource\'s "meta" attribute.',
  skipIf: etagSkip,
  users: 1,
  maxRuns: 5,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body)
    noResponse([put])
    if (!is2xx(put)) return refusedValidPut(put, [put])
    const get = await getUser(ctx, users.ids[0])
    noResponse([get])
    const bad = [put, ...(statusOf(get) === 200 ? [get] : [])].find((e) => !etagOf(e))
    if (!bad) return verdict('passed', `ETag ${etagOf(put)} on the PUT response, ${etagOf(get)} on the GET`, [put, get])
    const where = bad === put ? `the ${statusOf(put)} response to the PUT` : 'the GET after the PUT'
    return violation(
      {
        received: `no ETag header on ${where}`,
        expected: 'an ETag header, as /ServiceProviderConfig declares etag.supported (RFC 7644 §3.14)',
      },
      [put, get],
      { focus: bad === put ? 0 : 1 },
    )
  },
})

/** RFC 7644 §3.14: the ETag SHOULD also be in meta.version; RFC 7643 §3.1: the two are the same value. */
export const versionMatchesEtag = defineCheck({
  id: 'put.etag.version-matches',
  title: 'meta.version is present and equals the ETag header',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1; RFC 7644 §3.14',
  area: 'etag',
  rule:
    'SCIM ETags ... SHOULD be specified within the "version" attribute contained in the resource\'s "meta" ' +
    'attribute. (RFC 7643 §3.1, version: This value must be the same as the entity-tag (ETag) HTTP response header.)',
  skipIf: etagSkip,
  users: 1,
  maxRuns: 5,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body)
    noResponse([put])
    if (!is2xx(put)) return refusedValidPut(put, [put])
    const get = await getUser(ctx, users.ids[0])
    noResponse([get])
    const pairs = [put, ...(statusOf(get) === 200 ? [get] : [])].filter((e) => etagOf(e) && bodyObject(e))
    if (pairs.length === 0)
      return verdict(
        'inconclusive',
        'no response carried both an ETag header and a resource (put.etag.header judges a missing ETag)',
        [put, get],
      )
    const bad = pairs.find((e) => versionOf(e) !== etagOf(e))
    if (!bad) return verdict('passed', `meta.version equals the ETag (${etagOf(pairs[0])})`, [put, get])
    const what = bad === put ? 'the PUT response' : 'the GET after the PUT'
    return violation(
      isUnassigned(versionOf(bad))
        ? {
            received: `ETag ${etagOf(bad)} on ${what}, and no meta.version`,
            expected: `meta.version ${JSON.stringify(etagOf(bad))} (RFC 7644 §3.14)`,
          }
        : {
            received: `ETag ${etagOf(bad)} and meta.version ${JSON.stringify(versionOf(bad))} on ${what}`,
            expected: 'meta.version equal to the ETag header (RFC 7643 §3.1)',
          },
      [put, get],
      { focus: bad === put ? 0 : 1 },
    )
  },
})

/** RFC 7643 §3.1 version, RFC 7644 §3.14: with versioning, the version (the ETag) changes with the content (warn). */
export const etagChanges = defineCheck({
  id: 'put.etag.changes',
  title: 'A PUT that changes the user returns a new ETag',
  level: 'SHOULD',
  source: 'RFC 7644 §3.14; RFC 9110 §8.8.3',
  area: 'etag',
  rule:
    'An entity tag is an opaque validator for differentiating between multiple representations of the same ' +
    'resource: a replace that changes the resource is answered with a new version.',
  skipIf: etagSkip,
  users: 1,
  maxRuns: 5,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const id = users.ids[0]
    const before = await getUser(ctx, id)
    const put = await putUser(ctx, id, body)
    noResponse([before, put])
    if (!is2xx(put)) return refusedValidPut(put, [before, put])
    const after = await getUser(ctx, id)
    noResponse([after])
    const all = [before, put, after]
    const was = etagOf(before)
    if (!was || !etagOf(after))
      return verdict(
        'inconclusive',
        `the GET ${was ? 'after' : 'before'} the PUT carries no ETag (put.etag.header judges that)`,
        all,
      )
    const changes = sameRepresentation(bodyObject(before), bodyObject(after), ctx.attribute, new Set(['meta']))
    if (changes.length === 0)
      return verdict('inconclusive', 'the GET after the PUT shows the user as before, so the ETag need not change', all)
    const bad = [put, after].find((e) => etagOf(e) === was)
    if (!bad) return verdict('passed', `ETag ${was} → ${etagOf(after)}`, all)
    const where = bad === put ? 'the response to a PUT' : 'a GET after a PUT'
    return violation(
      {
        received: `ETag ${was} again on ${where} that changed the user`,
        expected: 'a new ETag for the changed representation (RFC 9110 §8.8.3)',
        fix: 'Derive the ETag from the content or bump the version on every write.',
      },
      all,
      { focus: all.indexOf(bad), diff: changes },
    )
  },
})

/**
 * RFC 7644 §3.14, RFC 9110 §13.1.1: a stale If-Match → 412 and nothing changed (the method MUST NOT be
 * performed). RFC 7644 Table 8 lists 409 for a version mismatch too. A PUT refused for another reason is
 * the If-Match's only when the same body without If-Match is accepted.
 */
export const staleIfMatch = defineCheck({
  id: 'put.etag.stale-if-match-412',
  title: 'A stale If-Match is refused with 412 and changes nothing',
  level: 'MUST',
  source: 'RFC 7644 §3.14; RFC 9110 §13.1.1',
  area: 'etag',
  rule:
    'If-Match: when the entity-tag does not match, the server MUST NOT perform the method, and answers 412 ' +
    '(Precondition Failed).',
  skipIf: etagSkip,
  users: 1,
  maxRuns: 3,
  cases: (ctx) => fc.tuple(validPayloads(ctx), validPayloads(ctx)),
  async run(ctx, users, [body, other]) {
    const id = users.ids[0]
    const first = await getUser(ctx, id)
    noResponse([first])
    const stale = etagOf(first)
    if (!stale)
      return verdict('inconclusive', 'the GET carries no ETag to make stale (put.etag.header judges that)', [first])
    const change = await putUser(ctx, id, body)
    noResponse([change])
    if (!is2xx(change)) return refusedValidPut(change, [first, change])
    const current = await getUser(ctx, id)
    noResponse([current])
    if (!etagOf(current) || etagOf(current) === stale)
      return verdict(
        'inconclusive',
        `no stale ETag could be made: the ETag is ${etagOf(current) ? 'the same' : 'gone'} after a successful PUT ` +
          '(put.etag.changes and put.etag.header judge that)',
        [first, change, current],
      )
    const attempt = await putUser(ctx, id, other, { headers: { 'if-match': stale } })
    const after = await getUser(ctx, id)
    noResponse([attempt, after])
    const all = [first, change, current, attempt, after]
    const changed = sameRepresentation(bodyObject(current), bodyObject(after), ctx.attribute, new Set(['meta']))
    const tags = `If-Match ${stale} (current ${etagOf(current)})`
    if (is2xx(attempt) || changed.length > 0)
      return violation(
        {
          received:
            `${describeStatus(attempt)} for ${tags}` +
            (changed.length > 0 ? `, and the user changed (${changed.map((d) => d.attribute).join(', ')})` : ''),
          expected: '412 Precondition Failed, nothing changed (RFC 9110 §13.1.1)',
          fix: 'Compare If-Match with the current version before replacing.',
        },
        all,
        { focus: 3, ...(changed.length > 0 ? { diff: changed } : {}) },
      )
    if (statusOf(attempt) === 412) return verdict('passed', '412 for a stale If-Match, nothing changed', all)
    if (statusOf(attempt) === 409)
      return verdict(
        'passed',
        '409 for a stale If-Match (RFC 7644 Table 8: a version mismatch), nothing changed',
        all,
        {
          traits: { 'etag.staleIfMatch': '409' },
        },
      )
    const { control, accepted } = await sendControl(() => putUser(ctx, id, other))
    if (!accepted)
      return refusedByConstraint({
        what: `the PUT with the stale If-Match ${stale}`,
        without: 'the same PUT without If-Match',
        refused: attempt,
        control,
        exchanges: [...all, control],
        key: 'put-body',
      })
    return violation(
      {
        received:
          `${describeRefusal(attempt)} for ${tags}; ` +
          `the same body without If-Match was accepted (${describeStatus(control)})`,
        expected: '412 Precondition Failed (RFC 9110 §13.1.1)',
      },
      [...all, control],
      { focus: 3 },
    )
  },
})

/** A PUT with If-Match set to the current ETag, and (when refused other than with 412) its control without If-Match. */
interface IfMatchProbe {
  get: Exchange
  current: string
  put: Exchange
  control: Control | null
}

async function putWithCurrentIfMatch(
  ctx: CheckContext,
  users: CheckUsers,
  body: Body,
): Promise<IfMatchProbe | Verdict> {
  const id = users.ids[0]
  const get = await getUser(ctx, id)
  noResponse([get])
  const current = etagOf(get)
  if (!current)
    return verdict('inconclusive', 'the GET carries no ETag to send back (put.etag.header judges that)', [get])
  const put = await putUser(ctx, id, body, { headers: { 'if-match': current } })
  noResponse([put])
  const control = is2xx(put) || statusOf(put) === 412 ? null : await sendControl(() => putUser(ctx, id, body))
  return { get, current, put, control }
}

const exchangesOf = (p: IfMatchProbe) => [p.get, p.put, ...(p.control ? [p.control.control] : [])]

/** The verdict of a refusal other than 412 whose control was refused too, else null. */
function constraintOf(p: IfMatchProbe): Verdict | null {
  if (!p.control || p.control.accepted) return null
  return refusedByConstraint({
    what: `the PUT with If-Match ${p.current}`,
    without: 'the same PUT without If-Match',
    refused: p.put,
    control: p.control.control,
    exchanges: exchangesOf(p),
    key: 'put-body',
  })
}

/**
 * RFC 9110 §13.1.1: a PUT whose If-Match matches the current entity tag is performed. If-Match compares
 * strongly there, so a weak current tag never matches and its 412 is HTTP-correct: put.etag.weak-if-match
 * judges weak tags against RFC 7644 §3.14's examples.
 */
export const currentIfMatch = defineCheck({
  id: 'put.etag.current-if-match',
  title: 'A PUT with If-Match set to the current ETag is performed',
  level: 'MUST',
  source: 'RFC 7644 §3.14; RFC 9110 §13.1.1',
  area: 'etag',
  rule:
    'If-Match: when the field value matches the current entity tag of the target resource, the condition is true ' +
    'and the method is performed.',
  skipIf: etagSkip,
  users: 1,
  maxRuns: 3,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const p = await putWithCurrentIfMatch(ctx, users, body)
    if (!('put' in p)) return p
    if (is2xx(p.put))
      return verdict('passed', `${statusOf(p.put)} for If-Match ${p.current}, the current ETag`, exchangesOf(p))
    if (statusOf(p.put) === 412 && isWeak(p.current))
      return verdict(
        'inconclusive',
        `412 for If-Match ${p.current}: the current ETag is weak, and RFC 9110 compares If-Match strongly ` +
          '(put.etag.weak-if-match judges it)',
        exchangesOf(p),
      )
    const constraint = constraintOf(p)
    if (constraint) return constraint
    return violation(
      {
        received:
          `${describeRefusal(p.put)} for If-Match ${p.current}, the current ETag` +
          (p.control ? `; the same body without If-Match was accepted (${describeStatus(p.control.control)})` : ''),
        expected: 'the PUT performed: 200 with the new version (RFC 9110 §13.1.1)',
        fix: 'Compare If-Match with the current entity tag.',
      },
      exchangesOf(p),
      { focus: 1 },
    )
  },
})

/**
 * RFC 7644 §3.14's examples send the weak ETag they were given in If-Match and expect the PUT to be
 * performed. RFC 9110 compares If-Match strongly, so refusing a weak tag is HTTP-correct: a warning.
 */
export const weakIfMatch = defineCheck({
  id: 'put.etag.weak-if-match',
  title: 'A PUT with If-Match set to the current weak ETag is performed, as RFC 7644 §3.14 shows',
  level: 'SHOULD',
  source: 'RFC 7644 §3.14',
  area: 'etag',
  rule:
    'RFC 7644 §3.14 shows a client sending the weak entity tag it was given (If-Match: W/"e180ee84f0671b1") and ' +
    'the service provider performing the request when it matches the current version.',
  skipIf: etagSkip,
  users: 1,
  maxRuns: 3,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const p = await putWithCurrentIfMatch(ctx, users, body)
    if (!('put' in p)) return p
    if (!isWeak(p.current))
      return verdict(
        'inconclusive',
        `the current ETag ${p.current} is strong (put.etag.current-if-match judges it)`,
        exchangesOf(p),
      )
    if (is2xx(p.put))
      return verdict('passed', `${statusOf(p.put)} for If-Match ${p.current}, the current weak ETag`, exchangesOf(p))
    const constraint = constraintOf(p)
    if (constraint) return constraint
    return violation(
      {
        received: `${describeRefusal(p.put)} for If-Match ${p.current}, the current (weak) ETag`,
        expected:
          "200 with a new ETag, as RFC 7644 §3.14's examples show " +
          '(RFC 9110 compares If-Match strongly, so a weak tag never matches there)',
      },
      exchangesOf(p),
      { focus: 1 },
    )
  },
})

export const ETAG_CHECKS = [etagHeader, versionMatchesEtag, etagChanges, staleIfMatch, currentIfMatch, weakIfMatch]
