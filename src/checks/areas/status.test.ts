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
import { readingRawBodies } from '../../../test/support/raw-bodies.ts'
import { expectFinding, type WantFinding } from '../../../test/support/expect-finding.ts'
import type { ProbeCase } from '../probes/mixed-cases.ts'
import {
  no5xx,
  statusDeclared,
  successResource,
  successReturns200,
  unknownIdIs404,
  unknownIdNotCreated,
} from './status.ts'

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const VALID = { schemas: [CORE], userName: 'scimc-unit-new@example.com', displayName: 'Ada', active: true }
const sent = (r: SendOptions) => (r.json ?? {}) as Record<string, unknown>
const isPut = (r: SendOptions) => r.method === 'PUT'
type Change = (request: SendOptions, correct: Answer) => Answer | undefined

/** A correct server with two test users (created with a short displayName), whose answers `change` alters. */
function target(change?: Change) {
  const users = { u1: storedUser('u1', { displayName: 'Old', active: true }), u2: storedUser('u2') }
  return { users, ctx: fakeContext({ profile: generic, serve: readingRawBodies(correctServer({ ...users }, change)) }) }
}

/** A server that stores a displayName of at most `max` characters (RFC 7644 §3.12: 400 invalidValue otherwise). */
const capped =
  (max: number): Change =>
  (r) =>
    isPut(r) && typeof sent(r).displayName === 'string' && String(sent(r).displayName).length > max
      ? scimError(400, 'invalidValue', `a string is longer than ${max} characters`)
      : undefined

describe('given/want: put.status.success-200 (MUST: a valid replace is accepted)', () => {
  test.each<{
    name: string
    change?: Change
    body?: Record<string, unknown>
    want: string
    trait?: string
    finding?: WantFinding
  }>([
    { name: 'a correct server', want: 'passed' },
    {
      name: 'PUT not supported (405)',
      change: (r) => (isPut(r) ? scimError(405) : undefined),
      want: 'failed',
      finding: {
        received: '405 for PUT /Users/{id}',
        expected: 'PUT supported (RFC 7644 §3.5: "Implementers MUST support HTTP PUT")',
        fix: 'Implement PUT on the User resource',
      },
    },
    {
      name: 'a userName change refused with 400 mutability although userName is declared readWrite',
      change: (r) =>
        isPut(r) && sent(r).userName !== 'scimc-unit-u1@example.com' ? scimError(400, 'mutability') : undefined,
      want: 'failed',
      finding: {
        received: /^400 mutability for the user's accepted state with only userName changed to "scimc-unit-new@/,
        expected: /^2xx: userName is declared readWrite string, so .* \(RFC 7644 §3\.5\.1; RFC 7643 §7 mutability\)$/,
        fix: /declare userName's real mutability/,
      },
    },
    {
      name: 'active: false refused although active is a declared readWrite boolean',
      change: (r) => (isPut(r) && sent(r).active === false ? scimError(400, 'invalidValue') : undefined),
      body: { ...VALID, active: false },
      want: 'failed',
      finding: {
        received: /only active changed to false$/,
        expected: /^2xx: active is declared readWrite boolean \(both values are declared acceptable\)/,
      },
    },
    {
      name: 'a combination refused whose values are each accepted',
      change: (r) =>
        isPut(r) && sent(r).displayName === 'Ada' && String(sent(r).userName).includes('new')
          ? scimError(400, 'invalidValue')
          : undefined,
      want: 'failed',
      finding: {
        received:
          /^400 invalidValue for a payload valid under the vendor's request schema; .* \(\d+ PUTs\) was accepted$/,
        expected: /no single value is refused \(RFC 7644 §3\.5\.1\)$/,
        fix: /one by one/,
      },
    },
    {
      name: 'a string over the server’s length limit (a constraint, RFC 7644 §3.12)',
      change: capped(10),
      body: { ...VALID, displayName: 'A display name longer than ten characters' },
      want: 'inconclusive',
      trait: 'constraint.displayName',
    },
    {
      name: 'an extension URN the server does not know, refused in schemas (a constraint)',
      change: (r) =>
        isPut(r) && (sent(r).schemas as string[]).length > 1 ? scimError(400, 'invalidSyntax') : undefined,
      body: { ...VALID, schemas: [CORE, 'urn:example:scim:extension:2.0:User'] },
      want: 'inconclusive',
      trait: 'constraint.schemas',
    },
    {
      name: 'every PUT refused, the user’s own state too',
      change: (r) => (isPut(r) ? scimError(400, 'invalidValue', 'read-only service') : undefined),
      want: 'inconclusive',
      trait: 'constraint.own-state',
    },
    {
      name: 'a 5xx (put.status.no-5xx’s)',
      change: (r) => (isPut(r) ? scimError(500) : undefined),
      want: 'inconclusive',
    },
  ])('$name → $want', async ({ change, body, want, trait, finding }) => {
    const { users, ctx } = target(change)
    const v = await judgeCase(successReturns200, ctx, usersOf(users), body ?? VALID)
    expect(v.outcome, v.message).toBe(want)
    if (trait) expect(Object.keys(v.traits ?? {})).toContain(trait)
    if (finding) expectFinding(v, finding)
    else expect(v.finding).toBeUndefined()
  })

  test('a refusal pinned to one attribute names it and the server’s words', async () => {
    const { users, ctx } = target(capped(10))
    const v = await judgeCase(successReturns200, ctx, usersOf(users), {
      ...VALID,
      displayName: 'A display name longer than ten characters',
    })
    expect(v.message).toContain('with only displayName from the payload was refused too')
    expect(v.traits?.['constraint.displayName']).toContain('longer than 10 characters')
  })
})

