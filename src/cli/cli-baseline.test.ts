import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type FaultName, faultHooks } from '../../test/support/faults/index.ts'
import {
  type CliResult,
  killStrayChildren,
  readReport,
  removeTempDirs,
  runCli,
  secretToken,
  tempDir,
  TEST_TIMEOUT_MS,
} from '../../test/support/cli.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import type { BaselineFile } from '../report/baseline.ts'
import { type ReferenceServer, startReferenceServer } from '../reference/server.ts'
import type { ConformanceReport } from '../report/types.ts'

// Issue 17 item 1, the regression gate, through real CLI runs: one target (one port) that gains a fault, then loses
// one, between runs.
// RFC 7644 §3.5.1: a PUT to an unknown id creates a user (MUST: fails; no 404: SHOULD, warns); RFC 7643 §3.1: id is
// the server's (MUST: id-from-body fails); meta.created never changes (MUST: created-changes fails).
const UPSERT = ['put.status.unknown-id-not-created', 'put.status.unknown-id-404']
const ID_FROM_BODY = 'put.readonly.id-ignored'
const CREATED = 'put.meta.created-stable'
const ONLY = [...UPSERT, ID_FROM_BODY, CREATED].join(',')

let token: string
let port = 0
let origin: string
let server: ReferenceServer | null = null

/** The reference server with these faults, on the same port each time: the same target for the baseline. */
async function serveWith(faults: FaultName[]): Promise<void> {
  await server?.close()
  server = await startReferenceServer({
    profile: await loadProfile({ vendor: 'cube' }),
    token,
    etag: true,
    port,
    hooks: faultHooks(faults),
  })
  port = Number(new URL(server.origin).port)
  origin = server.origin
}

async function run(extra: string[]): Promise<CliResult & { report: ConformanceReport; dir: string }> {
  const dir = await tempDir()
  const args = ['run', '--target', origin, '--vendor', 'cube', '--token', token, '--runs', '5', '--seed', '17']
  const result = await runCli([...args, '--only', ONLY, '--report-dir', dir, ...extra])
  return { ...result, report: await readReport(dir), dir }
}

const ids = (items: { id: string }[] | undefined) => (items ?? []).map((i) => i.id).sort()

afterAll(async () => {
  killStrayChildren()
  await server?.close()
  await removeTempDirs()
})

let work: string
let first: Awaited<ReturnType<typeof run>>
let accepted: string
beforeAll(async () => {
  token = secretToken()
  work = await tempDir()
  accepted = join(work, 'accepted.json')
  await serveWith(['upsert-unknown-id', 'id-from-body'])
  first = await run([])
  expect(first.code, first.stderr).toBe(1)
}, TEST_TIMEOUT_MS)

