import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FaultName } from '../../test/support/faults/index.ts'
import type { ReferenceServer } from '../reference/server.ts'
import {
  closeServers,
  killStrayChildren,
  readReport,
  readTree,
  removeTempDirs,
  runCli,
  secretToken,
  seedUsers,
  startCube,
  tempDir,
  TEST_TIMEOUT_MS,
  userIndex,
  type CliResult,
} from '../../test/support/cli.ts'

// What a run does to the target and to its own output: the token is never written anywhere, the
// target's own users are left exactly as they were (passing, failing, interrupted), and a --user-id
// user is put back as it was.

afterAll(async () => {
  killStrayChildren()
  await closeServers()
  await removeTempDirs()
})

const resident = (server: ReferenceServer) => server.users()

/** A run against a server that holds users of its own, with a token nothing else contains. */
function describeRunAgainstResidents(title: string, faults: FaultName[], expectedCode: number): void {
  describe(title, () => {
    let token: string
    let server: ReferenceServer
    let before: string[]
    let dir: string
    let run: CliResult

    beforeAll(async () => {
      // Arrange
      token = secretToken()
      server = await startCube({ token, faults })
      await seedUsers(server, token, 3)
      before = userIndex(server)
      dir = await tempDir()
      // Act: every check (--runs 3), so that every report section and every curl line is written.
      run = await runCli([
        'run',
        '--target',
        server.origin,
        '--vendor',
        'cube',
        '--token',
        token,
        '--runs',
        '3',
        '--report-dir',
        dir,
      ])
    }, TEST_TIMEOUT_MS)

    test(`exits ${expectedCode}`, () => {
      expect(run.code, run.stderr).toBe(expectedCode)
    })

    test('the token is in no file under the report dir, nor in stdout or stderr', async () => {
      const files = await readTree(dir)
      expect(files.map((f) => f.path)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/report\.json$/),
          expect.stringMatching(/report\.html$/),
          expect.stringMatching(/junit\.xml$/),
        ]),
      )
      // Every test user was deleted (and the DELETE verified), so the run's ledger went with them.
      expect(files.filter((f) => f.path.includes('/.ledger/')).map((f) => f.text)).toEqual([])
      for (const f of files) expect(f.text.includes(token), f.path).toBe(false)
      expect(run.stdout).not.toContain(token)
      expect(run.stderr).not.toContain(token)
      // A failure's curl line stands in $SCIM_TOKEN for it: the token was sent, and scrubbed.
      if (expectedCode === 1)
        expect(files.find((f) => f.path.endsWith('report.json'))!.text).toContain('Bearer $SCIM_TOKEN')
    })

    test('the target holds exactly the users it held before', () => {
      expect(userIndex(server)).toEqual(before)
      expect(resident(server)).toHaveLength(3)
    })
  })
}

describeRunAgainstResidents('a passing run against a target with users of its own', [], 0)
describeRunAgainstResidents(
  'a failing run against a target with users of its own',
  ['duplicate-username-accepted', 'null-not-clearing', 'frozen-last-modified'],
  1,
)

/** The parts of a representation a PUT of the same values leaves as they were (not lastModified, not version). */
function stable(user: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!user) return user
  const { lastModified: _lastModified, version: _version, ...meta } = user.meta as Record<string, unknown>
  return { ...user, meta }
}

test(
  '--user-id: the user is modified by the checks, then restored exactly; no other user is created',
  async () => {
    // Arrange
    const token = secretToken()
    const server = await startCube({ token })
    const [{ id }] = await seedUsers(server, token, 1)
    const before = server.users().find((u) => u.id === id)
    const dir = await tempDir()
    const checks = ['put.replace.values-stored', 'put.meta.created-stable', 'put.status.success-200']
    // Act
    const run = await runCli([
      'run',
      '--target',
      server.origin,
      '--vendor',
      'cube',
      '--token',
      token,
      '--runs',
      '3',
      '--user-id',
      String(id),
      '--only',
      checks.join(','),
      '--report-dir',
      dir,
    ])
    // Assert
    expect(run.code, run.stderr).toBe(0)
    const report = await readReport(dir)
    expect(report.results.map((r) => [r.id, r.status]).sort()).toEqual(checks.map((c) => [c, 'passed']).sort())
    expect(run.stderr).toContain(`Restored --user-id ${String(id)} to its saved state`)
    const after = server.users()
    expect(after.map((u) => u.id)).toEqual([id])
    expect(stable(after[0])).toEqual(stable(before))
    expect(after[0].meta).not.toEqual(before!.meta) // it was written to, so lastModified moved
    const ledger = (await readTree(dir)).filter((f) => f.path.includes('/.ledger/'))
    expect(ledger.map((f) => f.text).join('')).not.toContain('"op":"create"')
  },
  TEST_TIMEOUT_MS,
)

