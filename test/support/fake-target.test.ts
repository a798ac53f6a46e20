import { beforeAll, describe, expect, test } from 'vitest'
import { no5xx, successReturns200 } from '../../src/checks/areas/status.ts'
import { loadProfile, type VendorProfile } from '../../src/profile/vendor-profile.ts'
import { correctServer, fakeContext, judgeCase, scimError, storedUser, usersOf } from './fake-target.ts'

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

const body = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'scimc-unit-b@example.com' }

describe('the fake target grades as the runner does', () => {
  test('a correct server: the rule is exercised and holds', async () => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: correctServer(users) })
    const v = await judgeCase(successReturns200, ctx, usersOf(users), body)
    expect(v.outcome).toBe('passed')
    expect(ctx.sent.map((e) => e.request.method)).toContain('PUT')
  })

  test('a 5xx is put.status.no-5xx’s alone: elsewhere the case is inconclusive', async () => {
    const users = { u1: storedUser('u1') }
    const serve = correctServer(users, (r) => (r.method === 'PUT' ? scimError(500) : undefined))
    const other = await judgeCase(successReturns200, fakeContext({ profile: generic, serve }), usersOf(users), body)
    expect(other.outcome).toBe('inconclusive')
    expect(other.message).toMatch(/500.*put\.status\.no-5xx/)
  })

  test('put.status.no-5xx itself fails on the 5xx', async () => {
    const users = { u1: storedUser('u1'), u2: storedUser('u2') }
    const serve = correctServer(users, (r) => (r.method === 'PUT' ? scimError(500) : undefined))
    const ctx = fakeContext({ profile: generic, serve })
    const v = await judgeCase(no5xx, ctx, usersOf(users), [
      { kind: 'valid', label: 'a valid payload', body: JSON.stringify(body), contentType: 'application/scim+json' },
    ])
    expect(v.outcome).toBe('failed')
  })
})
