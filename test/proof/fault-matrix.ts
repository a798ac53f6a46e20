import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { CHECKS } from '../../src/checks/index.ts'
import type { Outcome } from '../../src/checks/types.ts'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { startReferenceServer } from '../../src/reference/server.ts'
import { buildConfig } from '../../src/run/config.ts'
import { runChecks } from '../../src/run/run-checks.ts'
import { FAULT_NAMES, type FaultName, faultHooks } from '../support/faults/index.ts'
import { expectationsFor, MATRIX_VENDORS, type ExpectedOutcome, type MatrixVendor } from './fault-catalogue.ts'

/** How to run the fault matrix. */
export interface FaultMatrixOptions {
  /** @defaultValue every vendor in MATRIX_VENDORS */
  vendors?: readonly MatrixVendor[]
  /** @defaultValue every fault in FAULTS */
  faults?: readonly FaultName[]
  /** Generated cases per property check. @defaultValue 10 */
  runs?: number
  /** @defaultValue 42 */
  seed?: number
  /**
   * Worker threads, each with its own servers and check runs (a run is CPU-bound: one thread uses one core);
   * 0 runs everything on the calling thread.
   * @defaultValue availableParallelism()
   */
  workers?: number
  /** (fault, vendor) pairs each thread runs at once, to fill the time a run waits on its sockets. @defaultValue 2 */
  pairsPerWorker?: number
  /** Called as each row completes (rows finish out of order). */
  onRow?: (row: MatrixRow) => void
}

/** One check's result in a row, where it is worth reporting (not `passed`). */
export interface CheckOutcome {
  check: string
  status: Outcome
  message: string
}

/** One (fault, vendor) run of every check, or a vendor's baseline (`fault: null`), judged against the catalogue. */
export interface MatrixRow {
  fault: FaultName | null
  vendor: MatrixVendor
  /** Every check's status. */
  statuses: Record<string, Outcome>
  /** The checks that did not pass, with their messages. */
  notPassed: CheckOutcome[]
  durationMs: number
  /** What the catalogue expects of the intended checks (empty for a baseline). */
  expected: Record<string, ExpectedOutcome>
  /** Every intended check showed its expected status. */
  detected: boolean
  /** Intended checks whose status was not the expected one. */
  missed: { check: string; expected: ExpectedOutcome; status: Outcome | 'absent'; message: string }[]
  /** Failures and warnings of checks that are neither intended nor allowed as a consequence. */
  unexpected: CheckOutcome[]
  /** Failures and warnings the catalogue allows as a consequence (`alsoAffected`). */
  consequences: CheckOutcome[]
  /** A harness error that stopped the run (then nothing is detected). */
  error?: string
}

/** The whole matrix. */
export interface FaultMatrixReport {
  seed: number
  runs: number
  checks: number
  vendors: MatrixVendor[]
  baseline: MatrixRow[]
  rows: MatrixRow[]
  totals: {
    faults: number
    faultsDetected: number
    pairs: number
    pairsDetected: number
    /** Unexpected failures and warnings, faults and baselines together. */
    unexpected: number
  }
  durationMs: number
}

interface PairJob {
  fault: FaultName | null
  vendor: MatrixVendor
  runs: number
  seed: number
}

const TOKEN = 'matrix-token'
const WORKER_ROLE = 'scim-conformance/fault-matrix'

/** The (fault, vendor) pairs the catalogue says each fault applies to, in FAULTS order. */
export function matrixPairs(
  faults: readonly FaultName[] = FAULT_NAMES,
  vendors: readonly MatrixVendor[] = MATRIX_VENDORS,
): { fault: FaultName; vendor: MatrixVendor }[] {
  return faults.flatMap((fault) =>
    vendors.filter((vendor) => expectationsFor(fault, vendor).length > 0).map((vendor) => ({ fault, vendor })),
  )
}

/**
 * Runs every check against the reference server with one fault switched on, for each (fault, vendor) pair
 * the catalogue lists, plus a fault-free baseline per vendor, and judges each run against the catalogue:
 * the intended checks show their status, and nothing else fails or warns beyond the allowed consequences.
 */
export async function runFaultMatrix(options: FaultMatrixOptions = {}): Promise<FaultMatrixReport> {
  const started = performance.now()
  const vendors = [...(options.vendors ?? MATRIX_VENDORS)]
  const runs = options.runs ?? 10
  const seed = options.seed ?? 42
  const jobs: PairJob[] = [
    ...vendors.map((vendor) => ({ fault: null, vendor, runs, seed })),
    ...matrixPairs(options.faults ?? FAULT_NAMES, vendors).map((p) => ({ ...p, runs, seed })),
  ]
  const rows = await runPool(jobs, options.workers ?? availableParallelism(), options.pairsPerWorker ?? 2, (row) =>
    options.onRow?.(row),
  )
  const baseline = rows.filter((r) => r.fault === null)
  const faultRows = rows.filter((r) => r.fault !== null)
  const faults = [...new Set(faultRows.map((r) => r.fault!))]
  return {
    seed,
    runs,
    checks: CHECKS.length,
    vendors,
    baseline,
    rows: faultRows,
    totals: {
      faults: faults.length,
      faultsDetected: faults.filter((f) => faultRows.every((r) => r.fault !== f || r.detected)).length,
      pairs: faultRows.length,
      pairsDetected: faultRows.filter((r) => r.detected).length,
      unexpected: rows.reduce((n, r) => n + r.unexpected.length, 0),
    },
    durationMs: Math.round(performance.now() - started),
  }
}

