import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import { type InvalidCase, mutation } from '../../generate/invalid-scim-user.ts'
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
import { validateAgainst } from '../../validate/ajv.ts'
import type { CheckDefinition } from '../define-check.ts'
import { expectationOf } from '../expectation.ts'
import { INVALID_KIND_CHECKS, usernameKept } from './invalid.ts'

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
type Users = Record<string, Record<string, unknown>>
type Serve = (request: SendOptions) => Answer
type Change = (request: SendOptions, correct: Answer, users: Users) => Answer | undefined
const isPut = (r: SendOptions) => r.method === 'PUT'
/** The JSON object a request sent (raw bodies parsed), or {}. */
const sent = (r: SendOptions): Record<string, unknown> => {
  try {
    const v = typeof r.rawBody === 'string' ? JSON.parse(r.rawBody) : r.json
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}
  } catch {
    return {}
  }
}
const checkOf = (kind: string) => INVALID_KIND_CHECKS.find((c) => c.id === `put.invalid.${kind}`)!

/** The first case of `kind` built on the test user's accepted state (as the checks build it). */
function caseOf(kind: string): InvalidCase {
  const base = { schemas: [CORE], userName: 'scimc-unit-u1@example.com', active: true }
  const [c] = fc.sample(mutation(kind).arbitrary(generic, { base: fc.constant(base), pathId: 'u1' }), {
    seed: 1,
    numRuns: 1,
  })
  return c
}

/**
 * A server that validates what the fake's correct server does not: a body over 1 MiB → 413 (RFC 9110
 * §15.5.14), `schemas` without the core URN → 400 invalidSyntax, a body the vendor's request schema
 * refuses or two primaries → 400 invalidValue. What it accepts, it stores as the correct server does.
 */
function validating(users: Users): Serve {
  const inner = correctServer(users)
  const validate: Serve = (r) => {
    const body = sent(r)
    if (!isPut(r)) return inner(r)
    if (!Array.isArray(body.schemas) || !body.schemas.includes(CORE)) return scimError(400, 'invalidSyntax')
    if (Object.values(body).some((v) => Array.isArray(v) && v.filter((i) => i?.primary === true).length > 1))
      return scimError(400, 'invalidValue', 'primary appears more than once')
    const schema = validateAgainst(generic.requestSchema, body, 'Request body')
    return schema.valid ? inner(r) : scimError(400, 'invalidValue', schema.errors.join('; '))
  }
  const parsing = readingRawBodies(validate)
  return (r) => (typeof r.rawBody === 'string' && r.rawBody.length > 1024 * 1024 ? scimError(413) : parsing(r))
}

async function run<C extends InvalidCase | InvalidCase[]>(
  check: CheckDefinition<C>,
  input: C,
  change?: Change,
  strict = false,
) {
  const users: Users = { u1: storedUser('u1', { active: true }) }
  const correct = strict ? validating(users) : readingRawBodies(correctServer(users))
  const serve = (r: SendOptions) => {
    const answer = correct(r)
    return change?.(r, answer, users) ?? answer
  }
  return judgeCase(
    check,
    fakeContext({ profile: generic, serve }),
    usersOf({ u1: storedUser('u1', { active: true }) }),
    input,
  )
}

/** Every PUT refused: the server refuses even the user's accepted state (a constraint, never this rule). */
const refusesAll: Change = (r) => (isPut(r) ? scimError(400, 'invalidValue', 'read-only service') : undefined)
/** A body without a usable userName answered `status` (and nothing stored), the rest served correctly. */
const noUserName =
  (answer: Answer): Change =>
  (r, c) =>
    isPut(r) && typeof sent(r).userName !== 'string' && c.status === 400 ? answer : undefined

/** A server that accepts every body (200 with the user as it was): no refusal, no change. */
const acceptsAll: Change = (r, _c, users) => (isPut(r) ? { status: 200, body: users.u1 } : undefined)
/** Every refusal answered 422 instead (RFC 7644 Table 8 has no 422); what is accepted stays accepted. */
const answers422: Change = (r, c) =>
  isPut(r) && c.status >= 400 ? scimError(422, undefined, 'Unprocessable') : undefined

