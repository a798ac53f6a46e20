import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import {
  closeServers,
  killStrayChildren,
  readReport,
  readTree,
  removeTempDirs,
  runCli,
  secretToken,
  seedUsers,
  spawnCli,
  startCube,
  tempDir,
  TEST_TIMEOUT_MS,
  userIndex,
  waitUntil,
  type CliChild,
} from '../support/cli.ts'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { type ReferenceServer, startReferenceServer } from '../../src/reference/server.ts'

// Issue 11, "interrupted runs": whatever stops a run (SIGINT, SIGTERM, SIGHUP, a second signal, SIGKILL),
// the target ends as it was found, at once or at the next run / `sweep`, and no report says a check
// passed that never ran.

afterAll(async () => {
  killStrayChildren()
  await closeServers()
  await removeTempDirs()
})

interface Started {
  server: ReferenceServer
  token: string
  before: string[]
  dir: string
  cli: CliChild
}

/** A long run against a target with users of its own, once it has created a test user of its own. */
async function startLongRun(): Promise<Started> {
  const token = secretToken()
  const server = await startCube({ token })
  await seedUsers(server, token, 2)
  const before = userIndex(server)
  const dir = await tempDir()
  const cli = spawnCli([
    'run',
    '--target',
    server.origin,
    '--vendor',
    'cube',
    '--token',
    token,
    '--runs',
    '5000',
    '--report-dir',
    dir,
  ])
  let exited = false
  void cli.exited.then(
    () => (exited = true),
    () => (exited = true),
  )
  // Past the preflight (its line names the target), and a check has created a test user.
  await waitUntil(
    () => exited || (cli.stderr().includes(' against ') && server.users().length > before.length),
    'the run has created a test user',
    { timeoutMs: 120_000 },
  )
  expect(exited, cli.stderr()).toBe(false)
  return { server, token, before, dir, cli }
}

