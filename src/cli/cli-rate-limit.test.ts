import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  closeServers,
  killStrayChildren,
  readReport,
  removeTempDirs,
  runCli,
  secretToken,
  startCube,
  tempDir,
  TEST_TIMEOUT_MS,
  type CliResult,
} from '../../test/support/cli.ts'
import { type RateLimitedServer, startRateLimitedServer } from '../../test/support/rate-limited-server.ts'
import type { ConformanceReport } from '../report/types.ts'

// A SaaS-like target behind a token bucket that answers 429 + Retry-After when it is empty: the run waits and
// retries, slows down (--rate auto), and ends clean: no 429 is a finding of any check.

afterAll(async () => {
  killStrayChildren()
  await closeServers()
  await removeTempDirs()
})

describe('a run against a rate-limited target (--rate auto)', () => {
  let proxy: RateLimitedServer
  let run: CliResult
  let report: ConformanceReport

  beforeAll(async () => {
    // Arrange: a bucket of 10 requests, refilled at 150 a second: what the run sends in bursts.
    const token = secretToken()
    const server = await startCube({ token })
    proxy = await startRateLimitedServer(server.origin, { capacity: 10, refillPerSecond: 150 })
    const dir = await tempDir()
    // Act
    run = await runCli(
      ['run', '--vendor', 'cube', '--target', proxy.origin, '--runs', '3', '--rate', 'auto', '--report-dir', dir],
      { env: { SCIM_TOKEN: token } },
    )
    report = await readReport(dir)
    await proxy.close()
  }, TEST_TIMEOUT_MS)

  test('exit 0: no check failed or warned', () => {
    expect(run.code, run.stderr + run.stdout).toBe(0)
    const bad = report.results.filter((r) => r.status === 'failed' || r.status === 'warned')
    expect(bad.map((r) => `${r.id}: ${r.message}`)).toEqual([])
    expect(report.harnessErrors ?? []).toEqual([])
  })

  test('the target did answer 429s, and no result blames one', () => {
    expect(proxy.limited).toBeGreaterThan(0)
    expect(report.results.map((r) => r.message)).not.toContainEqual(expect.stringMatching(/\b429\b/))
  })

  test('the report records the limit as met: the rateLimit trait', () => {
    expect(report.traits.rateLimit).toMatch(/^429 to \d+ request\(s\); Retry-After: 1; \d+ retried after/)
    const told = Number(/^429 to (\d+)/.exec(report.traits.rateLimit)![1])
    // The CLI's preflight has a client of its own (in the CLI's process): its 429s are not the run's.
    expect(told).toBeGreaterThan(0)
    expect(told).toBeLessThanOrEqual(proxy.limited)
  })
})

test('--rate takes a positive number or auto: anything else is one line and exit 2', async () => {
  const run = await runCli(['run', '--vendor', 'cube', '--rate', 'fast'])
  expect(run.code).toBe(2)
  expect(run.stderr.trim().split('\n')).toEqual([
    'scim-conformance: --rate must be a positive number of requests per second or "auto", got "fast".',
  ])
})