describe('run --baseline', () => {
  let second: Awaited<ReturnType<typeof run>>
  test(
    'the same run twice: exit 0, every finding known; --baseline-update writes the accepted set',
    async () => {
      second = await run(['--baseline', join(first.dir, 'report.json'), '--baseline-update', accepted])
      expect(second.code, second.stderr + second.stdout).toBe(0)
      const b = second.report.baseline!
      expect(ids(b.known)).toEqual([...UPSERT, ID_FROM_BODY].sort())
      expect(b.new).toEqual([])
      expect(b.fixed).toEqual([])
      expect(second.stdout).toMatch(/^Baseline .*report\.json: 0 new, 3 known, 0 fixed/m)
      expect(second.stdout).toMatch(/^ {2}known put\.readonly\.id-ignored +failed, accepted: /m)
      const html = await readFile(join(second.dir, 'report.html'), 'utf8')
      expect(html).toContain('id="baseline"')
      expect(html).toContain(`data-baseline="known" data-check-id="${ID_FROM_BODY}"`)
      const file = JSON.parse(await readFile(accepted, 'utf8')) as BaselineFile
      expect(file.vendor).toBe('cube')
      expect(file.entries.map((e) => [e.id, e.status])).toEqual([
        [ID_FROM_BODY, 'failed'],
        [UPSERT[1], 'warned'],
        [UPSERT[0], 'failed'],
      ])
      expect(await readFile(accepted, 'utf8')).not.toContain(token)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'one new fault: exit 1 naming only its check; the others known',
    async () => {
      await serveWith(['upsert-unknown-id', 'id-from-body', 'created-changes'])
      const third = await run(['--baseline', accepted])
      expect(third.code, third.stderr + third.stdout).toBe(1)
      expect(ids(third.report.baseline!.new)).toEqual([CREATED])
      expect(ids(third.report.baseline!.known)).toEqual([...UPSERT, ID_FROM_BODY].sort())
      const marked = third.stdout.split('\n').filter((l) => /^ {2}NEW /.test(l))
      expect(marked).toHaveLength(1)
      expect(marked[0]).toMatch(/^ {2}NEW +put\.meta\.created-stable +failed, not in the baseline: /)
      // diff prints the same comparison from the two report.json files.
      const diff = await runCli(['diff', join(first.dir, 'report.json'), join(third.dir, 'report.json')])
      expect(diff.code, diff.stderr).toBe(1)
      expect(diff.stdout.split('\n').filter((l) => /^ {2}NEW /.test(l))).toEqual([
        expect.stringMatching(/^ {2}NEW +put\.meta\.created-stable +failed, was passed: /),
      ])
      expect(diff.stdout).toMatch(/: 1 new, 3 known, 0 fixed/)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'a fault removed: its check reported fixed, exit 0',
    async () => {
      await serveWith(['upsert-unknown-id'])
      const fourth = await run(['--baseline', accepted])
      expect(fourth.code, fourth.stderr + fourth.stdout).toBe(0)
      expect(ids(fourth.report.baseline!.fixed)).toEqual([ID_FROM_BODY])
      expect(fourth.report.baseline!.fixed[0].status).toBe('passed')
      expect(fourth.stdout).toMatch(/^ {2}fixed put\.readonly\.id-ignored +passed, was failed: /m)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'an expired entry counts as new again (diff against the accepted set)',
    async () => {
      const file = JSON.parse(await readFile(accepted, 'utf8')) as BaselineFile
      for (const e of file.entries) if (e.id === ID_FROM_BODY) e.expires = '2000-01-01'
      const expired = join(work, 'expired.json')
      await writeFile(expired, JSON.stringify(file))
      const diff = await runCli(['diff', expired, join(second.dir, 'report.json')])
      expect(diff.code, diff.stderr).toBe(1)
      expect(diff.stdout).toMatch(/^ {2}NEW +put\.readonly\.id-ignored +failed, accepted until 2000-01-01, expired: /m)
      expect(diff.stdout).toMatch(/: 1 new, 2 known, 0 fixed/)
    },
    TEST_TIMEOUT_MS,
  )
})

/** A usage error: one stderr line, exit 2, nothing on stdout. */
function usageLine(result: CliResult): string {
  expect(result.code, result.stderr).toBe(2)
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines, result.stderr).toHaveLength(1)
  expect(result.stdout).toBe('')
  return lines[0]
}

describe('a baseline that cannot judge the run: one line, exit 2, before the run', () => {
  test.concurrent.each([
    ['a missing file', ['--baseline', 'no/such/report.json'], /--baseline no\/such\/report\.json: no such file\.$/],
    ['another vendor', ['--vendor', 'generic'], /a baseline of vendor cube, not generic/],
    [
      'another target',
      ['--target', 'http://127.0.0.1:9'],
      /a baseline of target http:\/\/127\.0\.0\.1:\d+, not http:\/\/127\.0\.0\.1:9: /,
    ],
  ])(
    '%s',
    async (_, extra, message) => {
      const base = ['run', '--vendor', 'cube', '--target', origin, '--token', token, '--only', ONLY]
      const args = [...base, '--baseline', join(first.dir, 'report.json')]
      // Later flags win: each case replaces one of the line's values.
      expect(usageLine(await runCli([...args, ...extra]))).toMatch(message)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'a file that is not JSON, and diff of a bad file',
    async () => {
      const bad = join(work, 'bad.json')
      await writeFile(bad, '{"vendor": ')
      const base = ['run', '--vendor', 'cube', '--target', origin, '--token', token, '--baseline', bad]
      expect(usageLine(await runCli(base))).toMatch(/--baseline .*bad\.json: not JSON\.$/)
      expect(usageLine(await runCli(['diff', bad, join(first.dir, 'report.json')]))).toMatch(/bad\.json: not JSON/)
      expect(usageLine(await runCli(['diff', join(first.dir, 'report.json')]))).toMatch(/diff takes two files/)
      const help = await runCli(['diff', '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toMatch(/^Usage: scim-conformance diff /)
    },
    TEST_TIMEOUT_MS,
  )
})
