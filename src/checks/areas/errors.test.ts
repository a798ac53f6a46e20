import { beforeAll, describe, expect, test } from 'vitest'
import type { Exchange } from '../../http/exchange.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import {
  type Answer,
  correctServer,
  ERROR_URN,
  exchangeOf,
  fakeContext,
  judgeCase,
  scimError,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import { readingRawBodies } from '../../../test/support/raw-bodies.ts'
import type { ProbeCase } from '../probes/mixed-cases.ts'
import { errorFormat, errorNoInternals, errorScimType, internalsIn, judgeScimError, judgeScimType } from './errors.ts'

let generic: VendorProfile
let maia: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
  maia = await loadProfile({ vendor: 'maia', validate: false })
})

/** The exchange of a PUT answered `status` with `body` (JSON, or text when a string). */
function answered(status: number, body: unknown): Exchange {
  const answer: Answer = typeof body === 'string' ? { status, text: body } : { status, body }
  return exchangeOf({ method: 'PUT', path: '/Users/x', json: {} }, answer)
}

describe('judgeScimError (RFC 7644 §3.12 MUST)', () => {
  test.each<{ body: unknown; want: string; expected?: string }>([
    {
      body: 'Bad Request',
      want: 'violated',
      expected: `a JSON SCIM Error ({"schemas":["${ERROR_URN}"],"status":"400",...}) (RFC 7644 §3.12)`,
    },
    { body: { status: '400' }, want: 'violated', expected: `schemas containing "${ERROR_URN}" (RFC 7644 §3.12)` },
    {
      body: { schemas: [ERROR_URN], status: 400 },
      want: 'violated',
      expected: '"status" as a JSON string ("400"), REQUIRED (RFC 7644 §3.12)',
    },
    {
      body: { schemas: [ERROR_URN], status: '409' },
      want: 'violated',
      expected: '"status" equal to the HTTP status, "400" (RFC 7644 §3.12)',
    },
    { body: { schemas: [ERROR_URN], status: '400' }, want: 'passed' },
    // The keyword is put.errors.scim-type's rule, not the body's shape.
    { body: { schemas: [ERROR_URN], status: '400', scimType: 'noTarget' }, want: 'passed' },
    { body: { schemas: [ERROR_URN], status: '400', scimType: 'badRequest' }, want: 'passed' },
  ])('$body → $want', ({ body, want, expected }) => {
    const v = judgeScimError(answered(400, body))
    expect(v.outcome).toBe(want)
    expect(v.finding?.expected).toBe(expected)
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    if (expected) expect(v.finding?.received).toBe(`400 with body ${JSON.stringify(text)}`)
  })
})

describe('judgeScimType (RFC 7644 §3.12 Table 9)', () => {
  test.each<{ scimType: string | undefined; want: string; received?: string }>([
    { scimType: 'invalidValue', want: 'passed' },
    { scimType: 'invalidSyntax', want: 'passed' },
    { scimType: 'uniqueness', want: 'passed' },
    {
      scimType: 'noTarget',
      want: 'violated',
      received: '400 with scimType "noTarget" (Table 9 gives noTarget to PATCH)',
    },
    { scimType: 'invalidPath', want: 'violated' },
    { scimType: 'tooMany', want: 'violated' },
    { scimType: 'badRequest', want: 'violated', received: '400 with scimType "badRequest" (not a Table 9 keyword)' },
    { scimType: 'toString', want: 'violated' },
    // RFC 7644 §3.12: scimType is OPTIONAL; none is a pass with an observation
    { scimType: undefined, want: 'passed' },
  ])('$scimType → $want', ({ scimType, want, received }) => {
    const v = judgeScimType(answered(400, { schemas: [ERROR_URN], status: '400', scimType }))
    expect(v.outcome).toBe(want)
    if (want === 'violated') expect(v.finding?.expected).toMatch(/^scimType, when present, one of the RFC 7644 Table 9/)
    if (received) expect(v.finding?.received).toBe(received)
  })
})

