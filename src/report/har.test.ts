import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
import type { CheckResult } from '../checks/types.ts'
import type { Exchange } from '../http/exchange.ts'
import { secretsOf } from '../secrets.ts'
import { caseKey, type HarEntry, harEntry, harFileFor, harFileProblem, spoolLine } from '../run/har-spool.ts'
import { linkResults, writeHar } from './har.ts'
import type { ConformanceReport } from './types.ts'

// har-validator (the HAR 1.2 JSON schemas of har-schema, checked with ajv): CommonJS, no type declarations.
const harValidator = createRequire(import.meta.url)('har-validator') as { har(data: unknown): Promise<unknown> }

interface Har {
  log: { version: string; creator: { name: string; version: string }; entries: HarEntry[] }
}

afterAll(async () => {
  killStrayChildren()
  await closeServers()
  await removeTempDirs()
})

const TOKEN = 'har-test-secret-0123456789'

function exchange(overrides: Partial<Exchange> = {}): Exchange {
  return {
    request: {
      method: 'PUT',
      url: 'http://127.0.0.1:9/scim/v2/Users/abc?attributes=userName',
      headers: { 'content-type': 'application/scim+json', authorization: `Bearer ${TOKEN}` },
      body: '{"userName":"a"}',
    },
    response: {
      status: 200,
      headers: { 'content-type': 'application/scim+json' },
      bodyText: `{"echo":"${TOKEN}"}`,
      body: { echo: TOKEN },
      truncated: false,
    },
    error: null,
    startedAt: '2026-12-03T08:00:00.000Z',
    durationMs: 12,
    ...overrides,
  }
}

describe('harEntry', () => {
  const secrets = secretsOf({ token: TOKEN })

  test('a request and its response as a HAR 1.2 entry tagged with its check and case; no secret', async () => {
    // Act
    const entry = harEntry(exchange(), 'put.status.success-200', secrets, '3:0:1')
    // Assert
    const text = JSON.stringify(entry)
    expect(text).not.toContain(TOKEN)
    expect(entry.request.headers).toContainEqual({ name: 'authorization', value: 'Bearer $SCIM_TOKEN' })
    expect(entry.request.queryString).toEqual([{ name: 'attributes', value: 'userName' }])
    expect(entry.request.postData).toEqual({ mimeType: 'application/scim+json', text: '{"userName":"a"}' })
    expect(entry.response).toMatchObject({ status: 200, statusText: 'OK' })
    expect(entry._checkId).toBe('put.status.success-200')
    expect(entry._case).toBe('3:0:1')
    await expect(harValidator.har(harOf([entry]))).resolves.toBeTruthy()
  })

  test('a request that got no response: status 0 and the transport error, still valid', async () => {
    // Act
    const entry = harEntry(
      exchange({ response: null, error: { code: 'ECONNRESET', message: 'socket hang up' } }),
      null,
      secrets,
    )
    // Assert
    expect(entry.response).toMatchObject({ status: 0, _error: { code: 'ECONNRESET' } })
    expect(entry._checkId).toBeNull()
    expect(entry._case).toBeNull()
    await expect(harValidator.har(harOf([entry]))).resolves.toBeTruthy()
  })
})