/**
 * Every put.invalid.<kind> check (RFC 7644 §3.12 Tables 8 and 9; src/checks/expectation.ts): given a
 * validating server, a server that accepts everything, one that answers 422 and one that refuses even the
 * user's accepted state, want the grade of the kind's rule. A MAY kind never warns; two-primaries may be
 * normalised (a 2xx is observed, what it stored is put.replace.primary-once's).
 */
describe('given/want: every put.invalid.<kind>', () => {
  test.each<{ kind: string; correct: string; acceptsAll: string; other4xx: string }>([
    { kind: 'username-missing', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'username-empty', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'username-null', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'schemas-missing', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'schemas-empty', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'schemas-without-core', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'schemas-unknown-urn', correct: 'observed', acceptsAll: 'observed', other4xx: 'observed' },
    { kind: 'wrong-type', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'two-primaries', correct: 'passed', acceptsAll: 'observed', other4xx: 'warned' },
    { kind: 'not-json', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'truncated-json', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'json-array-body', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'json-scalar-body', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'empty-body', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'oversize-body', correct: 'passed', acceptsAll: 'observed', other4xx: 'observed' },
    { kind: 'wrong-content-type', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'deeply-nested', correct: 'passed', acceptsAll: 'warned', other4xx: 'warned' },
    { kind: 'unknown-attribute', correct: 'observed', acceptsAll: 'observed', other4xx: 'observed' },
  ])('put.invalid.$kind: correct → $correct, accepts all → $acceptsAll, 422 → $other4xx', async (row) => {
    const check = checkOf(row.kind)
    expect(check.level).toBe(expectationOf(row.kind).level)
    const c = caseOf(row.kind)
    const correct = await run(check, c, undefined, true)
    expect(correct.outcome, correct.message).toBe(row.correct)
    const lenient = await run(check, c, acceptsAll, true)
    expect(lenient.outcome, lenient.message).toBe(row.acceptsAll)
    const other = await run(check, c, answers422, true)
    expect(other.outcome, other.message).toBe(row.other4xx)
    const constraint = await run(check, c, refusesAll, true)
    expect(constraint.outcome, constraint.message).toBe('inconclusive')
    for (const v of [correct, lenient, other, constraint]) {
      if (v.outcome !== 'warned') expect(v.finding, v.message).toBeUndefined()
      else
        expect(v.finding).toMatchObject({
          received: `${v === other ? '422' : '200'} (case: ${c.violation})`,
          expected: expect.stringMatching(/^.+ \(SHOULD, RFC .+\)$/),
        })
    }
  })

  test('a finding states the acceptable answers with the level and the RFC section, and the fix', async () => {
    const v = await run(checkOf('username-missing'), caseOf('username-missing'), acceptsAll, true)
    expect(v.finding).toEqual({
      received: '200 (case: userName missing)',
      expected: expect.stringMatching(/^400 .*\(SHOULD, RFC 7644 §3\.5\.1 .*RFC 7644 §3\.12 Table 8 \(400\)\)$/),
      fix: 'Refuse a PUT without a non-empty userName with 400 invalidValue.',
    })
  })
})

