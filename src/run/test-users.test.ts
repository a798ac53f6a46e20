import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createScimClient, type ScimClient } from '../http/client.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { startReferenceServer, type ReferenceServer } from '../reference/server.ts'
import { createUser, TOKEN } from '../../test/support/reference.ts'
import { UserLedger } from './ledger.ts'
import { TargetSetupError } from '../errors.ts'
import { exchangeOf, scimError } from '../../test/support/fake-target.ts'
import { creationRefused, ForeignUserError, guardedClient, TestUsers } from './test-users.ts'

// The ownership rules of issue 11 on a correct server: what the guard lets through, and what it refuses.

let server: ReferenceServer
let profile: VendorProfile
let client: ScimClient
let dir: string
beforeAll(async () => {
  profile = await loadProfile({ vendor: 'cube' })
  server = await startReferenceServer({ profile, token: TOKEN })
  client = createScimClient({ baseUrl: server.origin, token: TOKEN })
  dir = mkdtempSync(join(tmpdir(), 'test-users-'))
})
afterAll(async () => {
  await client.close()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

const usersFor = (runId: string, userId: string | null = null) =>
  new TestUsers(client, profile, new UserLedger(dir, runId, { usersUrl: `${server.baseUrl}/Users`, embedded: false }), {
    runId,
    seed: 1,
    userId,
    filterSupported: true,
  })

describe('TestUsers: ownership before every write', () => {
  test('a confirmed test user may be written and deleted; the DELETE is verified and the ledger emptied', async () => {
    // Arrange
    const users = usersFor('own1')
    const guarded = guardedClient(client, users)
    // Act
    const created = await users.create(1, 'x')
    const put = await guarded.send({
      method: 'PUT',
      path: users.userPath(created.ids[0]),
      json: { ...created.created[0], displayName: 'changed' },
    })
    const outcome = await users.removeOne(created.ids[0])
    // Assert
    expect(put.response?.status).toBe(200)
    expect(outcome).toBe('removed')
    expect(server.users().map((u) => u.id)).not.toContain(created.ids[0])
    expect(new UserLedger(dir, 'own1').leftovers()).toEqual([])
  })

  test('a user the harness did not create is never written or deleted through the guard', async () => {
    // Arrange
    const real = await createUser(server, 'cube')
    const before = JSON.stringify(server.users())
    const users = usersFor('own2')
    await users.snapshotExisting()
    const guarded = guardedClient(client, users)
    // Act + Assert
    await expect(
      guarded.send({ method: 'PUT', path: users.userPath(real.id), json: { userName: 'x' } }),
    ).rejects.toBeInstanceOf(ForeignUserError)
    await expect(guarded.send({ method: 'DELETE', path: users.userPath(real.id) })).rejects.toBeInstanceOf(
      ForeignUserError,
    )
    // Adoption needs the sent userName and an id not listed before the run.
    expect(await users.adopt(real.id, String(real.userName))).toBe(false)
    // Drawn as an unknown id, it is only read: the case is not judged, and the guard still refuses a PUT there.
    expect((await users.probeAbsent(real.id))?.response?.status).toBe(200)
    await expect(
      guarded.send({ method: 'PUT', path: users.userPath(real.id), json: { userName: 'x' } }),
    ).rejects.toBeInstanceOf(ForeignUserError)
    expect(JSON.stringify(server.users())).toBe(before)
  })

  test('a made-up id gets a PUT only after a GET answered 404; the --user-id user is always writable', async () => {
    // Arrange
    const borrowed = await createUser(server, 'cube')
    const users = usersFor('own3', String(borrowed.id))
    const guarded = guardedClient(client, users)
    // Act + Assert
    await expect(guarded.send({ method: 'PUT', path: users.userPath('made-up-id'), json: {} })).rejects.toBeInstanceOf(
      ForeignUserError,
    )
    expect(await users.probeAbsent('made-up-id')).toBeNull()
    expect(
      (
        await guarded.send({
          method: 'PUT',
          path: users.userPath('made-up-id'),
          json: { schemas: [], userName: 'scimc-own3-x' },
        })
      ).response?.status,
    ).toBe(404)
    await expect(guarded.send({ method: 'DELETE', path: users.userPath('made-up-id') })).rejects.toBeInstanceOf(
      ForeignUserError,
    )
    const put = await guarded.send({ method: 'PUT', path: users.userPath(String(borrowed.id)), json: borrowed })
    expect(put.response?.status).toBe(200)
  })

  test("a test user that no longer carries the harness's mark is released, not deleted", async () => {
    // Arrange: the user is renamed behind the harness's back.
    const users = usersFor('own4')
    const created = await users.create(1, 'y')
    const id = created.ids[0]
    const renamed = await client.send({
      method: 'PUT',
      path: users.userPath(id),
      json: { ...created.created[0], userName: 'someone.else@example.com' },
    })
    expect(renamed.response?.status).toBe(200)
    // Act
    const outcome = await users.removeOne(id)
    // Assert
    expect(outcome).toBe('released')
    expect(server.users().map((u) => u.id)).toContain(id)
    expect(new UserLedger(dir, 'own4').problems()[0].problem).toMatch(
      /not deleted: it now holds userName "someone.else@example.com"/,
    )
  })

  test("postUser: a check's POST goes through the ledger; its user is a test user, a refusal leaves none", async () => {
    // Arrange
    const users = usersFor('own5')
    const guarded = guardedClient(client, users)
    const body = users.payload('race')
    const events: string[] = []
    // Act
    const posted = await users.postUser(body, { onProgress: (event) => events.push(event) })
    const again = await users.postUser({ ...body, userName: String(body.userName).toUpperCase() })
    const id = posted?.id ?? ''
    const put = await guarded.send({ method: 'PUT', path: users.userPath(id), json: { ...body, displayName: 'x' } })
    const pending = new UserLedger(dir, 'own5')
    const [leftBefore, unconfirmed] = [pending.leftovers().map((u) => u.id), pending.unconfirmed()]
    const outcome = await users.removeOne(id)
    // Assert: created and claimed (writable, deletable); the duplicate refused (409) and recorded as creating nothing.
    expect(posted?.exchange.response?.status).toBe(201)
    expect(events).toEqual(['sent', 'answered'])
    expect(again).toMatchObject({ id: null, exchange: { response: { status: 409 } } })
    expect(put.response?.status).toBe(200)
    expect(leftBefore).toEqual([id])
    expect(unconfirmed).toEqual([])
    expect(outcome).toBe('removed')
    expect(new UserLedger(dir, 'own5').leftovers()).toEqual([])
  })

  test('postUser: none with --user-id, and never a userName without the run prefix', async () => {
    const borrowed = await createUser(server, 'cube')
    const lent = usersFor('own6', String(borrowed.id))
    expect(await lent.postUser(lent.payload('x'))).toBeNull()
    const users = usersFor('own7')
    await expect(users.postUser({ ...users.payload('x'), userName: 'someone@example.com' })).rejects.toThrow(
      /does not carry the prefix scimc-own7-/,
    )
  })
})

describe('TestUsers: created from the smallest payload the vendor allows', () => {
  let constrained: ReferenceServer
  let narrow: ReferenceServer
  beforeAll(async () => {
    constrained = await startReferenceServer({ profile, token: TOKEN, constrained: true })
    narrow = await startReferenceServer({ profile, token: TOKEN, constrained: { maxStringLength: 20 } })
  })
  afterAll(async () => {
    await constrained.close()
    await narrow.close()
  })

  const poolOn = (target: ReferenceServer, runId: string) => {
    const pooled = createScimClient({ baseUrl: target.origin, token: TOKEN })
    const sent: unknown[] = []
    const recording: ScimClient = {
      send: (options) => {
        if (options.method === 'POST') sent.push(options.json)
        return pooled.send(options)
      },
      get exchangeCount() {
        return pooled.exchangeCount
      },
      close: () => pooled.close(),
    }
    const users = new TestUsers(
      recording,
      profile,
      new UserLedger(dir, runId, { usersUrl: `${target.baseUrl}/Users`, embedded: false }),
      { runId, seed: 3, userId: null },
    )
    return { users, sent, close: () => pooled.close() }
  }

  test('cube: schemas, userName and one email (the userName) — accepted by the constrained server', async () => {
    // Arrange
    const { users, sent, close } = poolOn(constrained, 'min1')
    try {
      // Act
      const created = await users.create(2, 'x')
      // Assert
      expect(sent).toHaveLength(2)
      for (const body of sent as Record<string, unknown>[]) {
        expect(Object.keys(body).sort()).toEqual(['emails', 'schemas', 'userName'])
        expect(body.emails).toEqual([{ value: body.userName, primary: true }])
        expect(String(body.userName)).toMatch(/^scimc-min1-/)
      }
      await users.remove(created)
    } finally {
      await close()
    }
  })

  test('deterministic per (seed, salt): the same run draws the same payloads again', () => {
    const a = poolOn(constrained, 'min2')
    const b = poolOn(constrained, 'min2')
    expect(a.users.payload('s')).toEqual(b.users.payload('s'))
    expect(a.users.payload('s')).not.toEqual(a.users.payload('t'))
    void a.close()
    void b.close()
  })

  test('a 400 for the minimal payload says so with the server detail, and does not advise --user-id', async () => {
    const { users, close } = poolOn(narrow, 'min3')
    try {
      const error = await users.create(1, 'x').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TargetSetupError)
      expect((error as Error).message).toMatch(
        new RegExp(
          /^cannot create a test user: the smallest payload the vendor's contract allows /.source +
            /\(attributes schemas, userName, emails\) was refused: POST \S+\/Users answered 400: /.source +
            /"userName" is \d+ characters long; this service stores at most 20 characters/.source,
        ),
      )
      expect((error as Error).message).not.toMatch(/--user-id/)
    } finally {
      await close()
    }
  })
})

describe('creationRefused: --user-id only when POST /Users itself is refused', () => {
  const request = { method: 'POST', path: '/Users', json: { schemas: [], userName: 'scimc-x-1@example.com' } }
  test.each([405, 501])('%i advises --user-id', (status) => {
    expect(creationRefused(exchangeOf(request, scimError(status)))).toMatch(/pass --user-id/)
  })
  test.each([401, 403])('%i (the token could read: preflight) names the token rights, then --user-id', (status) => {
    expect(creationRefused(exchangeOf(request, scimError(status)))).toMatch(
      /token may read Users but not create them: give it the right .*or pass --user-id/,
    )
  })
  test.each([
    [400, scimError(400, 'invalidValue', 'no')],
    [409, scimError(409, 'uniqueness')],
    [500, { status: 500, text: 'boom' }],
    [201, { status: 201, body: {} }],
  ])('%i does not', (_status, answer) => {
    expect(creationRefused(exchangeOf(request, answer))).not.toMatch(/--user-id/)
  })
})
