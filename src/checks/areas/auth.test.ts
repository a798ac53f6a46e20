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
import { invalidToken, invalidToken401, missingToken, missingToken401, wwwAuthenticate } from './auth.ts'

const profiles: Record<string, VendorProfile> = {}
beforeAll(async () => {
  for (const vendor of ['generic', 'maia'] as const) profiles[vendor] = await loadProfile({ vendor, validate: false })
})

/** A request without the run's token (none, or a made-up bearer). */
const unauthenticated = (r: SendOptions) => r.auth !== undefined && r.auth !== 'token'
// Header names as the client records them: lower-case.
const CHALLENGE = { 'www-authenticate': 'Bearer realm="SCIM"' }
type Refusal = (r: SendOptions) => Answer | undefined

async function run(check: typeof missingToken, refusal: Refusal, vendor = 'generic') {
  const users = { u1: storedUser('u1') }
  const correct = correctServer({ ...users })
  const serve = (r: SendOptions) => (unauthenticated(r) ? refusal(r) : undefined) ?? correct(r)
  return judgeCase(check, fakeContext({ profile: profiles[vendor], serve }), usersOf(users), undefined)
}

const with401 = (): Answer => ({ ...scimError(401, undefined, 'A bearer token is required.'), headers: CHALLENGE })

