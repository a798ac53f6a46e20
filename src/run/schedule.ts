import type { CheckDefinition } from '../checks/define-check.ts'
import type { Area, CheckResult } from '../checks/types.ts'
import type { RunConfig } from './config.ts'
import { createRunContext, type RunContext, type RunContextOptions } from './context.ts'
import { runCheck } from './run-check.ts'
import { BlankUserNameTurn } from './blank-username.ts'
import { publishProgress } from './progress-channel.ts'
import { asCheck } from './send-gate.ts'

// biome-ignore lint/suspicious/noExplicitAny: checks of many case types
type AnyCheck = CheckDefinition<any>

/**
 * Areas whose checks race requests on purpose (put.concurrency.*): they run with the rest, as racers, whose
 * requests fired together are sent together ahead of the other checks' (src/run/send-gate.ts).
 */
const RACING: ReadonlySet<Area> = new Set(['concurrency'])

/** Fewest cases a lane is worth: each lane costs its test users' creation and deletion. */
const MIN_CASES_PER_LANE = 8

/** How a {@link RunSchedule} runs its checks. */
export interface ScheduleOptions {
  /** Most checks in flight at once. @defaultValue every check (one at a time with --user-id) */
  maxChecks?: number
}

interface Entry {
  check: AnyCheck
  result: Promise<CheckResult>
  resolve(result: CheckResult): void
  reject(error: unknown): void
}

/**
 * One run's schedule: one context (one discovery, one client, one pool of test users) and every check
 * of the run started at once over the client's one concurrency budget (--concurrency and --rate stay
 * hard limits: the client enforces them), instead of checks or suite files one after the other. A
 * check's own steps stay in order; the budget serves the check with the longest chain left first, and
 * racing checks' requests together (src/run/send-gate.ts); a long check runs its cases in lanes (see
 * {@link runCheck}). The verdicts do not depend on the schedule: each check draws its cases and test
 * users from the seed alone. With --user-id the checks take turns (one user to share).
 */
export class RunSchedule {
  /** The run's context, built once when the schedule is made. */
  readonly context: Promise<RunContext>
  private readonly entries = new Map<string, Entry>()
  private readonly queue: Entry[] = []
  private readonly maxChecks: number
  private started = false
  private running = 0
  /** Checks with a result (or error). */
  private done = 0
  private closing: Promise<void> | null = null
  /** One for the run: no check sees another's stored blank userName (src/run/blank-username.ts). */
  private readonly blankUserName = new BlankUserNameTurn()

  constructor(
    private readonly config: RunConfig,
    target: string,
    contextOptions: RunContextOptions = {},
    options: ScheduleOptions = {},
  ) {
    this.maxChecks = config.userId !== null ? 1 : Math.max(1, options.maxChecks ?? Number.POSITIVE_INFINITY)
    this.context = createRunContext(config, target, contextOptions)
    // Told to whoever awaits a result; never an unhandled rejection.
    this.context.catch(() => {})
  }

  /** Adds checks to the run (again: no effect). Added after the start, they start at once. */
  add(checks: readonly AnyCheck[]): void {
    const added: Entry[] = []
    for (const check of checks) {
      if (this.entries.has(check.id)) continue
      let resolve!: (r: CheckResult) => void
      let reject!: (e: unknown) => void
      const result = new Promise<CheckResult>((res, rej) => {
        resolve = res
        reject = rej
      })
      result.catch(() => {})
      const entry: Entry = { check, result, resolve, reject }
      this.entries.set(check.id, entry)
      added.push(entry)
    }
    if (this.started) this.enqueue(added)
  }

  /** The result of a check added before; the first call starts the run. */
  result(id: string): Promise<CheckResult> {
    const entry = this.entries.get(id)
    if (!entry) return Promise.reject(new Error(`${id} is not in this run's schedule`))
    this.start()
    return entry.result
  }

