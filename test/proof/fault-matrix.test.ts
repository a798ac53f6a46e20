import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CHECKS } from '../../src/checks/index.ts'
import type { Outcome } from '../../src/checks/types.ts'
import { FAULT_NAMES, type FaultName } from '../support/faults/index.ts'
import { expectationsFor, FAULT_CATALOGUE, MATRIX_VENDORS, UNEXERCISED } from './fault-catalogue.ts'
import { judgeRow, matrixPairs, runFaultMatrix, type FaultMatrixReport, type MatrixRow } from './fault-matrix.ts'

/**
 * Proof of power: each reference-server fault is caught by the check meant to catch it, on every vendor
 * where it applies, and no unrelated check fails or warns; the fault-free server passes clean (issue
 * "checks", Done-when). The whole matrix runs once, on a pool of worker threads; each test awaits its row.
 */
const SEED = 42
const RUNS = 10
// A test only waits for its row; rows finish roughly in test order, the first after the workers start.
const WAIT = 240_000

const key = (fault: FaultName | null, vendor: string) => `${fault ?? 'baseline'} on ${vendor}`
const waiting = new Map<
  string,
  { promise: Promise<MatrixRow>; resolve: (row: MatrixRow) => void; reject: (error: unknown) => void }
>()
for (const { fault, vendor } of [...MATRIX_VENDORS.map((vendor) => ({ fault: null, vendor })), ...matrixPairs()]) {
  let resolve!: (row: MatrixRow) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<MatrixRow>((res, rej) => {
    resolve = res
    reject = rej
  })
  promise.catch(() => {}) // a rejection is reported by the test that awaits it
  waiting.set(key(fault, vendor), { promise, resolve, reject })
}
const rowOf = (fault: FaultName | null, vendor: string) => waiting.get(key(fault, vendor))!.promise

let matrix: Promise<FaultMatrixReport>

beforeAll(() => {
  const started = performance.now()
  matrix = runFaultMatrix({
    seed: SEED,
    runs: RUNS,
    onRow: (row) => waiting.get(key(row.fault, row.vendor))?.resolve(row),
  })
  matrix.then(
    (report) =>
      console.info(
        `fault matrix: ${report.totals.faultsDetected}/${report.totals.faults} faults, ` +
          `${report.totals.pairsDetected}/${report.totals.pairs} pairs detected, ` +
          `${report.totals.unexpected} unexpected, ${Math.round((performance.now() - started) / 1000)} s`,
      ),
    (error: unknown) => {
      for (const w of waiting.values()) w.reject(error)
    },
  )
})

afterAll(async () => {
  // The worker threads are closed when the matrix settles.
  await matrix.catch(() => {})
}, WAIT)

describe('the fault-free reference server', () => {
  test.each(MATRIX_VENDORS)(
    'baseline on %s: nothing fails or warns',
    async (vendor) => {
      const row = await rowOf(null, vendor)
      expect(row.error).toBeUndefined()
      expect(row.unexpected).toEqual([])
      expect(Object.values(row.statuses).filter((s) => s === 'passed').length).toBeGreaterThan(40)
    },
    WAIT,
  )
})

describe.each(FAULT_NAMES)('%s', (fault) => {
  const vendors = MATRIX_VENDORS.filter((v) => expectationsFor(fault, v).length > 0)
  test.each(vendors)(
    `${fault} on %s`,
    async (vendor) => {
      const row = await rowOf(fault, vendor)
      expect(row.error).toBeUndefined()
      // The intended checks show the expected status (each miss carries the check's message).
      expect(row.missed).toEqual([])
      // Nothing else fails or warns beyond the consequences the catalogue allows.
      expect(row.unexpected).toEqual([])
    },
    WAIT,
  )
})

