import { describe, expect, test, vi } from 'vitest'
import type { TestCase, Vitest } from 'vitest/node'
import { CHECKS, selectChecks } from '../checks/index.ts'
import type { CheckResult } from '../checks/types.ts'
import { ProgressBoard } from './progress-board.ts'
import { publishProgress } from '../run/progress-channel.ts'
import { elapsed, HEARTBEAT_MS, ProgressReporter } from './progress-reporter.ts'

/** The parts of a vitest TestCase the reporter reads. */
function testCase(name: string, status?: CheckResult['status'], state = 'passed'): TestCase {
  const scimResult = status ? ({ id: name, status } as CheckResult) : undefined
  return { name, meta: () => ({ scimResult }), result: () => ({ state }) } as unknown as TestCase
}

function harness(isTTY: boolean, total = 65) {
  const out: string[] = []
  let clock = 1_000_000
  const reporter = new ProgressReporter({
    stream: { isTTY, write: (t: string) => out.push(t) },
    now: () => clock,
    total,
  })
  return { reporter, out, tick: (ms: number) => (clock += ms) }
}

describe('ProgressReporter', () => {
  test('elapsed time reads as seconds, then minutes and seconds', () => {
    expect([0, 999, 42_000, 60_000, 187_500].map(elapsed)).toEqual(['0s', '0s', '42s', '1m00s', '3m07s'])
  })

  test('on a terminal: a fixed total from the start, failures, elapsed time and the check in progress', () => {
    const { reporter, out, tick } = harness(true)
    reporter.onTestRunStart()
    try {
      reporter.onTestCaseReady(testCase('put.replace.values-stored'))
      reporter.onTestCaseReady(testCase('put.status.success-200'))
      expect(reporter.line()).toBe('checks 0/65  failed 0  warned 0  0s  put.replace.values-stored')
      tick(42_000)
      reporter.onTestCaseResult(testCase('put.status.success-200', 'passed'))
      reporter.onTestCaseResult(testCase('put.replace.values-stored', 'failed'))
      reporter.onTestCaseReady(testCase('put.meta.created'))
      // The total did not grow with the tests seen: it is the selection's.
      expect(reporter.line()).toBe('checks 2/65  failed 1  warned 0  42s  put.meta.created')
      expect(out.at(-1)).toBe('\r\u001b[2K  checks 2/65  failed 1  warned 0  42s  put.meta.created')
    } finally {
      reporter.onTestRunEnd()
    }
    expect(out.at(-1)).toBe('\r\u001b[2K')
  })

  test('on a narrow terminal the line is cut to its width (a wrapped line could not be redrawn)', () => {
    const out: string[] = []
    const stream = { isTTY: true, columns: 40, write: (t: string) => out.push(t) }
    const reporter = new ProgressReporter({ stream, now: () => 0, total: 65 })
    reporter.onTestRunStart()
    reporter.onTestCaseReady(testCase('put.replace.whole-body-echo-mutability'))
    reporter.onTestRunEnd()
    expect(out.at(-2)).toBe('\r\u001b[2K  checks 0/65  failed 0  warned 0  0s …')
    expect(out.at(-2)!.length - '\r\u001b[2K'.length).toBeLessThan(40)
  })

  test('in a CI log: one line per finished check with its count and the elapsed time; a throw is an ERROR', () => {
    const { reporter, out, tick } = harness(false, 3)
    reporter.onTestRunStart()
    reporter.onTestCaseReady(testCase('put.meta.created'))
    tick(3_000)
    reporter.onTestCaseResult(testCase('put.meta.created', 'warned'))
    reporter.onTestCaseResult(testCase('put.status.success-200', undefined, 'failed'))
    reporter.onTestRunEnd()
    expect(out).toEqual([
      '  WARNED       put.meta.created  (1/3, 3s)\n',
      '  ERROR        put.status.success-200  (2/3, 3s)\n',
    ])
  })

  test("without a given total, the run's selection (--only, --skip) is the total from the start", () => {
    const out: string[] = []
    const reporter = new ProgressReporter({ stream: { isTTY: false, write: (t: string) => out.push(t) } })
    const run = { only: ['put.status.*'], skip: ['put.status.success-200'] }
    reporter.onInit({ getRootProject: () => ({ getProvidedContext: () => ({ run }) }) } as unknown as Vitest)
    reporter.onTestRunStart()
    const expected = selectChecks(CHECKS, run.only, run.skip).length
    expect(expected).toBeGreaterThan(3)
    expect(reporter.line()).toMatch(new RegExp(`^checks 0/${expected} `))
  })

  test('a test the selection does not count still fits in the total', () => {
    const { reporter } = harness(false, 1)
    reporter.onTestRunStart()
    reporter.onTestCaseReady(testCase('a'))
    reporter.onTestCaseReady(testCase('b'))
    expect(reporter.line()).toMatch(/^checks 0\/2 /)
  })
})