describe('given/want: put.status.success-resource (SHOULD: 200 with the resource)', () => {
  const expected = '200 OK with the entire resource as JSON (RFC 7644 §3.5.1)'
  test.each<{ name: string; change?: Change; want: string; received?: string }>([
    { name: 'a correct server', want: 'passed' },
    {
      name: '201 Created',
      change: (r, c) => (isPut(r) && c.status === 200 ? { ...c, status: 201 } : undefined),
      want: 'warned',
      received: '201',
    },
    {
      name: '204 No Content',
      change: (r, c) => (isPut(r) && c.status === 200 ? { status: 204 } : undefined),
      want: 'warned',
      received: '204 without a body',
    },
    {
      name: '200 with a body that is not JSON',
      change: (r, c) => (isPut(r) && c.status === 200 ? { status: 200, text: 'OK' } : undefined),
      want: 'warned',
      received: '200 with a body that is not a JSON resource: "OK"',
    },
    { name: 'the payload refused (success-200 judges that)', change: capped(2), want: 'inconclusive' },
  ])('$name → $want', async ({ change, want, received }) => {
    const { users, ctx } = target(change)
    const v = await judgeCase(successResource, ctx, usersOf(users), VALID)
    expect(v.outcome, v.message).toBe(want)
    if (received) expectFinding(v, { received, expected, fix: /200 and the resource/ })
  })
})

const UNKNOWN = '0f3c1a52-5b1e-4f43-9a3e-6a4c7d2f9e10'
const onUnknown = (r: SendOptions) => r.path.endsWith(UNKNOWN)

/** A server that upserts: a PUT on an unknown id creates the user (201). */
function upserting(): { users: Record<string, Record<string, unknown>>; ctx: ReturnType<typeof fakeContext> } {
  const users: Record<string, Record<string, unknown>> = { u1: storedUser('u1') }
  const serve = correctServer(users, (r) => {
    if (!isPut(r) || !onUnknown(r)) return undefined
    users[UNKNOWN] = { ...storedUser(UNKNOWN), ...sent(r), id: UNKNOWN }
    return { status: 201, body: users[UNKNOWN] }
  })
  return { users: { u1: users.u1 }, ctx: fakeContext({ profile: generic, serve }) }
}

