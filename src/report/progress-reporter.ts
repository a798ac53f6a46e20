import type { Reporter, TestCase, Vitest } from 'vitest/node'
import { selectedCount } from '../checks/select.ts'
import { type RunProgress, subscribeProgress } from '../run/progress-channel.ts'
import '../run/provided.ts'
import type { ProgressBoard } from './progress-board.ts'
import { terminalLine } from './terminal.ts'

/** Where the progress goes: stderr, or a test's stand-in. */
export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
  /** The terminal's width: a longer line would wrap, and `\r` would no longer redraw it. */
  columns?: number
}

export interface ProgressOptions {
  /** @defaultValue process.stderr */
  stream?: ProgressStream
  /** The clock, for tests. @defaultValue Date.now */
  now?: () => number
  /**
   * How many checks the run has, when the caller knows it; else the selection of the run's provided
   * configuration (`--only`, `--skip`), known before the first check starts.
   */
  total?: number
  /** The run's name on every line, when several run at once (the vendor). @defaultValue null */
  label?: string | null
  /** On a terminal, the one line this run shares with the others running at once (needs `label`). */
  board?: ProgressBoard
  /** The run whose checks' progress to follow; else the provided configuration's. */
  runId?: string
}

/** In a CI log, a line on the run's progress at least this often while no check ends (checks end together). */
export const HEARTBEAT_MS = 10_000

/** `42s`, `3m07s`: the elapsed time of the run so far. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

/**
 * The CLI's progress display. On a terminal, one updating line, redrawn every second:
 * `checks 12/65  failed 1  warned 0  0m42s  put.replace.values-stored` — done / the run's fixed total (the
 * selection, known from the start, since the schedule runs every selected check at once), failures and
 * warnings so far, the elapsed time, and the check the run is waiting on (the longest-running one). In a
 * CI log, one plain line per finished check with the same count and time, and while none ends (a run's checks
 * progress together and end near its end) a line every {@link HEARTBEAT_MS} with the requests sent so far.
 */
export class ProgressReporter implements Reporter {
  private vitest: Vitest | null = null
  private total = 0
  private done = 0
  private failed = 0
  private warned = 0
  private started = 0
  /** Checks started and not finished, in the order they started. */
  private readonly running = new Set<string>()
  private last = ''
  /** Requests the run's checks have sent (told by the worker, src/run/progress-channel.ts). */
  private requests = 0
  /** When the CI log last got a line. */
  private lastLine = 0
  private unsubscribe: (() => void) | null = null
  private timer: NodeJS.Timeout | null = null
  private readonly stream: ProgressStream
  private readonly now: () => number

  constructor(private readonly options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr
    this.now = options.now ?? Date.now
  }

  private get tty(): boolean {
    return this.stream.isTTY === true
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  onTestRunStart(): void {
    this.done = 0
    this.failed = 0
    this.warned = 0
    this.running.clear()
    this.last = ''
    this.started = this.now()
    this.lastLine = this.started
    this.requests = 0
    this.total = this.options.total ?? this.selected()
    const runId = this.options.runId ?? this.vitest?.getRootProject().getProvidedContext().run?.runId
    if (runId) this.unsubscribe = subscribeProgress(runId, (p) => this.onProgress(p))
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 1000)
      this.timer.unref()
    }
  }

  /** The number of checks the run's configuration selects (0 when there is none to read). */
  private selected(): number {
    const run = this.vitest?.getRootProject().getProvidedContext().run
    return run ? selectedCount(run.only, run.skip) : 0
  }

  private onProgress(progress: RunProgress): void {
    this.requests = progress.requests
    if (this.tty) return this.draw()
    if (this.now() - this.lastLine < HEARTBEAT_MS) return
    this.lastLine = this.now()
    const label = this.options.label ? `${this.options.label.padEnd(10)} ` : ''
    this.stream.write(
      `  ${label}${'RUNNING'.padEnd(12)} ${progress.checksDone}/${this.total} checks done, ` +
        `${progress.requests} requests sent  (${elapsed(this.now() - this.started)})\n`,
    )
  }

  onTestCaseReady(testCase: TestCase): void {
    this.running.add(testCase.name)
    // A test that is no selected check (a run without a target has its own): the total still holds it.
    this.total = Math.max(this.total, this.done + this.running.size)
    this.draw()
  }

  onTestCaseResult(testCase: TestCase): void {
    this.running.delete(testCase.name)
    this.done++
    this.total = Math.max(this.total, this.done + this.running.size)
    this.last = testCase.name
    const result = testCase.meta().scimResult
    // A check that threw has no verdict: a harness error (e.g. the target stopped answering), never a finding.
    const status = result?.status ?? (testCase.result().state === 'failed' ? 'error' : 'skipped')
    if (status === 'failed') this.failed++
    if (status === 'warned') this.warned++
    if (this.tty) this.draw()
    else {
      // A test's name is a check id or a harness test's title: escaped for the terminal.
      const count = `${this.done}/${this.total}, ${elapsed(this.now() - this.started)}`
      const label = this.options.label ? `${this.options.label.padEnd(10)} ` : ''
      this.lastLine = this.now()
      this.stream.write(`  ${label}${status.toUpperCase().padEnd(12)} ${terminalLine(testCase.name)}  (${count})\n`)
    }
  }

  /** The progress line (without the terminal's control codes). */
  line(): string {
    const current = this.running.values().next().value ?? this.last
    return (
      `checks ${this.done}/${this.total}  ${this.sent()}failed ${this.failed}  warned ${this.warned}  ` +
      `${elapsed(this.now() - this.started)}${current ? `  ${terminalLine(current)}` : ''}`
    )
  }

  private draw(): void {
    if (!this.tty) return
    const { board, label } = this.options
    if (board && label)
      return board.set(label, `${this.done}/${this.total}  ${this.sent()}failed ${this.failed}  warned ${this.warned}`)
    const line = this.line()
    const room = (this.stream.columns ?? 0) - 3
    this.stream.write(`\r\x1b[2K  ${room > 0 && line.length > room ? `${line.slice(0, room - 1)}…` : line}`)
  }

  /** `1234 requests  ` once the worker told any. */
  private sent(): string {
    return this.requests > 0 ? `${this.requests} requests  ` : ''
  }

  onTestRunEnd(): void {
    this.unsubscribe?.()
    this.unsubscribe = null
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (!this.tty) return
    const { board, label } = this.options
    if (board && label) board.remove(label)
    else this.stream.write('\r\x1b[2K')
  }
}