describe('the catalogue', () => {
  const ids = new Set(CHECKS.map((c) => c.id))

  test('names every fault of the reference server, each on at least one vendor', () => {
    expect(FAULT_NAMES.filter((f) => matrixPairs([f]).length === 0)).toEqual([])
  })

  test('names only checks that exist', () => {
    const named = FAULT_CATALOGUE.flatMap((e) => [
      ...Object.keys(e.expect),
      ...(Array.isArray(e.alsoAffected) ? e.alsoAffected : []),
    ])
    expect([...named, ...Object.keys(UNEXERCISED)].filter((id) => !ids.has(id))).toEqual([])
  })

  test('every check is intended or allowed by some fault, or listed with the reason no fault can make it fail', () => {
    const named = new Set(
      FAULT_CATALOGUE.flatMap((e) => [
        ...Object.keys(e.expect),
        ...(Array.isArray(e.alsoAffected) ? e.alsoAffected : []),
      ]),
    )
    expect(CHECKS.map((c) => c.id).filter((id) => !named.has(id) && !(id in UNEXERCISED))).toEqual([])
    // The list stays honest: a check some fault is meant to make fail comes off it.
    const intended = new Set(
      FAULT_CATALOGUE.flatMap((e) =>
        Object.entries(e.expect)
          .filter(([, s]) => s === 'failed' || s === 'warned')
          .map(([id]) => id),
      ),
    )
    expect(Object.keys(UNEXERCISED).filter((id) => intended.has(id))).toEqual([])
  })

  test('observation-only checks are MAY checks', () => {
    const level = new Map(CHECKS.map((c) => [c.id, c.level]))
    const notMay = Object.entries(UNEXERCISED).filter(
      ([id, u]) => u.kind === 'observation-only' && level.get(id) !== 'MAY',
    )
    expect(notMay).toEqual([])
  })

  test('omitted-retained is only an observation, and no-discovery only skips', () => {
    for (const fault of ['omitted-retained', 'no-discovery'] as const) {
      for (const vendor of MATRIX_VENDORS) {
        const entries = expectationsFor(fault, vendor)
        expect(entries.every((e) => e.alsoAffected === undefined)).toBe(true)
        expect(
          entries
            .flatMap((e) => Object.values(e.expect))
            .every((s) => s === (fault === 'omitted-retained' ? 'observed' : 'skipped')),
        ).toBe(true)
      }
    }
  })
})

describe('the matrix as a whole', () => {
  test(
    'every check not listed as unexercised failed or warned (a MAY check: was observed) on some fault',
    async () => {
      const report = await matrix
      const level = new Map(CHECKS.map((c) => [c.id, c.level]))
      const shown = new Set<string>()
      for (const row of report.rows) {
        // A fault that strikes whichever check's request it lands on proves something only about its intended checks.
        const any = expectationsFor(row.fault!, row.vendor).some((e) => e.alsoAffected === 'any')
        for (const [id, status] of Object.entries(row.statuses)) {
          if (any && !(id in row.expected)) continue
          if (
            status === 'failed' ||
            status === 'warned' ||
            (status === 'observed' && level.get(id) === 'MAY' && id in row.expected)
          )
            shown.add(id)
        }
      }
      expect(CHECKS.map((c) => c.id).filter((id) => !shown.has(id) && !(id in UNEXERCISED))).toEqual([])
    },
    WAIT,
  )
})

describe('judging a row', () => {
  test.each([
    // given statuses → want detected, unexpected
    {
      given: { 'put.replace.password-not-returned': 'failed', 'put.declared.returned-never': 'failed' },
      detected: true,
      unexpected: [],
    },
    {
      given: { 'put.replace.password-not-returned': 'passed', 'put.declared.returned-never': 'failed' },
      detected: false,
      unexpected: [],
    },
    {
      given: {
        'put.replace.password-not-returned': 'failed',
        'put.declared.returned-never': 'failed',
        'put.meta.location': 'warned',
      },
      detected: true,
      unexpected: ['put.meta.location'],
    },
  ] as { given: Record<string, Outcome>; detected: boolean; unexpected: string[] }[])(
    'password-echoed on maia: $given',
    ({ given, detected, unexpected }) => {
      const judged = judgeRow('password-echoed', 'maia', given)
      expect(judged.detected).toBe(detected)
      expect(judged.unexpected.map((u) => u.check)).toEqual(unexpected)
    },
  )

  test('a consequence the catalogue allows is not unexpected; on a baseline every failure is', () => {
    const statuses = { 'put.status.success-resource': 'warned', 'put.status.declared': 'failed' } as const
    expect(judgeRow('put-returns-204', 'cube', statuses).consequences.map((u) => u.check)).toEqual([
      'put.status.declared',
    ])
    expect(judgeRow('put-returns-204', 'cube', statuses).unexpected).toEqual([])
    expect(judgeRow(null, 'cube', statuses).unexpected.map((u) => u.check)).toEqual([
      'put.status.success-resource',
      'put.status.declared',
    ])
  })
})
