import { beforeAll, describe, expect, test } from 'vitest'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import {
  type Answer,
  correctServer,
  fakeContext,
  judgeCase,
  scimError,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import { readingRawBodies, withMediaType } from '../../../test/support/raw-bodies.ts'
import type { ProbeCase } from '../probes/mixed-cases.ts'
import { errorContentType, requestJson, requestScimJson, responseContentType } from './media.ts'

const profiles: Record<string, VendorProfile> = {}
beforeAll(async () => {
  for (const vendor of ['generic', 'lightdash', 'maia', 'cube'] as const)
    profiles[vendor] = await loadProfile({ vendor, validate: false })
})

type Change = (request: SendOptions, correct: Answer) => Answer | undefined
const isPut = (r: SendOptions) => r.method === 'PUT'
const typeOf = (r: SendOptions) => (r.contentType ?? '').split(';')[0]

function run<C>(
  check: Parameters<typeof judgeCase<C>>[0],
  input: C,
  { vendor = 'generic', change, strictRfc = false }: { vendor?: string; change?: Change; strictRfc?: boolean },
) {
  const users = { u1: storedUser('u1'), u2: storedUser('u2') }
  const correct = readingRawBodies(correctServer({ ...users }))
  const serve = (r: SendOptions) => change?.(r, correct(r)) ?? correct(r)
  const ctx = fakeContext({ profile: profiles[vendor], serve, run: { strictRfc } })
  return judgeCase(check, ctx, usersOf(users), input)
}

/** A violation carries its facts as data (issue 13), `want` its fields; any other verdict none. */
function expectFinding(v: Awaited<ReturnType<typeof run>>, want: Record<string, unknown> = {}) {
  if (v.outcome === 'failed' || v.outcome === 'warned') expect(v.finding, v.message).toMatchObject(want)
  else expect(v.finding, v.message).toBeUndefined()
}

describe('given/want: put.media.request-scim-json (MUST) and put.media.request-json (SHOULD)', () => {
  test.each<{ name: string; change?: Change; scim: string; json: string; finding?: Record<string, unknown> }>([
    { name: 'a correct server (both accepted)', scim: 'passed', json: 'passed' },
    {
      name: 'application/scim+json refused with 415',
      change: (r) => (isPut(r) && typeOf(r) === 'application/scim+json' ? scimError(415) : undefined),
      scim: 'failed',
      json: 'passed',
      finding: {
        received: "415 for the test user's own accepted state sent as application/scim+json",
        expected: '2xx: a JSON body sent as application/scim+json accepted (RFC 7644 §3.8, §8.1)',
        fix: 'Accept application/scim+json.',
      },
    },
    {
      name: 'application/scim+json with a charset parameter refused with 415',
      change: (r) => (isPut(r) && /^application\/scim\+json;/.test(r.contentType ?? '') ? scimError(415) : undefined),
      scim: 'failed',
      json: 'passed',
    },
    {
      name: 'application/json refused with 400, the same body accepted as application/scim+json',
      change: (r) => (isPut(r) && typeOf(r) === 'application/json' ? scimError(400, 'invalidSyntax') : undefined),
      scim: 'passed',
      json: 'warned',
      finding: {
        received:
          "400 invalidSyntax for the test user's own accepted state sent as application/json, " +
          'while the same body sent as application/scim+json was accepted',
      },
    },
    {
      name: 'the user’s own state refused whatever its media type (a constraint)',
      change: (r) => (isPut(r) ? scimError(400, 'invalidValue', 'read-only service') : undefined),
      scim: 'inconclusive',
      json: 'inconclusive',
    },
  ])('$name → $scim / $json', async ({ change, scim, json, finding }) => {
    const a = await run(requestScimJson, undefined, { change })
    expect(a.outcome, a.message).toBe(scim)
    expectFinding(a, finding)
    const b = await run(requestJson, undefined, { change })
    expect(b.outcome, b.message).toBe(json)
    expectFinding(b, finding)
  })
})

/** Every successful PUT answered with `type` (text/html, say). */
const successAs =
  (type: string): Change =>
  (r, c) =>
    isPut(r) && c.status === 200 ? withMediaType(c, type) : undefined

describe('given/want: put.media.response-content-type (SHOULD, RFC 7644 §8.1)', () => {
  test.each<{
    name: string
    vendor: string
    change?: Change
    strictRfc?: boolean
    want: string
    finding?: Record<string, unknown>
  }>([
    { name: 'generic, application/scim+json', vendor: 'generic', want: 'passed' },
    {
      name: 'lightdash, application/json as declared',
      vendor: 'lightdash',
      change: successAs('application/json'),
      want: 'passed',
    },
    // Gap a: SCIM's own media type where the document declares only application/json is never a deviation.
    {
      name: 'lightdash, application/scim+json (declares only application/json)',
      vendor: 'lightdash',
      want: 'observed',
    },
    { name: 'lightdash --strict-rfc, application/scim+json', vendor: 'lightdash', strictRfc: true, want: 'passed' },
    {
      name: 'lightdash --strict-rfc, application/json',
      vendor: 'lightdash',
      change: successAs('application/json'),
      strictRfc: true,
      want: 'warned',
    },
    {
      name: 'generic, text/html',
      vendor: 'generic',
      change: successAs('text/html; charset=utf-8'),
      want: 'warned',
      finding: {
        received: '200 with Content-Type "text/html; charset=utf-8"',
        expected: 'application/scim+json (RFC 7644 §8.1)',
        fix: 'Send JSON responses as application/scim+json.',
      },
    },
    {
      name: 'the user’s own state refused',
      vendor: 'generic',
      change: (r) => (isPut(r) ? scimError(400, 'invalidValue') : undefined),
      want: 'inconclusive',
    },
  ])('$name → $want', async ({ vendor, change, strictRfc, want, finding }) => {
    const v = await run(responseContentType, undefined, { vendor, change, strictRfc })
    expect(v.outcome, v.message).toBe(want)
    expectFinding(v, finding)
  })
})

const MISSING: ProbeCase = {
  label: 'userName missing',
  kind: 'username-missing',
  body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }),
  contentType: 'application/scim+json',
}
/** Every error answered with `type`. */
const errorsAs =
  (type: string): Change =>
  (r, c) =>
    isPut(r) && c.status >= 400 ? withMediaType(c, type) : undefined

