import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CHECKS } from '../checks/index.ts'
import type { ReferenceServer } from '../reference/server.ts'
import { escapeHtml } from '../report/_internals/html.ts'
import type { ConformanceReport } from '../report/types.ts'
import {
  closeServers,
  junitTestcase,
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

// `scim-conformance run` as a user runs it: a subprocess, its exit code, and the three reports it writes.

afterAll(async () => {
  killStrayChildren()
  await closeServers()
  await removeTempDirs()
})

const RESULT_KEYS = [
  'id',
  'title',
  'level',
  'source',
  'contract',
  'status',
  'message',
  'counterexample',
  'reproduce',
  'seed',
  'path',
]

describe('run --vendor cube against the embedded reference server', () => {
  let dir: string
  let run: CliResult
  let report: ConformanceReport
  let junit: string

  beforeAll(async () => {
    dir = await tempDir()
    run = await runCli(['run', '--vendor', 'cube', '--runs', '5', '--report-dir', dir])
    report = await readReport(dir)
    junit = await readFile(join(dir, 'junit.xml'), 'utf8')
  }, TEST_TIMEOUT_MS)

  test('exits 0 and prints the summary on stdout', () => {
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^scim-conformance \S+: cube PUT \/Users\/\{id\} at http:\/\/127\.0\.0\.1:\d+$/m)
    expect(run.stdout).toMatch(
      /^\d+ checks: \d+ passed, 0 failed, 0 warned, \d+ observed, 0 inconclusive, \d+ skipped/m,
    )
    expect(run.stdout).toContain(join(dir, 'report.json'))
  })

  test('report.json has the documented shape', () => {
    expect(report).toMatchObject({
      tool: { name: 'scim-conformance', version: expect.any(String) },
      vendor: 'cube',
      spec: expect.stringMatching(/cube\.yaml$/),
      target: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      seed: expect.any(Number),
      runs: 5,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      durationMs: expect.any(Number),
      specFindings: expect.any(Array),
    })
    expect(Object.keys(report.summary).sort()).toEqual([
      'failed',
      'inconclusive',
      'observed',
      'passed',
      'requests',
      'skipped',
      'warned',
    ])
    for (const n of Object.values(report.summary)) expect(n).toEqual(expect.any(Number))
    const { passed, failed, warned, observed, inconclusive, skipped, requests } = report.summary
    expect(passed + failed + warned + observed + inconclusive + skipped).toBe(report.results.length)
    expect(failed).toBe(0)
    // Issue 12: on the correct reference server every applicable check reaches its rule.
    expect(report.results.filter((r) => r.status === 'inconclusive').map((r) => `${r.id}: ${r.message}`)).toEqual([])
    expect(requests).toBeGreaterThan(0)
    expect(report.results.map((r) => r.id).sort()).toEqual(CHECKS.map((c) => c.id).sort())
    for (const r of report.results) {
      for (const key of RESULT_KEYS) expect(r, `${r.id}.${key}`).toHaveProperty(key)
      expect(['passed', 'warned', 'observed', 'skipped']).toContain(r.status)
      expect(r.seed).toBe(report.seed)
    }
    for (const f of report.specFindings)
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['id', 'level', 'source', 'message']))
  })

  test('junit.xml has one testcase per check, named by check id, and no failure', () => {
    const names = [...junit.matchAll(/<testcase [^>]*name="([^"]+)"/g)].map((m) => m[1])
    expect(names.sort()).toEqual(CHECKS.map((c) => c.id).sort())
    expect(junit).not.toContain('<failure')
  })

  test('report.html exists', async () => {
    expect((await stat(join(dir, 'report.html'))).size).toBeGreaterThan(0)
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/i)
  })
})

