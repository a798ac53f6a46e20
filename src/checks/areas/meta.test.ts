import { beforeAll, describe, expect, test } from 'vitest'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import { CORE_USER_URN } from '../../scim/core-schema.ts'
import {
  type Answer,
  correctServer,
  fakeContext,
  judgeCase,
  scimError,
  type Serve,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import { ETAG_SUPPORTED, rewriteBody, versionedServer } from '../../../test/support/fake-versions.ts'
import { expectFinding, type WantFinding } from '../../../test/support/expect-finding.ts'
import type { SendOptions } from '../../http/client.ts'
import type { CheckDefinition } from '../define-check.ts'
import {
  contentLocationMatches,
  createdStable,
  lastModifiedAdvances,
  locationRight,
  metaPresent,
  resourceTypeUser,
  timestampsFormat,
  versionChanges,
} from './meta.ts'

type Users = Record<string, Record<string, unknown>>
type Body = Record<string, unknown>
type Change = (request: SendOptions, correct: Answer) => Answer | undefined

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

const BODY = { schemas: [CORE_USER_URN], userName: 'scimc-unit-new@example.com', displayName: 'New' }
const meta = (b: Body) => b.meta as Record<string, unknown>

/** Every PUT refused for a constraint of the server's own (a string longer than it stores). */
const refused = (): Change => (r) =>
  r.method === 'PUT' ? scimError(400, 'invalidValue', '"displayName" is 120 characters long; at most 100.') : undefined
/** Every answer's body rewritten by `f`. */
const everywhere =
  (f: (b: Body) => void): (() => Change) =>
  () =>
  (_r, a) =>
    rewriteBody(a, (b) => {
      f(b)
      return b
    })
/** The answers to the PUT and to every request after it rewritten by `f` (the GET before the PUT is as stored). */
const afterPut =
  (f: (b: Body) => void): (() => Change) =>
  () => {
    let put = false
    return (r, a) => {
      if (r.method === 'PUT') put = true
      return put
        ? rewriteBody(a, (b) => {
            f(b)
            return b
          })
        : undefined
    }
  }
/** A PUT answered 200 with the body sent, while nothing is stored. */
const notPersisted =
  (users: Users): Serve =>
  (r) =>
    r.method === 'PUT' ? { status: 200, body: { ...users.u1, ...(r.json as Body) } } : correctServer(users)(r)

interface Given {
  users?: () => Users
  change?: () => Change
  serve?: (users: Users) => Serve
  versioned?: boolean
  etagDeclared?: boolean
}

const oldUser = (): Users => ({ u1: storedUser('u1', { displayName: 'Old' }) })

async function judge(check: CheckDefinition<Body>, given: Given) {
  const users = given.users?.() ?? oldUser()
  const change = given.change?.()
  const serve = given.serve
    ? given.serve(users)
    : given.versioned
      ? versionedServer(users, { change })
      : correctServer(users, change)
  const ctx = fakeContext({
    profile: generic,
    serve,
    serviceProviderConfig: given.etagDeclared ? ETAG_SUPPORTED : null,
  })
  return judgeCase(check, ctx, usersOf(users), BODY)
}

interface Row {
  check: CheckDefinition<Body>
  given: string
  setup: Given
  want: string
  message?: RegExp
  /** A violation's facts (every failed/warned row has them). */
  finding?: WantFinding
}

const rows: Row[] = [
  // put.meta.present (SHOULD, RFC 7643 §3.1): the one owner of a missing meta.
  { check: metaPresent, given: 'a correct server', setup: {}, want: 'passed' },
  {
    check: metaPresent,
    given: 'no meta at all',
    setup: { change: everywhere((b) => delete b.meta) },
    want: 'warned',
    finding: {
      received: 'the PUT response without meta',
      expected: 'meta with created and lastModified (RFC 7643 §3.1: returned by default)',
      fix: /Return meta/,
    },
  },
  {
    check: metaPresent,
    given: 'no meta.lastModified after the PUT',
    setup: { change: afterPut((b) => delete meta(b).lastModified) },
    want: 'warned',
    finding: { received: 'the PUT response without meta.lastModified', expected: /RFC 7643 §3\.1/ },
  },
  { check: metaPresent, given: 'every PUT refused (a constraint)', setup: { change: refused }, want: 'inconclusive' },

  // put.meta.created-stable (MUST)
  { check: createdStable, given: 'a correct server', setup: {}, want: 'passed' },
  {
    check: createdStable,
    given: 'the same instant written another way',
    setup: { change: afterPut((b) => (meta(b).created = '2024-01-01T00:00:00.000+00:00')) },
    want: 'passed',
  },
  {
    check: createdStable,
    given: 'created reset by the PUT',
    setup: { change: afterPut((b) => (meta(b).created = '2024-06-01T00:00:00Z')) },
    want: 'failed',
    finding: {
      received: 'meta.created "2024-06-01T00:00:00Z" in the PUT response',
      expected: '"2024-01-01T00:00:00Z", as when the check first read the user (RFC 7643 §3.1)',
      fix: /a replace is not a creation/,
    },
  },
  {
    check: createdStable,
    given: 'no meta.created anywhere',
    setup: { change: everywhere((b) => delete meta(b).created) },
    want: 'inconclusive',
    message: /put\.meta\.present/,
  },
  { check: createdStable, given: 'every PUT refused (a constraint)', setup: { change: refused }, want: 'inconclusive' },

  // put.meta.last-modified-advances (SHOULD)
  { check: lastModifiedAdvances, given: 'a correct server', setup: {}, want: 'passed' },
  {
    check: lastModifiedAdvances,
    given: 'lastModified with milliseconds that never moves',
    setup: {
      users: () => ({
        u1: { ...storedUser('u1', { displayName: 'Old' }), meta: { lastModified: '2024-01-01T00:00:00.123Z' } },
      }),
      change: everywhere((b) => (meta(b).lastModified = '2024-01-01T00:00:00.123Z')),
    },
    want: 'warned',
    finding: {
      received: 'meta.lastModified still 2024-01-01T00:00:00.123Z after a PUT that changed the user',
      expected: 'the time of this update (RFC 7643 §3.1)',
      fix: /every successful replace/,
    },
  },
  {
    check: lastModifiedAdvances,
    given: 'lastModified going back',
    setup: { change: afterPut((b) => (meta(b).lastModified = '2023-12-31T00:00:00Z')) },
    want: 'warned',
    finding: {
      received: 'meta.lastModified went back from 2024-01-01T00:00:00Z to 2023-12-31T00:00:00Z',
      expected: /^a time not earlier than before \(RFC 7643 §3\.1/,
    },
  },
  {
    check: lastModifiedAdvances,
    given: 'whole seconds, and no Date header to show a second passed',
    setup: { change: everywhere((b) => (meta(b).lastModified = '2024-01-01T00:00:00Z')) },
    want: 'inconclusive',
  },
  {
    check: lastModifiedAdvances,
    given: 'a 200 that stored nothing',
    setup: { serve: notPersisted },
    want: 'inconclusive',
    message: /shows the user as before/,
  },
  {
    check: lastModifiedAdvances,
    given: 'no meta.lastModified',
    setup: { change: everywhere((b) => delete meta(b).lastModified) },
    want: 'inconclusive',
  },
  {
    check: lastModifiedAdvances,
    given: 'every PUT refused (a constraint)',
    setup: { change: refused },
    want: 'inconclusive',
  },

  // put.meta.version-changes (SHOULD)
  { check: versionChanges, given: 'a versioned server', setup: { versioned: true }, want: 'passed' },
  {
    check: versionChanges,
    given: 'a version that never moves',
    setup: { versioned: true, change: everywhere((b) => (meta(b).version = 'W/"1"')) },
    want: 'warned',
    finding: {
      received: 'meta.version still "W/\\"1\\"" after a PUT that changed the user',
      expected: 'a new version (RFC 7643 §3.1; RFC 7644 §3.14)',
      fix: /bump it on every write/,
    },
  },
  {
    check: versionChanges,
    given: 'no versioning, none declared',
    setup: {},
    want: 'skipped',
  },
  {
    check: versionChanges,
    given: 'ETags declared, but no meta.version',
    setup: { etagDeclared: true },
    want: 'inconclusive',
    message: /put\.etag\.version-matches/,
  },
  {
    check: versionChanges,
    given: 'every PUT refused (a constraint)',
    setup: { versioned: true, change: refused },
    want: 'inconclusive',
  },

  // put.meta.resource-type (SHOULD)
  { check: resourceTypeUser, given: 'a correct server', setup: {}, want: 'passed' },
  {
    check: resourceTypeUser,
    given: '"Users" after the PUT',
    setup: { change: afterPut((b) => (meta(b).resourceType = 'Users')) },
    want: 'warned',
    finding: {
      received: 'meta.resourceType "Users" in the PUT response',
      expected: '"User", the name of the resource type (RFC 7643 §3.1)',
    },
  },
  {
    check: resourceTypeUser,
    given: 'no meta.resourceType',
    setup: { change: everywhere((b) => delete meta(b).resourceType) },
    want: 'inconclusive',
  },
  {
    check: resourceTypeUser,
    given: 'every PUT refused (a constraint)',
    setup: { change: refused },
    want: 'inconclusive',
  },

  // put.meta.location (SHOULD)
  { check: locationRight, given: 'a correct server', setup: {}, want: 'passed' },
  {
    check: locationRight,
    given: 'the collection as location',
    setup: { change: afterPut((b) => (meta(b).location = 'http://127.0.0.1:1/Users')) },
    want: 'warned',
    finding: {
      received: 'meta.location "http://127.0.0.1:1/Users" in the PUT response',
      expected: 'a URI ending in /Users/u1 (RFC 7643 §3.1: the URI of the resource)',
    },
  },
  {
    check: locationRight,
    given: 'no meta.location',
    setup: { change: everywhere((b) => delete meta(b).location) },
    want: 'inconclusive',
  },
  { check: locationRight, given: 'every PUT refused (a constraint)', setup: { change: refused }, want: 'inconclusive' },

  // put.meta.content-location (MUST)
  {
    check: contentLocationMatches,
    given: 'Content-Location equal to meta.location',
    setup: { change: () => (_r, a) => ({ ...a, headers: { 'content-location': 'http://127.0.0.1:1/Users/u1' } }) },
    want: 'passed',
  },
  {
    check: contentLocationMatches,
    given: 'Content-Location naming the collection',
    setup: { change: () => (_r, a) => ({ ...a, headers: { 'content-location': '/Users' } }) },
    want: 'failed',
    finding: {
      received: 'Content-Location "/Users" and meta.location "http://127.0.0.1:1/Users/u1" in the PUT response',
      expected: 'the same URI in both (RFC 7643 §3.1)',
    },
  },
  {
    check: contentLocationMatches,
    given: 'no Content-Location (optional in HTTP): the rule does not apply',
    setup: {},
    want: 'skipped',
  },
  {
    check: contentLocationMatches,
    given: 'every PUT refused (a constraint)',
    setup: { change: refused },
    want: 'inconclusive',
  },

  // put.meta.timestamps-format (MUST)
  { check: timestampsFormat, given: 'a correct server', setup: {}, want: 'passed' },
  {
    check: timestampsFormat,
    given: 'lastModified as epoch milliseconds',
    setup: { change: afterPut((b) => (meta(b).lastModified = 1704067200000)) },
    want: 'failed',
    finding: {
      received: 'meta.lastModified 1704067200000 in the PUT response',
      expected: 'an xsd:dateTime such as 2008-01-23T04:56:22Z (RFC 7643 §2.3.5)',
    },
  },
  {
    check: timestampsFormat,
    given: 'a date without a time',
    setup: { change: afterPut((b) => (meta(b).created = '2024-01-01')) },
    want: 'failed',
    finding: { received: 'meta.created "2024-01-01" in the PUT response', expected: /xsd:dateTime/ },
  },
  {
    check: timestampsFormat,
    given: 'no meta at all',
    setup: { change: everywhere((b) => delete b.meta) },
    want: 'inconclusive',
  },
  {
    check: timestampsFormat,
    given: 'every PUT refused (a constraint)',
    setup: { change: refused },
    want: 'inconclusive',
  },
]

describe('meta checks: given a server, want a graded verdict (RFC 7643 §3.1)', () => {
  test.each(rows)('$check.id: $given → $want', async ({ check, setup, want, message, finding }) => {
    const v = await judge(check, setup)
    expect(v.outcome, v.message).toBe(want)
    if (message) expect(v.message).toMatch(message)
    if (want === 'inconclusive') expect(v.message).toMatch(/\S/)
    expect(finding !== undefined, 'a failed/warned row names its finding').toBe(want === 'failed' || want === 'warned')
    if (finding) expectFinding(v, finding)
  })

  test('a refused PUT says what the server said, and points at the check that judges refusals', async () => {
    const v = await judge(createdStable, { change: refused })
    expect(v.message).toMatch(/400 invalidValue \("\\"displayName\\" is 120 characters long; at most 100\."\)/)
    expect(v.message).toMatch(/put\.status\.success-200/)
  })
})