describe('given/want: put.media.error-content-type (SHOULD, RFC 7644 §8.1, §3.12; gap b)', () => {
  test.each<{ name: string; vendor: string; change?: Change; want: string; finding?: Record<string, unknown> }>([
    { name: 'generic, application/scim+json', vendor: 'generic', want: 'passed' },
    {
      name: 'lightdash, application/json as declared for errors',
      vendor: 'lightdash',
      change: errorsAs('application/json'),
      want: 'passed',
    },
    { name: 'lightdash, application/scim+json (declares application/json)', vendor: 'lightdash', want: 'observed' },
    {
      name: 'maia, application/problem+json as declared',
      vendor: 'maia',
      change: errorsAs('application/problem+json'),
      want: 'passed',
    },
    {
      name: 'maia, application/json (declares problem+json)',
      vendor: 'maia',
      change: errorsAs('application/json'),
      want: 'warned',
      finding: {
        received: '400 with Content-Type "application/json" (case: userName missing)',
        expected:
          'application/scim+json (RFC 7644 §8.1) or application/problem+json as the vendor document declares for 400',
        fix: 'Send error responses as application/scim+json.',
      },
    },
    {
      name: 'cube (no error declared), application/json',
      vendor: 'cube',
      change: errorsAs('application/json'),
      want: 'warned',
    },
    { name: 'generic, text/html', vendor: 'generic', change: errorsAs('text/html'), want: 'warned' },
    {
      name: 'no error to judge (the body accepted)',
      vendor: 'generic',
      change: (r, c) => (isPut(r) ? { status: 200, body: c.body } : undefined),
      want: 'inconclusive',
    },
  ])('$name → $want', async ({ vendor, change, want, finding }) => {
    const v = await run(errorContentType, MISSING, { vendor, change })
    expect(v.outcome, v.message).toBe(want)
    expectFinding(v, finding)
  })
})
