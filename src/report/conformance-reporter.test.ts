import { describe, expect, test } from 'vitest'
import type { TestCase, TestModule, Vitest } from 'vitest/node'
import type { CheckResult } from '../checks/types.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { buildConfig } from '../run/config.ts'
import { ConformanceReporter } from './conformance-reporter.ts'

/** The parts of a vitest TestCase the reporter reads: a check's result, or the error of a check that threw. */
function testCase(name: string, outcome: CheckResult['status'] | { name: string; message: string }): TestCase {
  const scimResult = typeof outcome === 'string' ? ({ id: name, status: outcome } as CheckResult) : undefined
  const result = typeof outcome === 'string' ? { state: 'passed' } : { state: 'failed', errors: [outcome] }
  return { name, meta: () => ({ scimResult }), result: () => result } as unknown as TestCase
}

describe('ConformanceReporter summary', () => {
  test('checks that threw count as errored (the target gone is told once), beside the verdicts', async () => {
    // No target: nothing to sweep at the end.
    const config = { ...buildConfig({ vendor: 'cube' }), target: null }
    const profile = await loadProfile({ vendor: 'cube', validate: false })
    const reporter = new ConformanceReporter({ profile, specFindings: [] })
    reporter.onInit({ getRootProject: () => ({ getProvidedContext: () => ({ run: config }) }) } as unknown as Vitest)
    reporter.onTestRunStart()
    const gone = { name: 'TransportError', message: 'the target stopped answering: no response to GET …' }
    reporter.onTestCaseResult(testCase('put.status.success-200', 'passed'))
    reporter.onTestCaseResult(testCase('put.meta.present', gone))
    reporter.onTestCaseResult(testCase('put.meta.location', gone))
    reporter.onTestCaseResult(testCase('put.replace.idempotent', { name: 'TypeError', message: 'x is undefined' }))
    await reporter.onTestRunEnd([], [], 'passed')
    const report = reporter.result()!
    expect(report.summary).toMatchObject({ passed: 1, failed: 0, errored: 3 })
    expect(report.harnessErrors).toEqual([gone.message, 'put.replace.idempotent: x is undefined'])
  })

  test('a run without harness errors has no errored count', async () => {
    const config = { ...buildConfig({ vendor: 'cube' }), target: null }
    const reporter = new ConformanceReporter({ profile: await loadProfile({ vendor: 'cube', validate: false }) })
    reporter.onInit({ getRootProject: () => ({ getProvidedContext: () => ({ run: config }) }) } as unknown as Vitest)
    reporter.onTestRunStart()
    reporter.onTestCaseResult(testCase('put.status.success-200', 'passed'))
    await reporter.onTestRunEnd([], [], 'passed')
    expect(reporter.result()!.summary).not.toHaveProperty('errored')
  })
  test('a suite file that could not load, or a run where no check ran, is a harness error, never a pass', async () => {
    const config = { ...buildConfig({ vendor: 'cube' }), target: null }
    const profile = await loadProfile({ vendor: 'cube', validate: false })
    const run = async (modules: TestModule[]) => {
      const reporter = new ConformanceReporter({ profile, specFindings: [] })
      reporter.onInit({ getRootProject: () => ({ getProvidedContext: () => ({ run: config }) }) } as unknown as Vitest)
      reporter.onTestRunStart()
      await reporter.onTestRunEnd(modules, [], 'passed')
      return reporter.result()!
    }
    const broken = {
      relativeModuleId: 'suites/meta.test.js',
      errors: () => [{ message: 'Dynamic require of "node:assert" is not supported' }],
    } as unknown as TestModule
    const loaded = { relativeModuleId: 'suites/etag.test.js', errors: () => [] } as unknown as TestModule
    expect((await run([loaded, broken])).harnessErrors).toEqual([
      'suites/meta.test.js could not run: Dynamic require of "node:assert" is not supported',
    ])
    expect((await run([loaded])).harnessErrors).toEqual([
      'no check ran: the suites registered none of the selected checks',
    ])
    // Nothing selected (every check skipped): nothing to run, nothing missing.
    config.skip = ['put.*']
    expect((await run([loaded])).harnessErrors).toEqual([])
  })
})
