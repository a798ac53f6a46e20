import { afterAll, inject, test, type TestContext } from 'vitest'
import { CHECKS, selectChecks } from '../../src/checks/index.ts'
import type { CheckDefinition } from '../../src/checks/define-check.ts'
import type { Area, CheckResult } from '../../src/checks/types.ts'
import { formatFailure } from '../../src/report/format-failure.ts'
import { INTERRUPTED_MESSAGE } from '../../src/checks/types.ts'
import '../../src/run/provided.ts'
import type { RunConfig } from '../../src/run/config.ts'
import { createRunContext, type RunContext } from '../../src/run/context.ts'
import '../../src/run/learn-constraints.ts'
import { runCheck } from '../../src/run/run-check.ts'

declare module 'vitest' {
  interface TaskMeta {
    /** The check's result, carried from the worker to the reporters. */
    scimResult?: CheckResult
    /** Discovery notes of the check's worker (why capabilities are unknown, why no constraint was learned). */
    scimDiscovery?: string[]
    /** The input constraints learned for the run, as traits (`constraint.maxLength` → `100 (256 refused: …)`). */
    scimConstraints?: Record<string, string>
  }
}

/** A failed check (or a warning under --fail-on should): its message is the formatted failure block. */
export class ConformanceError extends Error {
  override name = 'ConformanceError'
}

/**
 * Registers one vitest test per selected check of the given areas. Each test is named by its check id
 * (the JUnit testcase name), runs the check against the target, and carries its result in `task.meta`.
 */
export function conformanceSuite(areas: Area[]): void {
  const config = inject('run')
  const target = config.target
  const checks = selectChecks(
    CHECKS.filter((c) => areas.includes(c.area)),
    config.only,
    config.skip,
  )
  let context: Promise<RunContext> | null = null
  const shared = () => {
    if (!target)
      throw new Error(
        'the run has no target: run through `scim-conformance run`, or use suites/vitest.config.ts, ' +
          'whose global setup starts the reference server',
      )
    context ??= createRunContext(config, target, {
      embedded: inject('embedded'),
      profile: inject('profile'),
      // Learned once by the CLI's preflight; otherwise the context learns them (once per worker).
      constraints: inject('constraints'),
    })
    return context
  }
  afterAll(async () => {
    // A context that could not be built (the target gone) has failed its checks already: nothing to close.
    const built = await context?.catch(() => null)
    if (built) await built.close()
  })
  if (checks.length === 0) {
    test.skip(`no selected check in ${areas.join(', ')}`, () => {})
    return
  }
  // A --user-id run has one user to share, so its checks take turns.
  const register = config.userId !== null ? test : test.concurrent
  for (const check of checks) register(check.id, (t) => runOne(check, shared, config, t))
}

async function runOne(
  check: CheckDefinition,
  shared: () => Promise<RunContext>,
  config: RunConfig,
  t: TestContext,
): Promise<void> {
  const run = await shared()
  const ctx = run.check
  // On Ctrl-C vitest abandons the running test at once and the suite's afterAll closes the client under
  // it: what the check would still conclude is about a closed client, not the server. Not judged.
  // Only a cancelled run: a timeout aborts the signal too, and must stay a harness error (exit 2).
  const cancelled = () => (t.signal.reason as Error | undefined)?.name === 'TestRunAbortError'
  const onAbort = () => {
    if (!cancelled()) return
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
  const result = await runCheck(check, ctx, run.secrets)
  if (t.signal.aborted && cancelled()) return
  t.signal.removeEventListener('abort', onAbort)
  t.task.meta.scimResult = result
  t.task.meta.scimDiscovery = [...ctx.discovery.notes, ...ctx.constraints.notes]
  t.task.meta.scimConstraints = ctx.constraints.traits
  if (result.reproduce) await t.annotate(result.reproduce, 'reproduce')
  if (result.status === 'failed' || (result.status === 'warned' && config.failOn === 'should'))
    throw new ConformanceError(formatFailure(result, { secrets: run.secrets }))
  if (result.status === 'warned') await t.annotate(`WARN: ${result.message.split('\n')[0]}`, 'warning')
  if (result.status === 'observed') await t.annotate(`OBSERVED: ${result.message.split('\n')[0]}`, 'observation')
  // Shown as skipped in JUnit (`<skipped message="inconclusive: …">`): neither a pass nor a failure.
  if (result.status === 'inconclusive') t.skip(`inconclusive: ${result.message.split('\n')[0]}`)
  if (result.status === 'skipped') t.skip(result.message)
}
