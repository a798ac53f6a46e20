import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext } from '../context.ts'
import { getAttr, sameRepresentation } from '../compare.ts'
import { defineCheck, verdict, type CheckDefinition } from '../define-check.ts'
import { validPayloads } from '../probes/payloads.ts'
import { bodyObject, describeStatus, getUser, is2xx, noResponse, putUser, statusOf } from '../probes/requests.ts'

/**
 * SCIM-PUT-RULES 17: ETag checks run only when /ServiceProviderConfig declares etag.supported, never
 * because a header happens to be there (some frameworks hash every body).
 */
function etagSkip(ctx: CheckContext): string | null {
  if (!ctx.discovery.capabilities) return '/ServiceProviderConfig is unavailable, so ETag support is unknown'
  return ctx.discovery.capabilities.etag ? null : '/ServiceProviderConfig does not declare etag.supported true'
}

const etagOf = (e: Exchange): string | undefined => e.response?.headers.etag

type EtagCheck = Omit<CheckDefinition<Record<string, unknown>>, 'area' | 'skipIf' | 'users' | 'cases'>
function etagCheck(spec: EtagCheck): CheckDefinition<Record<string, unknown>> {
  return {
    ...spec,
    area: 'etag',
    skipIf: etagSkip,
    users: 1,
    maxRuns: spec.maxRuns ?? 5,
    cases: (ctx) => validPayloads(ctx, spec.id),
  }
}

export const etagHeader = etagCheck({
  id: 'put.etag.header',
  title: 'A successful PUT returns an ETag header',
  level: 'MUST',
  source: 'RFC 7644 §3.14',
  rule: 'When supported, the service provider MUST return an ETag header ... for versioned resources (HTTP ETag, RFC 7232).',
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body)
    if (noResponse([put])) return noResponse([put])!
    if (!is2xx(put))
      return verdict('passed', `PUT answered ${describeStatus(put)}; put.status.success-200 judges that`, [put])
    if (etagOf(put)) return verdict('passed', `ETag ${etagOf(put)}`, [put])
    return verdict(
      'failed',
      'Received: no ETag header on a successful PUT\nExpected: an ETag header (etag.supported is declared true)',
      [put],
    )
  },
})

export const versionMatchesEtag = etagCheck({
  id: 'put.etag.version-matches',
  title: 'meta.version equals the ETag header',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1; RFC 7644 §3.14',
  rule: 'version: ... This value must be the same as the entity-tag (ETag) HTTP response header.',
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body)
    if (noResponse([put])) return noResponse([put])!
    const version = getAttr(getAttr(bodyObject(put), 'meta'), 'version')
    if (!is2xx(put) || !etagOf(put) || version === undefined)
      return verdict('passed', 'no ETag and meta.version pair to compare', [put])
    if (version === etagOf(put)) return verdict('passed', 'meta.version equals ETag', [put])
    return verdict(
      'warned',
      `Received: ETag ${etagOf(put)} and meta.version ${JSON.stringify(version)}\nExpected: the same value`,
      [put],
    )
  },
})

export const staleIfMatch = etagCheck({
  id: 'put.etag.stale-if-match-412',
  title: 'A stale If-Match is refused with 412 and changes nothing',
  level: 'MUST',
  source: 'RFC 7644 §3.14; RFC 9110 §13.1.1',
  rule: 'If-Match: when the entity-tag does not match, the server MUST respond 412 (Precondition Failed) and not perform the method.',
  maxRuns: 3,
  async run(ctx, users, body) {
    const id = users.ids[0]
    const first = await getUser(ctx, id)
    const stale = etagOf(first)
    const change = await putUser(ctx, id, body)
    const current = await getUser(ctx, id)
    const broken = noResponse([first, change, current])
    if (broken) return broken
    if (!stale || !is2xx(change) || etagOf(current) === stale)
      return verdict('passed', 'no stale ETag could be produced (the ETag did not change)', [first, change, current])
    const attempt = await putUser(
      ctx,
      id,
      { ...body, userName: `stale-${String(body.userName)}` },
      { headers: { 'if-match': stale } },
    )
    const after = await getUser(ctx, id)
    if (noResponse([attempt, after])) return noResponse([attempt, after])!
    const changed = sameRepresentation(bodyObject(current), bodyObject(after), () => undefined).length > 0
    if (statusOf(attempt) === 412 && !changed)
      return verdict('passed', '412, nothing changed', [first, change, attempt, after])
    return verdict(
      'failed',
      `Received: ${describeStatus(attempt)} for If-Match ${stale} (current ${etagOf(current)})${changed ? ', and the user changed' : ''}\nExpected: 412 Precondition Failed, nothing changed\n\nCompare If-Match with the current version before replacing`,
      [first, change, attempt, after],
      { focus: 2 },
    )
  },
})

export const currentIfMatch = etagCheck({
  id: 'put.etag.current-if-match',
  title: 'A current If-Match succeeds with a new ETag',
  level: 'MUST',
  source: 'RFC 7644 §3.14',
  rule: 'A PUT with If-Match equal to the current version is performed, and the response carries the new version.',
  maxRuns: 3,
  async run(ctx, users, body) {
    const id = users.ids[0]
    const get = await getUser(ctx, id)
    if (noResponse([get])) return noResponse([get])!
    const current = etagOf(get)
    if (!current)
      return verdict(
        'failed',
        'Received: GET without an ETag header\nExpected: an ETag (etag.supported is declared true)',
        [get],
      )
    const put = await putUser(ctx, id, body, { headers: { 'if-match': current } })
    if (noResponse([get, put])) return noResponse([get, put])!
    // RFC 9110 §13.1.1 compares If-Match strongly, so a weak ETag never matches and 412 is HTTP-correct;
    // RFC 7644 §3.14 and §3.5.1 use weak ETags in If-Match in their examples: a warning, not a failure.
    if (statusOf(put) === 412 && current.startsWith('W/'))
      return verdict(
        'warned',
        `Received: 412 for If-Match ${current}, the current (weak) ETag\nExpected: 200 with a new ETag, as RFC 7644 §3.14's examples show (RFC 9110 compares If-Match strongly, so a weak tag never matches there)`,
        [get, put],
        { focus: 1 },
      )
    if (!is2xx(put))
      return verdict(
        'failed',
        `Received: ${describeStatus(put)} for If-Match ${current}, the current ETag\nExpected: 200 with a new ETag`,
        [get, put],
        { focus: 1 },
      )
    if (etagOf(put) === current)
      return verdict('warned', `Received: the same ETag ${current} after a change\nExpected: a new ETag`, [get, put], {
        focus: 1,
      })
    return verdict('passed', `${statusOf(put)}, ETag ${current} → ${etagOf(put)}`, [get, put])
  },
})

export const ETAG_CHECKS = [etagHeader, versionMatchesEtag, staleIfMatch, currentIfMatch].map((c) => defineCheck(c))
