import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { NO_CONSTRAINTS, type ServerConstraints } from '../checks/context.ts'
import { createScimClient, type ScimClient, type SendOptions } from '../http/client.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { type ReferenceServer, startReferenceServer } from '../reference/server.ts'
import type { ReferenceServerOptions } from '../reference/server.ts'
import { type Answer, exchangeOf, scimError } from '../../test/support/fake-target.ts'
import { TOKEN } from '../../test/support/reference.ts'
import { baseOf, learnConstraints, learnOnce, learnWithTestUser, textOf } from './learn-constraints.ts'
import { UserLedger } from './ledger.ts'
import { guardedClient, TestUsers } from './test-users.ts'

// Control experiments against the real reference server: the constrained flavour (RFC-permitted input
// limits) teaches its constraints; the default server teaches nothing.

const started: { server: ReferenceServer; client: ScimClient }[] = []
let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'learn-constraints-'))
})
afterAll(async () => {
  for (const { server, client } of started) {
    await client.close()
    await server.close()
  }
  rmSync(dir, { recursive: true, force: true })
})

let runs = 0
/** Starts a reference server for `vendor` and learns on a test user of it, as a run context does. */
async function learnOn(
  vendor: string,
  options: Partial<ReferenceServerOptions> = {},
): Promise<{ learned: ServerConstraints; server: ReferenceServer; profile: VendorProfile }> {
  const profile = await loadProfile({ vendor, validate: false })
  const server = await startReferenceServer({ profile, token: TOKEN, host: '127.0.0.1', port: 0, ...options })
  const client = createScimClient({ baseUrl: server.origin, token: TOKEN })
  started.push({ server, client })
  const runId = `learn${++runs}`
  const users = new TestUsers(
    client,
    profile,
    new UserLedger(dir, runId, { usersUrl: `${server.baseUrl}/Users`, embedded: false }),
    {
      runId,
      seed: 7,
      userId: null,
    },
  )
  const learned = await learnWithTestUser(guardedClient(client, users), profile, users)
  return { learned, server, profile }
}

