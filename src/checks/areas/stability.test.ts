import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Answer,
  correctServer,
  fakeContext,
  judgeCase,
  scimError,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import { expectFinding, type WantFinding } from '../../../test/support/expect-finding.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import { CORE_USER_URN } from '../../scim/core-schema.ts'
import type { CheckDefinition } from '../define-check.ts'
import { repeatable, sameStatus } from './stability.ts'

type Change = (request: SendOptions, correct: Answer) => Answer | undefined

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

const BODY = { schemas: [CORE_USER_URN], userName: 'scimc-unit-new@example.com', displayName: 'New' }

/** The `n`th PUT (from 1) answered `answer`, every other one as the correct server answers it. */
const nthPut =
  (n: number, answer: Answer): (() => Change) =>
  () => {
    let puts = 0
    return (r) => (r.method === 'PUT' && ++puts === n ? answer : undefined)
  }
const everyPut =
  (answer: Answer): (() => Change) =>
  () =>
  (r) =>
    r.method === 'PUT' ? answer : undefined

interface Row {
  check: CheckDefinition<[Record<string, unknown>, number]>
  given: string
  change?: () => Change
  want: string
  finding?: WantFinding
}

describe('stability checks: the same PUT five times (RFC 9110 §9.2.2, RFC 7644 §3.12 Table 8)', () => {
  test.each<Row>([
    { check: repeatable, given: 'a correct server', change: undefined, want: 'passed' },
    {
      check: repeatable,
      given: 'a 500 on the fifth PUT',
      change: nthPut(5, scimError(500)),
      want: 'failed',
      finding: {
        received: 'statuses 200, 200, 200, 200, 500 for the same PUT repeated (flaky: 1 of 5 PUTs answered 5xx so far)',
        expected: /^the same non-5xx status every time \(RFC 9110 §9\.2\.2; RFC 7644 §3\.12\)$/,
        fix: /fail internally/,
      },
    },
    {
      check: repeatable,
      given: 'every PUT 500 (not intermittent)',
      change: everyPut(scimError(500)),
      want: 'inconclusive',
    },
    { check: repeatable, given: 'a 429 on the third PUT (no 5xx)', change: nthPut(3, scimError(429)), want: 'passed' },
    {
      check: repeatable,
      given: 'every PUT refused (a constraint)',
      change: everyPut(scimError(400, 'invalidValue')),
      want: 'passed',
    },
    { check: sameStatus, given: 'a correct server', change: undefined, want: 'passed' },
    {
      check: sameStatus,
      given: 'a 429 on the third PUT',
      change: nthPut(3, scimError(429)),
      want: 'warned',
      finding: {
        received: 'statuses 200, 200, 429, 200, 200 for the same PUT repeated',
        expected: /^the same status every time \(RFC 9110 §9\.2\.2/,
        fix: /the same way/,
      },
    },
    {
      check: sameStatus,
      given: 'a 500 on the fifth PUT (put.stability.repeatable’s)',
      change: nthPut(5, scimError(500)),
      want: 'inconclusive',
    },
    {
      check: sameStatus,
      given: 'every PUT refused alike (a constraint)',
      change: everyPut(scimError(400, 'invalidValue')),
      want: 'passed',
    },
  ])('$check.id: $given → $want', async ({ check, change, want, finding }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: correctServer(users, change?.()) })
    const v = await judgeCase(check, ctx, usersOf(users), [BODY, 5])
    expect(v.outcome, v.message).toBe(want)
    expect(ctx.sent.filter((e) => e.request.method === 'PUT')).toHaveLength(5)
    if (finding) expectFinding(v, finding)
    else expect(v.finding).toBeUndefined()
  })

  test('the flake rate is a trait of the failure', async () => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: correctServer(users, nthPut(5, scimError(500))()) })
    const v = await judgeCase(repeatable, ctx, usersOf(users), [BODY, 5])
    expect(v.traits).toEqual({ 'stability.flakeRate': '1/5' })
  })
})