describe('given/want: put.invalid.<kind> (graded at the level of its rule)', () => {
  test.each<{ kind: string; name: string; change?: Change; want: string }>([
    // RFC 7643 §4.1.1 userName required (SHOULD: 400; the scimType is OPTIONAL)
    { kind: 'username-missing', name: 'a correct server: 400 invalidValue', want: 'passed' },
    {
      kind: 'username-missing',
      name: '400 invalidSyntax',
      change: noUserName(scimError(400, 'invalidSyntax')),
      want: 'passed',
    },
    { kind: 'username-null', name: '400 without scimType', change: noUserName(scimError(400)), want: 'passed' },
    {
      kind: 'username-missing',
      name: '200, the old userName kept',
      change: (r, c, users) => noUserName({ status: 200, body: users.u1 })(r, c, users),
      want: 'warned',
    },
    {
      kind: 'username-empty',
      name: '422',
      change: (r, c) => (isPut(r) && c.status === 400 ? scimError(422) : undefined),
      want: 'warned',
    },
    {
      kind: 'username-empty',
      name: '409 uniqueness: another User of the target holds ""',
      change: (r) => (isPut(r) && sent(r).userName === '' ? scimError(409, 'uniqueness') : undefined),
      want: 'inconclusive',
    },
    {
      kind: 'username-missing',
      name: 'every PUT refused, the accepted state too',
      change: refusesAll,
      want: 'inconclusive',
    },
    // RFC 7644 §3.12 Table 8: malformed JSON (SHOULD: 400; invalidSyntax fits best, another keyword is noted)
    { kind: 'not-json', name: 'a correct server: 400 invalidSyntax', want: 'passed' },
    {
      kind: 'truncated-json',
      name: '400 invalidValue',
      change: (r, c) => (isPut(r) && c.status === 400 ? scimError(400, 'invalidValue') : undefined),
      want: 'passed',
    },
    {
      kind: 'not-json',
      name: 'parsed leniently and applied (200)',
      change: (r, _c, users) => (isPut(r) && r.rawBody ? { status: 200, body: users.u1 } : undefined),
      want: 'warned',
    },
    { kind: 'empty-body', name: 'every PUT refused', change: refusesAll, want: 'inconclusive' },
    // RFC 7643 §3 schemas required (SHOULD)
    {
      kind: 'schemas-missing',
      name: '400 invalidSyntax',
      change: (r) => (isPut(r) && !sent(r).schemas ? scimError(400, 'invalidSyntax') : undefined),
      want: 'passed',
    },
    { kind: 'schemas-missing', name: 'accepted (the fake does not check schemas)', want: 'warned' },
    // RFC 7643 §3 is silent on an unknown URN (MAY): observed whatever the answer
    { kind: 'schemas-unknown-urn', name: 'accepted', want: 'observed' },
    {
      kind: 'schemas-unknown-urn',
      name: '409 for every PUT',
      change: (r) => (isPut(r) ? scimError(409) : undefined),
      want: 'inconclusive',
    },
    {
      kind: 'schemas-unknown-urn',
      name: '400, the accepted state accepted',
      change: (r) =>
        isPut(r) && (sent(r).schemas as string[]).length > 1 ? scimError(400, 'invalidSyntax') : undefined,
      want: 'observed',
    },
    // Table 8: 400 for a schema violation (SHOULD)
    { kind: 'wrong-type', name: 'stored as sent (200)', want: 'warned' },
    {
      kind: 'wrong-type',
      name: '400 invalidValue',
      change: (r, c) =>
        isPut(r) &&
        Object.keys(sent(r)).length > 0 &&
        c.status === 200 &&
        JSON.stringify(sent(r)) !==
          JSON.stringify({ schemas: [CORE], userName: 'scimc-unit-u1@example.com', active: true })
          ? scimError(400, 'invalidValue')
          : undefined,
      want: 'passed',
    },
    // RFC 7644 §8.1, RFC 9110 §15.5.16 (SHOULD): 415 or 400
    { kind: 'wrong-content-type', name: 'a correct server: 415', want: 'passed' },
    {
      kind: 'wrong-content-type',
      name: 'parsed and applied',
      change: (r, _c, users) =>
        isPut(r) && r.contentType === 'text/plain' ? { status: 200, body: users.u1 } : undefined,
      want: 'warned',
    },
  ])('$kind, $name → $want', async ({ kind, change, want }) => {
    const v = await run(checkOf(kind), caseOf(kind), change)
    expect(v.outcome, v.message).toBe(want)
    // A violation carries its facts as data (issue 13); nothing else does.
    expect(v.finding !== undefined, v.message).toBe(want === 'warned' || want === 'failed')
  })

  test('a malformed body refused 400 invalidValue passes with a note, the keyword a trait (§3.12)', async () => {
    const v = await run(checkOf('not-json'), caseOf('not-json'), (r, c) =>
      isPut(r) && c.status === 400 ? scimError(400, 'invalidValue') : undefined,
    )
    expect(v.message).toContain('invalidSyntax fits best')
    expect(v.traits).toEqual({ 'scimType.not-json': 'invalidValue' })
  })

  test('a 400 for a malformed body without scimType passes with "none" as the trait (OPTIONAL)', async () => {
    const v = await run(checkOf('not-json'), caseOf('not-json'), (r, c) =>
      isPut(r) && c.status === 400 ? scimError(400) : undefined,
    )
    expect(v.outcome, v.message).toBe('passed')
    expect(v.traits).toEqual({ 'scimType.not-json': 'none' })
  })

  test('two-primaries: a refusal counts only when the same entries with one primary are accepted', async () => {
    const c = caseOf('two-primaries')
    expect(c.control).toBeDefined()
    const twoPrimaries = (r: SendOptions) =>
      Object.values(sent(r)).some((v) => Array.isArray(v) && v.filter((i) => i?.primary === true).length > 1)
    const refusesTwo: Change = (r) => (isPut(r) && twoPrimaries(r) ? scimError(400, 'invalidValue') : undefined)
    // The entries themselves refused (say, two values of one type): a constraint, not RFC 7643 §2.4's rule.
    const refusesEntries: Change = (r) =>
      isPut(r) && Object.keys(sent(r)).length > 3 ? scimError(400, 'invalidValue', 'one value per type') : undefined
    expect((await run(checkOf('two-primaries'), c, refusesTwo)).outcome).toBe('passed')
    expect((await run(checkOf('two-primaries'), c)).outcome).toBe('observed')
    const constraint = await run(checkOf('two-primaries'), c, refusesEntries)
    expect(constraint.outcome).toBe('inconclusive')
    expect(Object.keys(constraint.traits ?? {})).toEqual(['constraint.two-primaries'])
  })
})

