import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import {
  closeServers,
  killStrayChildren,
  readReport,
  removeTempDirs,
  runCli,
  secretToken,
  seedUsers,
  startCube,
  tempDir,
  TEST_TIMEOUT_MS,
} from '../support/cli.ts'
import type { ReferenceServer } from '../../src/reference/server.ts'
import { startHarmProxy, userIdOf, type HarmProxy, type ProxyBehaviour } from '../support/harm-proxy.ts'

// Issue 11, "do no harm": a correct reference server behind a proxy that changes one behaviour, with
// "real users" seeded first and compared byte for byte afterwards. Whatever the proxy makes the target
// say, the harness never writes to or deletes a user it did not create.

const proxies: HarmProxy[] = []
afterAll(async () => {
  killStrayChildren()
  await Promise.all(proxies.splice(0).map((p) => p.close()))
  await closeServers()
  await removeTempDirs()
})

interface Scene {
  server: ReferenceServer
  proxy: HarmProxy
  token: string
  realIds: string[]
  /** The real users exactly as the server holds them (meta.lastModified and version included). */
  realBytes: () => string
}

async function scene(behaviour: (realIds: string[]) => ProxyBehaviour): Promise<Scene> {
  const token = secretToken()
  const server = await startCube({ token })
  const seeded = await seedUsers(server, token, 5)
  const realIds = seeded.map((u) => String(u.id))
  const proxy = await startHarmProxy(server.origin, behaviour(realIds))
  proxies.push(proxy)
  const realBytes = () => JSON.stringify(server.users().filter((u) => realIds.includes(String(u.id))))
  return { server, proxy, token, realIds, realBytes }
}

const present = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

const writesTo = (s: Scene) =>
  s.proxy.forwarded.filter((r) => r.method !== 'GET' && s.realIds.includes(userIdOf(r.path) ?? ''))

const run = (s: Scene, extra: string[] = []) =>
  runCli([
    'run',
    '--target',
    s.proxy.origin,
    '--vendor',
    'cube',
    '--token',
    s.token,
    '--runs',
    '3',
    '--seed',
    '7',
    '--report-dir',
    ...extra,
  ])

describe('issue 11: a lying server cannot make the harness overwrite or delete real users', () => {
  test(
    "POST /Users answers 201 with an existing user's id: " +
      'exit 2 with one line, no write to any real user, no test user left',
    async () => {
      // Arrange
      const s = await scene((realIds) => ({
        response: (req, res) => {
          if (req.method !== 'POST' || res.status !== 201) return res
          const body = JSON.parse(res.body) as Record<string, unknown>
          return { ...res, body: JSON.stringify({ ...body, id: realIds[0] }) }
        },
      }))
      const before = s.realBytes()
      const dir = await tempDir()
      // Act
      const result = await run(s, [dir])
      // Assert
      expect(result.code, result.stderr).toBe(2)
      expect(result.stderr).toMatch(/POST \/Users answered id "[^"]+", the id of a user that existed before/)
      expect(result.stderr).not.toMatch(/\n\s+at /) // no stack frames
      // That line alone: the checks that could not start while the preflight failed are not listed.
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      // The worker started while the preflight ran, and sent nothing: its first request reads /Schemas.
      expect(s.proxy.forwarded.filter((r) => r.path.includes('/Schemas'))).toEqual([])
      expect(await present(join(dir, 'junit.xml'))).toBe(false)
      expect(await present(join(dir, 'report.json'))).toBe(false)
      expect(writesTo(s)).toEqual([])
      expect(s.realBytes()).toBe(before)
      // The user each POST really created was found by its userName and deleted again.
      expect(
        s.server
          .users()
          .map((u) => String(u.id))
          .sort(),
      ).toEqual([...s.realIds].sort())
    },
    TEST_TIMEOUT_MS,
  )

  test(
    "POST /Users answers with an existing user's whole body: exit 2, no write to any real user",
    async () => {
      // Arrange
      const s = await scene((realIds) => ({
        response: async (req, res, backend) => {
          if (req.method !== 'POST' || res.status !== 201) return res
          const real = await backend({ ...req, method: 'GET', path: `${req.path}/${realIds[1]}`, body: '' })
          return { ...res, body: real.body }
        },
      }))
      const before = s.realBytes()
      // Act
      const result = await run(s, [await tempDir()])
      // Assert
      expect(result.code, result.stderr).toBe(2)
      expect(result.stderr).toMatch(
        /POST \/Users answered id "[^"]+" with userName "resident[^"]*", not the "scimc-[^"]+" it sent/,
      )
      expect(writesTo(s)).toEqual([])
      expect(s.realBytes()).toBe(before)
      expect(
        s.server
          .users()
          .map((u) => String(u.id))
          .sort(),
      ).toEqual([...s.realIds].sort())
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'a server that maps unknown ids to an existing user: no PUT reaches it, the unknown-id checks are not judged',
    async () => {
      // Arrange: every /Users/{id} the backend does not hold is served by the first real user.
      const s = await scene((realIds) => ({
        request: async (req, backend) => {
          const id = userIdOf(req.path)
          if (id === null || realIds.includes(id)) return req
          const probe = await backend({ ...req, method: 'GET', body: '' })
          return probe.status === 404
            ? { ...req, path: req.path.replace(`/Users/${encodeURIComponent(id)}`, `/Users/${realIds[0]}`) }
            : req
        },
      }))
      const before = s.realBytes()
      const dir = await tempDir()
      // Act
      const result = await run(s, [
        dir,
        '--only',
        'put.status.unknown-id-404,put.errors.format,put.readonly.id-ignored,put.status.success-200',
      ])
      // Assert
      expect([0, 1], result.stderr).toContain(result.code)
      expect(writesTo(s)).toEqual([])
      expect(s.realBytes()).toBe(before)
      const report = await readReport(dir)
      const unknownId = report.results.find((r) => r.id === 'put.status.unknown-id-404')!
      expect(unknownId.status).toBe('inconclusive')
      expect(unknownId.message).toMatch(/answered 200 instead of 404, so the harness sent no PUT there/)
      expect(
        s.server
          .users()
          .map((u) => String(u.id))
          .sort(),
      ).toEqual([...s.realIds].sort())
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'a DELETE that answers 204 and deletes nothing: ' +
      'every surviving test user is named, the run warns, real users untouched',
    async () => {
      // Arrange
      const s = await scene(() => ({
        answer: (req) =>
          req.method === 'DELETE' && userIdOf(req.path) !== null ? { status: 204, headers: {}, body: '' } : null,
      }))
      const before = s.realBytes()
      const dir = await tempDir()
      // Act
      const result = await run(s, [dir, '--only', 'put.status.success-200,put.replace.values-stored,put.uniqueness.*'])
      // Assert
      expect(s.realBytes()).toBe(before)
      expect(writesTo(s)).toEqual([])
      const left = s.server
        .users()
        .map((u) => String(u.id))
        .filter((id) => !s.realIds.includes(id))
        .sort()
      expect(left.length).toBeGreaterThan(0)
      const report = await readReport(dir)
      expect(report.cleanup?.left.map((u) => u.id).sort()).toEqual(left)
      for (const id of left) expect(result.stderr).toContain(`test user ${id} `)
      expect(result.stderr).toMatch(/DELETE answered 204, but a GET then answered 200/)
      // The ledger stays, so that a later run (or `scim-conformance sweep`) can try again.
      expect(report.cleanup?.ledger).toMatch(/\.ledger\/.+\.jsonl$/)
    },
    TEST_TIMEOUT_MS,
  )
})
