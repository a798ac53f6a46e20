import type { Exchange } from '../../http/exchange.ts'
import { getAttr, isObject, isUnassigned, sameRepresentation } from '../compare.ts'
import type { CheckContext } from '../context.ts'
import { defineCheck, verdict, violation } from '../define-check.ts'
import { firstSeen } from '../probes/first-seen.ts'
import { validPayloads } from '../probes/payloads.ts'
import { judgedReplace, type Replaced } from '../probes/replace-judged.ts'
import { bodyObject } from '../probes/requests.ts'

const meta = (e: Exchange) => getAttr(bodyObject(e), 'meta')
const metaField = (e: Exchange, field: string) => getAttr(meta(e), field)
/** Where an exchange of a replace sits, for messages. */
const where = (r: Replaced, e: Exchange) =>
  e === r.put ? 'the PUT response' : e === r.get ? 'the GET after the PUT' : 'the GET before the PUT'
/** The exchanges a meta check judges, and the focus of one of them. */
const judged = (r: Replaced) => [r.before, r.put, r.get]
const focusOf = (r: Replaced, e: Exchange) => judged(r).indexOf(e)
/** The responses of a replace that carry a JSON resource (a 204 carries none: put.status.success-200 judges that). */
const withBody = (r: Replaced) => [r.put, r.get].filter((e) => bodyObject(e) !== null)

/** Two DateTime values are the same instant (or the same text, when one is not a DateTime). */
function sameInstant(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'string' || typeof b !== 'string') return false
  const [x, y] = [Date.parse(a), Date.parse(b)]
  return !Number.isNaN(x) && x === y
}

/** Whether the stored user (meta aside) differs after the PUT: lastModified and version need move only then. */
function userChanged(ctx: CheckContext, { before, get }: Replaced): boolean {
  return sameRepresentation(bodyObject(before), bodyObject(get), ctx.attribute, new Set(['meta'])).length > 0
}

/**
 * RFC 7643 §3.1 gives every meta sub-attribute `returned: "default"`, so a resource returned without `meta`, or
 * without `created`/`lastModified`, departs from it: a warning.
 */
export const metaPresent = defineCheck({
  id: 'put.meta.present',
  title: 'The PUT response and a GET carry meta with created and lastModified',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1',
  area: 'meta',
  rule:
    'meta: A complex attribute containing resource metadata. All "meta" sub-attributes are assigned by the service ' +
    'provider (have a "mutability" of "readOnly"), and all of these sub-attributes have a "returned" ' +
    'characteristic of "default".',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  run: judgedReplace((_ctx, _users, r) => {
    const bodies = withBody(r)
    if (bodies.length === 0)
      return verdict('inconclusive', 'neither the PUT response nor the GET after it carries a JSON resource', judged(r))
    for (const e of bodies) {
      const m = meta(e)
      const missing = !isObject(m)
        ? ['meta']
        : ['created', 'lastModified'].filter((f) => isUnassigned(getAttr(m, f))).map((f) => `meta.${f}`)
      if (missing.length > 0)
        return violation(
          {
            received: `${where(r, e)} without ${missing.join(' and ')}`,
            expected: 'meta with created and lastModified (RFC 7643 §3.1: returned by default)',
            fix: 'Return meta, assigned by the service provider, on every User representation',
          },
          judged(r),
          { focus: focusOf(r, e) },
        )
    }
    return verdict('passed', 'meta.created and meta.lastModified are returned', judged(r))
  }),
})

