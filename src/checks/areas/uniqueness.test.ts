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
import { caseVariantConflict, caseVariantConflict409, usernameConflict, usernameConflict409 } from './uniqueness.ts'

const profiles: Record<string, VendorProfile> = {}
beforeAll(async () => {
  for (const vendor of ['generic', 'maia'] as const) profiles[vendor] = await loadProfile({ vendor, validate: false })
})

type Users = Record<string, Record<string, unknown>>
type Change = (request: SendOptions, correct: Answer, users: Users) => Answer | undefined
const isPut = (r: SendOptions) => r.method === 'PUT'
const userNameOf = (r: SendOptions) => String((r.json as { userName?: unknown } | undefined)?.userName ?? '')
const OTHER = 'scimc-unit-u2@example.com'
const FRESH = 'scimc-unit-fresh@example.com'
/** The PUT carries the second user's userName, in any case. */
const duplicate = (r: SendOptions) => isPut(r) && userNameOf(r).toLowerCase() === OTHER

/** A server that refuses a duplicate userName as `answer` (undefined: stores it, as the fake does by default). */
const refusing =
  (answer: Answer): Change =>
  (r) =>
    duplicate(r) ? answer : undefined

async function run(check: typeof usernameConflict, change?: Change, vendor = 'generic') {
  const users: Users = { u1: storedUser('u1'), u2: storedUser('u2') }
  const correct = correctServer(users)
  const serve = (r: SendOptions) => change?.(r, { status: 0 }, users) ?? correct(r)
  const given = usersOf({ u1: storedUser('u1'), u2: storedUser('u2') })
  return judgeCase(check, fakeContext({ profile: profiles[vendor], serve }), given, FRESH)
}

describe('given/want: put.uniqueness.* (MUST: never stored; SHOULD: 409 uniqueness), exact and case variant', () => {
  test.each<{ name: string; change?: Change; vendor?: string; stored: string; status: string }>([
    {
      name: 'a correct server: 409 uniqueness',
      change: refusing(scimError(409, 'uniqueness')),
      stored: 'passed',
      status: 'passed',
    },
    {
      name: 'maia: 409 in problem details (no scimType)',
      vendor: 'maia',
      change: refusing({ status: 409, body: { status: 409, title: 'Conflict' } }),
      stored: 'passed',
      status: 'passed',
    },
    { name: '409 without scimType', change: refusing(scimError(409)), stored: 'passed', status: 'warned' },
    {
      name: '400 uniqueness (RFC 7643 §7 allows it)',
      change: refusing(scimError(400, 'uniqueness')),
      stored: 'passed',
      status: 'warned',
    },
    {
      name: '400 invalidValue, a fresh userName accepted',
      change: refusing(scimError(400, 'invalidValue')),
      stored: 'passed',
      status: 'warned',
    },
    { name: 'the duplicate stored (200)', stored: 'failed', status: 'warned' },
    {
      name: '200, the old userName kept',
      change: (r, _c, users) => (duplicate(r) ? { status: 200, body: users.u1 } : undefined),
      stored: 'passed',
      status: 'warned',
    },
    {
      name: 'every userName change refused with 400 mutability (not this rule)',
      change: (r) =>
        isPut(r) && userNameOf(r) !== 'scimc-unit-u1@example.com' ? scimError(400, 'mutability') : undefined,
      stored: 'inconclusive',
      status: 'inconclusive',
    },
    { name: 'a 5xx', change: refusing(scimError(500)), stored: 'inconclusive', status: 'inconclusive' },
  ])('$name → $stored / $status', async ({ change, vendor, stored, status }) => {
    for (const [check, want] of [
      [usernameConflict, stored],
      [caseVariantConflict, stored],
      [usernameConflict409, status],
      [caseVariantConflict409, status],
    ] as const) {
      const v = await run(check, change, vendor)
      expect(v.outcome, `${check.id}: ${v.message}`).toBe(want)
      // A violation carries its facts as data (issue 13); nothing else does.
      expect(v.finding !== undefined, `${check.id}: ${v.message}`).toBe(want === 'failed' || want === 'warned')
    }
  })

  test.each<{ name: string; check: typeof usernameConflict; change?: Change; finding: Record<string, unknown> }>([
    {
      name: 'the duplicate stored',
      check: usernameConflict,
      finding: {
        received: `200, and GET shows userName "${OTHER}", already another user's ("${OTHER}")`,
        expected: expect.stringMatching(/^nothing stored: userName MUST be unique.*\(RFC 7643 §4\.1\.1\)/),
        fix: 'Check userName uniqueness case-insensitively on PUT as on POST.',
      },
    },
    {
      name: 'a case variant stored',
      check: caseVariantConflict,
      finding: { received: expect.stringMatching(/^200, and GET shows userName "ScImC-/) },
    },
    {
      name: '409 without scimType',
      check: usernameConflict409,
      change: refusing(scimError(409)),
      finding: {
        received: '409 without scimType',
        expected: '409 with scimType "uniqueness" (RFC 7644 §3.12 Tables 8 and 9)',
      },
    },
    {
      name: '400 invalidValue, a fresh userName accepted',
      check: caseVariantConflict409,
      change: refusing(scimError(400, 'invalidValue')),
      finding: {
        received: '400 invalidValue for a duplicate userName, while the same PUT with a fresh userName was accepted',
      },
    },
  ])('the finding of $check.id: $name', async ({ check, change, finding }) => {
    const v = await run(check, change)
    expect(v.finding).toMatchObject(finding)
  })

  test('a refusal for another reason records the constraint', async () => {
    const v = await run(usernameConflict409, (r) =>
      isPut(r) ? scimError(400, 'invalidValue', 'the service is read-only') : undefined,
    )
    expect(v.outcome).toBe('inconclusive')
    expect(v.traits?.['constraint.userName']).toContain('the service is read-only')
  })
})
