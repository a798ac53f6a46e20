import type { Exchange } from '../../http/exchange.ts'
import { getAttr } from '../compare.ts'
import { verdict } from '../define-check.ts'
import { firstSeen } from '../probes/first-seen.ts'
import { replaceJudged } from '../probes/replace-judged.ts'
import { bodyObject } from '../probes/requests.ts'

const meta = (e: Exchange) => getAttr(bodyObject(e), 'meta')
const metaField = (e: Exchange, field: string) => getAttr(meta(e), field)

/** SCIM-PUT-RULES 11: meta.created is set once, when the resource is created. */
export const createdStable = replaceJudged({
  id: 'put.meta.created-stable',
  title: 'meta.created does not change on PUT',
  level: 'MUST',
  source: 'RFC 7643 §3.1',
  rule: 'created: The "DateTime" that the resource was added to the service provider.',
  judge(_ctx, users, { before, put, get }) {
    const was = firstSeen(users, 'meta.created', metaField(before, 'created'))
    if (was === undefined) return verdict('passed', 'the server returns no meta.created', [before, put, get])
    const bad = [put, get].find(
      (e) =>
        bodyObject(e) &&
        metaField(e, 'created') !== undefined &&
        Date.parse(String(metaField(e, 'created'))) !== Date.parse(String(was)),
    )
    if (!bad) return verdict('passed', 'meta.created unchanged', [before, put, get])
    return verdict(
      'failed',
      `Received: meta.created ${JSON.stringify(metaField(bad, 'created'))} in the ${bad === put ? 'PUT response' : 'GET after the PUT'}\nExpected: ${JSON.stringify(was)}, as when the check first read the user\n\nKeep the creation time; a replace is not a creation`,
      [before, put, get],
      { focus: bad === put ? 1 : 2 },
    )
  },
})

/** Seconds-resolution clocks can make two writes share a lastModified: only judge when the server's own clock shows time passed. */
function couldHaveAdvanced(was: string, put: Exchange): boolean {
  if (/\.\d+/.test(was)) return true
  const date = put.response?.headers.date
  return date !== undefined && Date.parse(date) >= Date.parse(was) + 1000
}

/** SCIM-PUT-RULES 11: lastModified not earlier, and later after a real change (warn). */
export const lastModifiedAdvances = replaceJudged({
  id: 'put.meta.last-modified-advances',
  title: 'meta.lastModified advances after a change',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1',
  rule: 'lastModified: The most recent DateTime that the details of this resource were updated at the service provider.',
  judge(_ctx, _users, { before, put, get }) {
    const was = metaField(before, 'lastModified')
    const now = metaField(get, 'lastModified')
    if (typeof was !== 'string' || typeof now !== 'string')
      return verdict('passed', 'the server returns no meta.lastModified', [before, put, get])
    if (Date.parse(now) < Date.parse(was))
      return verdict(
        'warned',
        `Received: meta.lastModified went back from ${was} to ${now}\nExpected: a time not earlier than before`,
        [before, put, get],
        { focus: 2 },
      )
    if (Date.parse(now) === Date.parse(was) && couldHaveAdvanced(was, put)) {
      return verdict(
        'warned',
        `Received: meta.lastModified still ${now} after a PUT that changed the user\nExpected: the time of this update\n\nSet lastModified on every successful replace`,
        [before, put, get],
        { focus: 2 },
      )
    }
    return verdict('passed', `meta.lastModified ${was} → ${now}`, [before, put, get])
  },
})

/** SCIM-PUT-RULES 11 and RFC 7644 §3.14: the version changes with the content. */
export const versionChanges = replaceJudged({
  id: 'put.meta.version-changes',
  title: 'meta.version changes after a change',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1; RFC 7644 §3.14',
  rule: 'version: The version of the resource being returned. This value must be the same as the entity-tag (ETag) HTTP response header.',
  judge(_ctx, _users, { before, put, get }) {
    const was = metaField(before, 'version')
    const now = metaField(get, 'version')
    if (was === undefined || now === undefined)
      return verdict('passed', 'the server returns no meta.version', [before, put, get])
    if (was === now)
      return verdict(
        'warned',
        `Received: meta.version still ${JSON.stringify(now)} after a PUT that changed the user\nExpected: a new version\n\nDerive the version from the content or bump it on every write`,
        [before, put, get],
        { focus: 2 },
      )
    return verdict('passed', `meta.version ${JSON.stringify(was)} → ${JSON.stringify(now)}`, [before, put, get])
  },
})