describe('run --target a reference server with faults', () => {
  // RFC 7644 §3.5.1 "HTTP PUT MUST NOT be used to create new resources" (unknown-id-not-created, MUST); RFC 7643
  // §4.1.1 userName "MUST be unique" (username-conflict, MUST). The 200 instead of Table 8's 404 is a SHOULD.
  const FAILING = ['put.status.unknown-id-not-created', 'put.uniqueness.username-conflict']
  const WARNED = 'put.status.unknown-id-404'
  let dir: string
  let run: CliResult
  let report: ConformanceReport
  let junit: string
  let reportHtml: string

  beforeAll(async () => {
    // Arrange: each fault has one obvious failing check; a third, passing check rides along.
    const token = secretToken()
    const server = await startCube({ token, faults: ['upsert-unknown-id', 'duplicate-username-accepted'] })
    dir = await tempDir()
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
      '--only',
      [...FAILING, WARNED, 'put.status.success-200'].join(','),
      '--report-dir',
      dir,
    ])
    report = await readReport(dir)
    junit = await readFile(join(dir, 'junit.xml'), 'utf8')
    reportHtml = await readFile(join(dir, 'report.html'), 'utf8')
  }, TEST_TIMEOUT_MS)

  test('exits 1 and names each failing check on stdout', () => {
    expect(run.code, run.stderr).toBe(1)
    for (const id of FAILING) expect(run.stdout).toMatch(new RegExp(`^FAIL ${id.replace(/\./g, '\\.')} `, 'm'))
    expect(run.stdout).not.toMatch(/^FAIL put\.status\.success-200/m)
    expect(run.stdout).toMatch(/^WARN put\.status\.unknown-id-404 /m)
    expect(report.results.find((r) => r.id === WARNED)?.status).toBe('warned')
  })

  test.each(FAILING)('report.json: %s failed, with a counterexample and a curl line', (id) => {
    const result = report.results.find((r) => r.id === id)!
    expect(result.status).toBe('failed')
    expect(result.counterexample?.request).toMatchObject({
      method: expect.any(String),
      url: expect.stringContaining(report.target),
    })
    expect(result.reproduce).toMatch(/^curl /)
    expect(report.results.find((r) => r.id === 'put.status.success-200')?.status).toBe('passed')
  })

  // The reproduction script, which makes its own test users, stands where the curl line of the deleted one was.
  test.each(FAILING)('junit.xml: %s has a failure element with the check id and the reproduction script', (id) => {
    const testcase = junitTestcase(junit, id)
    expect(testcase).not.toBeNull()
    const failure = /<failure [\s\S]*?<\/failure>/.exec(testcase!)?.[0]
    expect(failure).toContain(`[${id}]`)
    expect(failure).toMatch(/curl -sS .*-X (&apos;|')?[A-Z]+/)
    expect(failure).toContain('SCIM_BASE')
    expect(junitTestcase(junit, 'put.status.success-200')).not.toContain('<failure')
  })

  test.each(FAILING)('report.html: shows %s and its reproduction script', (id) => {
    const result = report.results.find((r) => r.id === id)!
    expect(reportHtml).toContain(id)
    expect(result.reproduction?.script).toContain('curl ')
    expect(reportHtml).toContain(escapeHtml(result.reproduction!.script.split('\n').find((l) => l.includes('curl '))!))
  })
})

describe('--fail-on should', () => {
  const ID = 'put.meta.last-modified-advances'
  let server: ReferenceServer
  let token: string

  beforeAll(async () => {
    token = secretToken()
    // A SHOULD-level deviation: meta.lastModified never moves. A warning, not a failure.
    server = await startCube({ token, faults: ['frozen-last-modified'] })
  })

  const runWith = async (extra: string[]) => {
    const dir = await tempDir()
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
      '--only',
      ID,
      '--report-dir',
      dir,
      ...extra,
    ])
    return { run, report: await readReport(dir) }
  }

  test.concurrent(
    'a warning exits 0 by default',
    async () => {
      const { run, report } = await runWith([])
      expect(report.results.find((r) => r.id === ID)?.status).toBe('warned')
      expect(run.stdout).toMatch(new RegExp(`^WARN ${ID.replace(/\./g, '\\.')} `, 'm'))
      expect(run.code, run.stderr).toBe(0)
    },
    TEST_TIMEOUT_MS,
  )

  test.concurrent(
    'the same warning exits 1 with --fail-on should',
    async () => {
      const { run, report } = await runWith(['--fail-on', 'should'])
      expect(report.results.find((r) => r.id === ID)?.status).toBe('warned')
      expect(run.code, run.stderr).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )
})

// Regression: token scrubbing replaced every occurrence of the token as a substring, so `--token T`
// rewrote the report itself ("MUST" → "MUS$SCIM_TOKEN"), the console summary crashed (exit 2) and
// report.html was not written.
test(
  'a one-character --token leaves the reports intact',
  async () => {
    const dir = await tempDir()
    const run = await runCli([
      'run',
      '--vendor',
      'cube',
      '--token',
      'T',
      '--runs',
      '1',
      '--only',
      'put.status.success-200',
      '--report-dir',
      dir,
    ])
    expect(run.code, run.stderr).toBe(0)
    const report = await readReport(dir)
    expect(report.results.map((r) => r.level)).toEqual(['MUST'])
    expect(report.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect((await stat(join(dir, 'report.html'))).size).toBeGreaterThan(0)
  },
  TEST_TIMEOUT_MS,
)

// Issue 15: without --vendor the three vendors run at once (each its own vitest run and reference server); their
// summaries come out in the vendors' order, whichever ended first.
test(
  'run without --vendor runs the three vendors at once and prints their summaries in order',
  async () => {
    const dir = await tempDir()
    const run = await runCli(['run', '--runs', '2', '--only', 'put.status.success-200', '--report-dir', dir])
    expect(run.code, run.stderr).toBe(0)
    const order = [...run.stdout.matchAll(/^scim-conformance \S+: (\w+) PUT/gm)].map((m) => m[1])
    expect(order).toEqual(['lightdash', 'maia', 'cube'])
    const reports = await Promise.all(order.map((v) => readReport(join(dir, v))))
    expect(reports.map((r) => [r.vendor, r.results.map((x) => x.status)])).toEqual(order.map((v) => [v, ['passed']]))
    // The runs overlapped: each began before every other one ended.
    const spans = reports.map((r) => [Date.parse(r.startedAt), Date.parse(r.startedAt) + r.durationMs])
    for (const [start] of spans) for (const [, end] of spans) expect(start).toBeLessThan(end)
    // Progress lines (a CI log) name their vendor.
    expect(run.stderr).toMatch(/^ {2}maia +PASSED +put\.status\.success-200/m)
  },
  TEST_TIMEOUT_MS,
)
