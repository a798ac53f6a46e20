import { afterAll, inject, test, type TestContext } from 'vitest'
import { CHECKS, selectChecks } from '../../src/checks/index.ts'
import type { CheckDefinition } from '../../src/checks/define-check.ts'
import type { Area, CheckResult } from '../../src/checks/types.ts'
import { formatFailure } from '../../src/report/format-failure.ts'
import { INTERRUPTED_MESSAGE } from '../../src/checks/types.ts'
import '../../src/run/provided.ts'
import type { RunConfig } from '../../src/run/config.ts'
import '../../src/run/learn-constraints.ts'
import { askPreflight } from '../../src/run/preflight-handoff.ts'
import { type RunSchedule, sharedSchedule } from '../../src/run/schedule.ts'
import { rateLimitSeen } from '../../src/http/client.ts'
import { rateLimitTraits } from '../../src/http/rate-limit.ts'

declare module 'vitest' {
  interface TaskMeta {
    /** The check's result, carried from the worker to the reporters. */
    scimResult?: CheckResult
    /** Discovery notes of the check's worker (why capabilities are unknown, why no constraint was learned). */
    scimDiscovery?: string[]
    /** The input constraints learned for the run, as traits (`constraint.maxLength` → `100 (256 refused: …)`). */
    scimConstraints?: Record<string, string>
    /** What the worker's clients met of the target's rate limit, as traits (`rateLimit`); empty when no 429. */
    scimRateLimit?: Record<string, string>
  }
}

/** A failed check (or a warning under --fail-on should): its message is the formatted failure block. */
export class ConformanceError extends Error {
  override name = 'ConformanceError'
}

/**
 * Registers one vitest test per selected check of the given areas. Each test is named by its check id
 * (the JUnit testcase name), waits for its check's result, and carries it in `task.meta`. The checks
 * themselves run on the run's one schedule (src/run/schedule.ts), which every suite file of the worker
 * shares: all of them at once over the run's concurrency budget, whichever file's test is waiting.
 */
export function conformanceSuite(areas: Area[]): void {
  const config = inject('run')
  const target = config.target
  const checks = selectChecks(
    CHECKS.filter((c) => areas.includes(c.area)),
    config.only,
    config.skip,
  )
  // None selected (--only, --skip): the file has no test (the config passes files without tests), so the reports
  // show no placeholder for the area.
  if (checks.length === 0) return
  if (!target) {
    for (const check of checks)
      test(check.id, () => {
        throw new Error(
          'the run has no target: run through `scim-conformance run`, or use suites/vitest.config.ts, ' +
            'whose global setup starts the reference server',
        )
      })
    return
  }
  const run = selectChecks(CHECKS, config.only, config.skip)
  const { schedule, release } = sharedSchedule(config, target, run, () => ({
    embedded: inject('embedded'),
    profile: inject('profile'),
    // Learned once by the CLI's preflight (still running when the worker starts: asked for, and awaited before
    // any request); otherwise the context learns them (once per worker).
    constraints: preflightAnswer(),
  }))
  // The last suite file to finish closes the run's client.
  afterAll(release)
  // A --user-id run has one user to share, so its checks take turns (the schedule runs them one at a time).
  const register = config.userId !== null ? test : test.concurrent
  for (const check of checks) register(check.id, (t) => runOne(check, schedule, config, t))
}

function preflightAnswer() {
  const key = inject('preflight')
  return key === undefined ? undefined : askPreflight(key)
}

async function runOne(check: CheckDefinition, schedule: RunSchedule, config: RunConfig, t: TestContext): Promise<void> {
  const run = await schedule.context
  const ctx = run.check
  // On Ctrl-C vitest abandons the running test at once, and the run's client is closed under the checks
  // still in flight: what they would still conclude is about a closed client, not the server. Not judged.
  // Only a cancelled run: a timeout aborts the signal too, and must stay a harness error (exit 2).
  const cancelled = () => (t.signal.reason as Error | undefined)?.name === 'TestRunAbortError'
  const onAbort = () => {
    if (!cancelled()) return
    void schedule.close()
    t.task.meta.scimResult = {
      id: check.id,
      title: check.title,
      level: check.level,
      source: check.source,
      area: check.area,
      contract: ctx.contractOf(check),
      status: 'skipped',
      message: INTERRUPTED_MESSAGE,
      interrupted: true,
      counterexample: null,
      reproduce: null,
      seed: config.seed,
      path: null,
      numRuns: 0,
    }
  }
  t.signal.addEventListener('abort', onAbort, { once: true })
  const result = await schedule.result(check.id)
  if (t.signal.aborted && cancelled()) return
  t.signal.removeEventListener('abort', onAbort)
  t.task.meta.scimResult = result
  t.task.meta.scimDiscovery = [...ctx.discovery.notes, ...ctx.constraints.notes]
  t.task.meta.scimConstraints = ctx.constraints.traits
  t.task.meta.scimRateLimit = rateLimitTraits(rateLimitSeen(config.target!), config.concurrency)
  if (result.reproduce) await t.annotate(result.reproduce, 'reproduce')
  if (result.status === 'failed' || (result.status === 'warned' && config.failOn === 'should'))
    throw new ConformanceError(formatFailure(result, { secrets: run.secrets }))
  if (result.status === 'warned') await t.annotate(`WARN: ${result.message.split('\n')[0]}`, 'warning')
  if (result.status === 'observed') await t.annotate(`OBSERVED: ${result.message.split('\n')[0]}`, 'observation')
  // Shown as skipped in JUnit (`<skipped message="inconclusive: …">`): neither a pass nor a failure.
  if (result.status === 'inconclusive') t.skip(`inconclusive: ${result.message.split('\n')[0]}`)
  if (result.status === 'skipped') t.skip(result.message)
}