describe('given/want: put.auth.* (MUST: refused and nothing changed; SHOULD: 401; MUST: a 401 has a challenge)', () => {
  test.each<{ name: string; refusal: Refusal; vendor?: string; refused: string; status: string; challenge: string }>([
    {
      name: 'a correct server: 401 with a challenge',
      refusal: with401,
      refused: 'passed',
      status: 'passed',
      challenge: 'passed',
    },
    // The body is the user's accepted state, accepted with the token: a 400 without one is no body problem.
    {
      name: '400 without a token',
      refusal: () => scimError(400, 'invalidValue'),
      refused: 'passed',
      status: 'warned',
      challenge: 'inconclusive',
    },
    {
      name: '403 without a token',
      refusal: () => scimError(403),
      refused: 'passed',
      status: 'warned',
      challenge: 'inconclusive',
    },
    {
      name: 'maia: 403 in problem details, as declared',
      vendor: 'maia',
      refusal: () => ({ status: 403, body: { status: 403, title: 'Forbidden' } }),
      refused: 'passed',
      status: 'passed',
      // Only a 401 carries a challenge, and maia's document declares 403: the rule does not apply.
      challenge: 'skipped',
    },
    {
      name: '401 without WWW-Authenticate',
      refusal: () => scimError(401),
      refused: 'passed',
      status: 'passed',
      challenge: 'failed',
    },
    {
      name: '401 with a body that is not a SCIM Error',
      refusal: () => ({ status: 401, text: 'Unauthorized', headers: CHALLENGE }),
      refused: 'failed',
      status: 'passed',
      challenge: 'passed',
    },
    {
      name: 'auth not enforced: the PUT served',
      refusal: () => undefined,
      refused: 'failed',
      status: 'inconclusive',
      challenge: 'inconclusive',
    },
  ])('$name → $refused / $status / $challenge', async ({ refusal, vendor, refused, status, challenge }) => {
    for (const [check, want] of [
      [missingToken, refused],
      [invalidToken, refused],
      [missingToken401, status],
      [invalidToken401, status],
      [wwwAuthenticate, challenge],
    ] as const) {
      const v = await run(check, refusal, vendor)
      expect(v.outcome, `${check.id}: ${v.message}`).toBe(want)
      // A violation carries its facts as data (issue 13); nothing else does.
      expect(v.finding !== undefined, `${check.id}: ${v.message}`).toBe(want === 'failed' || want === 'warned')
    }
  })

  test.each<{ name: string; check: typeof missingToken; refusal: Refusal; finding: Record<string, unknown> }>([
    {
      name: 'auth not enforced',
      check: missingToken,
      refusal: () => undefined,
      finding: {
        received: '200 for a PUT with no Authorization header, and the user changed',
        expected: '401, nothing changed (RFC 7644 §3.12 Table 8)',
        fix: 'Authenticate every request before acting on it.',
      },
    },
    {
      name: 'a 401 whose body is not a SCIM Error',
      check: invalidToken,
      refusal: () => ({ status: 401, text: 'Unauthorized', headers: CHALLENGE }),
      finding: {
        received: 'the 401 refusal of a PUT with a wrong bearer token: 401 with body "Unauthorized"',
        expected: expect.stringMatching(/^a JSON SCIM Error .*\(RFC 7644 §3\.12\)$/),
      },
    },
    {
      name: '403 without a token',
      check: missingToken401,
      refusal: () => scimError(403),
      finding: {
        received:
          "403 for the test user's own state with no Authorization header, a body accepted with the token " +
          '(403 means authenticated but not permitted)',
        expected: '401 (RFC 7644 §3.12 Table 8)',
      },
    },
    {
      name: '401 without WWW-Authenticate',
      check: wwwAuthenticate,
      refusal: () => scimError(401),
      finding: {
        received: '401 without a WWW-Authenticate header',
        expected: expect.stringMatching(/Bearer realm="SCIM" \(RFC 9110 §11\.6\.1\)$/),
      },
    },
  ])('the finding of $check.id: $name', async ({ check, refusal, finding }) => {
    const v = await run(check, refusal)
    expect(v.finding).toMatchObject(finding)
  })

  test('the user’s own state refused even with the token: no body to probe auth with', async () => {
    const users = { u1: storedUser('u1') }
    const serve = (r: SendOptions) => (r.method === 'PUT' ? scimError(400, 'invalidValue') : correctServer(users)(r))
    for (const check of [missingToken, invalidToken, missingToken401, invalidToken401, wwwAuthenticate]) {
      const v = await judgeCase(check, fakeContext({ profile: profiles.generic, serve }), usersOf(users), undefined)
      expect(v.outcome, `${check.id}: ${v.message}`).toBe('inconclusive')
    }
  })

  test('skipped without a token', () => {
    const ctx = fakeContext({ profile: profiles.generic, serve: correctServer({}), run: { authenticated: false } })
    for (const check of [missingToken, invalidToken, missingToken401, invalidToken401, wwwAuthenticate])
      expect(check.skipIf!(ctx)).toMatch(/no credential configured/)
  })

  // The negative case is sent in the run's own scheme: the client makes the wrong credential (src/http/auth.ts).
  test.each([
    { scheme: 'basic', sends: 'Basic credentials with a wrong password' },
    { scheme: 'oauth', sends: 'a bearer token the token endpoint never issued' },
    { scheme: 'bearer', sends: 'a wrong bearer token' },
  ] as const)('$scheme: the wrong credential is the scheme’s own; served → failed, 401 → passed', async (row) => {
    const users = { u1: storedUser('u1') }
    const judge = async (refuse: boolean) => {
      const correct = correctServer({ ...users })
      const serve = (r: SendOptions) => (refuse && unauthenticated(r) ? with401() : correct(r))
      const ctx = fakeContext({ profile: profiles.generic, serve, run: { authScheme: row.scheme } })
      return judgeCase(invalidToken, ctx, usersOf(users), undefined)
    }
    const served = await judge(false)
    expect(served.outcome).toBe('failed')
    expect(served.finding?.received).toBe(`200 for a PUT with ${row.sends}, and the user changed`)
    expect((await judge(true)).outcome).toBe('passed')
  })

  test('the negative PUT asks the client for a wrong credential of its scheme, the control for its own', async () => {
    const users = { u1: storedUser('u1') }
    const seen: SendOptions['auth'][] = []
    const correct = correctServer({ ...users })
    const serve = (r: SendOptions) => {
      if (r.method === 'PUT') seen.push(r.auth)
      return unauthenticated(r) ? with401() : correct(r)
    }
    await judgeCase(invalidToken, fakeContext({ profile: profiles.generic, serve }), usersOf(users), undefined)
    await judgeCase(missingToken, fakeContext({ profile: profiles.generic, serve }), usersOf(users), undefined)
    expect(seen).toEqual([undefined, 'wrong', undefined, 'none'])
  })
})