/** RFC 7643 §3.1 (created: when the resource was added): meta.created is set once, when the resource is created. */
export const createdStable = defineCheck({
  id: 'put.meta.created-stable',
  title: 'meta.created does not change on PUT',
  level: 'MUST',
  source: 'RFC 7643 §3.1',
  area: 'meta',
  rule: 'created: The "DateTime" that the resource was added to the service provider.',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  run: judgedReplace((_ctx, users, r) => {
    const was = firstSeen(users, 'meta.created', metaField(r.before, 'created'))
    if (isUnassigned(was))
      return verdict(
        'inconclusive',
        'the GET before the PUT carries no meta.created to compare with (put.meta.present judges a missing one)',
        judged(r),
      )
    const shown = [r.put, r.get].filter((e) => !isUnassigned(metaField(e, 'created')))
    if (shown.length === 0)
      return verdict(
        'inconclusive',
        'neither the PUT response nor the GET after it carries meta.created (put.meta.present judges that)',
        judged(r),
      )
    const bad = shown.find((e) => !sameInstant(metaField(e, 'created'), was))
    if (!bad) return verdict('passed', `meta.created unchanged (${JSON.stringify(was)})`, judged(r))
    return violation(
      {
        received: `meta.created ${JSON.stringify(metaField(bad, 'created'))} in ${where(r, bad)}`,
        expected: `${JSON.stringify(was)}, as when the check first read the user (RFC 7643 §3.1)`,
        fix: 'Keep the creation time; a replace is not a creation',
      },
      judged(r),
      { focus: focusOf(r, bad) },
    )
  }),
})

/**
 * Seconds-resolution clocks can make two writes share a lastModified: only judge when the server's own
 * clock shows time passed.
 */
function couldHaveAdvanced(was: string, put: Exchange): boolean {
  if (/\.\d+/.test(was)) return true
  const date = put.response?.headers.date
  return date !== undefined && Date.parse(date) >= Date.parse(was) + 1000
}

/** RFC 7643 §3.1 (lastModified: the most recent update): not earlier, and later after a real change (warn). */
export const lastModifiedAdvances = defineCheck({
  id: 'put.meta.last-modified-advances',
  title: 'meta.lastModified advances after a change',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1',
  area: 'meta',
  rule:
    'lastModified: The most recent DateTime that the details of this resource were updated at the ' +
    'service provider.',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  run: judgedReplace((ctx, _users, r) => {
    const was = metaField(r.before, 'lastModified')
    const now = metaField(r.get, 'lastModified')
    if (typeof was !== 'string' || typeof now !== 'string')
      return verdict(
        'inconclusive',
        `the GET ${typeof was !== 'string' ? 'before' : 'after'} the PUT carries no meta.lastModified string to ` +
          'compare (put.meta.present and put.meta.timestamps-format judge that)',
        judged(r),
      )
    const [t0, t1] = [Date.parse(was), Date.parse(now)]
    if (Number.isNaN(t0) || Number.isNaN(t1))
      return verdict(
        'inconclusive',
        `meta.lastModified ${JSON.stringify(Number.isNaN(t0) ? was : now)} is no DateTime ` +
          '(put.meta.timestamps-format judges that)',
        judged(r),
      )
    if (t1 < t0)
      return violation(
        {
          received: `meta.lastModified went back from ${was} to ${now}`,
          expected: 'a time not earlier than before (RFC 7643 §3.1: the most recent update)',
        },
        judged(r),
        { focus: 2 },
      )
    if (!userChanged(ctx, r))
      return verdict(
        'inconclusive',
        'the GET after the PUT shows the user as before, so lastModified need not move',
        judged(r),
      )
    if (t1 === t0) {
      if (!couldHaveAdvanced(was, r.put))
        return verdict(
          'inconclusive',
          `meta.lastModified has whole seconds (${was}) and the server's Date header shows no second passed since`,
          judged(r),
        )
      return violation(
        {
          received: `meta.lastModified still ${now} after a PUT that changed the user`,
          expected: 'the time of this update (RFC 7643 §3.1)',
          fix: 'Set lastModified on every successful replace',
        },
        judged(r),
        { focus: 2 },
      )
    }
    return verdict('passed', `meta.lastModified ${was} → ${now}`, judged(r))
  }),
})

