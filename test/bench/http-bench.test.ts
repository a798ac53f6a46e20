import { expect, test } from 'vitest'
import { benchGenerate } from './generate-bench.ts'
import { scalingBench, throughputBench } from './http-bench.ts'

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
