import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test, vi } from 'vitest'
import { CHECKS } from '../checks/index.ts'
import type { CheckResult } from '../checks/types.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { startReferenceServer } from '../reference/server.ts'
import { faultHooks, type FaultName } from '../../test/support/faults/index.ts'
import { buildConfig } from './config.ts'
import { type RunProgress, subscribeProgress } from './progress-channel.ts'
import { runChecks } from './run-checks.ts'
import { RunSchedule } from './schedule.ts'

// Issue 15, item 4: the schedule (checks at once, cases in lanes) changes neither which cases are generated nor
// how they are judged: the same seed gives the same verdicts with --concurrency 1 and --concurrency 8.

const TOKEN = 'schedule-test-token-0123456789'
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A message without what differs between two servers: times, server-made ids, ports. */
const sameRun = (message: string) =>
  message
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/127\.0\.0\.1:\d+/g, '<origin>')

/**
 * The verdict of every check: what must not depend on the schedule. Races (put.concurrency.*) are left out:
 * at --concurrency 1 two requests are never in flight together, so nothing races (inconclusive, as it says).
 */
const verdicts = (results: CheckResult[]) =>
  Object.fromEntries(
    results
      .filter((r) => r.area !== 'concurrency')
      .map((r) => [r.id, { status: r.status, path: r.path, message: sameRun(r.message) }]),
  )

/** Runs the checks at the seed against a fresh cube reference server with the faults on, at a concurrency. */
async function runAt(concurrency: number, options: { faults?: FaultName[]; only?: string; runs?: number }) {
  const server = await startReferenceServer({
    profile: await loadProfile({ vendor: 'cube' }),
    token: TOKEN,
    etag: true,
    hooks: faultHooks(options.faults ?? []),
  })
  try {
    const dir = mkdtempSync(join(tmpdir(), 'schedule-'))
    dirs.push(dir)
    const config = buildConfig({
      vendor: 'cube',
      token: TOKEN,
      seed: '20260515',
      // The same test users' userNames (and so messages) in both runs.
      runId: 'sched0001',
      runs: String(options.runs ?? 25),
      concurrency: String(concurrency),
      reportDir: dir,
      ...(options.only ? { only: options.only } : {}),
    })
    const { results } = await runChecks(config, server.origin)
    expect(server.users()).toEqual([])
    return results
  } finally {
    await server.close()
  }
}

/** Faults whose findings are shrunk counterexamples (failed and warned), on replace, meta and ETag checks. */
const FAULTS: FaultName[] = ['unicode-mangled', 'trim-strings', 'frozen-version', 'wrong-meta-location']

describe('the same seed gives the same verdicts at --concurrency 1 and 8', () => {
  test('every check, on the reference server', async () => {
    const [one, eight] = [await runAt(1, {}), await runAt(8, {})]
    expect(verdicts(eight)).toEqual(verdicts(one))
  })

  test('every check, on a server with faults: the same findings, shrunk to the same paths', async () => {
    const [one, eight] = [await runAt(1, { faults: FAULTS }), await runAt(8, { faults: FAULTS })]
    expect(verdicts(eight)).toEqual(verdicts(one))
    const found = eight.filter((r) => r.status === 'failed' || r.status === 'warned')
    expect(found.map((r) => r.id)).toEqual(
      expect.arrayContaining(['put.replace.unicode-exact', 'put.replace.whitespace-kept', 'put.meta.location']),
    )
  })

  test('a few long checks, each in lanes at --concurrency 8: the verdicts of one lane', async () => {
    const only =
      'put.replace.unicode-exact,put.replace.whitespace-kept,put.status.success-200,put.status.success-resource'
    const config = buildConfig({ vendor: 'cube', token: TOKEN, runs: '40', concurrency: '8', only })
    const schedule = new RunSchedule(config, 'http://127.0.0.1:9', { profile: await loadProfile({ vendor: 'cube' }) })
    const checks = CHECKS.filter((c) => only.split(',').includes(c.id))
    schedule.add(checks)
    for (const check of checks) expect(schedule.lanesOf(check), check.id).toBeGreaterThan(1)
    void schedule.close()
    const [one, eight] = [
      await runAt(1, { faults: FAULTS, only, runs: 40 }),
      await runAt(8, { faults: FAULTS, only, runs: 40 }),
    ]
    expect(verdicts(eight)).toEqual(verdicts(one))
    expect(Object.fromEntries(eight.map((r) => [r.id, r.status]))).toEqual({
      'put.replace.unicode-exact': 'failed',
      'put.replace.whitespace-kept': 'warned',
      'put.status.success-200': 'passed',
      'put.status.success-resource': 'passed',
    })
  })
})

test('the schedule tells the main thread how far its checks have got (requests sent, checks done)', async () => {
  const server = await startReferenceServer({ profile: await loadProfile({ vendor: 'cube' }), token: TOKEN })
  const dir = mkdtempSync(join(tmpdir(), 'schedule-'))
  dirs.push(dir)
  const config = buildConfig({
    vendor: 'cube',
    token: TOKEN,
    runId: 'progress01',
    runs: '5',
    reportDir: dir,
    only: 'put.status.success-200,put.replace.values-stored',
  })
  const told: RunProgress[] = []
  const stop = subscribeProgress(config.runId, (p) => told.push(p))
  try {
    const { results } = await runChecks(config, server.origin)
    // The last message comes when every check has its result: all of them done, every request they sent.
    await vi.waitFor(() => expect(told.at(-1)?.checksDone).toBe(2))
    const sent = results.reduce((n, r) => n + (r.requests ?? 0), 0)
    expect(told.at(-1)!.requests).toBeGreaterThanOrEqual(sent)
    expect(sent).toBeGreaterThan(0)
  } finally {
    stop()
    await server.close()
  }
})
