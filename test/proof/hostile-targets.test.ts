import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CheckResult } from '../../src/checks/types.ts'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import type { ConformanceReport } from '../../src/report/types.ts'
import { startReferenceServer, type ReferenceServer } from '../../src/reference/server.ts'
import { faultHooks } from '../support/faults/index.ts'
import {
  endlessBody,
  hugeBody,
  listen,
  redirectTo,
  refusedOrigin,
  SABOTAGE,
  slowHeaders,
  startAnswerEverything200,
  startProxy,
  trickleBody,
  type HostileServer,
  type ProxyOptions,
} from '../support/hostile-servers.ts'

/**
 * Issue "Proof of power", point 3: against a hostile or broken target the CLI still ends every run
 * with a clear verdict (exit 0, 1 or 2, never a crash or a signal), prints no stack trace, writes
 * reports that parse, and finishes in bounded time. Each scenario is one real CLI run in a child process.
 */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
// A long token: the reports scrub every occurrence of the token, so a short one would mangle unrelated text.
const TOKEN = 'hostile-targets-token-7f3a9c21'
const ONLY = [
  'put.status.success-200',
  'put.status.success-resource',
  'put.replace.values-stored',
  'put.errors.format',
  'put.etag.header',
]
/** A run that takes longer than this is killed and counts as a hang. Generous: the machine may be busy. */
const CLI_LIMIT_MS = 180_000
/** CLI runs at a time: each is CPU-bound while it starts, and more of them only slow each other down. */
const CLI_SLOTS = 3
// A test may wait for slots before its own runs start.
const TEST_TIMEOUT_MS = 10 * 60_000

interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  durationMs: number
  killed: boolean
  /** Peak resident set size of the CLI process in KiB (Linux /proc VmHWM, last sample), or null. */
  peakRssKiB: number | null
  reportDir: string
  /** The checks selected with --only. */
  only: readonly string[]
}

/**
 * The environment of the CLI: without this test runner's own VITEST_* variables, which would confuse the nested
 * vitest.
 */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(VITEST|VITE_|TINYPOOL|SCIM_)/.test(name) && name !== 'TEST') env[name] = value
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0' }
}

function readPeakRss(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : null
  } catch {
    return null
  }
}

const reportDirs: string[] = []
let freeSlots = CLI_SLOTS
const waiting: (() => void)[] = []

async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (freeSlots > 0) freeSlots--
  else await new Promise<void>((resolve) => waiting.push(resolve))
  try {
    return await work()
  } finally {
    const next = waiting.shift()
    if (next) next()
    else freeSlots++
  }
}

/** `scim-conformance run` in a child process; resolves on 'close', kills the child after CLI_LIMIT_MS. */
function runCli(target: string, extra: string[] = [], only: readonly string[] = ONLY): Promise<CliRun> {
  return inSlot(() => spawnCli(target, extra, only))
}

function spawnCli(target: string, extra: string[], only: readonly string[]): Promise<CliRun> {
  const reportDir = mkdtempSync(join(tmpdir(), 'hostile-'))
  reportDirs.push(reportDir)
  const args = [
    'src/cli/bin.mjs',
    'run',
    '--vendor',
    'cube',
    '--target',
    target,
    '--token',
    TOKEN,
    '--seed',
    '42',
    '--runs',
    '3',
    '--only',
    only.join(','),
    '--report-dir',
    reportDir,
    '--timeout-ms',
    '5000',
    ...extra,
  ]
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let killed = false
    let peakRssKiB: number | null = null
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    // Sampled, not awaited: VmHWM only grows, so the last sample before exit is (close to) the peak.
    const sampler = setInterval(() => {
      peakRssKiB = readPeakRss(child.pid) ?? peakRssKiB
    }, 100)
    const limit = setTimeout(() => {
      killed = true
      child.kill('SIGKILL')
    }, CLI_LIMIT_MS)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearInterval(sampler)
      clearTimeout(limit)
      resolve({
        code,
        signal,
        stdout,
        stderr,
        durationMs: performance.now() - started,
        killed,
        peakRssKiB,
        reportDir,
        only,
      })
    })
  })
}

