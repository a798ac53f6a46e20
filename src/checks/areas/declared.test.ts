import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Answer,
  correctServer,
  fakeContext,
  judgeCase,
  RFC_ATTRIBUTES,
  scimError,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import { rewriteBody } from '../../../test/support/fake-versions.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import { CORE_USER_URN } from '../../scim/core-schema.ts'
import { returnedNever } from './declared.ts'

type Body = Record<string, unknown>
type Change = (request: SendOptions, correct: Answer) => Answer | undefined

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

const WITH_PASSWORD: Body = {
  schemas: [CORE_USER_URN],
  userName: 'scimc-unit-new@example.com',
  password: 't0p-Secret!',
  name: { givenName: 'Ada' },
}
const WITHOUT_PASSWORD: Body = { schemas: [CORE_USER_URN], userName: 'scimc-unit-new@example.com' }

/** A correct server withholds what it declares returned "never" (RFC 7643 §7). */
const withholds: Change = (_r, a) =>
  rewriteBody(a, (b) => {
    delete b.password
    return b
  })
/** RFC 7643's characteristics (password returned "never"), with `also` declared returned "never" too. */
function declaring(...also: string[]) {
  const declared = new Map(RFC_ATTRIBUTES)
  for (const path of also) declared.set(path, { ...declared.get(path)!, returned: 'never' })
  return declared
}

describe('put.declared.returned-never: given a server and its /Schemas, want a graded verdict (RFC 7643 §7)', () => {
  test.each<{
    given: string
    change?: Change
    body: Body
    declared?: ReturnType<typeof declaring>
    want: string
    message?: RegExp
    finding?: Record<string, unknown>
  }>([
    { given: 'a server that withholds the password', change: withholds, body: WITH_PASSWORD, want: 'passed' },
    {
      given: 'the password echoed',
      body: WITH_PASSWORD,
      want: 'failed',
      finding: {
        received: 'password in the PUT response',
        expected: 'never returned, as the server\'s own /Schemas declares (returned "never", RFC 7643 §7)',
        fix: 'Leave attributes declared returned "never" out of every response.',
      },
    },
    {
      given: 'name.givenName declared never, and returned',
      change: withholds,
      body: WITH_PASSWORD,
      declared: declaring('name.givenname'),
      want: 'failed',
      finding: { received: 'name.givenName in the PUT response' },
    },
    {
      given: 'the PUT refused (a constraint), the GET withholding it',
      change: (r, a) => (r.method === 'PUT' ? scimError(400, 'invalidValue', 'password policy') : withholds(r, a)),
      body: WITH_PASSWORD,
      want: 'inconclusive',
    },
    {
      given: 'a payload without any returned "never" value',
      change: withholds,
      body: WITHOUT_PASSWORD,
      want: 'inconclusive',
      message: /nothing to withhold/,
    },
  ])('$given → $want', async ({ change, body, declared, want, message, finding }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({
      profile: generic,
      serve: correctServer(users, change),
      declared: declared ?? declaring(),
    })
    expect(returnedNever.skipIf?.(ctx)).toBeNull()
    const v = await judgeCase(returnedNever, ctx, usersOf(users), body)
    expect(v.outcome, v.message).toBe(want)
    if (message) expect(v.message).toMatch(message)
    // A violation carries its facts as data (issue 13); nothing else does.
    if (want === 'failed') expect(v.finding).toMatchObject(finding ?? {})
    else expect(v.finding).toBeUndefined()
  })

  test('skips without /Schemas, or when nothing is declared returned "never"', () => {
    const none = fakeContext({ profile: generic, serve: correctServer({}) })
    expect(returnedNever.skipIf?.(none)).toMatch(/no \/Schemas/)
    const declared = new Map(RFC_ATTRIBUTES)
    declared.set('password', { ...declared.get('password')!, returned: 'default' })
    const nothing = fakeContext({ profile: generic, serve: correctServer({}), declared })
    expect(returnedNever.skipIf?.(nothing)).toMatch(/no attribute returned "never"/)
  })

  test('skips where the vendor documents no attribute declared returned "never" (cube: no password)', async () => {
    const cube = await loadProfile({ vendor: 'cube', validate: false })
    const ctx = fakeContext({ profile: cube, serve: correctServer({}), declared: declaring() })
    expect(returnedNever.skipIf?.(ctx)).toMatch(/vendor's request documents none .*password/)
  })
})