describe('given/want: put.invalid.username-kept (MUST, RFC 7643 §4.1.1)', () => {
  test('each case sends every kind at risk: the one kind a server gets wrong is never left undrawn', async () => {
    const kinds = ['username-missing', 'username-empty', 'username-null'].map(caseOf)
    const clearsOnEmpty: Change = (r, c, users) => {
      if (!isPut(r) || c.status !== 400 || sent(r).userName !== '') return undefined
      users.u1 = { ...users.u1, userName: '' }
      return { status: 200, body: users.u1 }
    }
    expect((await run(usernameKept, kinds)).outcome).toBe('passed')
    const v = await run(usernameKept, kinds, clearsOnEmpty)
    expect(v.outcome, v.message).toBe('failed')
    expect(v.finding?.received).toMatch(/userName is the empty string.*GET shows userName ""/)
  })

  test.each<{ kind: string; name: string; change?: Change; want: string }>([
    { kind: 'username-missing', name: 'a correct server: 400', want: 'passed' },
    {
      kind: 'username-null',
      name: '200, the old userName kept',
      change: (r, c, users) => noUserName({ status: 200, body: users.u1 })(r, c, users),
      want: 'passed',
    },
    {
      kind: 'username-empty',
      name: '200, the user stored without a userName',
      change: (r, c, users) => {
        if (!isPut(r) || c.status !== 400) return undefined
        const { userName: _gone, ...rest } = sent(r)
        users.u1 = { ...users.u1, ...rest, userName: undefined }
        return { status: 200, body: users.u1 }
      },
      want: 'failed',
    },
    {
      kind: 'username-empty',
      name: '409 uniqueness: another User of the target holds ""',
      change: (r) => (isPut(r) && sent(r).userName === '' ? scimError(409, 'uniqueness') : undefined),
      want: 'inconclusive',
    },
    { kind: 'json-array-body', name: 'every PUT refused', change: refusesAll, want: 'inconclusive' },
  ])('$kind, $name → $want', async ({ kind, change, want }) => {
    const v = await run(usernameKept, caseOf(kind), change)
    expect(v.outcome, v.message).toBe(want)
    if (want === 'failed')
      expect(v.finding).toEqual({
        received: expect.stringMatching(
          /^200 for a PUT \(userName is the empty string\), and GET shows userName null$/,
        ),
        expected: '400 (or the old userName kept): every User MUST include a non-empty userName (RFC 7643 §4.1.1)',
        fix: 'Refuse a PUT without a non-empty userName with 400 invalidValue.',
      })
    else expect(v.finding).toBeUndefined()
  })
})
