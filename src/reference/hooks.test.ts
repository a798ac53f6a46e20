import { beforeAll, describe, expect, test } from 'vitest'
import { call, createUser, TOKEN, uniqueUserName, validBody } from '../../test/support/reference.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import type { ServerHooks } from './hooks.ts'
import { type ReferenceServer, startReferenceServer } from './server.ts'
import type { StoredUser } from './store.ts'

// The extension point itself (the project's faults, built on it, are proven in test/support/faults/).

let cube: VendorProfile

beforeAll(async () => {
  cube = await loadProfile({ vendor: 'cube' })
})

async function withServer(hooks: ServerHooks[], run: (server: ReferenceServer) => Promise<void>): Promise<void> {
  const server = await startReferenceServer({ profile: cube, token: TOKEN, etag: true, hooks })
  try {
    await run(server)
  } finally {
    await server.close()
  }
}

/**
 * A check-then-write race: each replacing PUT waits in the `write` hook (after the server's uniqueness and If-Match
 * checks, before its save) until `writers` requests have checked, so that all of them pass their checks against
 * the same stored state. The wait is bounded, so that a test without concurrent writers cannot hang.
 */
function raceWindow(writers = 2): ServerHooks {
  let arrived = 0
  let open!: () => void
  const allChecked = new Promise<void>((resolve) => {
    open = resolve
  })
  return {
    name: 'race-window',
    write: async (call) => {
      if (call.operation !== 'replace') return
      arrived += 1
      if (arrived === writers) open()
      await Promise.race([allChecked, new Promise((resolve) => setTimeout(resolve, 2_000))])
    },
  }
}

const put = (server: ReferenceServer, user: Record<string, unknown>, userName: string, ifMatch?: string) =>
  call(server, 'PUT', `/Users/${String(user.id)}`, {
    body: validBody('cube', userName),
    headers: ifMatch ? { 'if-match': ifMatch } : {},
  })

describe('async hooks: a check-then-write window', () => {
  test('without hooks, two parallel PUTs of one new userName: one is stored, the other answered 409', async () => {
    await withServer([], async (server) => {
      // Arrange
      const [first, second] = [await createUser(server, 'cube'), await createUser(server, 'cube')]
      const wanted = uniqueUserName('race')
      // Act
      const replies = await Promise.all([put(server, first, wanted), put(server, second, wanted)])
      // Assert
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409])
      expect(server.users().filter((u) => u.userName === wanted)).toHaveLength(1)
    })
  })

  test('with a window between uniqueness check and write, both PUTs pass the check and both are stored', async () => {
    await withServer([raceWindow()], async (server) => {
      const [first, second] = [await createUser(server, 'cube'), await createUser(server, 'cube')]
      const wanted = uniqueUserName('race')
      const replies = await Promise.all([put(server, first, wanted), put(server, second, wanted)])
      expect(replies.map((r) => r.status)).toEqual([200, 200])
      expect(server.users().filter((u) => u.userName === wanted)).toHaveLength(2)
    })
  })

  test('If-Match: one of two PUTs with the current tag wins (the other: 412); with the window both do', async () => {
    for (const [hooks, statuses] of [
      [[], [200, 412]],
      [[raceWindow()], [200, 200]],
    ] as const) {
      await withServer([...hooks], async (server) => {
        const user = await createUser(server, 'cube')
        const tag = (await call(server, 'GET', `/Users/${user.id}`)).headers.etag as string
        const replies = await Promise.all([
          put(server, user, user.userName, tag),
          put(server, user, uniqueUserName('lost'), tag),
        ])
        expect(replies.map((r) => r.status).sort()).toEqual(statuses)
      })
    }
  })
})

describe('hooks see the store and decide in order', () => {
  test('a user resurrected after DELETE: write and target hooks with the store', async () => {
    // Remembers deleted users; a later request on the id addresses the old user again (and stores it back).
    const deleted = new Map<string, StoredUser>()
    const resurrect: ServerHooks = {
      write: (call) => {
        if (call.operation === 'delete') deleted.set(call.previous.id, call.previous)
      },
      target: async ({ exchange, id, correct }) => {
        const ghost = deleted.get(id)
        if (correct || !ghost) return undefined
        await new Promise((resolve) => setImmediate(resolve))
        exchange.server.store.save(ghost)
        return ghost
      },
    }
    await withServer([resurrect], async (server) => {
      const user = await createUser(server, 'cube')
      expect((await call(server, 'DELETE', `/Users/${user.id}`)).status).toBe(204)
      expect(server.users()).toEqual([])
      const get = await call(server, 'GET', `/Users/${user.id}`)
      expect([get.status, get.json.userName]).toEqual([200, user.userName])
      expect(server.users().map((u) => u.id)).toEqual([user.id])
    })
  })

  test('the first hook that decides wins; the others see the correct answer', async () => {
    const seen: boolean[] = []
    const hooks: ServerHooks[] = [
      { authorize: ({ correct }) => void seen.push(correct) },
      { authorize: () => true },
      { authorize: () => false },
    ]
    await withServer(hooks, async (server) => {
      expect((await call(server, 'GET', '/Users', { token: null })).status).toBe(200)
      expect(seen).toEqual([false])
    })
  })

  test('an early answer of a request hook goes through the error and response hooks', async () => {
    const hooks: ServerHooks[] = [
      { request: ({ method }) => (method === 'GET' ? { status: 503, error: 'Down for maintenance.' } : undefined) },
      {
        error: ({ error }) => {
          error.headers['Retry-After'] = '1'
        },
      },
      {
        response: ({ response }) => {
          response.headers['X-Seen'] = String(response.error?.reason)
        },
      },
    ]
    await withServer(hooks, async (server) => {
      const reply = await call(server, 'GET', '/Users')
      expect([reply.status, reply.json.detail, reply.headers['retry-after'], reply.headers['x-seen']]).toEqual([
        503,
        'Down for maintenance.',
        '1',
        'hook',
      ])
      expect((await call(server, 'POST', '/Users', { body: validBody('cube') })).status).toBe(201)
    })
  })

  test('a refusal waived and a value refused by the validation hooks', async () => {
    const hooks: ServerHooks[] = [
      { refusal: ({ rule }) => (rule === 'schemas' ? false : undefined) },
      { value: ({ path, value }) => (path === 'name.givenName' && value === 'Eve' ? 'No Eve here.' : undefined) },
    ]
    await withServer(hooks, async (server) => {
      const user = await createUser(server, 'cube')
      const { schemas: _none, ...body } = validBody('cube', user.userName)
      expect((await call(server, 'PUT', `/Users/${user.id}`, { body })).status).toBe(200)
      const eve = await call(server, 'PUT', `/Users/${user.id}`, { body: { ...body, name: { givenName: 'Eve' } } })
      expect([eve.status, eve.json.scimType, eve.json.detail]).toEqual([400, 'invalidValue', 'No Eve here.'])
    })
  })
})