// Regression: a check that makes a faulty server create or move a user must delete it again.
describe('a faulty target that creates or moves users is still left as it was found', () => {
  const leaves = async (fault: FaultName, only: string, runs: string) => {
    const token = secretToken()
    const server = await startCube({ token, faults: [fault] })
    await seedUsers(server, token, 1)
    const before = userIndex(server)
    const run = await runCli([
      'run',
      '--target',
      server.origin,
      '--vendor',
      'cube',
      '--token',
      token,
      '--seed',
      '1',
      '--runs',
      runs,
      '--only',
      only,
      '--report-dir',
      await tempDir(),
    ])
    expect([0, 1], run.stderr).toContain(run.code)
    expect(userIndex(server)).toEqual(before)
  }

  test.concurrent(
    'put.errors.format: a PUT on an unknown id that upserts (upsert-unknown-id) is deleted again',
    () => leaves('upsert-unknown-id', 'put.errors.format', '10'),
    TEST_TIMEOUT_MS,
  )

  test.concurrent(
    'put.readonly.id-ignored: a user moved to the body id (id-from-body) is deleted again',
    () => leaves('id-from-body', 'put.readonly.id-ignored', '3'),
    TEST_TIMEOUT_MS,
  )
})

// Issue 16: the preflight's one authenticated read. Refused credentials and a wrong --target end the run before any
// check with one line and exit 2; no report is written (no per-check results at all, in every format).
describe('preflight: refused credentials and a wrong --target are one line, exit 2, no reports', () => {
  const stopsBeforeAnyCheck = async (run: CliResult, dir: string) => {
    expect(run.code, run.stderr).toBe(2)
    expect(run.stdout).toBe('')
    expect((await readTree(dir)).map((f) => f.path)).toEqual([])
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '')
    expect(lines, run.stderr).toHaveLength(1)
    return lines[0]
  }

  test.concurrent(
    'a wrong token: the status and SCIM_TOKEN, never "pass --user-id", no "0 failed"',
    async () => {
      const server = await startCube({ token: secretToken() })
      const dir = await tempDir()
      const run = await runCli(['run', '--target', server.origin, '--vendor', 'cube', '--report-dir', dir], {
        env: { SCIM_TOKEN: secretToken() },
      })
      const line = await stopsBeforeAnyCheck(run, dir)
      expect(line).toMatch(/^scim-conformance: the target refused the credentials: GET \S+ answered 401 Unauthorized/)
      expect(line).toContain('check SCIM_TOKEN')
      expect(line).not.toContain('--user-id')
      expect(server.users()).toEqual([])
    },
    TEST_TIMEOUT_MS,
  )

  test.concurrent(
    'a missing token: the same one line',
    async () => {
      const server = await startCube({ token: secretToken() })
      const dir = await tempDir()
      const run = await runCli(['run', '--target', server.origin, '--vendor', 'cube', '--report-dir', dir])
      const line = await stopsBeforeAnyCheck(run, dir)
      expect(line).toMatch(/^scim-conformance: the target refused the credentials: GET \S+ answered 401 Unauthorized/)
      expect(line).toContain('without a token')
      expect(line).toContain('set SCIM_TOKEN')
    },
    TEST_TIMEOUT_MS,
  )

  test.concurrent(
    'a wrong path (origin + /nope): one line naming the right --target',
    async () => {
      const token = secretToken()
      const server = await startCube({ token })
      const dir = await tempDir()
      const run = await runCli(['run', '--target', `${server.origin}/nope`, '--vendor', 'cube', '--report-dir', dir], {
        env: { SCIM_TOKEN: token },
      })
      const line = await stopsBeforeAnyCheck(run, dir)
      expect(line).toContain(`GET ${server.origin}/nope/api/scim/v2/Users?count=1 answered 404`)
      expect(line.endsWith(`pass --target ${server.origin}`), line).toBe(true)
    },
    TEST_TIMEOUT_MS,
  )
})

test(
  'the SCIM base URL `serve` prints works exactly like the origin: same verdicts, the auth checks included',
  async () => {
    const checks = [
      'put.replace.values-stored',
      'put.status.success-200',
      'put.errors.format',
      'put.auth.missing-token-401',
      'put.auth.invalid-token-401',
      'put.auth.www-authenticate',
    ]
    const verdicts = async (target: (s: ReferenceServer) => string) => {
      const token = secretToken()
      const server = await startCube({ token })
      const dir = await tempDir()
      const run = await runCli(
        ['run', '--target', target(server), '--vendor', 'cube', '--seed', '1', '--runs', '3'].concat([
          '--only',
          checks.join(','),
          '--report-dir',
          dir,
        ]),
        { env: { SCIM_TOKEN: token } },
      )
      expect(run.code, run.stderr).toBe(0)
      expect(run.stderr).not.toContain('ERROR')
      expect(server.users()).toEqual([])
      return (await readReport(dir)).results.map((r) => [r.id, r.status]).sort()
    }
    const [fromOrigin, fromBase] = await Promise.all([verdicts((s) => s.origin), verdicts((s) => s.baseUrl)])
    expect(fromBase).toEqual(fromOrigin)
    expect(fromOrigin).toEqual(checks.map((c) => [c, 'passed']).sort())
  },
  TEST_TIMEOUT_MS,
)