describe('internalsIn (CWE-209)', () => {
  test.each([
    { text: 'userName is required.', want: null },
    { text: 'No resource at /Users/2819c223-7f76-453a-919d-413861904646.', want: null },
    { text: 'Value at 1:2 is wrong', want: null },
    {
      text:
        "TypeError: Cannot read properties of undefined (reading 'value')\n" +
        '    at replaceUser (/srv/scim/dist/users.js:41:17)',
      want: 'a JavaScript stack frame',
    },
    { text: 'Error\n    at node:internal/process/task_queues:95:5', want: 'a JavaScript stack frame' },
    {
      text: 'java.lang.NullPointerException\n\tat com.acme.scim.UserResource.replace(UserResource.java:88)',
      want: 'a Java stack frame',
    },
    { text: 'Traceback (most recent call last):\n  File "/app/scim/views.py", line 12', want: 'a Python traceback' },
    { text: 'could not open /opt/acme/scim/config.rb', want: 'an absolute source file path' },
    { text: 'failed in C:\\inetpub\\scim\\Users.cs', want: 'an absolute source file path' },
  ])('$text → $want', ({ text, want }) => {
    expect(internalsIn(text)?.what ?? null).toBe(want)
  })
})

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
/** The error cases the tables send: a body without userName (400), and a PUT on an unknown id (404). */
const MISSING: ProbeCase = {
  label: 'userName missing',
  kind: 'username-missing',
  body: JSON.stringify({ schemas: [CORE] }),
  contentType: 'application/scim+json',
}
const UNKNOWN: ProbeCase & { unknownId: string } = {
  label: 'a PUT on an unknown id',
  kind: 'unknown-id',
  body: JSON.stringify({ schemas: [CORE], userName: 'scimc-unit-new@example.com' }),
  contentType: 'application/scim+json',
  unknownId: '0f3c1a52-5b1e-4f43-9a3e-6a4c7d2f9e10',
}

/** A correct server whose error answers `change` alters (for PUTs only). */
function server(change: (correct: Answer) => Answer | undefined = () => undefined) {
  const users = { u1: storedUser('u1'), u2: storedUser('u2') }
  const serve = readingRawBodies(
    correctServer(users, (request, correct) =>
      request.method === 'PUT' && correct.status >= 400 ? change(correct) : undefined,
    ),
  )
  return { users, serve }
}

const stack = (detail: string): Answer => ({
  status: 400,
  body: {
    schemas: [ERROR_URN],
    status: '400',
    scimType: 'invalidValue',
    detail:
      `${detail}\n    at replaceUser (/app/src/users.ts:41:17)\n` +
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  },
})

const SUCCESS = (): Answer => ({ status: 200, body: storedUser('u1') })
/** Maia's declared error format (RFC 9457 problem details): an integer status, no schemas, no scimType. */
const problem = (status: number): Answer => ({
  status,
  body: { type: 'about:blank', title: 'Bad Request', status, detail: 'userName is required.' },
  headers: { 'content-type': 'application/problem+json' },
})

