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
import { rewriteBody } from '../../../test/support/fake-versions.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import { CORE_USER_URN } from '../../scim/core-schema.ts'
import { attributesParam } from './attributes.ts'

type Change = (request: SendOptions, correct: Answer) => Answer | undefined

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

const BODY = {
  schemas: [CORE_USER_URN],
  userName: 'scimc-unit-new@example.com',
  displayName: 'New',
  name: { givenName: 'Ada' },
}
const LONG = '"displayName" is 120 characters long; this service stores at most 100 characters.'
const withParam = (r: SendOptions) => r.query?.attributes !== undefined

/** RFC 7644 §3.9: the response holds the attributes asked for and those returned "always". */
const projects: Change = (r, a) =>
  withParam(r)
    ? rewriteBody(a, (b) => ({ schemas: b.schemas, id: b.id, userName: b.userName, meta: b.meta }))
    : undefined

describe('put.attributes.param: given a server, want a graded verdict (RFC 7644 §3.9, SCIM-PUT-RULES 21)', () => {
  test.each([
    { given: 'a server that applies the parameter', change: projects, want: 'passed' },
    { given: 'the parameter ignored', change: undefined, want: 'warned', message: /displayName, name/ },
    {
      given: 'the parameter refused, the same PUT without it accepted',
      change: ((r) => (withParam(r) ? scimError(400, 'invalidSyntax') : undefined)) as Change,
      want: 'warned',
      message: /without the parameter was accepted/,
    },
    {
      given: 'every PUT refused (a constraint)',
      change: ((r) => (r.method === 'PUT' ? scimError(400, 'invalidValue', LONG) : undefined)) as Change,
      want: 'inconclusive',
      message: /refused too/,
    },
    {
      given: '204 without a resource',
      change: ((r) => (r.method === 'PUT' ? { status: 204 } : undefined)) as Change,
      want: 'inconclusive',
    },
  ] as { given: string; change?: Change; want: string; message?: RegExp }[])(
    '$given → $want',
    async ({ change, want, message }) => {
      const users = { u1: storedUser('u1') }
      const ctx = fakeContext({ profile: generic, serve: correctServer(users, change) })
      const v = await judgeCase(attributesParam, ctx, usersOf(users), BODY)
      expect(v.outcome, v.message).toBe(want)
      if (message) expect(v.message).toMatch(message)
    },
  )
})
