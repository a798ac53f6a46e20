import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Answer,
  fakeContext,
  judgeCase,
  scimError,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import {
  ETAG_SUPPORTED,
  rewriteBody,
  versionedServer,
  type VersionedOptions,
} from '../../../test/support/fake-versions.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import { CORE_USER_URN } from '../../scim/core-schema.ts'
import type { CheckDefinition } from '../define-check.ts'
import type { Finding } from '../types.ts'
import { currentIfMatch, etagChanges, etagHeader, staleIfMatch, versionMatchesEtag, weakIfMatch } from './etag.ts'

type Body = Record<string, unknown>
type Change = (request: SendOptions, correct: Answer) => Answer | undefined

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

const BODY: Body = { schemas: [CORE_USER_URN], userName: 'scimc-unit-new@example.com', displayName: 'New' }
const OTHER: Body = { schemas: [CORE_USER_URN], userName: 'scimc-unit-other@example.com', displayName: 'Other' }
const LONG = '"displayName" is 120 characters long; this service stores at most 100 characters.'

const ifMatchOf = (r: SendOptions) => r.headers?.['if-match']
/** Every PUT refused for a constraint of the server's own, with or without If-Match. */
const refused: Change = (r) => (r.method === 'PUT' ? scimError(400, 'invalidValue', LONG) : undefined)
/** Only PUTs carrying If-Match refused (with `status`): the same body without it is accepted. */
const refusedWithIfMatch =
  (status: number, scimType?: string): Change =>
  (r) =>
    r.method === 'PUT' && ifMatchOf(r) ? scimError(status, scimType) : undefined
/** If-Match never evaluated: every PUT is performed. */
const noHeaders: Change = (_r, a) => ({ ...a, headers: {} })

type Checked = CheckDefinition<Body> | typeof staleIfMatch
/** put.etag.stale-if-match-412 takes two bodies (the change, then the stale attempt); the others one. */
const takesTwo = (check: Checked): check is typeof staleIfMatch => check === staleIfMatch

interface Row {
  check: Checked
  given: string
  server?: VersionedOptions
  /** A server that does not compare If-Match at all (the stale tag is performed). */
  ignoresIfMatch?: boolean
  want: string
  message?: RegExp
  /** The fields of the finding a violation carries (strings or `expect.stringMatching`). */
  finding?: Partial<Record<keyof Finding, unknown>>
}

async function judge(row: Row) {
  const users = { u1: storedUser('u1', { displayName: 'Old' }) }
  const serve = row.ignoresIfMatch
    ? versionedServer(users, { ...row.server, compare: 'weak' })
    : versionedServer(users, row.server)
  // A server that ignores If-Match: the header is taken off the request before the versioned fake sees it.
  const ignoring = (r: SendOptions) => serve({ ...r, headers: {} })
  const ctx = fakeContext({
    profile: generic,
    serve: row.ignoresIfMatch ? ignoring : serve,
    serviceProviderConfig: ETAG_SUPPORTED,
  })
  if (takesTwo(row.check)) return judgeCase<[Body, Body]>(row.check, ctx, usersOf(users), [BODY, OTHER])
  return judgeCase(row.check, ctx, usersOf(users), BODY)
}

