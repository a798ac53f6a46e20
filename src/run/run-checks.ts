import { CHECKS, selectChecks } from '../checks/index.ts'
import type { CheckDefinition } from '../checks/define-check.ts'
import type { CheckResult } from '../checks/types.ts'
import type { RunConfig } from './config.ts'
import { createRunContext } from './context.ts'
import { runCheck } from './run-check.ts'

/**
 * Runs the selected checks in this process, without vitest, `concurrency` at a time: the engine the
 * suites use, for the fault matrix, the benchmark and tests. Sweeps leftover test users at the end.
 */
export async function runChecks(
  config: RunConfig,
  target: string,
  // biome-ignore lint/suspicious/noExplicitAny: checks of many case types
  options: { checks?: readonly CheckDefinition<any>[]; parallel?: number } = {},
): Promise<{ results: CheckResult[]; requests: number }> {
  const checks = selectChecks(options.checks ?? CHECKS, config.only, config.skip)
  const run = await createRunContext(config, target)
  const results: CheckResult[] = new Array(checks.length)
  let next = 0
  const worker = async () => {
    while (next < checks.length) {
      const index = next++
      results[index] = await runCheck(checks[index], run.check, run.secrets)
    }
  }
  try {
    await Promise.all(Array.from({ length: config.userId !== null ? 1 : Math.max(1, options.parallel ?? 8) }, worker))
    await run.users.sweep()
    return { results, requests: run.check.client.exchangeCount }
  } finally {
    await run.close()
  }
}
