import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PHASES_ENV, type PhaseMark } from '../../src/cli/phase-marks.ts'
import type { ConformanceReport } from '../../src/report/types.ts'
import { DEFAULT_CONCURRENCY, openRawLoop, startServerProcess } from './http-bench.ts'
import { startLatencyProxy } from './latency-proxy.ts'

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url))
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** One whole `scim-conformance run`, as a user starts it and waits for it. */
export interface WholeRun {
  /** Wall time of the process, from spawn to exit. */
  seconds: number
  exitCode: number | null
  /** Exchanges the report counts (the checks' requests). */
  requests: number
  /** Time the report says the run took inside (from its start to the last check). */
  insideSeconds: number
  /** Requests and summed check time per area (e.g. the cost of `sequence` and `concurrency`). */
  byArea: Record<string, { requests: number; checkSeconds: number }>
  /** The run's own phase marks (src/cli/phase-marks.ts): ms since its process started. */
  marks: PhaseMark[]
}

/** Runs the CLI against `target` with the given flags, in a child process, and reads its report. */
export async function cliRun(target: string, token: string, vendor: string, args: string[] = []): Promise<WholeRun> {
  const reportDir = await mkdtemp(join(tmpdir(), 'scim-bench-wait-'))
  try {
    const started = performance.now()
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--vendor', vendor, '--target', target, '--report-dir', reportDir, ...args],
      {
        cwd: ROOT,
        stdio: 'ignore',
        env: { ...process.env, SCIM_TOKEN: token, [PHASES_ENV]: join(reportDir, 'phases.json') },
      },
    )
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const seconds = (performance.now() - started) / 1000
    const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as ConformanceReport
    const byArea: WholeRun['byArea'] = {}
    for (const r of report.results) {
      const area = (byArea[r.area] ??= { requests: 0, checkSeconds: 0 })
      area.requests += r.requests ?? 0
      area.checkSeconds += (r.durationMs ?? 0) / 1000
    }
    const { marks } = JSON.parse(await readFile(join(reportDir, 'phases.json'), 'utf8')) as { marks: PhaseMark[] }
    return {
      seconds,
      exitCode,
      requests: report.summary.requests,
      insideSeconds: report.durationMs / 1000,
      byArea,
      marks,
    }
  } finally {
    await rm(reportDir, { recursive: true, force: true })
  }
}

/**
 * (a) What a user waits for, on loopback: a whole CLI run's exchanges per second of wall time, against a raw
 * undici PUT loop on the same server process at the same concurrency, measured right after it.
 */
export async function wholeRunVsRaw(vendor: string, runs: number, concurrency = DEFAULT_CONCURRENCY) {
  const server = await startServerProcess(vendor)
  try {
    const run = await cliRun(server.origin, server.token, vendor, [
      '--runs',
      String(runs),
      '--concurrency',
      String(concurrency),
    ])
    const raw = await openRawLoop(server, vendor, { concurrency })
    try {
      const loop = await raw.run(3)
      const perSecond = run.requests / run.seconds
      return { run, perSecond, raw: loop.perSecond, ratio: perSecond / loop.perSecond }
    } finally {
      await raw.close()
    }
  } finally {
    await server.close()
  }
}

/**
 * (b) A remote target: the same run through a proxy that adds `delayMs` to every request. The ideal is every
 * request of the run pipelined over the pool: requests × delay / concurrency. wall / ideal is how far the
 * run's chain of dependent round trips keeps it from that.
 */
export async function latencyRun(vendor: string, delayMs: number, concurrency = DEFAULT_CONCURRENCY, runs = 25) {
  const server = await startServerProcess(vendor)
  const proxy = await startLatencyProxy(server.origin, delayMs)
  try {
    const run = await cliRun(proxy.origin, server.token, vendor, [
      '--runs',
      String(runs),
      '--concurrency',
      String(concurrency),
    ])
    const requests = proxy.forwarded
    const ideal = (requests * delayMs) / concurrency / 1000
    return { run, requests, ideal, ratio: run.seconds / ideal }
  } finally {
    await proxy.close()
    await server.close()
  }
}

/** What each span between two of a run's phase marks is spent on, named by the mark that ends it. */
const PHASE_SPANS: Record<string, string> = {
  'command started': 'process start: Node, the CLI modules',
  'spec loaded': 'spec load (swagger-parser)',
  'vitest created': "the preflight's read of the target; vitest and vite start (main thread)",
  'preflight done': 'the preflight: the ownership probe, the constraints (the worker starts meanwhile)',
  'first check started': 'worker thread: suites loaded, discovery, test users',
  'suites ended': 'the check, its test user removed, the worker ended',
  'reports written': 'reports written',
}

/**
 * Seconds from the first check's start to the end of the suites (phase marks): the part of a run whose speed
 * grows with --runs. Null when the run did not reach both marks.
 */
export function checksSpan(run: WholeRun): number | null {
  const at = (phase: string) => run.marks.find((m) => m.phase === phase)?.atMs
  const first = at('first check started')
  const ended = at('suites ended')
  return first === undefined || ended === undefined || ended <= first ? null : (ended - first) / 1000
}

/** A run's wall time cut at its phase marks: each span's name and seconds, the last one up to the process exit. */
export function phaseSpans(run: WholeRun): { span: string; seconds: number }[] {
  const spans: { span: string; seconds: number }[] = []
  let from = 0
  // In the order they happened: the preflight may end before or after vitest has started.
  for (const mark of [...run.marks].sort((a, b) => a.atMs - b.atMs)) {
    spans.push({ span: PHASE_SPANS[mark.phase] ?? mark.phase, seconds: (mark.atMs - from) / 1000 })
    from = mark.atMs
  }
  spans.push({ span: 'process exit', seconds: run.seconds - from / 1000 })
  return spans
}

/**
 * Where the fixed cost of a run goes: starting the process (`--help`), and a whole run of one cheap
 * check with one case (spec load, discovery, vitest and its workers, test users, reports) split into the
 * time the report counts inside the run and the rest (process start, suite start, report writing).
 */
export async function fixedCost(vendor: string) {
  const started = performance.now()
  const help = spawn(process.execPath, [BIN, '--help'], { cwd: ROOT, stdio: 'ignore' })
  await new Promise((resolve) => help.once('exit', resolve))
  const helpSeconds = (performance.now() - started) / 1000
  const server = await startServerProcess(vendor)
  try {
    const run = await cliRun(server.origin, server.token, vendor, ['--runs', '1', '--only', 'put.status.success-200'])
    return { helpSeconds, run, outsideSeconds: run.seconds - run.insideSeconds }
  } finally {
    await server.close()
  }
}
