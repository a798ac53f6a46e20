import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadProfile } from '../profile/vendor-profile.ts'
import { type ReferenceServer, startReferenceServer } from '../reference/server.ts'
import type { ConformanceReport } from '../report/types.ts'
import {
  killStrayChildren,
  readReport,
  removeTempDirs,
  runCli,
  secretToken,
  tempDir,
  TEST_TIMEOUT_MS,
  type CliResult,
} from '../../test/support/cli.ts'

// `run --vendor cube` against the constrained reference server (strings capped at 100 characters, `{}`
// items refused, emails defaulted from userName: RFC-permitted limits): test users are created from the
// smallest payload, the limits are learned once before the checks and listed in the report.

let server: ReferenceServer
let run: CliResult
let report: ConformanceReport

beforeAll(async () => {
  // Arrange
  const token = secretToken()
  server = await startReferenceServer({ profile: await loadProfile({ vendor: 'cube' }), token, constrained: true })
  const dir = await tempDir()
  // Act
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
  report = await readReport(dir).catch((error: unknown) => {
    throw new Error(`no report.json (exit ${run.code}): ${String(error)}\n${run.stderr}`)
  })
}, TEST_TIMEOUT_MS)

afterAll(async () => {
  killStrayChildren()
  await server?.close()
  await removeTempDirs()
})

describe('run --vendor cube against the constrained reference server', () => {
  test('no test user creation fails: no harness error, no "cannot create a test user" anywhere', () => {
    expect(report.harnessErrors).toEqual([])
    expect(run.code, run.stderr).not.toBe(2)
    const all = [run.stdout, run.stderr, ...report.results.map((r) => r.message)].join('\n')
    expect(all).not.toMatch(/cannot create a test user/)
  })

  test('report.json lists the learned constraints, also among the traits; the console prints them on one line', () => {
    expect(report.constraints).toEqual({
      'constraint.maxLength': expect.stringMatching(
        /^100 \(256 refused in name\.givenName: 400 invalidValue: "name\.givenName" is 256 characters long/,
      ),
      'constraint.type-unique': expect.stringMatching(
        /^emails \(two values of type "work" refused: 400 invalidValue: /,
      ),
      'constraint.no-empty-items': expect.stringMatching(/^emails \(an item \{\} refused: 400 invalidValue: /),
      'constraint.default.emails': '[{"value":"<userName>","primary":true}] assigned when emails is omitted',
    })
    expect(report.traits).toMatchObject(report.constraints!)
    expect(run.stdout).toMatch(/^constraints learned: constraint\.maxLength: 100 \(256 refused/m)
  })

  test('no test user is left on the server', () => {
    expect(server.users()).toEqual([])
  })
})