export const resourceTypeUser = replaceJudged({
  id: 'put.meta.resource-type',
  title: 'meta.resourceType is "User"',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1',
  rule: 'resourceType: The name of the resource type of the resource.',
  judge(_ctx, _users, { put, get }) {
    const bad = [put, get].find(
      (e) => bodyObject(e) && meta(e) !== undefined && metaField(e, 'resourceType') !== 'User',
    )
    if (!bad) return verdict('passed', 'meta.resourceType "User" (or no meta)', [put, get])
    return verdict(
      'warned',
      `Received: meta.resourceType ${JSON.stringify(metaField(bad, 'resourceType'))}\nExpected: "User"`,
      [put, get],
      { focus: bad === put ? 0 : 1 },
    )
  },
})

export const locationRight = replaceJudged({
  id: 'put.meta.location',
  title: 'meta.location is the URI of this user (…/Users/{id})',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1',
  rule: 'location: The URI of the resource being returned. This value MUST be the same as the "Content-Location" HTTP response header (if specified).',
  judge(_ctx, users, { put, get }) {
    const id = users.ids[0]
    const bad = [put, get].find((e) => {
      const location = metaField(e, 'location')
      if (location === undefined || !bodyObject(e)) return false
      return typeof location !== 'string' || !decodeURIComponent(location.replace(/\/$/, '')).endsWith(`/Users/${id}`)
    })
    if (!bad) return verdict('passed', 'meta.location ends with /Users/{id} (or no meta.location)', [put, get])
    return verdict(
      'warned',
      `Received: meta.location ${JSON.stringify(metaField(bad, 'location'))}\nExpected: a URI ending in /Users/${id}`,
      [put, get],
      { focus: bad === put ? 0 : 1 },
    )
  },
})

/**
 * RFC 7643 §3.1 (verified): location "MUST be the same as the "Content-Location" HTTP response header".
 * Content-Location is optional in HTTP (RFC 9110 §8.7): judged only on responses that carry one.
 */
export const contentLocationMatches = replaceJudged({
  id: 'put.meta.content-location',
  title: 'meta.location equals the Content-Location header, when one is sent',
  level: 'MUST',
  source: 'RFC 7643 §3.1',
  rule: 'location: The URI of the resource being returned. This value MUST be the same as the "Content-Location" HTTP response header.',
  judge(_ctx, _users, { put, get }) {
    const same = (e: Exchange): boolean | null => {
      const header = e.response?.headers['content-location']
      const location = metaField(e, 'location')
      if (!header || typeof location !== 'string') return null
      // A relative Content-Location is resolved against the request URL (RFC 9110 §8.7).
      return canonicalUri(header, e.request.url) === canonicalUri(location, e.request.url)
    }
    const judged = [put, get].filter((e) => same(e) !== null)
    if (judged.length === 0)
      return verdict('passed', 'no response carried both Content-Location and meta.location', [put, get])
    const bad = judged.find((e) => same(e) === false)
    if (!bad) return verdict('passed', 'meta.location equals Content-Location', [put, get])
    return verdict(
      'failed',
      `Received: Content-Location ${JSON.stringify(bad.response!.headers['content-location'])} and meta.location ${JSON.stringify(metaField(bad, 'location'))}\nExpected: the same URI in both`,
      [put, get],
      { focus: bad === put ? 0 : 1 },
    )
  },
})

/** A URI resolved against a base, percent-decoding and a trailing slash set aside; the text itself when it is no URI. */
function canonicalUri(uri: string, base: string): string {
  try {
    return decodeURIComponent(new URL(uri, base).href).replace(/\/$/, '')
  } catch {
    return uri
  }
}

/** RFC 7643 §2.3.5: a DateTime is an xsd:dateTime, with date, time and (for SCIM) a zone. */
const XSD_DATETIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/

export const timestampsFormat = replaceJudged({
  id: 'put.meta.timestamps-format',
  title: 'meta.created and meta.lastModified are xsd:dateTime values',
  level: 'MUST',
  source: 'RFC 7643 §2.3.5',
  rule: 'A DateTime value (e.g., 2008-01-23T04:56:22Z) MUST be encoded as a valid xsd:dateTime as specified in Section 3.3.7 of [XML-Schema].',
  judge(_ctx, _users, { put, get }) {
    for (const e of [put, get]) {
      for (const field of ['created', 'lastModified']) {
        const value = metaField(e, field)
        if (
          value !== undefined &&
          (typeof value !== 'string' || !XSD_DATETIME.test(value) || Number.isNaN(Date.parse(value)))
        ) {
          return verdict(
            'failed',
            `Received: meta.${field} ${JSON.stringify(value)}\nExpected: an xsd:dateTime such as 2008-01-23T04:56:22Z`,
            [put, get],
            { focus: e === put ? 0 : 1 },
          )
        }
      }
    }
    return verdict('passed', 'timestamps are xsd:dateTime', [put, get])
  },
})

export const META_CHECKS = [
  createdStable,
  lastModifiedAdvances,
  versionChanges,
  resourceTypeUser,
  locationRight,
  contentLocationMatches,
  timestampsFormat,
]