/** Judges one run's statuses against the catalogue entries for (fault, vendor); a baseline: nothing fails or warns. */
export function judgeRow(
  fault: FaultName | null,
  vendor: MatrixVendor,
  statuses: Record<string, Outcome>,
  messages: Record<string, string> = {},
): Pick<MatrixRow, 'expected' | 'detected' | 'missed' | 'unexpected' | 'consequences'> {
  const entries = fault === null ? [] : expectationsFor(fault, vendor)
  const expected: Record<string, ExpectedOutcome> = Object.assign({}, ...entries.map((e) => e.expect))
  const anyAllowed = entries.some((e) => e.alsoAffected === 'any')
  const allowed = new Set(entries.flatMap((e) => (Array.isArray(e.alsoAffected) ? e.alsoAffected : [])))
  const missed = Object.entries(expected)
    .filter(([check, want]) => statuses[check] !== want)
    .map(([check, want]) => ({
      check,
      expected: want,
      status: statuses[check] ?? ('absent' as const),
      message: messages[check] ?? '',
    }))
  const bad = Object.entries(statuses)
    .filter(([check, status]) => (status === 'failed' || status === 'warned') && !(check in expected))
    .map(([check, status]) => ({ check, status, message: messages[check] ?? '' }))
  const consequences = bad.filter((o) => anyAllowed || allowed.has(o.check))
  return {
    expected,
    detected: fault !== null && entries.length > 0 && missed.length === 0,
    missed,
    unexpected: bad.filter((o) => !consequences.includes(o)),
    consequences,
  }
}

/** One pair: a reference server with the fault on, every check run in-process, the server closed. */
async function runPair(job: PairJob): Promise<MatrixRow> {
  const started = performance.now()
  const reportDir = await mkdtemp(join(tmpdir(), 'scim-matrix-'))
  const base = { fault: job.fault, vendor: job.vendor }
  try {
    const server = await startReferenceServer({
      profile: await loadProfile({ vendor: job.vendor }),
      token: TOKEN,
      etag: true,
      hooks: faultHooks(job.fault ? [job.fault] : []),
    })
    try {
      const config = buildConfig({
        vendor: job.vendor,
        token: TOKEN,
        runs: String(job.runs),
        seed: String(job.seed),
        reportDir,
      })
      const { results } = await runChecks(config, server.origin, { parallel: 8 })
      const statuses = Object.fromEntries(results.map((r) => [r.id, r.status]))
      const messages = Object.fromEntries(results.map((r) => [r.id, r.message]))
      const notPassed = results
        .filter((r) => r.status !== 'passed')
        .map((r) => ({ check: r.id, status: r.status, message: r.message }))
      return {
        ...base,
        statuses,
        notPassed,
        durationMs: Math.round(performance.now() - started),
        ...judgeRow(job.fault, job.vendor, statuses, messages),
      }
    } finally {
      await server.close()
    }
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    const judged = judgeRow(job.fault, job.vendor, {})
    return {
      ...base,
      statuses: {},
      notPassed: [],
      durationMs: Math.round(performance.now() - started),
      ...judged,
      detected: false,
      error: message,
    }
  } finally {
    await rm(reportDir, { recursive: true, force: true })
  }
}

/** Runs the jobs `perWorker` at a time on each of `workers` threads (or on this thread when `workers` is 0). */
async function runPool(
  jobs: PairJob[],
  workers: number,
  perWorker: number,
  onRow: (row: MatrixRow) => void,
): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = new Array(jobs.length)
  let next = 0
  const lane = async (run: (job: PairJob) => Promise<MatrixRow>) => {
    while (next < jobs.length) {
      const index = next++
      rows[index] = await run(jobs[index])
      onRow(rows[index])
    }
  }
  if (workers <= 0) {
    await Promise.all(Array.from({ length: Math.max(1, perWorker) }, () => lane(runPair)))
    return rows
  }
  const threads = Array.from(
    { length: Math.min(workers, Math.ceil(jobs.length / Math.max(1, perWorker))) },
    () => new PairWorker(),
  )
  try {
    await Promise.all(
      threads.flatMap((t) => Array.from({ length: Math.max(1, perWorker) }, () => lane((job) => t.run(job)))),
    )
  } finally {
    await Promise.all(threads.map((t) => t.close()))
  }
  return rows
}

/**
 * A worker thread that runs pairs. It loads this very file through tsx's ESM hooks, so it works the same
 * under vitest and under `node --import tsx`.
 */
class PairWorker {
  private readonly worker: Worker
  private readonly pending = new Map<number, { resolve: (row: MatrixRow) => void; reject: (error: Error) => void }>()
  private nextId = 0
  private failure: Error | null = null

  constructor() {
    const tsxApi = import.meta.resolve('tsx/esm/api')
    const bootstrap =
      `import(${JSON.stringify(tsxApi)})` +
      `.then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}) })`
    this.worker = new Worker(bootstrap, { eval: true, workerData: { role: WORKER_ROLE } })
    this.worker.on('message', (message: { id: number; row: MatrixRow }) => {
      this.pending.get(message.id)?.resolve(message.row)
      this.pending.delete(message.id)
    })
    const fail = (error: Error) => {
      this.failure = error
      for (const { reject } of this.pending.values()) reject(error)
      this.pending.clear()
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) => fail(new Error(`fault-matrix worker exited (code ${code})`)))
  }

  run(job: PairJob): Promise<MatrixRow> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ id, job })
    })
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  parentPort!.on('message', (message: { id: number; job: PairJob }) => {
    void runPair(message.job).then((row) => parentPort!.postMessage({ id: message.id, row }))
  })
}
