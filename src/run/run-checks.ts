import { CHECKS, selectChecks } from '../checks/index.ts'
import type { CheckDefinition } from '../checks/define-check.ts'
import type { CheckResult } from '../checks/types.ts'
import type { RunConfig } from './config.ts'
import { RunSchedule } from './schedule.ts'

/**
 * Runs the selected checks in this process, without vitest, on the run's one schedule (every check at
 * once over the client's concurrency budget, or `parallel` checks at a time): the engine the suites use,
 * for the fault matrix, the benchmark and tests. Sweeps leftover test users at the end.
 */
export async function runChecks(
  config: RunConfig,
  target: string,
  // biome-ignore lint/suspicious/noExplicitAny: checks of many case types
  options: { checks?: readonly CheckDefinition<any>[]; parallel?: number } = {},
): Promise<{ results: CheckResult[]; requests: number }> {
  const checks = selectChecks(options.checks ?? CHECKS, config.only, config.skip)
  const schedule = new RunSchedule(config, target, {}, { maxChecks: options.parallel })
  schedule.add(checks)
  try {
    const run = await schedule.context
    const results = await Promise.all(checks.map((c) => schedule.result(c.id)))
    await run.users.sweep()
    return { results, requests: run.check.client.exchangeCount }
  } finally {
    await schedule.close()
  }
}
