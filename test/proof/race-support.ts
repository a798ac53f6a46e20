import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { CONCURRENCY_CHECKS } from '../../src/checks/areas/concurrency.ts'
import type { CheckResult } from '../../src/checks/types.ts'
import { buildConfig, DEFAULT_RUNS } from '../../src/run/config.ts'
import { runChecks } from '../../src/run/run-checks.ts'

/** What the race proofs share: the token, the fixed seeds, and a run of the put.concurrency.* checks. */

export const TOKEN = 'race-token-4f1c'
export const SEEDS = Array.from({ length: 10 }, (_, i) => 1000 + i)

const dirs: string[] = []

/** Removes the report folders the runs made (call in afterAll). */
export async function removeReportDirs(): Promise<void> {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
}

/** The put.concurrency.* checks against `origin`, in-process, at the default --runs. */
export async function race(vendor: string, origin: string, seed: number): Promise<CheckResult[]> {
  const reportDir = await mkdtemp(join(tmpdir(), 'scim-race-'))
  dirs.push(reportDir)
  const config = buildConfig({ vendor, token: TOKEN, seed: String(seed), reportDir })
  expect(config.runs).toBe(DEFAULT_RUNS)
  return (await runChecks(config, origin, { checks: CONCURRENCY_CHECKS, parallel: 4 })).results
}

export const summary = (results: CheckResult[]): string =>
  results.map((r) => `${r.id} ${r.status} ${r.traits?.['race.lost'] ?? ''}: ${r.message.split('\n')[0]}`).join('\n')

/** Every race passed (exercised and held), the ETag race skipped where ETags are not declared. */
export function expectAllPassed(results: CheckResult[], etag: boolean): void {
  const want = results.map((r) => (r.id === 'put.concurrency.if-match-race' && !etag ? 'skipped' : 'passed'))
  expect(
    results.map((r) => r.status),
    summary(results),
  ).toEqual(want)
}

/**
 * The failures of a run: only the `catches` checks may fail (the others pass), and each failure is told as a
 * story whose racing steps share `parallel` and whose script fires them with `&` and `wait`, secrets out.
 * Returns the ids that failed.
 */
export function expectCaughtBy(results: CheckResult[], catches: string[], origin: string): string[] {
  const others = results.filter((r) => !catches.includes(r.id))
  expect(
    others.map((r) => r.status),
    summary(others),
  ).toEqual(others.map(() => 'passed'))
  const failed = results.filter((r) => r.status === 'failed')
  for (const r of failed) {
    const racing = r.story!.steps.filter((s) => s.parallel === 1)
    expect(racing.length, r.id).toBeGreaterThanOrEqual(2)
    const lines = r.story!.script.split('\n')
    expect(lines.filter((l) => l.endsWith(' &'))).toHaveLength(racing.length)
    expect(lines).toContain('wait')
    expect(r.story!.script).toContain('"$SCIM_BASE')
    expect(r.story!.script).toContain('Bearer $SCIM_TOKEN')
    expect(r.story!.script).not.toContain(TOKEN)
    // Every URL starts at $SCIM_BASE, the SCIM base URL as in the other scripts: the vendor's base path is in it
    // (a body may still carry the origin, e.g. Maia's required meta.location).
    const curls = lines.filter((l) => l.startsWith('curl '))
    for (const line of curls) expect(line).toMatch(/ -X '?[A-Z]+'? "\$SCIM_BASE("')?\/Users\b/)
    // (The replay command in the header names the run's --target: it is the exact command of this run.)
    for (const line of curls) expect(line).not.toContain(`'${origin}`)
    expect(r.finding?.received, r.id).toMatch(/\(lost \d+ of \d+ races\)$/)
    expect(r.traits?.['race.lost']).toMatch(/^[1-9]\d* of \d+$/)
  }
  return failed.map((r) => r.id)
}