describe('writeHar', () => {
  test('entries from the spool in the order they started, by check, by case; the spool removed', async () => {
    // Arrange: spooled as they ended (the later-started ones first)
    const dir = mkdtempSync(join(tmpdir(), 'scimc-har-'))
    try {
      const spool = join(dir, 'spool.jsonl')
      const at = (second: number) => ({ startedAt: `2026-12-03T08:00:0${second}.000Z` })
      const spooled = [
        harEntry(exchange(at(4)), 'put.a', [], '2:0'),
        harEntry(exchange(at(3)), 'put.a', [], '2'),
        harEntry(exchange(at(2)), 'put.a', [], '2:0'),
        harEntry(exchange(at(1)), 'put.a', [], null),
        harEntry(exchange(at(0)), null, [], null),
      ]
      for (const e of spooled) appendFileSync(spool, spoolLine(e))
      const file = join(dir, 'run.har')
      // Act
      const { link, cases } = writeHar(spool, file, { name: 'scim-conformance', version: '0.0.0' })
      // Assert
      const har = JSON.parse(readFileSync(file, 'utf8')) as Har
      expect(har.log.entries.map((e) => e.startedDateTime)).toEqual(spooled.map((e) => e.startedDateTime).reverse())
      expect(har.log.entries.map((e) => e._case)).toEqual([null, null, '2:0', '2', '2:0'])
      expect(link).toEqual({ file, entries: 5, filter: '_checkId', byCheck: { '(run)': 1, 'put.a': 4 } })
      // A case's entries by index; the check's set-up (no case) and the run's own requests are no case's.
      expect(Object.fromEntries(cases)).toEqual({ [caseKey('put.a', '2:0')]: [2, 4], [caseKey('put.a', '2')]: [3] })
      expect(existsSync(spool)).toBe(false)
      await expect(harValidator.har(har)).resolves.toBeTruthy()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('no spool (no exchange recorded): a valid HAR without entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scimc-har-'))
    try {
      const { link } = writeHar(join(dir, 'none.jsonl'), join(dir, 'run.har'), {
        name: 'scim-conformance',
        version: '0',
      })
      expect(link.entries).toBe(0)
      await expect(harValidator.har(JSON.parse(readFileSync(join(dir, 'run.har'), 'utf8')))).resolves.toBeTruthy()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test("linkResults: each result gets its check's count and its case's entries; no case, none", () => {
    // Arrange
    const written = {
      link: { file: 'run.har', entries: 6, filter: '_checkId' as const, byCheck: { 'put.a': 4, 'put.b': 2 } },
      cases: new Map([
        [caseKey('put.a', '1:0'), [3, 5]],
        [caseKey('put.a', '1'), [2]],
        [caseKey('put.b', 'single'), [1]],
      ]),
    }
    const results = [
      { id: 'put.a', case: '1:0' },
      { id: 'put.b', case: 'single' },
      { id: 'put.c', case: null },
    ] as CheckResult[]
    // Act
    linkResults(results, written)
    // Assert
    expect(results.map((r) => r.har)).toEqual([
      { entries: 4, caseEntries: [3, 5] },
      { entries: 2, caseEntries: [1] },
      { entries: 0, caseEntries: [] },
    ])
  })

  test('harFileFor: one file per vendor when a run covers several', () => {
    expect(harFileFor('/tmp/x/run.har', 'cube')).toBe('/tmp/x/run.cube.har')
    expect(harFileFor('/tmp/x/run', 'maia')).toBe('/tmp/x/run.maia')
  })

  test('harFileProblem: a folder, a missing folder and a kernel file system are refused; a new file is fine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scimc-har-'))
    try {
      expect(harFileProblem(dir)).toMatch(/is a folder/)
      expect(harFileProblem(join(dir, 'no', 'run.har'))).toMatch(/does not exist/)
      expect(harFileProblem('/proc/run.har')).toMatch(/kernel/)
      expect(harFileProblem(join(dir, 'run.har'))).toBeNull()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('scim-conformance run --har', () => {
  let token: string
  let run: CliResult
  let report: ConformanceReport
  let text: string
  let har: Har

  beforeAll(async () => {
    // Arrange
    token = secretToken()
    const server = await startCube({ token })
    const dir = await tempDir()
    const file = join(dir, 'run.har')
    // Act
    run = await runCli(
      ['run', '--vendor', 'cube', '--target', server.origin, '--runs', '3', '--report-dir', dir, '--har', file],
      { env: { SCIM_TOKEN: token } },
    )
    report = await readReport(dir)
    text = readFileSync(file, 'utf8')
    har = JSON.parse(text) as Har
  }, TEST_TIMEOUT_MS)

  test('the run ends clean and its HAR validates against the HAR 1.2 schema', async () => {
    expect(run.code, run.stderr + run.stdout).toBe(0)
    expect(har.log.version).toBe('1.2')
    await expect(harValidator.har(har)).resolves.toBeTruthy()
  })

  test('the token appears nowhere in the file; its Authorization header reads as the placeholder', () => {
    expect(text).not.toContain(token)
    const auth = har.log.entries.flatMap((e) =>
      e.request.headers.filter((h) => h.name.toLowerCase() === 'authorization'),
    )
    expect(auth.length).toBeGreaterThan(0)
    // The run's own credential reads as the placeholder; the auth checks' deliberately wrong tokens stay as sent.
    expect(auth.map((h) => h.value)).toContain('Bearer $SCIM_TOKEN')
    expect(auth.filter((h) => h.value !== 'Bearer $SCIM_TOKEN').every((h) => !h.value.includes(token))).toBe(true)
  })

  test('every entry has _checkId; each result links to its entries through it (report.json har)', () => {
    expect(har.log.entries.every((e) => '_checkId' in e)).toBe(true)
    expect(report.har).toMatchObject({ entries: har.log.entries.length, filter: '_checkId' })
    const byCheck = new Map<string, number>()
    for (const e of har.log.entries) byCheck.set(e._checkId ?? '(run)', (byCheck.get(e._checkId ?? '(run)') ?? 0) + 1)
    expect(Object.fromEntries(byCheck)).toEqual(report.har!.byCheck)
    // A result's `requests` counts its cases' requests; its HAR entries add its test users' set-up and clean-up.
    for (const r of report.results) expect(byCheck.get(r.id) ?? 0, r.id).toBeGreaterThanOrEqual(r.requests ?? 0)
    // The run's own requests (discovery, the listing of existing users) are tagged null.
    expect(byCheck.get('(run)')).toBeGreaterThan(0)
    expect(har.log.entries.length).toBeGreaterThan(report.summary.requests)
  })
})

describe('scim-conformance run --har against a faulty server: each finding links to the entries of its case', () => {
  // multi-valued-dropped: put.replace.values-stored (generated cases, shrunk) fails; auth-ignored:
  // put.auth.missing-token (one case) fails. put.status.success-200 rides along and passes.
  const PROPERTY = 'put.replace.values-stored'
  const SINGLE = 'put.auth.missing-token'
  let token: string
  let run: CliResult
  let report: ConformanceReport
  let text: string
  let har: Har
  let page: string

  beforeAll(async () => {
    // Arrange
    token = secretToken()
    const server = await startCube({ token, faults: ['multi-valued-dropped', 'auth-ignored'] })
    const dir = await tempDir()
    const file = join(dir, 'run.har')
    const only = [PROPERTY, SINGLE, 'put.status.success-200'].join(',')
    // Act
    run = await runCli(
      ['run', '--vendor', 'cube', '--target', server.origin, '--seed', '17', '--runs', '8', '--only', only].concat([
        '--report-dir',
        join(dir, 'report'),
        '--har',
        file,
      ]),
      { env: { SCIM_TOKEN: token } },
    )
    report = await readReport(join(dir, 'report'))
    text = readFileSync(file, 'utf8')
    har = JSON.parse(text) as Har
    page = readFileSync(join(dir, 'report', 'report.html'), 'utf8')
  }, TEST_TIMEOUT_MS)

  const result = (id: string) => report.results.find((r) => r.id === id)!
  /** The indices of the entries of a check's case, found in the file itself. */
  const entriesOf = (id: string, caseTag: string | null) =>
    har.log.entries.flatMap((e, i) => (e._checkId === id && e._case === caseTag ? [i] : []))

  test('both findings fail the run; the HAR still validates and holds no token', async () => {
    expect(run.code, run.stderr + run.stdout).toBe(1)
    expect(result(PROPERTY).status).toBe('failed')
    expect(result(SINGLE).status).toBe('failed')
    expect(text).not.toContain(token)
    await expect(harValidator.har(har)).resolves.toBeTruthy()
  })

  test.each([PROPERTY, SINGLE])('%s: its case is the one its path names, and its entries are that case', (id) => {
    const r = result(id)
    // The case of a generated check is its counterexample's fast-check path; a check of one case: single.
    if (id === PROPERTY) expect(r.path).toMatch(/^\d+(:\d+)*$/)
    expect(r.case).toBe(id === PROPERTY ? r.path : 'single')
    // The result lists exactly the file's entries of that case, and counts all of its check's.
    expect(r.har!.caseEntries.length).toBeGreaterThan(0)
    expect(r.har!.caseEntries).toEqual(entriesOf(id, r.case!))
    expect(r.har!.entries).toBe(har.log.entries.filter((e) => e._checkId === id).length)
    // The counterexample's request is among them, as sent.
    const sent = r.counterexample!.request
    const requests = r.har!.caseEntries.map((i) => har.log.entries[i].request)
    expect(requests).toContainEqual(
      expect.objectContaining({
        method: sent.method,
        url: sent.url,
        ...(sent.body && { postData: expect.anything() }),
      }),
    )
    if (sent.body) expect(requests.map((q) => q.postData?.text)).toContain(sent.body)
    // The report page shows the same link.
    expect(page).toContain(`data-har-case="${r.case}" data-har-case-entries="${r.har!.caseEntries.join(' ')}"`)
  })

  test("a generated check's other cases and its set-up are entries of their own, never the finding's case", () => {
    const r = result(PROPERTY)
    const tags = new Set(har.log.entries.filter((e) => e._checkId === PROPERTY).map((e) => e._case))
    // The test user's creation and deletion: the check's, no case's.
    expect(tags.has(null)).toBe(true)
    // The first failing case and each shrink try on the way to the smallest: a case each.
    expect(tags.size).toBeGreaterThan(2)
    expect([...tags].every((t) => t === null || /^\d+(:\d+)*$/.test(t))).toBe(true)
    expect(entriesOf(PROPERTY, r.case!).length).toBeLessThan(r.har!.entries)
  })
})

test('--har at a path no file can be written is one line and exit 2', async () => {
  const dir = await tempDir()
  const run = await runCli(['run', '--vendor', 'cube', '--har', join(dir, 'missing', 'run.har')])
  expect(run.code).toBe(2)
  expect(run.stderr.trim().split('\n')).toHaveLength(1)
  expect(run.stderr).toMatch(/--har .*does not exist/)
})

function harOf(entries: HarEntry[]): Har {
  return { log: { version: '1.2', creator: { name: 'scim-conformance', version: '0.0.0' }, entries } } satisfies Har
}