/** RFC 7643 §3.1 and RFC 7644 §3.14: the version changes with the content. */
export const versionChanges = defineCheck({
  id: 'put.meta.version-changes',
  title: 'meta.version changes after a change',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1; RFC 7644 §3.14',
  area: 'meta',
  rule:
    'version: The version of the resource being returned. This value must be the same as the entity-tag (ETag) ' +
    'HTTP response header.',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  run: judgedReplace((ctx, _users, r) => {
    const was = metaField(r.before, 'version')
    const now = metaField(r.get, 'version')
    if (isUnassigned(was) && isUnassigned(now) && ctx.discovery.capabilities?.etag !== true)
      return verdict(
        'skipped',
        'the server returns no meta.version and does not declare etag.supported: it does not version its ' +
          'resources (RFC 7644 §3.14)',
        judged(r),
      )
    if (isUnassigned(was) || isUnassigned(now))
      return verdict(
        'inconclusive',
        `the GET ${isUnassigned(was) ? 'before' : 'after'} the PUT carries no meta.version to compare ` +
          '(put.etag.version-matches judges a missing one)',
        judged(r),
      )
    if (!userChanged(ctx, r))
      return verdict(
        'inconclusive',
        'the GET after the PUT shows the user as before, so the version need not change',
        judged(r),
      )
    if (was === now)
      return violation(
        {
          received: `meta.version still ${JSON.stringify(now)} after a PUT that changed the user`,
          expected: 'a new version (RFC 7643 §3.1; RFC 7644 §3.14)',
          fix: 'Derive the version from the content or bump it on every write',
        },
        judged(r),
        { focus: 2 },
      )
    return verdict('passed', `meta.version ${JSON.stringify(was)} → ${JSON.stringify(now)}`, judged(r))
  }),
})

export const resourceTypeUser = defineCheck({
  id: 'put.meta.resource-type',
  title: 'meta.resourceType is "User"',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1',
  area: 'meta',
  rule: 'resourceType: The name of the resource type of the resource.',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  run: judgedReplace((_ctx, _users, r) => {
    const shown = [r.put, r.get].filter((e) => metaField(e, 'resourceType') !== undefined)
    if (shown.length === 0)
      return verdict(
        'inconclusive',
        'neither the PUT response nor the GET after it carries meta.resourceType',
        judged(r),
      )
    const bad = shown.find((e) => metaField(e, 'resourceType') !== 'User')
    if (!bad) return verdict('passed', 'meta.resourceType "User"', judged(r))
    return violation(
      {
        received: `meta.resourceType ${JSON.stringify(metaField(bad, 'resourceType'))} in ${where(r, bad)}`,
        expected: '"User", the name of the resource type (RFC 7643 §3.1)',
      },
      judged(r),
      { focus: focusOf(r, bad) },
    )
  }),
})

export const locationRight = defineCheck({
  id: 'put.meta.location',
  title: 'meta.location is the URI of this user (…/Users/{id})',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1',
  area: 'meta',
  rule:
    'location: The URI of the resource being returned. This value MUST be the same as the "Content-Location" HTTP ' +
    'response header (if specified).',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  run: judgedReplace((_ctx, users, r) => {
    const id = users.ids[0]
    const shown = [r.put, r.get].filter((e) => metaField(e, 'location') !== undefined)
    if (shown.length === 0)
      return verdict('inconclusive', 'neither the PUT response nor the GET after it carries meta.location', judged(r))
    const bad = shown.find((e) => {
      const location = metaField(e, 'location')
      return typeof location !== 'string' || !decodeURIComponent(location.replace(/\/$/, '')).endsWith(`/Users/${id}`)
    })
    if (!bad) return verdict('passed', 'meta.location ends with /Users/{id}', judged(r))
    return violation(
      {
        received: `meta.location ${JSON.stringify(metaField(bad, 'location'))} in ${where(r, bad)}`,
        expected: `a URI ending in /Users/${id} (RFC 7643 §3.1: the URI of the resource)`,
      },
      judged(r),
      { focus: focusOf(r, bad) },
    )
  }),
})

/**
 * RFC 7643 §3.1 (verified): location "MUST be the same as the "Content-Location" HTTP response header".
 * Content-Location is optional in HTTP (RFC 9110 §8.7): judged only on responses that carry one.
 */