describe('given/want: put.errors.*', () => {
  test.each<{
    check: typeof errorFormat
    input: ProbeCase
    change?: (correct: Answer) => Answer | undefined
    vendor?: 'maia'
    want: string
    finding?: Record<string, unknown>
  }>([
    // put.errors.format (MUST): the body of every 4xx
    { check: errorFormat, input: MISSING, want: 'passed' },
    { check: errorFormat, input: UNKNOWN, want: 'passed' },
    {
      check: errorFormat,
      input: MISSING,
      change: () => ({ status: 400, text: 'Bad Request' }),
      want: 'failed',
      finding: {
        received: '400 with body "Bad Request" (case: userName missing)',
        expected: expect.stringMatching(/^a JSON SCIM Error .*\(RFC 7644 §3\.12\)$/),
        fix: 'Answer errors with the SCIM Error JSON body.',
      },
    },
    {
      check: errorFormat,
      input: UNKNOWN,
      change: () => ({ status: 404, body: { error: 'x' } }),
      want: 'failed',
      finding: { received: `404 with body ${JSON.stringify('{"error":"x"}')} (case: a PUT on an unknown id)` },
    },
    // No error came back (the body accepted): the case never reached the rule.
    { check: errorFormat, input: MISSING, change: SUCCESS, want: 'inconclusive' },
    // maia declares problem details (RFC 9457): judged by its document unless --strict-rfc.
    { check: errorFormat, input: MISSING, vendor: 'maia', change: () => problem(400), want: 'passed' },
    {
      check: errorFormat,
      input: MISSING,
      vendor: 'maia',
      change: () => ({ ...problem(400), body: { title: 'Bad Request', status: 422 } }),
      want: 'failed',
      finding: {
        received: expect.stringMatching(/^400 application\/problem\+json body .* \(case: userName missing\)$/),
        expected: '"status" equal to the HTTP status, 400',
      },
    },
    // put.errors.scim-type (SHOULD): the keyword, when there is one
    { check: errorScimType, input: MISSING, want: 'passed' },
    {
      check: errorScimType,
      input: UNKNOWN,
      change: () => scimError(404, 'noTarget'),
      want: 'warned',
      finding: {
        received: '404 with scimType "noTarget" (Table 9 gives noTarget to PATCH) (case: a PUT on an unknown id)',
      },
    },
    {
      check: errorScimType,
      input: MISSING,
      change: () => scimError(400, 'badRequest'),
      want: 'warned',
      finding: { received: '400 with scimType "badRequest" (not a Table 9 keyword) (case: userName missing)' },
    },
    // a 404 without scimType (OPTIONAL): a pass with an observation (RFC 7644 §3.12)
    { check: errorScimType, input: UNKNOWN, want: 'passed' },
    { check: errorScimType, input: MISSING, change: SUCCESS, want: 'inconclusive' },
    // put.errors.no-internals (SHOULD): what the body discloses
    { check: errorNoInternals, input: MISSING, want: 'passed' },
    {
      check: errorNoInternals,
      input: MISSING,
      change: () => stack('userName is required.'),
      want: 'warned',
      finding: {
        received:
          '400 whose body carries a JavaScript stack frame: "at replaceUser (/app/src/users.ts:41:17)" ' +
          '(case: userName missing)',
        expected: "a human-readable message without the server's internals (CWE-209)",
        fix: 'Log the stack trace on the server and answer a generic detail.',
      },
    },
    { check: errorNoInternals, input: UNKNOWN, change: () => stack('User not found.'), want: 'warned' },
    { check: errorNoInternals, input: MISSING, change: SUCCESS, want: 'inconclusive' },
  ])('$check.id, $input.kind, $vendor → $want', async ({ check, input, change, vendor, want, finding }) => {
    const { users, serve } = server(change)
    const profile = vendor === 'maia' ? maia : generic
    const v = await judgeCase(check, fakeContext({ profile, serve }), usersOf(users), input)
    expect(v.outcome, v.message).toBe(want)
    // A violation carries its facts as data (issue 13); nothing else does.
    if (want === 'failed' || want === 'warned') expect(v.finding).toMatchObject(finding ?? {})
    else expect(v.finding).toBeUndefined()
  })

  test('a made-up id a GET shows taken gets no PUT: the case never reached the rule', async () => {
    const { users, serve } = server()
    const taken = (r: Parameters<typeof serve>[0]) =>
      r.path.endsWith(UNKNOWN.unknownId) ? { status: 200, body: storedUser('someone') } : serve(r)
    for (const check of [errorFormat, errorScimType, errorNoInternals]) {
      const ctx = fakeContext({ profile: generic, serve: taken })
      const v = await judgeCase(check, ctx, usersOf(users), UNKNOWN)
      expect(v.outcome, v.message).toBe('inconclusive')
      expect(ctx.sent.map((e) => e.request.method)).toEqual(['GET'])
    }
  })

  test('put.errors.scim-type skips a vendor whose declared errors are problem details, unless --strict-rfc', () => {
    const { serve } = server()
    expect(errorScimType.skipIf!(fakeContext({ profile: maia, serve }))).toMatch(/problem details/)
    expect(errorScimType.skipIf!(fakeContext({ profile: maia, serve, run: { strictRfc: true } }))).toBeNull()
    expect(errorScimType.skipIf!(fakeContext({ profile: generic, serve }))).toBeNull()
  })
})