describe('learning on the constrained reference server', () => {
  test(
    'cube: a 100-character cap, one value per type, no empty items, emails defaulted from userName; ' +
      'the test user is gone after',
    async () => {
      // Act
      const { learned, server } = await learnOn('cube', { constrained: true })
      // Assert
      expect(learned.maxLength).toBe(100)
      expect(learned.traits['constraint.maxLength']).toMatch(
        new RegExp(
          /^100 \(256 refused in name\.givenName: 400 invalidValue: /.source +
            /"name\.givenName" is 256 characters long; this service stores at most 100 characters/.source,
        ),
      )
      // Cube's document gives emails no `type`, RFC 7643 does: the server takes it, and one value per type.
      expect(learned.oneValuePerType).toBe(true)
      expect(learned.traits['constraint.type-unique']).toMatch(
        /^emails \(two values of type "work" refused: 400 invalidValue: /,
      )
      expect(learned.noEmptyItems).toBe(true)
      expect(learned.traits['constraint.no-empty-items']).toMatch(/^emails \(an item \{\} refused: 400 invalidValue: /)
      expect(learned.defaults.emails).toEqual([{ value: expect.stringMatching(/^scimc-learn\d+-/), primary: true }])
      expect(learned.traits['constraint.default.emails']).toBe(
        '[{"value":"<userName>","primary":true}] assigned when emails is omitted',
      )
      expect(learned.notes).toEqual([])
      expect(server.users()).toEqual([])
    },
  )

  test('generic: the same, and one value per type in emails', async () => {
    const { learned } = await learnOn('generic', { constrained: true })
    expect(learned).toMatchObject({ maxLength: 100, oneValuePerType: true, noEmptyItems: true })
    expect(learned.traits['constraint.maxLength']).toMatch(/^100 \(256 refused in displayName: /)
    expect(learned.traits['constraint.type-unique']).toMatch(
      new RegExp(
        /^emails \(two values of type "work" refused: 400 invalidValue: /.source +
          /"emails\[0\]" and "emails\[1\]" both have type "work"/.source,
      ),
    )
  })

  test('maia (problem-details errors, meta required in the request): the same limits are learned', async () => {
    const { learned } = await learnOn('maia', { constrained: true })
    expect(learned).toMatchObject({ maxLength: 100, oneValuePerType: true, noEmptyItems: true })
    expect(learned.traits['constraint.maxLength']).toMatch(/^100 \(256 refused in displayName: 400: /)
  })

  test('a cap of its own is found between the steps: 60 characters → 32 accepted, 64 refused', async () => {
    const { learned } = await learnOn('cube', { constrained: { maxStringLength: 60 } })
    expect(learned.maxLength).toBe(32)
    expect(learned.traits['constraint.maxLength']).toMatch(/^32 \(64 refused in name\.givenName: /)
  })

  test('--user-id: the experiments run on that user, which is put back as it was after them', async () => {
    // Arrange
    const profile = await loadProfile({ vendor: 'cube', validate: false })
    const server = await startReferenceServer({ profile, token: TOKEN, constrained: true })
    const client = createScimClient({ baseUrl: server.origin, token: TOKEN })
    started.push({ server, client })
    const owner = await client.send({
      method: 'POST',
      path: `${profile.basePath}/Users`,
      json: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'resident@example.com',
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ value: 'ada@example.com', primary: true }],
        active: true,
      },
    })
    const before = owner.response!.body as Record<string, unknown>
    const users = new TestUsers(client, profile, new UserLedger(dir, 'borrowed', null), {
      runId: 'borrowed',
      seed: 7,
      userId: String(before.id),
    })
    // Act
    const learned = await learnWithTestUser(guardedClient(client, users), profile, users, { borrowed: true })
    // Assert
    expect(learned).toMatchObject({ maxLength: 100, noEmptyItems: true })
    const [after] = server.users()
    const { meta: _m1, ...was } = before
    const { meta: _m2, ...is } = after
    expect(is).toEqual(was)
  })

  test.each(['cube', 'generic', 'lightdash', 'maia'])(
    '%s: the default (unconstrained) server teaches nothing',
    async (vendor) => {
      const { learned, server } = await learnOn(vendor)
      expect(learned).toEqual({ ...NO_CONSTRAINTS, defaults: {}, traits: {}, notes: [] })
      expect(server.users()).toEqual([])
    },
  )
})

/** A scripted client: every PUT answered by `answer` (given the body sent), every GET by the last PUT's body. */
function scripted(answer: (body: Record<string, unknown>) => Answer): ScimClient & { sent: SendOptions[] } {
  const sent: SendOptions[] = []
  let last: unknown = {}
  return {
    sent,
    async send(request) {
      sent.push(request)
      if (request.method === 'GET') return exchangeOf(request, { status: 200, body: last })
      const reply = answer(request.json as Record<string, unknown>)
      if (reply.status < 300) last = request.json
      return exchangeOf(request, reply)
    },
    exchangeCount: 0,
    close: async () => {},
  }
}

describe('what does not count as a constraint', () => {
  let profile: VendorProfile
  const representation = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    id: 'u1',
    userName: 'scimc-x-abcd@example.com',
    emails: [{ value: 'scimc-x-abcd@example.com', primary: true }],
    meta: { resourceType: 'User', created: '2024-01-01T00:00:00Z' },
  }
  const target = { path: '/api/scim/v2/Users/u1', representation }
  const longest = (body: Record<string, unknown>) =>
    Array.from(((body.name as Record<string, string> | undefined)?.givenName ?? '') as string).length
  beforeAll(async () => {
    profile = await loadProfile({ vendor: 'cube', validate: false })
  })

  test('a 5xx for a long string teaches no cap (put.status.no-5xx judges it), and says so', async () => {
    const client = scripted((body) => (longest(body) > 100 ? { status: 500, text: 'boom' } : { status: 200, body }))
    const learned = await learnConstraints(client, profile, target)
    expect(learned.maxLength).toBeNull()
    expect(learned.traits['constraint.maxLength']).toBeUndefined()
    expect(learned.notes).toContain(
      'constraints: 1024 characters in name.givenName: the PUT answered 500; no length limit learned',
    )
  })

  test('a 400 without an error body is no refusal to learn from', async () => {
    const client = scripted((body) => (longest(body) > 100 ? { status: 400, text: 'no' } : { status: 200, body }))
    expect((await learnConstraints(client, profile, target)).maxLength).toBeNull()
  })

  test('when the control (the user as it is) is refused, nothing is learned, and the note says why', async () => {
    const client = scripted(() => scimError(400, 'invalidValue', 'nope'))
    const learned = await learnConstraints(client, profile, target)
    expect(learned).toMatchObject({ maxLength: null, noEmptyItems: false, traits: {} })
    expect(learned.notes[0]).toMatch(
      /a PUT of the test user's own accepted state was refused \(400 invalidValue: nope\)/,
    )
    expect(client.sent).toHaveLength(1)
  })

  test('an attribute refused at every length is refused itself: no cap', async () => {
    const client = scripted((body) => (body.name ? scimError(400, 'invalidValue', 'no name') : { status: 200, body }))
    const learned = await learnConstraints(client, profile, target)
    expect(learned.maxLength).toBeNull()
    expect(learned.notes.some((n) => /even 32 characters in name\.givenName were refused/.test(n))).toBe(true)
  })

  test(
    'the base is the representation without readOnly id and meta (unless the vendor requires them), ' +
      'the PUT carries it',
    async () => {
      expect(baseOf(profile, representation)).toEqual({
        schemas: representation.schemas,
        userName: representation.userName,
        emails: representation.emails,
      })
      const maia = await loadProfile({ vendor: 'maia', validate: false })
      expect(baseOf(maia, representation)).toHaveProperty('meta')
    },
  )

  test('lengths are code points, with non-ASCII text and no white space at the ends', () => {
    const text = textOf(100)
    expect(Array.from(text)).toHaveLength(100)
    expect(text).toMatch(/[^\x20-\x7e]/)
    expect(text.trim()).toBe(text)
  })
})

describe('learnOnce', () => {
  test('one learning per key, shared by every caller; a failure is not kept', async () => {
    let calls = 0
    const learn = async () => {
      calls++
      return NO_CONSTRAINTS
    }
    const [a, b] = await Promise.all([learnOnce('k1', learn), learnOnce('k1', learn)])
    expect(a).toBe(b)
    expect(calls).toBe(1)
    await expect(learnOnce('k2', () => Promise.reject(new Error('lost')))).rejects.toThrow('lost')
    await learnOnce('k2', learn)
    expect(calls).toBe(2)
  })
})