export const contentLocationMatches = defineCheck({
  id: 'put.meta.content-location',
  title: 'meta.location equals the Content-Location header, when one is sent',
  level: 'MUST',
  source: 'RFC 7643 §3.1',
  area: 'meta',
  rule:
    'location: The URI of the resource being returned. This value MUST be the same as the "Content-Location" HTTP ' +
    'response header (if specified).',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  run: judgedReplace((_ctx, _users, r) => {
    const same = (e: Exchange): boolean | null => {
      const header = e.response?.headers['content-location']
      const location = metaField(e, 'location')
      if (!header || typeof location !== 'string') return null
      // A relative Content-Location is resolved against the request URL (RFC 9110 §8.7).
      return canonicalUri(header, e.request.url) === canonicalUri(location, e.request.url)
    }
    const pairs = [r.put, r.get].filter((e) => same(e) !== null)
    // "(if specified)": a server that sends no Content-Location is not bound by this rule.
    if (pairs.length === 0)
      return verdict(
        'skipped',
        'no response carried both a Content-Location header and meta.location (Content-Location is optional, ' +
          'RFC 9110 §8.7)',
        judged(r),
      )
    const bad = pairs.find((e) => same(e) === false)
    if (!bad) return verdict('passed', 'meta.location equals Content-Location', judged(r))
    const header = JSON.stringify(bad.response!.headers['content-location'])
    const location = JSON.stringify(metaField(bad, 'location'))
    return violation(
      {
        received: `Content-Location ${header} and meta.location ${location} in ${where(r, bad)}`,
        expected: 'the same URI in both (RFC 7643 §3.1)',
      },
      judged(r),
      { focus: focusOf(r, bad) },
    )
  }),
})

/** A URI resolved against a base, percent-decoding and a trailing slash set aside; the text itself if no URI. */
function canonicalUri(uri: string, base: string): string {
  try {
    return decodeURIComponent(new URL(uri, base).href).replace(/\/$/, '')
  } catch {
    return uri
  }
}

/** RFC 7643 §2.3.5: a DateTime is an xsd:dateTime, with date, time and (for SCIM) a zone. */
const XSD_DATETIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/

export const timestampsFormat = defineCheck({
  id: 'put.meta.timestamps-format',
  title: 'meta.created and meta.lastModified are xsd:dateTime values',
  level: 'MUST',
  source: 'RFC 7643 §2.3.5',
  area: 'meta',
  rule:
    'A DateTime value (e.g., 2008-01-23T04:56:22Z) MUST be encoded as a valid xsd:dateTime as specified in ' +
    'Section 3.3.7 of [XML-Schema].',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  run: judgedReplace((_ctx, _users, r) => {
    const values = [r.put, r.get].flatMap((e) =>
      ['created', 'lastModified']
        .map((field) => ({ e, field, value: metaField(e, field) }))
        .filter(({ value }) => !isUnassigned(value)),
    )
    if (values.length === 0)
      return verdict(
        'inconclusive',
        'neither the PUT response nor the GET after it carries meta.created or meta.lastModified ' +
          '(put.meta.present judges that)',
        judged(r),
      )
    const bad = values.find(
      ({ value }) => typeof value !== 'string' || !XSD_DATETIME.test(value) || Number.isNaN(Date.parse(value)),
    )
    if (!bad) return verdict('passed', 'meta.created and meta.lastModified are xsd:dateTime values', judged(r))
    return violation(
      {
        received: `meta.${bad.field} ${JSON.stringify(bad.value)} in ${where(r, bad.e)}`,
        expected: 'an xsd:dateTime such as 2008-01-23T04:56:22Z (RFC 7643 §2.3.5)',
      },
      judged(r),
      { focus: focusOf(r, bad.e) },
    )
  }),
})

export const META_CHECKS = [
  metaPresent,
  createdStable,
  lastModifiedAdvances,
  versionChanges,
  resourceTypeUser,
  locationRight,
  contentLocationMatches,
  timestampsFormat,
]