/** The invariants of every scenario: a clean exit code, no stack trace, bounded time. */
function expectCleanExit(run: CliRun): void {
  const context =
    `exit ${run.code} signal ${run.signal} after ${Math.round(run.durationMs)} ms\n` +
    `--- stderr\n${run.stderr}\n--- stdout\n${run.stdout}`
  expect(run.killed, `the CLI hung and was killed after ${CLI_LIMIT_MS} ms\n${context}`).toBe(false)
  expect(run.signal, context).toBeNull()
  expect([0, 1, 2], context).toContain(run.code)
  expect(run.stderr, context).not.toContain('    at ')
  expect(run.stdout, context).not.toContain('    at ')
  expect(run.stderr, context).not.toMatch(/internal error/i)
}

/**
 * The invariants plus intact reports: report.json parses, junit.xml is XML, report.html exists, every selected
 * check has a result.
 */
function expectVerdictWithReports(run: CliRun, { allResults = true } = {}): ConformanceReport {
  expectCleanExit(run)
  const json = join(run.reportDir, 'report.json')
  const junit = join(run.reportDir, 'junit.xml')
  expect(existsSync(json), `no report.json\n${run.stderr}`).toBe(true)
  expect(readFileSync(junit, 'utf8').startsWith('<?xml')).toBe(true)
  expect(statSync(join(run.reportDir, 'report.html')).size).toBeGreaterThan(0)
  const report = JSON.parse(readFileSync(json, 'utf8')) as ConformanceReport
  if (allResults) expect(report.results.map((r) => r.id).sort()).toEqual([...run.only].sort())
  return report
}

/**
 * A target that stopped answering (issue 12): the run ends with exit 2 and ONE harness error naming the
 * exchange, `reason` matching its "(CODE: …)" tail; never a finding. The reports are still written:
 * harnessErrors holds the error once, junit.xml records `<error type="TransportError">` and no `<failure>`,
 * stderr ends with the one line and labels no check FAILED. Returns report.json.
 */
function expectTargetGone(run: CliRun, reason: RegExp): ConformanceReport {
  // The checks that met the gone target threw instead of concluding: they have no result.
  const report = expectVerdictWithReports(run, { allResults: false })
  const context = `exit ${run.code}\n--- stderr\n${run.stderr}`
  expect(run.code, context).toBe(2)
  const gone = /^the target stopped answering: no response to PUT http:\/\/\S+\/Users\/\S+ \(/
  expect(report.harnessErrors).toHaveLength(1)
  expect(report.harnessErrors![0]).toMatch(gone)
  expect(report.harnessErrors![0]).toMatch(reason)
  expect(report.results.filter((r) => r.status === 'failed' || r.status === 'warned')).toEqual([])
  expect(report.summary.failed + report.summary.warned).toBe(0)
  const lines = run.stderr.trim().split('\n')
  expect(
    lines.filter((line) => line.includes('stopped answering')),
    context,
  ).toHaveLength(1)
  expect(lines.at(-1), context).toBe(`scim-conformance: ${report.harnessErrors![0]}`)
  expect(run.stderr, context).not.toMatch(/\bFAILED\b/)
  const junit = readFileSync(join(run.reportDir, 'junit.xml'), 'utf8')
  expect(junit).not.toContain('<failure')
  const errors = [...junit.matchAll(/<error message="([^"]*)" type="([^"]*)"\/>/g)]
  expect(errors.length).toBeGreaterThan(0)
  for (const [, message, type] of errors) {
    expect(type).toBe('TransportError')
    expect(message).toMatch(/^the target stopped answering: no response to PUT /)
  }
  return report
}

const result = (report: ConformanceReport, id: string): CheckResult => report.results.find((r) => r.id === id)!
const statuses = (report: ConformanceReport): Record<string, string> =>
  Object.fromEntries(report.results.map((r) => [r.id, r.status]))

let reference: ReferenceServer
const servers: HostileServer[] = []

async function proxy(options: ProxyOptions): Promise<HostileServer> {
  const server = await startProxy(reference.origin, options)
  servers.push(server)
  return server
}

let baseline: Promise<CliRun> | null = null
/** One run through a proxy that changes nothing: the verdicts and the memory footprint to compare with. */
function baselineRun(): Promise<CliRun> {
  baseline ??= proxy({}).then((plain) => runCli(plain.origin))
  return baseline
}

beforeAll(async () => {
  reference = await startReferenceServer({ profile: await loadProfile({ vendor: 'cube' }), token: TOKEN, etag: true })
})

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  await reference?.close()
  for (const dir of reportDirs) rmSync(dir, { recursive: true, force: true })
})