describe('given/want: put.status.unknown-id-not-created (MUST) and put.status.unknown-id-404 (SHOULD)', () => {
  const NOT_CREATED = '404 Not Found, nothing created (RFC 7644 §3.5.1: PUT MUST NOT be used to create new resources)'
  const IS_404 = '404 Not Found (RFC 7644 §3.12 Table 8)'
  test.each<{
    name: string
    change?: Change
    upsert?: boolean
    notCreated: string
    is404: string
    findings?: { notCreated?: WantFinding; is404?: WantFinding }
  }>([
    { name: 'a correct server (404)', notCreated: 'passed', is404: 'passed' },
    {
      name: 'an upsert (201, the user created)',
      upsert: true,
      notCreated: 'failed',
      is404: 'warned',
      findings: {
        notCreated: { received: /^201, and the user now exists \(/, expected: NOT_CREATED, fix: /never upsert/ },
        is404: { received: /^201 for an id that does not exist \(the user now exists: /, expected: IS_404 },
      },
    },
    {
      name: '400 on the unknown id, while the same body is accepted on an existing user',
      change: (r) => (isPut(r) && onUnknown(r) ? scimError(400, 'invalidValue') : undefined),
      notCreated: 'passed',
      is404: 'warned',
      findings: {
        is404: {
          received:
            '400 invalidValue for an id that does not exist, while the same body is accepted on an existing user',
          expected: IS_404,
          fix: 'Answer 404 for an unknown id',
        },
      },
    },
    {
      name: 'the body refused everywhere (a constraint of the server)',
      change: capped(2),
      notCreated: 'inconclusive',
      is404: 'inconclusive',
    },
    {
      name: 'a 5xx on the unknown id',
      change: (r) => (isPut(r) && onUnknown(r) ? scimError(500) : undefined),
      notCreated: 'inconclusive',
      is404: 'inconclusive',
    },
  ])('$name → $notCreated / $is404', async ({ change, upsert, notCreated, is404, findings }) => {
    for (const [check, want, finding] of [
      [unknownIdNotCreated, notCreated, findings?.notCreated],
      [unknownIdIs404, is404, findings?.is404],
    ] as const) {
      const { users, ctx } = upsert ? upserting() : target(change)
      const v = await judgeCase(check, ctx, usersOf(users), [UNKNOWN, VALID])
      expect(v.outcome, `${check.id}: ${v.message}`).toBe(want)
      if (finding) expectFinding(v, finding)
      else expect(v.finding, check.id).toBeUndefined()
    }
  })
})

const valid: ProbeCase = {
  label: 'a valid payload',
  kind: 'valid',
  body: JSON.stringify(VALID),
  contentType: 'application/scim+json',
}
const notJson: ProbeCase = {
  label: 'the body is not JSON',
  kind: 'not-json',
  body: "{'userName': 'x'}",
  contentType: 'application/scim+json',
}
const oversize: ProbeCase = { ...valid, label: 'the body is over 1 MiB', kind: 'oversize-body', httpStatusOk: [413] }

describe('given/want: put.status.no-5xx (MUST) and put.status.declared (SHOULD)', () => {
  test.each<{ name: string; change?: Change; want: string }>([
    { name: 'a correct server', want: 'passed' },
    // A 4xx for any reason is a client error the client can act on: the rule (no 5xx) held.
    { name: 'every PUT refused with 400', change: (r) => (isPut(r) ? scimError(400) : undefined), want: 'passed' },
    {
      name: 'a body that is not JSON crashes the handler',
      change: (r) =>
        isPut(r) && typeof r.rawBody === 'string' && r.rawBody.includes("'") ? scimError(500) : undefined,
      want: 'failed',
    },
  ])('no-5xx: $name → $want', async ({ change, want }) => {
    const users = { u1: storedUser('u1'), u2: storedUser('u2') }
    const serve = (r: SendOptions) => change?.(r, { status: 0 }) ?? readingRawBodies(correctServer(users))(r)
    const v = await judgeCase(no5xx, fakeContext({ profile: generic, serve }), usersOf(users), [valid, notJson])
    expect(v.outcome, v.message).toBe(want)
    if (want !== 'failed') return
    expect(v.focus).toBe(1)
    expectFinding(v, {
      received: '500 for the body is not JSON',
      expected: 'a 2xx, or a 4xx that tells the client what to fix (RFC 7644 §3.12 Table 8)',
      fix: /answer 400/,
    })
  })

  test.each<{ name: string; input: ProbeCase; change?: Change; want: string; received?: string }>([
    { name: 'a correct server', input: valid, want: 'passed' },
    {
      name: '413 for an oversize body (RFC 9110)',
      input: oversize,
      change: () => ({ status: 413, text: '' }),
      want: 'passed',
    },
    {
      name: '201, in neither the document nor Table 8',
      input: valid,
      change: (r, c) => (isPut(r) && c.status === 200 ? { ...c, status: 201 } : undefined),
      want: 'warned',
      received: '201 for a valid payload',
    },
    {
      name: '422 for a body that is not JSON',
      input: notJson,
      change: () => scimError(422),
      want: 'warned',
      received: '422 for the body is not JSON',
    },
    {
      name: 'a 5xx (put.status.no-5xx’s)',
      input: valid,
      change: (r) => (isPut(r) ? scimError(500) : undefined),
      want: 'inconclusive',
    },
  ])('declared: $name → $want', async ({ input, change, want, received }) => {
    const users = { u1: storedUser('u1'), u2: storedUser('u2') }
    const correct = readingRawBodies(correctServer(users))
    const serve = (r: SendOptions) => (isPut(r) && change?.(r, correct(r))) || correct(r)
    const v = await judgeCase(statusDeclared, fakeContext({ profile: generic, serve }), usersOf(users), input)
    expect(v.outcome, v.message).toBe(want)
    if (received)
      expectFinding(v, {
        received,
        expected: /^one of .*200.*404.* \(the vendor document's responses; RFC 7644 §3\.12 Table 8\)$/,
        fix: /declares/,
      })
  })
})
