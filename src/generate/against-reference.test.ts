import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { judgeScimError } from '../checks/areas/errors.ts'
import { createScimClient, type ScimClient } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { startReferenceServer, type ReferenceServer } from '../reference/server.ts'
import { EXPECTATIONS, judgeOutcome } from '../checks/expectation.ts'
import { invalidScimUser } from './invalid-scim-user.ts'
import { scimUser } from './scim-user.ts'

const RUNS = 200
const TOKEN = 'generator-test-token'

/** The generators against the reference server: valid payloads are accepted, invalid ones answered as the RFC says. */
describe.each(['lightdash', 'maia', 'cube'])('%s payloads against the reference server', (vendor) => {
  let profile: VendorProfile
  let server: ReferenceServer
  let client: ScimClient
  let userPath: string
  let otherUserName: string

  beforeAll(async () => {
    profile = await loadProfile({ vendor })
    server = await startReferenceServer({ profile, token: TOKEN })
    client = createScimClient({ baseUrl: server.origin, token: TOKEN })
    const create = async (prefix: string) => {
      const [body] = fc.sample(scimUser(profile, { userNamePrefix: prefix }), { seed: 3, numRuns: 1 })
      const e = await client.send({ method: 'POST', path: `${profile.basePath}/Users`, json: body })
      expect(e.response?.status).toBe(201)
      return e.response!.body as { id: string; userName: string }
    }
    userPath = `${profile.basePath}/Users/${(await create('gen-a-')).id}`
    otherUserName = (await create('gen-b-')).userName
  })
  afterAll(async () => {
    await client?.close()
    await server?.close()
  })

  test(`every valid payload is accepted with 200 (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(scimUser(profile, { userNamePrefix: 'gen-v-', readOnly: 'mixed' }), async (body) => {
        const e = await client.send({
          method: 'PUT',
          path: userPath,
          json: body,
          contentType: profile.requestMediaType,
        })
        return e.response?.status === 200
      }),
      { numRuns: RUNS, seed: 11 },
    )
  })

  test(`every invalid payload gets an acceptable answer in the vendor's error format (${RUNS} runs)`, async () => {
    const base = scimUser(profile, { userNamePrefix: 'gen-i-' })
    await fc.assert(
      fc.asyncProperty(
        invalidScimUser(profile, { base, otherUserName, pathId: userPath.split('/').pop() }),
        async (c) => {
          const e = await client.send({ method: 'PUT', path: userPath, rawBody: c.body, contentType: c.contentType })
          const status = e.response!.status
          const scimType = (e.response!.body as { scimType?: string } | undefined)?.scimType ?? null
          // The uniqueness kinds and readonly-id-mismatch are graded by checks that also read what was stored.
          const graded = EXPECTATIONS[c.kind]
          if (graded) {
            const { grade, reason } = judgeOutcome(graded, { status, scimType })
            expect(grade, `${c.kind}: ${reason}`).toMatch(/^(pass|observe)$/)
          } else expect(status, c.kind).toBe(c.kind === 'readonly-id-mismatch' ? 200 : 409)
          if (status >= 400) expectErrorFormat(profile, e)
        },
      ),
      { numRuns: RUNS, seed: 12 },
    )
  })
})

function expectErrorFormat(profile: VendorProfile, e: Exchange): void {
  if (profile.error.format === 'problem') {
    expect(e.response!.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect((e.response!.body as { status?: unknown }).status).toBe(e.response!.status)
  } else {
    expect(judgeScimError(e).outcome).toBe('passed')
  }
}