  /** Starts every check added so far (once). */
  start(): void {
    if (this.started) return
    this.started = true
    this.enqueue([...this.entries.values()])
    // The progress display in the main thread sees the requests go out while the checks run together.
    this.context.then(
      (run) => {
        const progress = () => ({ requests: run.check.client.exchangeCount, checksDone: this.done })
        const stop = publishProgress(this.config.runId, progress)
        void this.settled().then(stop)
      },
      () => {},
    )
  }

  /** Resolves once every check added so far has its result (or error). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.result))
  }

  /** Closes the run's client (once): checks still in flight end with a harness error nobody waits for. */
  close(): Promise<void> {
    // Checks not started yet never start.
    for (const entry of this.queue.splice(0)) entry.reject(new Error(`${entry.check.id} was not run: the run closed`))
    this.closing ??= this.context.then(
      (run) => run.close(),
      () => {},
    )
    return this.closing
  }

  /**
   * How many lanes a check's cases may take: as many as keep its chain of cases no longer than a share of
   * the whole run's (its cases against all cases, over the concurrency budget), at least
   * {@link MIN_CASES_PER_LANE} cases each. A check is estimated by its cases: their cost is not known before.
   */
  lanesOf(check: AnyCheck): number {
    const { runs, concurrency, userId, path } = this.config
    if (!check.cases || userId !== null || path !== null || RACING.has(check.area)) return 1
    const cases = (c: AnyCheck) => (c.cases ? Math.min(c.maxRuns ?? runs, runs) : 1)
    let total = 0
    for (const { check: c } of this.entries.values()) total += cases(c)
    const own = cases(check)
    const share = Math.ceil((2 * own * concurrency) / Math.max(total, 1))
    return Math.max(1, Math.min(share, concurrency, Math.floor(own / MIN_CASES_PER_LANE)))
  }

  /** Racing checks first (their chains are the longest in round trips), then the others in the order added. */
  private enqueue(entries: Entry[]): void {
    this.queue.push(...entries.filter((e) => RACING.has(e.check.area)))
    this.queue.push(...entries.filter((e) => !RACING.has(e.check.area)))
    this.pump()
  }

  private pump(): void {
    while (this.running < this.maxChecks && this.queue.length > 0) {
      const entry = this.queue.shift()!
      this.running++
      void this.run(entry).finally(() => {
        this.running--
        this.pump()
      })
    }
  }

  private async run(entry: Entry): Promise<void> {
    const { check } = entry
    try {
      const run = await this.context
      const work = { left: 0 }
      const running = { id: check.id, racer: RACING.has(check.area), left: () => work.left }
      const lanes = this.lanesOf(check)
      entry.resolve(
        await asCheck(running, () =>
          runCheck(check, run.check, run.secrets, { lanes, work, blankUserName: this.blankUserName }),
        ),
      )
    } catch (error) {
      entry.reject(error)
    } finally {
      this.done++
    }
  }
}

/** The schedule of the worker's run: the suite files of one run share it. */
let shared: { key: string; schedule: RunSchedule; holders: number } | null = null

/**
 * The run's one schedule, for a suite file. Vitest runs the suite files of its one worker one after the
 * other (each collected when its turn comes), so the first file to ask starts every check of the run's
 * selection (`run`: --only/--skip over all areas), and each file's tests wait for their own checks. The
 * files `release` it when they are done: the last one, once every check has settled, closes it.
 */
export function sharedSchedule(
  config: RunConfig,
  target: string,
  run: readonly AnyCheck[],
  contextOptions: () => RunContextOptions,
): { schedule: RunSchedule; release(): void } {
  const key = `${config.runId} ${target}`
  if (shared?.key !== key) {
    const schedule = new RunSchedule(config, target, contextOptions())
    schedule.add(run)
    shared = { key, schedule, holders: 0 }
  }
  const held = shared
  held.holders++
  let released = false
  return {
    schedule: held.schedule,
    release: () => {
      if (released) return
      released = true
      held.holders--
      // Kept as the run's after it closes: a suite file still to come finds its checks' results there.
      void held.schedule.settled().then(() => (held.holders > 0 ? undefined : held.schedule.close()))
    },
  }
}