describe.concurrent('hostile and broken targets: the CLI ends with a clear verdict and intact reports', () => {
  test(
    '1. connection refused: exit 2, one line naming the target and ECONNREFUSED',
    async () => {
      // Arrange
      const origin = await refusedOrigin()
      // Act
      const run = await runCli(origin)
      // Assert
      expectCleanExit(run)
      expect(run.code).toBe(2)
      const lines = run.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain(origin)
      expect(lines[0]).toContain('ECONNREFUSED')
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '2. connection reset mid-response on PUT: one harness error with the transport reason, no finding',
    async () => {
      const target = await proxy({ put: SABOTAGE.reset })
      const run = await runCli(target.origin)
      expectTargetGone(run, /\(UND_ERR_SOCKET: /)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '3. PUT never answered, --timeout-ms 500: one harness error naming the timeout, no hang',
    async () => {
      const target = await proxy({ put: SABOTAGE.hang })
      const run = await runCli(target.origin, ['--timeout-ms', '500'])
      const report = expectTargetGone(run, /\(UND_ERR_HEADERS_TIMEOUT: No response headers within 500 ms/)
      // The first 500 ms timeout ends the run, not a wait for the socket to give up.
      expect(report.durationMs).toBeLessThan(30_000)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '4. 150 ms per response: the same verdicts as without the delay (no false failures)',
    async () => {
      const slow = await proxy({ delayMs: 150 })
      const [fastRun, slowRun] = await Promise.all([baselineRun(), runCli(slow.origin)])
      const baseline = expectVerdictWithReports(fastRun)
      const delayed = expectVerdictWithReports(slowRun)
      expect(fastRun.code).toBe(0)
      expect(slowRun.code).toBe(0)
      expect(statuses(delayed)).toEqual(statuses(baseline))
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '5. PUT answers 200 application/scim+json with a body that is not JSON: failures, reports intact',
    async () => {
      const target = await proxy({ put: SABOTAGE.notJson })
      const run = await runCli(target.origin)
      const report = expectVerdictWithReports(run)
      expect(run.code).toBe(1)
      // The 200 is an acceptance (put.status.success-200 holds), but it returns no resource: a warning of
      // put.status.success-resource, like an empty body (RFC 7644 §3.5.1's "returns a 200 OK
      // response code and the entire resource" carries no RFC 2119 keyword).
      expect(result(report, 'put.status.success-200').status).toBe('passed')
      const resource = result(report, 'put.status.success-resource')
      expect(resource.status).toBe('warned')
      expect(resource.message).toContain('Received: 200 with a body that is not a JSON resource')
      expect(resource.counterexample?.response).toMatchObject({ status: 200, bodyText: '<<garbage' })
      expect(result(report, 'put.replace.values-stored').status).toBe('failed')
      expect(result(report, 'put.etag.header').status).toBe('failed')
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '6. truncated body (Content-Length larger than sent, then close): one harness error, the bytes received named',
    async () => {
      const target = await proxy({ put: SABOTAGE.truncated })
      const run = await runCli(target.origin)
      expectTargetGone(run, /\(after status 200 and 12 body bytes\)\)$/)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '7. a 50 MiB PUT body is capped: bounded memory, small report',
    async () => {
      const huge = await proxy({ put: hugeBody(50 * 1024 * 1024) })
      const [run, plainRun] = await Promise.all([runCli(huge.origin), baselineRun()])
      const report = expectVerdictWithReports(run)
      expectVerdictWithReports(plainRun)
      expect(run.code).toBe(1)
      expect(statSync(join(run.reportDir, 'report.json')).size).toBeLessThan(20 * 1024 * 1024)
      expect(statSync(join(run.reportDir, 'report.html')).size).toBeLessThan(20 * 1024 * 1024)
      const response = result(report, 'put.status.success-resource').counterexample?.response
      expect(response).toMatchObject({ status: 200, truncated: true })
      if (run.peakRssKiB !== null && plainRun.peakRssKiB !== null) {
        // Compared with the same run against a well-behaved target, so the harness's own footprint cancels out.
        // The bound is the design's: at most --concurrency (8) answers in flight, each cut at the 8 MiB body cap
        // and held at most about four times (bytes, decoded text, the recorded copy, parsing): 8 x 8 MiB x 4.
        // Since checks run at once over one budget (issue 15), all 8 slots can hold a huge answer together.
        expect(run.peakRssKiB - plainRun.peakRssKiB).toBeLessThan(8 * 8 * 1024 * 4)
      }
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '8. Content-Length smaller than the body: no crash',
    async () => {
      const target = await proxy({ put: SABOTAGE.shortContentLength })
      const run = await runCli(target.origin)
      const report = expectVerdictWithReports(run)
      expect(run.code).toBe(1)
      // The client reads the 5 bytes announced, `{"sch`, which is no resource (a warning, RFC 7644 §3.5.1); the
      // bytes after them never become a response.
      const resource = result(report, 'put.status.success-resource')
      expect(resource.status).toBe('warned')
      expect(resource.counterexample?.response).toMatchObject({ status: 200, bodyText: '{"sch' })
      expect(result(report, 'put.replace.values-stored').status).toBe('failed')
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '9. a 302 to another host is not followed: the other host receives nothing, ' +
      'the 302 is named as why no rule was reached',
    async () => {
      // Another loopback address stands for "another host"; 127.0.0.1 when 127.0.0.2 cannot be bound.
      const elsewhere = await listen((_req, res) => res.end('{}'), '127.0.0.2').catch(() =>
        listen((_req, res) => res.end('{}')),
      )
      servers.push(elsewhere)
      const target = await proxy({ put: redirectTo(`${elsewhere.origin}/api/scim/v2/Users/stolen`) })
      const run = await runCli(target.origin)
      const report = expectVerdictWithReports(run)
      expect(elsewhere.requests).toEqual([])
      // A redirect neither accepts nor refuses the replace (the harness does not follow it): no rule was reached.
      expect(run.code).toBe(0)
      expect(report.harnessErrors).toEqual([])
      const success = result(report, 'put.status.success-200')
      expect(success.status).toBe('inconclusive')
      expect(success.message).toContain('answered 302')
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '10. 500 text/html error page for PUT: put.status.no-5xx fails showing the HTML as text, ' +
      'the others are inconclusive',
    async () => {
      const target = await proxy({ put: SABOTAGE.html500 })
      const run = await runCli(target.origin, [], ['put.status.no-5xx', 'put.status.success-200', 'put.errors.format'])
      const report = expectVerdictWithReports(run)
      expect(run.code).toBe(1)
      const no5xx = result(report, 'put.status.no-5xx')
      expect(no5xx.status).toBe('failed')
      expect(no5xx.counterexample?.response?.status).toBe(500)
      expect(no5xx.counterexample?.response?.bodyText).toContain('<h1>Internal Server Error</h1>')
      // Only put.status.no-5xx judges a 5xx: the other checks never reached their rule, and say why.
      for (const id of ['put.status.success-200', 'put.errors.format']) {
        expect(result(report, id).status, id).toBe('inconclusive')
        expect(result(report, id).message, id).toMatch(/answered 500 .*put\.status\.no-5xx judges/)
      }
      // The HTML report shows the page as text, escaped, never as markup.
      const html = readFileSync(join(run.reportDir, 'report.html'), 'utf8')
      expect(html).toContain('&lt;h1&gt;Internal Server Error&lt;/h1&gt;')
      expect(html).not.toContain('<h1>Internal Server Error</h1>')
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '11. 404 on every discovery endpoint: ETag checks skipped with the reason, notes in report.json, ' +
      'nothing else fails',
    async () => {
      const server = await startReferenceServer({
        profile: await loadProfile({ vendor: 'cube' }),
        token: TOKEN,
        etag: true,
        hooks: faultHooks(['no-discovery']),
      })
      servers.push({ origin: server.origin, requests: [], close: () => server.close() })
      const run = await runCli(server.origin)
      const report = expectVerdictWithReports(run)
      expect(run.code).toBe(0)
      expect(report.summary.failed).toBe(0)
      const etag = result(report, 'put.etag.header')
      expect(etag.status).toBe('skipped')
      expect(etag.message).toMatch(/ServiceProviderConfig/)
      expect(report.discoveryNotes).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^\/ServiceProviderConfig answered 404/),
          expect.stringMatching(/^\/Schemas answered 404/),
        ]),
      )
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '12. 200 {} to everything: a clean verdict (cannot create a test user) with reports',
    async () => {
      const target = await startAnswerEverything200()
      servers.push(target)
      const run = await runCli(target.origin)
      // No check can get its test user, so only the check that needs none has a result.
      const report = expectVerdictWithReports(run, { allResults: false })
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(/^scim-conformance: .*cannot create a test user: POST .* answered 200 \{\}/m)
      expect(report.harnessErrors?.length).toBeGreaterThan(0)
    },
    TEST_TIMEOUT_MS,
  )

  // The idle timeout bounds only the gaps; these targets never leave one, so only the whole-exchange
  // deadline (--deadline-ms) and the body cap end their exchanges.
  test(
    '13. PUT body trickles a byte every 200 ms for ever: the exchange ends at --deadline-ms, ' +
      'one harness error with reports',
    async () => {
      const target = await proxy({ put: trickleBody(200) })
      const run = await runCli(target.origin, ['--timeout-ms', '1000', '--deadline-ms', '1500'])
      const report = expectTargetGone(
        run,
        new RegExp(
          /\(SCIM_ERR_DEADLINE: The whole exchange took longer than 1500 ms \(--deadline-ms\)\. /.source +
            /\(after status 200 and \d+ body bytes\)\)$/.source,
        ),
      )
      expect(report.durationMs).toBeLessThan(30_000)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '14. PUT body streams bytes for ever, as fast as it can: cut at the cap, ' +
      'the connection dropped, a verdict with reports',
    async () => {
      const target = await proxy({ put: endlessBody })
      const run = await runCli(target.origin, ['--deadline-ms', '20000'])
      const report = expectVerdictWithReports(run)
      expect(run.code).toBe(1)
      // The cap, not the deadline, ends it: a truncated 200 whose text is no JSON resource, no harness error.
      expect(report.harnessErrors).toEqual([])
      const resource = result(report, 'put.status.success-resource')
      expect(resource.status).toBe('warned')
      expect(resource.counterexample?.response).toMatchObject({ status: 200, truncated: true })
      expect(resource.message).not.toContain('SCIM_ERR_DEADLINE')
      expect(statSync(join(run.reportDir, 'report.json')).size).toBeLessThan(20 * 1024 * 1024)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '15. PUT response headers arrive one line every 200 ms, never ending: ' +
      'the exchange is bounded, one harness error with reports',
    async () => {
      const target = await proxy({ put: slowHeaders(200) })
      const run = await runCli(target.origin, ['--timeout-ms', '1000', '--deadline-ms', '1500'])
      // undici's headers timeout is not refreshed by header bytes, so it fires first; the deadline is the backstop.
      const report = expectTargetGone(run, /\((UND_ERR_HEADERS_TIMEOUT|SCIM_ERR_DEADLINE): /)
      expect(report.durationMs).toBeLessThan(30_000)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    '16. every discovery endpoint streams for ever: discovery reads are capped too, the run ends with a verdict',
    async () => {
      const target = await proxy({ discovery: endlessBody })
      const run = await runCli(target.origin, ['--deadline-ms', '20000'])
      const report = expectVerdictWithReports(run)
      expect([0, 1]).toContain(run.code)
      // Without a readable /ServiceProviderConfig, etag support is undeclared: the ETag check is skipped with the
      // reason.
      expect(result(report, 'put.etag.header').status).toBe('skipped')
      expect(report.discoveryNotes?.length).toBeGreaterThan(0)
    },
    TEST_TIMEOUT_MS,
  )
})
