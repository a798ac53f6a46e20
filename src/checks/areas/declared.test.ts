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
  test.each([
    { given: 'a server that withholds the password', change: withholds, body: WITH_PASSWORD, want: 'passed' },
    {
      given: 'the password echoed',
      change: undefined,
      body: WITH_PASSWORD,
      want: 'failed',
      message: /Received: password in the PUT response/,
    },
    {
      given: 'name.givenName declared never, and returned',
      change: withholds,
      body: WITH_PASSWORD,
      declared: declaring('name.givenname'),
      want: 'failed',
      message: /name\.givenName/,
    },
    {
      given: 'the PUT refused (a constraint), the GET withholding it',
      change: ((r, a) =>
        r.method === 'PUT' ? scimError(400, 'invalidValue', 'password policy') : withholds(r, a)) as Change,
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
  ] as { given: string; change?: Change; body: Body; declared?: Map<string, never>; want: string; message?: RegExp }[])(
    '$given → $want',
    async ({ change, body, declared, want, message }) => {
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
    },
  )

  test('skips without /Schemas, or when nothing is declared returned "never"', () => {
    const none = fakeContext({ profile: generic, serve: correctServer({}) })
    expect(returnedNever.skipIf?.(none)).toMatch(/no \/Schemas/)
    const declared = new Map(RFC_ATTRIBUTES)
    declared.set('password', { ...declared.get('password')!, returned: 'default' })
    const nothing = fakeContext({ profile: generic, serve: correctServer({}), declared })
    expect(returnedNever.skipIf?.(nothing)).toMatch(/no attribute returned "never"/)
  })

  test('skips where the vendor documents no attribute the server declares returned "never" (cube: no password)', async () => {
    const cube = await loadProfile({ vendor: 'cube', validate: false })
    const ctx = fakeContext({ profile: cube, serve: correctServer({}), declared: declaring() })
    expect(returnedNever.skipIf?.(ctx)).toMatch(/vendor's request documents none .*password/)
  })
})
