import type { Reporter, TestCase, TestSpecification } from 'vitest/node'
import { terminalLine } from './terminal.ts'

/**
 * The CLI's progress display: one updating line on a terminal (checks done / total, failures so far),
 * plain lines for each finished check otherwise (CI logs).
 */
export class ProgressReporter implements Reporter {
  private total = 0
  private done = 0
  private failed = 0
  private warned = 0
  private readonly tty = process.stderr.isTTY === true

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    this.total = 0
    this.done = 0
    this.failed = 0
    this.warned = 0
    void specifications
  }

  onTestCaseReady(): void {
    this.total++
  }

  onTestCaseResult(testCase: TestCase): void {
    this.done++
    const result = testCase.meta().scimResult
    // A check that threw has no verdict: a harness error (e.g. the target stopped answering), never a finding.
    const status = result?.status ?? (testCase.result().state === 'failed' ? 'error' : 'skipped')
    if (status === 'failed') this.failed++
    if (status === 'warned') this.warned++
    // A test's name is a check id or a harness test's title: escaped alike; the line's own control codes come after.
    const name = terminalLine(testCase.name)
    if (this.tty) {
      process.stderr.write(
        `\r\x1b[2K  checks ${this.done}/${this.total}  failed ${this.failed}  warned ${this.warned}  (${name})`,
      )
    } else {
      process.stderr.write(`  ${status.toUpperCase().padEnd(8)} ${name}\n`)
    }
  }

  onTestRunEnd(): void {
    if (this.tty) process.stderr.write('\r\x1b[2K')
  }
}
