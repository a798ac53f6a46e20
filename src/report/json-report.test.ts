import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { CheckResult } from '../checks/types.ts'
import { secretsOf } from '../secrets.ts'
import { FAKE_TOKEN, failingReport, passingReport } from '../../test/fixtures/reports.ts'
import { boundReport, renderJson, REPORT_MAX_DEPTH } from './json-report.ts'
import { mergeReports } from './merge-reports.ts'
import type { ConformanceReport } from './types.ts'
import { writeReports } from './write-reports.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scim-bounded-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** `[[[…"x"…]]]`, `depth` levels. */
function nested(depth: number): unknown {
  let v: unknown = 'x'
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

/** Deepest `[`/`{` nesting of a JSON text, by scanning it. */
function jsonDepth(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '[' || c === '{') max = Math.max(max, ++depth)
    else if (c === ']' || c === '}') depth--
  }
  return max
}

/**
 * A failing report as an unbounded writer (or an older version) would have made it: a 1,000-deep echo, a 1 MiB body, a
 * deep diff, a long trait.
 */
function hostileReport(): ConformanceReport {
  const report = failingReport()
  const deepText = JSON.stringify(nested(1000))
  const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) })
  const exchange = {
    request: { method: 'PUT', url: 'https://scim.example.test/scim/v2/Users/1', headers: {}, body: big },
    response: { status: 200, headers: {}, bodyText: deepText, body: JSON.parse(deepText) as unknown, truncated: false },
    error: null,
    startedAt: '2025-11-23T20:30:01.250Z',
    durationMs: 1,
  }
  const result: CheckResult = {
    id: 'put.invalid.deeply-nested',
    title: 'A deeply nested value is refused',
    level: 'SHOULD',
    source: 'RFC 7644 §3.12',
    area: 'errors',
    contract: 'rfc',
    status: 'warned',
    message: 'Received 200: warn.\n(case: userName is an array nested 1000 deep where a string is declared)',
    counterexample: { request: exchange.request, response: exchange.response },
    reproduce: 'curl …',
    seed: 1,
    path: '0',
    numRuns: 1,
    exchanges: [exchange],
    diff: [{ attribute: 'userName', sent: nested(1000), stored: nested(1000), note: 'stored as sent' }],
    traits: { 'echo.body': 'y'.repeat(200_000) },
  }
  return {
    ...report,
    results: [...report.results, result],
    traits: { ...report.traits, 'echo.body': 'y'.repeat(200_000) },
  }
}

describe('report.json is bounded', () => {
  test('an ordinary report is written exactly as before: nothing to bound, the same object', () => {
    for (const report of [passingReport(), failingReport()]) expect(boundReport(report)).toBe(report)
  })

  test(
    'a 1,000-deep body, a 1 MiB body, a deep diff and a long trait: ' +
      'Python reads the file, 80 levels at most, verdicts and messages untouched',
    async () => {
      // Arrange
      const report = hostileReport()
      // Act
      await writeReports(report, dir, { secrets: secretsOf({ token: FAKE_TOKEN }) })
      // Assert
      const file = join(dir, 'report.json')
      const text = await readFile(file, 'utf8')
      const python = spawnSync(
        'python3',
        ['-c', 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))', file],
        { encoding: 'utf8' },
      )
      expect(python.status, python.stderr).toBe(0)
      expect(jsonDepth(text)).toBeLessThanOrEqual(REPORT_MAX_DEPTH)
      expect(text.length).toBeLessThan(1024 * 1024)
      const written = JSON.parse(text) as ConformanceReport
      expect(written.results.map((r) => [r.id, r.status, r.message])).toEqual(
        report.results.map((r) => [r.id, r.status, r.message]),
      )
      const deep = written.results.find((r) => r.id === 'put.invalid.deeply-nested')!
      expect(JSON.stringify(deep.counterexample!.response!.body)).toContain('[report cut: nested deeper than 64 levels')
      // The text of a body is a string: kept whole when short, whatever it nests.
      expect(deep.counterexample!.response!.bodyText).toBe(report.results.at(-1)!.counterexample!.response!.bodyText)
      expect(deep.counterexample!.request.body).toMatch(
        /^\{"pad":"x+ … \[report cut: 1,048,586 characters, the first [\d,]+ kept\]$/,
      )
      expect(deep.exchanges![0].request).toEqual(deep.counterexample!.request)
      expect(JSON.stringify(deep.diff![0].sent)).toContain('[report cut: nested deeper than 64 levels')
      expect(deep.traits!['echo.body']).toMatch(/^y+ … \[report cut: 200,000 characters/)
      // The report's own traits are not recorded values: the last safety net keeps strings up to 1 MiB.
      expect(written.traits['echo.body']).toBe('y'.repeat(200_000))
      expect((await readFile(join(dir, 'report.html'), 'utf8')).length).toBeGreaterThan(0)
    },
  )

  test('the last safety net bounds any field, recorded or not, to 80 levels', () => {
    const report = { ...passingReport(), extra: nested(1000) } as ConformanceReport & { extra: unknown }
    const text = renderJson(report)
    expect(jsonDepth(text)).toBe(REPORT_MAX_DEPTH)
    expect(text).toContain('[report cut: nested deeper than 80 levels')
  })

  test('a secret across the cut of a recorded body is scrubbed before the cut, never left in part', () => {
    const password = 'pa55-w0rd-across-the-cut'
    const report = hostileReport()
    const deep = report.results.at(-1)!
    // The password straddles the 64 KiB cut of the request body.
    const body = `${'z'.repeat(65_450)}${password}${'z'.repeat(100_000)}`
    deep.counterexample = { ...deep.counterexample!, request: { ...deep.counterexample!.request, body } }
    const text = renderJson(report, { secrets: secretsOf({ target: `https://me:${password}@scim.example.test` }) })
    expect(text).not.toContain('pa55')
    expect(text).toContain('[redacted]')
  })

  test('merge-reports bounds a shard written before report.json was bounded', async () => {
    const shard = join(dir, 'shard.json')
    await writeFile(shard, JSON.stringify(hostileReport()))
    const merged = await mergeReports([shard])
    const deep = merged.results.find((r) => r.id === 'put.invalid.deeply-nested')!
    expect(jsonDepth(JSON.stringify(merged))).toBeLessThanOrEqual(REPORT_MAX_DEPTH)
    expect(deep.status).toBe('warned')
    expect(deep.counterexample!.request.body!.length).toBeLessThanOrEqual(64 * 1024)
  })
})