describe('issue 11: interrupted runs leave nothing behind', () => {
  test(
    "SIGINT while the preflight's probe is out and the worker starts: exit 130, its test user removed, no report",
    async () => {
      // Arrange: a target that holds the first PUT (the preflight's first experiment on its test user).
      const token = secretToken()
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      let holding!: () => void
      const reached = new Promise<void>((resolve) => {
        holding = resolve
      })
      const server = await startReferenceServer({
        profile: await loadProfile({ vendor: 'cube' }),
        token,
        etag: true,
        hooks: [
          {
            name: 'hold-first-put',
            request: async (exchange) => {
              if (exchange.method !== 'PUT') return undefined
              holding()
              await held
              return undefined
            },
          },
        ],
      })
      try {
        await seedUsers(server, token, 2)
        const before = userIndex(server)
        const dir = await tempDir()
        const cli = spawnCli([
          'run',
          '--target',
          server.origin,
          '--vendor',
          'cube',
          '--token',
          token,
          '--report-dir',
          dir,
        ])
        await reached
        // Act
        cli.child.kill('SIGINT')
        await waitUntil(() => cli.stderr().includes('interrupted; cleaning up'), 'the signal is acknowledged')
        release()
        const exit = await cli.exited
        // Assert
        expect(exit.code, exit.stderr).toBe(130)
        expect(userIndex(server)).toEqual(before)
        // The run never passed its preflight: no check ran, so there is nothing to report.
        expect(exit.stderr).not.toContain(' against ')
        await expect(stat(join(dir, 'report.json'))).rejects.toThrow()
        await expect(stat(join(dir, 'junit.xml'))).rejects.toThrow()
      } finally {
        release()
        await server.close()
      }
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'SIGHUP: handled like Ctrl-C: users removed, exit 130, unrun checks marked not run in junit.xml, never passed',
    async () => {
      // Arrange
      const { server, before, dir, cli } = await startLongRun()
      // Act
      cli.child.kill('SIGHUP')
      const exit = await cli.exited
      // Assert
      expect(exit.code, exit.stderr).toBe(130)
      expect(userIndex(server)).toEqual(before)
      const report = await readReport(dir)
      expect(report.interrupted).toBe(true)
      expect(report.summary.passed).toBe(report.results.filter((r) => r.status === 'passed').length)
      const junit = await readFile(join(dir, 'junit.xml'), 'utf8')
      const cases = [...junit.matchAll(/<testcase [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/testcase>/g)]
      expect(cases.length).toBeGreaterThan(0)
      // Checks that ended before the signal: passed, or observed (a permitted behaviour, a passing testcase too).
      const judged = report.results.filter((r) => r.status === 'passed' || r.status === 'observed')
      const passedIds = new Set(judged.map((r) => r.id))
      // Every testcase is either a check the report says ended, or carries <skipped> / <failure> / <error>.
      for (const [, name, body] of cases)
        if (!passedIds.has(name)) expect(body, name).toMatch(/<skipped|<failure|<error/)
      expect(junit).toContain('<skipped message="interrupted"')
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'SIGINT: test users deleted, residents left, exit 130, and a check cut short is not judged',
    async () => {
      // Arrange
      const { server, before, dir, cli } = await startLongRun()
      // Act
      cli.child.kill('SIGINT')
      const exit = await cli.exited
      // Assert
      expect(exit.code, exit.stderr).toBe(130)
      expect(userIndex(server)).toEqual(before)
      expect(exit.stderr).toContain('interrupted; cleaning up test users')
      const report = await readReport(dir)
      expect(report.interrupted).toBe(true)
      // The closed client must not read as a server failure.
      expect(report.results.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.message}`)).toEqual([])
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'a second SIGINT removes the test users at once and quits (or names each that remains)',
    async () => {
      // Arrange
      const { server, before, cli } = await startLongRun()
      // Act
      cli.child.kill('SIGINT')
      await waitUntil(() => cli.stderr().includes('interrupted; cleaning up'), 'the first signal is acknowledged')
      cli.child.kill('SIGINT')
      const exit = await cli.exited
      // Assert
      expect(exit.code, exit.stderr).toBe(130)
      expect(exit.stderr).toContain('again: removing the test users now')
      const extra = userIndex(server).filter((u) => !before.includes(u))
      for (const line of extra) expect(exit.stderr).toContain(line.split(' ')[0])
      expect(extra, exit.stderr).toEqual([])
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'SIGKILL: the test users stay, junit.xml is never a torn file, and the next run (or `sweep`) removes them',
    async () => {
      // Arrange
      const { server, token, before, dir, cli } = await startLongRun()
      // Act
      cli.child.kill('SIGKILL')
      await cli.exited
      const leftBehind = userIndex(server).filter((u) => !before.includes(u))
      const files = await readTree(dir)
      const ledgers = files.filter((f) => f.path.includes('/.ledger/'))
      const junit = await stat(join(dir, 'junit.xml')).catch(() => null)
      const sweep = await runCli([
        'sweep',
        '--target',
        server.origin,
        '--vendor',
        'cube',
        '--token',
        token,
        '--report-dir',
        dir,
      ])
      // Assert
      expect(leftBehind.length).toBeGreaterThan(0)
      expect(ledgers).toHaveLength(1)
      // No junit.xml yet, or a whole one from an earlier write: never 0 bytes.
      if (junit) expect(junit.size).toBeGreaterThan(0)
      expect(sweep.code, sweep.stderr + sweep.stdout).toBe(0)
      expect(sweep.stdout).toMatch(/1 ledger\(s\) for .*; removed [1-9]\d* test user\(s\); 0 remain/)
      expect(userIndex(server)).toEqual(before)
      expect((await readTree(dir)).filter((f) => f.path.includes('/.ledger/'))).toEqual([])
    },
    TEST_TIMEOUT_MS,
  )

  test(
    "SIGKILL, then a new run: it sweeps the earlier run's test users first",
    async () => {
      // Arrange
      const { server, token, before, dir, cli } = await startLongRun()
      cli.child.kill('SIGKILL')
      await cli.exited
      expect(userIndex(server).length).toBeGreaterThan(before.length)
      // Act
      const next = await runCli([
        'run',
        '--target',
        server.origin,
        '--vendor',
        'cube',
        '--token',
        token,
        '--runs',
        '2',
        '--only',
        'put.status.success-200',
        '--report-dir',
        dir,
      ])
      // Assert
      expect(next.code, next.stderr).toBe(0)
      expect(next.stderr).toMatch(/removed [1-9]\d* test user\(s\) left by earlier runs/)
      expect(userIndex(server)).toEqual(before)
    },
    TEST_TIMEOUT_MS,
  )
})
