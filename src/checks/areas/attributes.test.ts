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

describe('put.attributes.param: given a server, want a graded verdict (RFC 7644 §3.9)', () => {
  test.each<{ given: string; change?: Change; want: string; message?: RegExp; finding?: Record<string, unknown> }>([
    { given: 'a server that applies the parameter', change: projects, want: 'passed' },
    {
      given: 'the parameter ignored',
      want: 'warned',
      finding: {
        received: 'displayName, name in the response to PUT ?attributes=userName',
        expected: 'id, userName and attributes returned "always" only (RFC 7644 §3.9)',
        fix: 'Apply attributes/excludedAttributes to PUT responses (RFC 7644 §3.9).',
      },
    },
    {
      given: 'the parameter refused, the same PUT without it accepted',
      change: (r) => (withParam(r) ? scimError(400, 'invalidSyntax') : undefined),
      want: 'warned',
      finding: {
        received:
          '400 invalidSyntax for PUT ?attributes=userName; the same PUT without the parameter was accepted (200)',
        expected: expect.stringMatching(/\(RFC 7644 §3\.9\)$/),
      },
    },
    {
      given: 'every PUT refused (a constraint)',
      change: (r) => (r.method === 'PUT' ? scimError(400, 'invalidValue', LONG) : undefined),
      want: 'inconclusive',
      message: /refused too/,
    },
    {
      given: '204 without a resource',
      change: (r) => (r.method === 'PUT' ? { status: 204 } : undefined),
      want: 'inconclusive',
    },
  ])('$given → $want', async ({ change, want, message, finding }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: correctServer(users, change) })
    const v = await judgeCase(attributesParam, ctx, usersOf(users), BODY)
    expect(v.outcome, v.message).toBe(want)
    if (message) expect(v.message).toMatch(message)
    // A violation carries its facts as data (issue 13); nothing else does.
    if (want === 'warned') expect(v.finding).toMatchObject(finding ?? {})
    else expect(v.finding).toBeUndefined()
  })
})
