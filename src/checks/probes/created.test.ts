import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { buildConfig } from '../../run/config.ts'
import type { CheckContext } from '../context.ts'
import { createContext } from '../../run/context.ts'
import { UserLedger } from '../../run/ledger.ts'
import { runCheck } from '../../run/run-check.ts'
import { errorFormat } from '../areas/errors.ts'
import { unknownIdIs404, unknownIdNotCreated } from '../areas/status.ts'
import { findCreated, unknownIds } from './created.ts'

type User = { id: string; userName: string }

/** What the target holds and what it was asked to delete. */
interface FilterIgnoringTarget {
  origin: string
  users: Map<string, User>
  deletes: string[]
  /** Ids PUT was sent to. */
  puts: string[]
  close(): Promise<void>
}

/**
 * A target that declares filter support and ignores `filter`: GET /Users lists every user it holds
 * (`pageSize` of them per page). It also lies where findCreated looks: a PUT on any id answers 200
 * with the id of the first resident, and with `mapUnknown` a GET of an unknown id answers 200 with that
 * resident. POST creates and DELETE deletes, so the harness can have (and remove) test users.
 */
async function startFilterIgnoringTarget(
  residents: User[],
  pageSize = Infinity,
  mapUnknown = false,
): Promise<FilterIgnoringTarget> {
  const users = new Map(residents.map((u) => [u.id, { ...u }]))
  const deletes: string[] = []
  const puts: string[] = []
  let next = 0
  const first = residents[0]
  const server: Server = createServer((req, res) => {
    let text = ''
    req
      .setEncoding('utf8')
      .on('data', (d: string) => (text += d))
      .on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x')
        const send = (status: number, body?: unknown) => {
          res
            .writeHead(status, { 'content-type': 'application/scim+json' })
            .end(body === undefined ? '' : JSON.stringify(body))
        }
        const resource = (u: User) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], ...u })
        if (url.pathname.endsWith('/ServiceProviderConfig'))
          return send(200, { filter: { supported: true, maxResults: 100 }, etag: { supported: false } })
        const match = /\/Users(?:\/([^/]+))?$/.exec(url.pathname)
        if (!match) return send(404, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' })
        const id = match[1] === undefined ? undefined : decodeURIComponent(match[1])
        if (req.method === 'GET' && id === undefined) {
          const all = [...users.values()].map(resource)
          return send(200, {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
            totalResults: all.length,
            startIndex: 1,
            itemsPerPage: Math.min(all.length, pageSize),
            Resources: all.slice(0, pageSize),
          })
        }
        if (req.method === 'POST' && id === undefined) {
          const body = JSON.parse(text) as Record<string, unknown>
          const user = { id: `test-${++next}`, userName: String(body.userName) }
          users.set(user.id, user)
          return send(201, { ...body, ...resource(user) })
        }
        if (req.method === 'GET' && id !== undefined) {
          const user = users.get(id) ?? (mapUnknown ? users.get(first.id) : undefined)
          return user
            ? send(200, resource(user))
            : send(404, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' })
        }
        if (req.method === 'PUT' && id !== undefined) {
          puts.push(id)
          return send(200, { ...(JSON.parse(text) as object), id: first.id })
        }
        if (req.method === 'DELETE' && id !== undefined) {
          deletes.push(id)
          return users.delete(id)
            ? send(204)
            : send(404, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' })
        }
        send(405)
      })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    users,
    deletes,
    puts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

const RESIDENTS: User[] = [
  { id: 'resident-1', userName: 'alice@example.com' },
  { id: 'resident-2', userName: 'bob@example.com' },
  { id: 'resident-3', userName: 'carol@example.com' },
]

const dirs: string[] = []
let target: FilterIgnoringTarget | undefined
let ctx: CheckContext | undefined

async function contextFor(origin: string, extra: Record<string, string> = {}): Promise<CheckContext> {
  const reportDir = mkdtempSync(join(tmpdir(), 'created-'))
  dirs.push(reportDir)
  const config = buildConfig({
    vendor: 'cube',
    token: 'created-test-token',
    seed: '11',
    runs: '3',
    maxShrinks: '3',
    reportDir,
    ...extra,
  })
  ctx = await createContext(config, origin)
  return ctx
}

afterEach(async () => {
  await ctx?.client.close()
  await target?.close()
  ctx = undefined
  target = undefined
})
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('a target whose filter is ignored: the harness deletes no user it did not create', () => {
  test('unknown-id-404 and errors.format: the residents are left alone; a 200 creating nothing warns', async () => {
    // Arrange
    target = await startFilterIgnoringTarget(RESIDENTS)
    const c = await contextFor(target.origin)
    // Act
    const unknownId = await runCheck(unknownIdIs404, c)
    const errors = await runCheck(errorFormat, c)
    // Assert
    expect(target.deletes.filter((id) => id.startsWith('resident-'))).toEqual([])
    expect([...target.users.values()]).toEqual(RESIDENTS)
    expect(errors.status, errors.message).not.toBe('skipped')
    // The whole list came back and holds no user with the sent userName: nothing was created (Table 8 is a SHOULD).
    expect(unknownId.status, unknownId.message).toBe('warned')
    expect(unknownId.message).toMatch(/^Received: 200 for an id that does not exist \(nothing was created/)
  })

  test('one page of the unfiltered list: creation not ruled out, the 200 fails, nothing deleted', async () => {
    // Arrange
    target = await startFilterIgnoringTarget(RESIDENTS, 2)
    const c = await contextFor(target.origin)
    // Act
    const unknownId = await runCheck(unknownIdNotCreated, c)
    // Assert
    expect(target.deletes.filter((id) => id.startsWith('resident-'))).toEqual([])
    expect([...target.users.values()].filter((u) => u.id.startsWith('resident-'))).toEqual(RESIDENTS)
    expect(unknownId.status).toBe('failed')
    // The residents and the check's own test user (the control of a refusal is PUT there).
    expect(unknownId.message).toContain(
      'a created user cannot be ruled out (the search for the userName ignored the filter and returned one page ' +
        'of the users, 2 of 4)',
    )
  })

  test('issue 11: a target mapping unknown ids to a user gets no PUT at all; the check is inconclusive', async () => {
    // Arrange
    target = await startFilterIgnoringTarget(RESIDENTS, Infinity, true)
    const c = await contextFor(target.origin)
    // Act
    const unknownId = await runCheck(unknownIdIs404, c)
    const errors = await runCheck(errorFormat, c)
    // Assert
    expect(target.puts.filter((id) => id.startsWith('resident-') || !id.startsWith('test-'))).toEqual([])
    expect(target.deletes.filter((id) => id.startsWith('resident-'))).toEqual([])
    expect([...target.users.values()].filter((u) => u.id.startsWith('resident-'))).toEqual(RESIDENTS)
    expect(unknownId.status).toBe('inconclusive')
    expect(unknownId.exercised).toBe(0)
    expect(unknownId.message).toMatch(
      /^No case of \d+ reached the rule: a GET of the random id \S+ answered 200 instead of 404, so .* no PUT/,
    )
    expect(errors.status, errors.message).not.toBe('failed')
  })

  test('findCreated counts a case variant of the userName, never a test user, --user-id user or resident', async () => {
    // Arrange: every user below except "kept" carries the sent userName in some case; "stray" appears after the start.
    const users: User[] = [
      { id: 'kept', userName: 'someone@example.com' },
      { id: 'own-test-user', userName: 'Probe@Example.com' },
      { id: 'borrowed', userName: 'probe@EXAMPLE.com' },
      { id: 'resident', userName: 'pRobe@example.com' },
    ]
    target = await startFilterIgnoringTarget(users)
    const c = await contextFor(target.origin, { userId: 'borrowed' })
    target.users.set('stray', { id: 'stray', userName: 'PROBE@example.com' })
    const ledger = new UserLedger(dirs[dirs.length - 1], c.run.runId)
    ledger.created('own-test-user', 'Probe@Example.com')
    expect(await c.users.probeAbsent('unknown-id')).toBeNull()
    const put = await c.client.send({
      method: 'PUT',
      path: c.users.userPath('unknown-id'),
      json: { userName: 'probe@example.com' },
    })
    // Act
    const search = await findCreated(c, 'unknown-id', put, 'probe@example.com')
    // Assert
    expect(target.deletes).toEqual(['stray'])
    expect([...target.users.keys()]).toEqual(['kept', 'own-test-user', 'borrowed', 'resident'])
    expect(search.created?.how).toContain('finds id stray; deleted again')
    // The deleted user went through the ledger (created, then removed); the run's own test user is still there.
    expect(ledger.leftovers()).toEqual([{ id: 'own-test-user', userName: 'Probe@Example.com' }])
  })
})

test('unknown ids differ from one seed to the next from the first case on, and are not shrunk', () => {
  // Runs at once against one server must not draw the same id (fast-check's bias starts at 00000000-…).
  const firsts = Array.from({ length: 50 }, (_, seed) => fc.sample(unknownIds(), { seed, numRuns: 1 })[0])
  expect(new Set(firsts).size).toBe(50)
  for (const id of firsts) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  const shrunk = fc.check(
    fc.property(unknownIds(), () => false),
    { seed: 1 },
  )
  expect(shrunk.counterexample?.[0]).toBe(fc.sample(unknownIds(), { seed: 1, numRuns: 1 })[0])
})