describe('several vendors at once (run without --vendor)', () => {
  test('in a CI log each line names its vendor; on a terminal one shared line shows every vendor', () => {
    const log: string[] = []
    const ci = new ProgressReporter({
      stream: { isTTY: false, write: (t: string) => log.push(t) },
      total: 2,
      label: 'maia',
    })
    ci.onTestRunStart()
    ci.onTestCaseResult(testCase('put.status.success-200', 'passed'))
    expect(log.join('')).toMatch(/^ {2}maia {7}PASSED {7}put\.status\.success-200 {2}\(1\/2, 0s\)\n$/)

    const screen: string[] = []
    const tty = { isTTY: true, write: (t: string) => screen.push(t) }
    const board = new ProgressBoard(tty)
    const cube = new ProgressReporter({ stream: tty, total: 3, label: 'cube', board })
    const maia = new ProgressReporter({ stream: tty, total: 2, label: 'maia', board })
    cube.onTestRunStart()
    maia.onTestRunStart()
    try {
      cube.onTestCaseResult(testCase('put.status.success-200', 'failed'))
      maia.onTestCaseResult(testCase('put.status.success-200', 'passed'))
      expect(board.line()).toBe('cube 1/3  failed 1  warned 0  |  maia 1/2  failed 0  warned 0')
    } finally {
      cube.onTestRunEnd()
      expect(board.line()).toBe('maia 1/2  failed 0  warned 0')
      maia.onTestRunEnd()
    }
    // The last run to end clears the line.
    expect(screen.at(-1)).toBe('\r\x1b[2K')
  })
})

describe('the requests the checks send, told by the worker thread while no check ends', () => {
  test('on a terminal the line counts them; in a CI log a line every 10 s says how far the run is', async () => {
    const screen: string[] = []
    const tty = new ProgressReporter({ stream: { isTTY: true, write: (t: string) => screen.push(t) }, runId: 'rp1' })
    let clock = 0
    const log: string[] = []
    const ci = new ProgressReporter({
      stream: { isTTY: false, write: (t: string) => log.push(t) },
      now: () => clock,
      total: 4,
      label: 'cube',
      runId: 'rp1',
    })
    tty.onTestRunStart()
    ci.onTestRunStart()
    const stop = publishProgress('rp1', () => ({ requests: 1234, checksDone: 1 }), 5)
    try {
      await vi.waitFor(() => expect(tty.line()).toMatch(/^checks 0\/\d+ {2}1234 requests {2}failed 0/))
      // Told, but not 10 s since the run began: no line yet.
      expect(log).toEqual([])
      clock += HEARTBEAT_MS
      await vi.waitFor(() =>
        expect(log).toEqual(['  cube       RUNNING      1/4 checks done, 1234 requests sent  (10s)\n']),
      )
    } finally {
      stop()
      tty.onTestRunEnd()
      ci.onTestRunEnd()
    }
  })
})
