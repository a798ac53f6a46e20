import { expect, test } from 'vitest'
import { benchGenerate } from './generate-bench.ts'
import { scalingBench, throughputBench } from './http-bench.ts'
import { checksSpan, fixedCost, phaseSpans } from './wait-bench.ts'

// Smoke tests: `npm run bench` keeps working. No figure is asserted (timings belong in the benchmark's
// output, not in a test on a noisy machine); only that each phase ran, cleanly, against a conforming server.

test('the throughput benchmark runs both phases on one server and reports a ratio', async () => {
  const r = await throughputBench('cube', { slices: 1, seconds: 0.3 })
  expect(r.raw.exchanges).toBeGreaterThan(0)
  expect(r.raw.non200).toBe(0)
  expect(r.cold.checks).toBeGreaterThan(50)
  expect(r.cold.failed).toEqual([])
  expect(r.harness.failed).toEqual([])
  expect(r.harness.runs).toBeGreaterThanOrEqual(1)
  expect(r.ratio).toBeGreaterThan(0)
  expect(r.ratio).toBeCloseTo(r.harness.perSecond / r.raw.perSecond)
}, 120_000)

test('the scaling and generation benchmarks run', async () => {
  const [row] = await scalingBench('cube', [5])
  expect(row.runs).toBe(5)
  expect(row.harness.failed).toEqual([])
  // Three checks, five cases each, one or two exchanges per case, plus discovery and test users.
  expect(row.harness.exchanges).toBeGreaterThanOrEqual(15)
  const [gen] = await benchGenerate({ count: 200, vendors: ['cube'] })
  expect(gen).toMatchObject({ vendor: 'cube' })
  expect(gen.payloadsPerSecond).toBeGreaterThan(0)
}, 120_000)

test('the fixed-cost row cuts a whole CLI run at its own phase marks, in order, summing to its wall time', async () => {
  const f = await fixedCost('cube')
  expect(f.run.exitCode).toBe(0)
  expect(f.run.marks.map((m) => m.phase).sort()).toEqual(
    [
      'command started',
      'spec loaded',
      'preflight done',
      'vitest created',
      'first check started',
      'suites ended',
      'reports written',
    ].sort(),
  )
  // The preflight runs while vitest and the worker start, but no check starts before it has ended.
  const at = (phase: string) => f.run.marks.find((m) => m.phase === phase)!.atMs
  expect(at('spec loaded')).toBeLessThanOrEqual(at('vitest created'))
  expect(at('preflight done')).toBeLessThanOrEqual(at('first check started'))
  expect(at('vitest created')).toBeLessThanOrEqual(at('first check started'))
  expect(at('first check started')).toBeLessThanOrEqual(at('suites ended'))
  const spans = phaseSpans(f.run)
  expect(spans.every((s) => s.seconds >= 0)).toBe(true)
  expect(spans.reduce((n, s) => n + s.seconds, 0)).toBeCloseTo(f.run.seconds, 6)
  // The checks' own span: from the first check's start to the end of the suites, inside the run's wall time.
  expect(checksSpan(f.run)).toBeCloseTo((at('suites ended') - at('first check started')) / 1000, 6)
  expect(checksSpan({ ...f.run, marks: f.run.marks.filter((m) => m.phase !== 'suites ended') })).toBeNull()
}, 120_000)
