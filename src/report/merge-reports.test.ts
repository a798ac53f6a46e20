import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import type { CheckResult } from '../checks/types.ts'
import { mergeReports } from './merge-reports.ts'
import type { ConformanceReport } from './types.ts'

const result = (id: string, status: CheckResult['status']): CheckResult => ({
  id,
  title: id,
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'status',
  contract: 'rfc',
  status,
  message: '',
  counterexample: null,
  reproduce: null,
  seed: 42,
  path: null,
  numRuns: 1,
})
const report = (over: Partial<ConformanceReport>): ConformanceReport => ({
  tool: { name: 'scim-conformance', version: '0' },
  vendor: 'cube',
  spec: 'specs/cube.yaml',
  target: 'http://a',
  seed: 42,
  runs: 5,
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1000,
  summary: { passed: 0, failed: 0, warned: 0, observed: 0, inconclusive: 0, skipped: 0, requests: 10 },
  results: [],
  specFindings: [],
  traits: {},
  strictRfc: false,
  ...over,
})

test('shards of one run merge into one report with recounted summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merge-'))
  writeFileSync(
    join(dir, 'a.json'),
    JSON.stringify(report({ results: [result('a', 'passed'), result('b', 'failed')], traits: { x: '1' } })),
  )
  writeFileSync(
    join(dir, 'b.json'),
    JSON.stringify(
      report({ startedAt: '2026-01-01T00:00:00.500Z', results: [result('c', 'warned')], traits: { y: '2' } }),
    ),
  )
  const merged = await mergeReports([join(dir, 'a.json'), join(dir, 'b.json')])
  expect(merged.summary).toEqual({
    passed: 1,
    failed: 1,
    warned: 1,
    observed: 0,
    inconclusive: 0,
    skipped: 0,
    requests: 20,
  })
  expect(merged.results.map((r) => r.id)).toEqual(['a', 'b', 'c'])
  expect(merged.traits).toEqual({ x: '1', y: '2' })
  expect(merged.durationMs).toBe(1500)
})

test('reports of different runs are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merge-'))
  writeFileSync(join(dir, 'a.json'), JSON.stringify(report({})))
  writeFileSync(join(dir, 'b.json'), JSON.stringify(report({ seed: 7 })))
  await expect(mergeReports([join(dir, 'a.json'), join(dir, 'b.json')])).rejects.toThrowError(/not shards of one run/)
  await expect(mergeReports([join(dir, 'missing.json')])).rejects.toThrowError(
    /missing\.json: not a readable report\.json/,
  )
})