const rows: Row[] = [
  // put.etag.header (MUST, RFC 7644 §3.14)
  { check: etagHeader, given: 'a versioned server', want: 'passed' },
  {
    check: etagHeader,
    given: 'no ETag header',
    server: { change: noHeaders },
    want: 'failed',
    finding: {
      received: 'no ETag header on the 200 response to the PUT',
      expected: expect.stringMatching(/^an ETag header.*\(RFC 7644 §3\.14\)$/),
    },
  },
  {
    check: etagHeader,
    given: 'an ETag on the PUT response only',
    server: { change: (r, a) => (r.method === 'GET' ? { ...a, headers: {} } : undefined) },
    want: 'failed',
    finding: { received: 'no ETag header on the GET after the PUT' },
  },
  { check: etagHeader, given: 'every PUT refused (a constraint)', server: { change: refused }, want: 'inconclusive' },

  // put.etag.version-matches (SHOULD)
  { check: versionMatchesEtag, given: 'a versioned server', want: 'passed' },
  {
    check: versionMatchesEtag,
    given: 'a strong header and a weak meta.version',
    server: { change: (_r, a) => (a.headers?.etag ? { ...a, headers: { etag: a.headers.etag.slice(2) } } : undefined) },
    want: 'warned',
    finding: {
      received: 'ETag "2" and meta.version "W/\\"2\\"" on the PUT response',
      expected: 'meta.version equal to the ETag header (RFC 7643 §3.1)',
    },
  },
  {
    check: versionMatchesEtag,
    given: 'no meta.version',
    server: {
      change: (_r, a) =>
        rewriteBody(a, (b) => {
          delete (b.meta as Body).version
          return b
        }),
    },
    want: 'warned',
    finding: {
      received: 'ETag W/"2" on the PUT response, and no meta.version',
      expected: 'meta.version "W/\\"2\\"" (RFC 7644 §3.14)',
    },
  },
  {
    check: versionMatchesEtag,
    given: 'no ETag header',
    server: { change: noHeaders },
    want: 'inconclusive',
    message: /put\.etag\.header/,
  },
  {
    check: versionMatchesEtag,
    given: 'every PUT refused (a constraint)',
    server: { change: refused },
    want: 'inconclusive',
  },

  // put.etag.changes (SHOULD)
  { check: etagChanges, given: 'a versioned server', want: 'passed' },
  {
    check: etagChanges,
    given: 'an ETag that never changes',
    server: { change: (_r, a) => (a.headers?.etag ? { ...a, headers: { etag: 'W/"1"' } } : undefined) },
    want: 'warned',
    finding: {
      received: 'ETag W/"1" again on the response to a PUT that changed the user',
      expected: expect.stringMatching(/^a new ETag.*RFC 9110 §8\.8\.3/),
      fix: expect.stringMatching(/bump the version/),
    },
  },
  {
    check: etagChanges,
    given: 'no ETag header',
    server: { change: noHeaders },
    want: 'inconclusive',
  },
  { check: etagChanges, given: 'every PUT refused (a constraint)', server: { change: refused }, want: 'inconclusive' },

  // put.etag.stale-if-match-412 (MUST)
  { check: staleIfMatch, given: 'a versioned server', want: 'passed' },
  {
    check: staleIfMatch,
    given: 'a stale If-Match performed',
    ignoresIfMatch: true,
    want: 'failed',
    finding: {
      received: expect.stringMatching(/^200 for If-Match W\/"1" \(current W\/"2"\), and the user changed \(.+\)$/),
      expected: '412 Precondition Failed, nothing changed (RFC 9110 §13.1.1)',
    },
  },
  {
    check: staleIfMatch,
    given: '409 for the stale If-Match (RFC 7644 Table 8: a version mismatch)',
    server: { change: (_r, a) => (a.status === 412 ? scimError(409) : undefined) },
    want: 'passed',
  },
  {
    check: staleIfMatch,
    given: '400 for the stale If-Match, the same body accepted without it',
    server: { change: (_r, a) => (a.status === 412 ? scimError(400, 'invalidValue') : undefined) },
    want: 'failed',
    finding: {
      received: expect.stringMatching(/^400 invalidValue for If-Match .*; the same body without If-Match was accepted/),
      expected: '412 Precondition Failed (RFC 9110 §13.1.1)',
    },
  },
  {
    check: staleIfMatch,
    given: 'every PUT refused (a constraint)',
    server: { change: refused },
    want: 'inconclusive',
  },
  {
    check: staleIfMatch,
    given: 'the second body refused with and without If-Match (a constraint)',
    server: {
      change: (r) =>
        r.method === 'PUT' && (r.json as Body).displayName === 'Other'
          ? scimError(400, 'invalidValue', LONG)
          : undefined,
    },
    want: 'inconclusive',
    message: /refused too/,
  },
  {
    check: staleIfMatch,
    given: 'an ETag that never changes (no stale tag to send)',
    server: { change: (_r, a) => (a.headers?.etag ? { ...a, headers: { etag: 'W/"1"' } } : undefined) },
    want: 'inconclusive',
  },

  // put.etag.current-if-match (MUST: a matching If-Match is performed)
  { check: currentIfMatch, given: 'a versioned server (weak tags, compared weakly)', want: 'passed' },
  { check: currentIfMatch, given: 'strong tags', server: { strong: true, compare: 'strong' }, want: 'passed' },
  {
    check: currentIfMatch,
    given: '412 for the current strong tag',
    server: { strong: true, change: refusedWithIfMatch(412) },
    want: 'failed',
    finding: {
      received: '412 for If-Match "1", the current ETag',
      expected: 'the PUT performed: 200 with the new version (RFC 9110 §13.1.1)',
      fix: 'Compare If-Match with the current entity tag.',
    },
  },
  {
    check: currentIfMatch,
    given: '412 for the current weak tag (RFC 9110 compares strongly)',
    server: { compare: 'strong' },
    want: 'inconclusive',
    message: /put\.etag\.weak-if-match/,
  },
  {
    check: currentIfMatch,
    given: 'the body refused with and without If-Match (the constrained server)',
    server: { change: refused },
    want: 'inconclusive',
    message: /refused too/,
  },
  {
    check: currentIfMatch,
    given: '400 only with If-Match',
    server: { change: refusedWithIfMatch(400, 'invalidValue') },
    want: 'failed',
    finding: {
      received:
        '400 invalidValue for If-Match W/"1", the current ETag; the same body without If-Match was accepted (200)',
    },
  },
  { check: currentIfMatch, given: 'no ETag on the GET', server: { change: noHeaders }, want: 'inconclusive' },

  // put.etag.weak-if-match (SHOULD: RFC 7644 §3.14's examples)
  { check: weakIfMatch, given: 'a versioned server (weak tags, compared weakly)', want: 'passed' },
  {
    check: weakIfMatch,
    given: 'weak tags compared strongly (412)',
    server: { compare: 'strong' },
    want: 'warned',
    finding: {
      received: expect.stringMatching(/^412 \(.*\) for If-Match W\/"1", the current \(weak\) ETag$/),
      expected: expect.stringMatching(/RFC 7644 §3\.14's examples/),
    },
  },
  { check: weakIfMatch, given: 'strong tags', server: { strong: true }, want: 'inconclusive' },
  {
    check: weakIfMatch,
    given: 'the body refused with and without If-Match (the constrained server)',
    server: { change: refused },
    want: 'inconclusive',
  },
]

describe('ETag checks: given a server declaring etag.supported, want a graded verdict (RFC 7644 §3.14)', () => {
  test.each(rows)('$check.id: $given → $want', async (row) => {
    const v = await judge(row)
    expect(v.outcome, v.message).toBe(row.want)
    if (row.message) expect(v.message).toMatch(row.message)
    // A violation carries its facts as data (issue 13); nothing else does.
    if (v.outcome === 'failed' || v.outcome === 'warned') expect(v.finding).toMatchObject(row.finding ?? {})
    else expect(v.finding).toBeUndefined()
  })

  test('a refused body under If-Match records the constraint as a trait, from the control', async () => {
    const v = await judge({ check: currentIfMatch, given: '', server: { change: refused }, want: 'inconclusive' })
    expect(v.traits).toEqual({ 'constraint.put-body': `400 invalidValue (${JSON.stringify(LONG)})` })
    expect(v.exchanges.map((e) => [e.request.method, e.request.headers['if-match'] ?? null])).toEqual([
      ['GET', null],
      ['PUT', 'W/"1"'],
      ['PUT', null],
    ])
  })

  test.each([etagHeader, versionMatchesEtag, etagChanges, staleIfMatch, currentIfMatch, weakIfMatch])(
    '$id skips unless /ServiceProviderConfig declares etag.supported',
    (check) => {
      const users = { u1: storedUser('u1') }
      const none = fakeContext({ profile: generic, serve: versionedServer(users) })
      const off = fakeContext({
        profile: generic,
        serve: versionedServer(users),
        serviceProviderConfig: { ...ETAG_SUPPORTED, etag: { supported: false } },
      })
      expect(check.skipIf?.(none)).toMatch(/unavailable/)
      expect(check.skipIf?.(off)).toMatch(/etag\.supported/)
    },
  )
})
