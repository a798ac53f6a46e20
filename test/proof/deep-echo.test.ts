import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ConformanceReport } from '../../src/report/types.ts'
import {
  closeServers,
  killStrayChildren,
  removeTempDirs,
  runCli,
  startCube,
  tempDir,
  TEST_TIMEOUT_MS,
} from '../support/cli.ts'
import { startProxy, type HostileServer } from '../support/hostile-servers.ts'

/**
 * A server that echoes every PUT body back: the harness's own 1,000-deep nesting case and its 1 MiB
 * oversize body come back as the "stored user" (the oversize one with a 500, as a server choking on it
 * might, so that put.status.no-5xx fails and records both bodies). Whatever the server answers, report.json must
 * stay readable by ordinary JSON tools (Python's `json` recurses once per level and stops near 1,000;
 * jq stops at 10,000 but slows down on huge files) and bounded in size.
 */
const TOKEN = 'deep-echo-token-5d1e8b7a42'
/** Deepest nesting report.json may have: the report's own structure plus the 64 levels a recorded value keeps. */
const MAX_REPORT_DEPTH = 80
const MAX_REPORT_BYTES = 5 * 1024 * 1024

/** Deepest `[`/`{` nesting of a JSON text, found by scanning it (no parser, so no parser's own limit). */
function jsonDepth(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // a backslash escapes the next character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth)
    else if (c === 0x5d || c === 0x7d) depth--
  }
  return max
}

/** Exit status and stderr of Python's `json.load` on `file`. */
function pythonLoads(file: string): { status: number | null; stderr: string } {
  const r = spawnSync('python3', ['-c', 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))', file], {
    encoding: 'utf8',
  })
  return { status: r.status, stderr: (r.stderr ?? '').slice(-2000) }
}

function hasJq(): boolean {
  return spawnSync('jq', ['--version']).status === 0
}

/** The report file's invariants: parses in Python (and jq, when installed), bounded depth and size. */
function expectReadableReport(file: string): { bytes: number; depth: number } {
  const text = readFileSync(file, 'utf8')
  const bytes = statSync(file).size
  const depth = jsonDepth(text)
  const python = pythonLoads(file)
  expect(python.status, `python3 json.load failed on ${file} (${bytes} bytes, depth ${depth}):\n${python.stderr}`).toBe(
    0,
  )
  if (hasJq())
    expect(() =>
      execFileSync('jq', ['-e', '.results | length', file], { stdio: ['ignore', 'pipe', 'pipe'] }),
    ).not.toThrow()
  expect(depth, `${file} is nested ${depth} deep`).toBeLessThanOrEqual(MAX_REPORT_DEPTH)
  expect(bytes, `${file} is ${bytes} bytes`).toBeLessThan(MAX_REPORT_BYTES)
  return { bytes, depth }
}

let echo: HostileServer

beforeAll(async () => {
  const reference = await startCube({ token: TOKEN })
  // Discovery, POST, GET and DELETE reach the reference server (test users come and go as usual); every PUT is echoed.
  echo = await startProxy(reference.origin, {
    put: (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        res.writeHead(body.length > 1024 * 1024 ? 500 : 200, { 'content-type': 'application/scim+json' }).end(body)
      })
    },
  })
})

afterAll(async () => {
  killStrayChildren()
  await echo?.close()
  await closeServers()
  await removeTempDirs()
})

describe('a server that echoes the harness’s deep and oversize bodies back', () => {
  test(
    'report.json parses with Python and jq, stays under 80 levels and 5 MB; report.html is written; merge-reports too',
    async () => {
      // Arrange
      const dir = await tempDir()
      // Act
      const run = await runCli([
        'run',
        '--vendor',
        'cube',
        '--target',
        echo.origin,
        '--token',
        TOKEN,
        '--seed',
        '7',
        '--runs',
        '5',
        '--report-dir',
        dir,
      ])
      // Assert
      const context = `exit ${run.code}\n--- stderr\n${run.stderr}\n--- stdout\n${run.stdout.slice(-4000)}`
      // Accepting invalid bodies fails MUST checks: a verdict, not a crash.
      expect(run.code, context).toBe(1)
      const file = join(dir, 'report.json')
      const measured = expectReadableReport(file)
      console.log(`deep echo: report.json ${measured.bytes} bytes, depth ${measured.depth}`)
      expect(statSync(join(dir, 'report.html')).size).toBeGreaterThan(0)
      const text = readFileSync(file, 'utf8')
      // The deep value was recorded (and cut by the report, which says so), not silently dropped.
      expect(text).toContain('[report cut: nested deeper than 64 levels')
      const report = JSON.parse(text) as ConformanceReport
      // The verdicts and messages are the harness's own: bounds touch only recorded values.
      const nesting = report.results.find((r) => r.id === 'put.invalid.deeply-nested')!
      expect(nesting.status, nesting.message).toBe('warned')
      expect(nesting.message).toContain('nested 1000 deep')
      expect(nesting.message).not.toContain('[report cut')
      expect(JSON.stringify(nesting.counterexample!.response!.body)).toContain(
        '[report cut: nested deeper than 64 levels',
      )
      // The request body is text: kept as sent (2 KiB), its nesting is no nesting of report.json.
      expect(nesting.counterexample!.request.body).toMatch(/^\{.*\[\[\[\[/)
      // The 500 to the oversize body is judged by put.status.no-5xx alone (issue 12): the oversize check
      // never reached its rule and says why; the 5xx check records both bodies.
      const oversize = report.results.find((r) => r.id === 'put.invalid.oversize-body')!
      expect(oversize.status, oversize.message).toBe('inconclusive')
      expect(oversize.message).toMatch(/answered 500 .*put\.status\.no-5xx judges/)
      const no5xx = report.results.find((r) => r.id === 'put.status.no-5xx')!
      expect(no5xx.status, no5xx.message).toBe('failed')
      expect(no5xx.message).toContain('Received: 500 for the body is over 1 MiB')
      for (const text of [no5xx.counterexample!.request.body!, no5xx.counterexample!.response!.bodyText]) {
        expect(text.length).toBeLessThanOrEqual(64 * 1024)
        expect(text).toMatch(/ … \[report cut: 1,048,\d{3} characters, the first [\d,]+ kept\]$/)
      }
      // The curl line was made from the request as sent: it names the body's real size.
      expect(no5xx.reproduce).toMatch(/body elided \(1048\d{3} bytes > 64 KiB\)/)

      // merge-reports writes its own report.json and report.html from the shard: the same bounds hold.
      const merged = await tempDir()
      const merge = await runCli(['merge-reports', '--report-dir', merged, file])
      expect([0, 1], `merge-reports exit ${merge.code}\n${merge.stderr}`).toContain(merge.code)
      expectReadableReport(join(merged, 'report.json'))
      expect(statSync(join(merged, 'report.html')).size).toBeGreaterThan(0)
    },
    TEST_TIMEOUT_MS * 2,
  )
})
