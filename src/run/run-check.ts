import fc from 'fast-check'
import {
  GRADE_OF_LEVEL,
  OUTCOME_RANK,
  verdict,
  type CheckDefinition,
  type CheckUsers,
  type Verdict,
} from '../checks/define-check.ts'
import type { CheckResult, Outcome, Reproduction } from '../checks/types.ts'
import { CheckCrashedError, HarnessError, oneLine } from '../errors.ts'
import type { Exchange } from '../http/exchange.ts'
import { boundExchange, boundJson, RECORDED } from '../http/bounded-json.ts'
import { toCurl } from '../http/to-curl.ts'
import { rateLimitedOut } from '../http/rate-limit.ts'
import { scrubSecrets, type Secret } from '../secrets.ts'
import type { CheckContext } from '../checks/context.ts'
import { mix } from '../generate/mix-seed.ts'
import { ForeignUserError, NotEnoughUsers } from './test-users.ts'
import { RefusalGuard, withSideEffects } from './refusal-guard.ts'
import type { SendOptions } from '../http/client.ts'
import { acceptedState } from '../profile/accepted-state.ts'
import { BlankUserNameLane, BlankUserNameTurn } from './blank-username.ts'
import { type CaseStream, caseStream } from './case-stream.ts'
import type { UserPool } from '../checks/context.ts'
import { TOKEN_PLACEHOLDER } from '../secrets.ts'
import { DEFAULT_RUNS } from './config.ts'
import { replayCommand, reproductionScript, type ReproductionStep, targetOf } from './reproduction.ts'
import { asCase } from './send-gate.ts'
import { SINGLE_CASE } from '../checks/types.ts'

/** How the run schedules one check (src/run/schedule.ts). */
export interface CheckSchedule {
  /**
   * Most lanes the check's cases may run in at once, each on test users of its own (a lane costs its
   * users' creation and deletion). The verdicts are the same for any number. @defaultValue 1
   */
  lanes?: number
  /**
   * The requests the check is estimated to have left, kept up to date as its cases run (the run serves
   * the check with the longest chain left first: src/run/send-gate.ts).
   */
  work?: { left: number }
  /**
   * The run's turn to hold a blank userName (src/run/blank-username.ts): one for the whole run, so that
   * checks running together never see each other's stored `""`. @defaultValue one for this check's lanes
   */
  blankUserName?: BlankUserNameTurn
}

/** One line of a check's cases: its test users, the refusal guard on them, and the context that sends through it. */
interface Lane {
  ctx: CheckContext
  users: CheckUsers
  refusals: RefusalGuard
  /** Its side of the run's blank-userName turn: settled at the end of every case. */
  blank: BlankUserNameLane
  /** Every request of the case in progress, in the order sent (null between cases): what a reproduction replays. */
  log: Logged[] | null
}

/** One request of a case as its lane saw it: when it started and ended, and its exchange once answered. */
interface Logged {
  started: number
  ended: number
  exchange: Exchange | null
  /** Said of a request the harness's pool sent for the check (a verified DELETE), instead of its answer. */
  note?: string
}

/** Records one request of a lane's case while it runs (nothing between cases). */
async function logged(lane: { log: Logged[] | null }, send: () => Promise<Exchange>): Promise<Exchange> {
  const log = lane.log
  const entry: Logged = { started: performance.now(), ended: Number.POSITIVE_INFINITY, exchange: null }
  log?.push(entry)
  const e = await send()
  entry.exchange = e
  entry.ended = performance.now()
  return e
}

/**
 * Runs one check: creates its test users, drives its cases through `fc.check` with the run's seed
 * (shrinking a failing or warning case to the smallest one), folds the verdicts into one result and
 * always deletes the users it created. With `lanes`, the cases of the seed are run in several lanes at
 * once (see {@link CheckSchedule}), then the first failing (else warning) one is shrunk as a sequential
 * run would.
 */
export async function runCheck(
  // The registry holds checks of many case types; each check's own `cases` and `run` agree on its type.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  check: CheckDefinition<any>,
  shared: CheckContext,
  /** The run's secrets, scrubbed from recorded strings before they are cut (the check never sees them). */
  secrets: readonly Secret[] = [],
  schedule: CheckSchedule = {},
): Promise<CheckResult> {
  const started = performance.now()
  let requests = 0
  const counted = (o: SendOptions) => {
    requests++
    return shared.client.send(o)
  }
  /** A lane's context: the shared one with a client that counts this check's requests (the client itself is shared). */
  const turn = schedule.blankUserName ?? new BlankUserNameTurn()
  const laneOf = (users: CheckUsers): Lane => {
    const holder: { log: Logged[] | null } = { log: null }
    // Judges every refused PUT of the check on its own test users (a refusal changes nothing):
    // src/run/refusal-guard.ts. Its GETs are requests of the case too: logged with the check's.
    const refusals = new RefusalGuard(shared, (o) => logged(holder, () => counted(o)), check.id)
    refusals.track(users)
    const blank = new BlankUserNameLane(turn)
    const ctx: CheckContext = {
      ...shared,
      checkId: check.id,
      client: {
        ...shared.client,
        send: (o) => blank.request(o, (sent) => refusals.request(sent)),
        close: () => shared.client.close(),
      },
      users: loggedPool(refusals.pool(), holder),
    }
    return Object.assign(holder, { ctx, users, refusals, blank })
  }
  /**
   * The lane's case log taken (the verdict it ends with is keyed to it), for {@link reproductionOf}, and the
   * case's tag (its fast-check path): what the result names as its `case`, and its HAR entries as their `_case`.
   */
  const cases = new WeakMap<Verdict, { lane: Lane; log: Logged[]; tag: string }>()
  /** Ends a case on a lane: a user left holding a blank userName gets its accepted state back. */
  const settle = (lane: Lane) =>
    lane.blank.settle((path) => {
      const at = lane.users.ids.findIndex((id) => shared.users.userPath(id) === path)
      if (at === -1) return Promise.resolve()
      return lane.ctx.client.send({ method: 'PUT', path, json: acceptedState(shared.profile, lane.users.created[at]) })
    })
  const seed = shared.run.seed
  const base = {
    id: check.id,
    title: check.title,
    level: check.level,
    source: check.source,
    area: check.area,
    contract: shared.contractOf(check),
    seed,
    checkSeed: mix(seed, check.id),
    path: null,
    case: null,
    numRuns: 0,
    counterexample: null,
    reproduce: null,
  }
  const finish = (partial: Partial<CheckResult> & Pick<CheckResult, 'status' | 'message'>): CheckResult => ({
    ...base,
    ...partial,
    durationMs: Math.round(performance.now() - started),
    requests,
  })

  const skipReason = check.skipIf?.({ ...shared, checkId: check.id }) ?? null
  if (skipReason) return finish({ status: 'skipped', message: skipReason })

  const numRuns = Math.min(check.maxRuns ?? shared.run.runs, shared.run.runs)
  const work = schedule.work ?? { left: 0 }
  // Before the first case: two requests a case; then as many as the cases so far took.
  work.left = (check.cases ? numRuns : 1) * 2
  let casesRun = 0
  // Lanes only where there are cases to share out, and not for a --path replay (one case).
  const wanted = check.cases && shared.run.path === null ? Math.max(1, Math.min(schedule.lanes ?? 1, numRuns)) : 1
  // Every lane's users at once; lane 0's are the check's own (the users a sequential run has).
  const made = await Promise.allSettled(
    Array.from({ length: wanted }, (_, k) =>
      shared.users.create(check.users ?? 0, k === 0 ? check.id : `${check.id}~lane${k}`),
    ),
  )
  const lanes = made.flatMap((m) => (m.status === 'fulfilled' ? [laneOf(m.value)] : []))
  const removeAll = () => Promise.all(lanes.map((lane) => lane.ctx.users.remove(lane.users)))
  // Lane 0's error is the check's; another lane that gets no users (the run stopping, a 429) is just not run,
  // unless the target answered with a user the harness did not create (the run stops).
  const failure = made.find(
    (m, k): m is PromiseRejectedResult => m.status === 'rejected' && (k === 0 || m.reason instanceof ForeignUserError),
  )
  if (failure) {
    // The first error is the one to tell (the end-of-run sweep reports what stayed).
    await removeAll().catch(() => {})
    if (failure.reason instanceof NotEnoughUsers)
      return finish({ status: 'skipped', message: `Skipped: ${failure.reason.message}.` })
    throw failure.reason
  }

  /** One case on a lane (`tag`: its fast-check path): its verdict with the guard's judgements of its refusals. */
  const runCase = async (lane: Lane, input: unknown, tag: string): Promise<Verdict> => {
    lane.refusals.take()
    let ran: Verdict
    const log: Logged[] = []
    lane.log = log
    try {
      ran = await asCase(tag, () => check.run(lane.ctx, lane.users, input))
    } finally {
      // The case ends here: the restore of a blank userName is the harness's, not the case's.
      lane.log = null
      await settle(lane)
    }
    const v = withSideEffects(graded(check, ran), lane.refusals.take())
    cases.set(v, { lane, log, tag })
    casesRun++
    work.left = Math.round((requests / casesRun) * Math.max(1, numRuns - casesRun))
    return v
  }

  /** A verdict as the result's fields, with the reproduction of a failing or warning case (`path`: its case). */
  function resultOf(v: Verdict, path: string | null, traits?: Record<string, string>) {
    const fields = { ...fromVerdict(secrets, v, traits), case: cases.get(v)?.tag ?? null }
    if (fields.status !== 'failed' && fields.status !== 'warned') return fields
    const reproduction = reproductionOf(v, path)
    if (!reproduction) return fields
    // A story's script is the reproduction's: one script, one format, in every report.
    const story = fields.story ? { ...fields.story, script: reproduction.script } : undefined
    return { ...fields, reproduction, ...(story ? { story } : {}) }
  }

  /**
   * The self-contained script that reproduces a failing case (src/run/reproduction.ts): the lane's users
   * created anew from their accepted state, then every request of the case in order (a story's own steps,
   * racing requests in parallel), the focus response shown; and the command that replays it.
   */
  function reproductionOf(v: Verdict, path: string | null): Reproduction | undefined {
    const at = cases.get(v)
    if (!at) return undefined
    const { lane, log } = at
    let steps: ReproductionStep[]
    let focus: number
    const story = v.story
    if (story && story.steps.length === v.exchanges.length && v.exchanges.length > 0) {
      steps = v.exchanges.map((exchange, i) => ({
        exchange,
        action: story.steps[i].action,
        ...(story.steps[i].parallel === undefined ? {} : { parallel: story.steps[i].parallel }),
      }))
      focus = Math.min(v.focus ?? v.exchanges.length - 1, steps.length - 1)
    } else {
      steps = stepsOf(log)
      const wanted = v.exchanges[v.focus ?? 0] as Exchange | undefined
      focus = wanted === undefined ? steps.length - 1 : steps.findIndex((s) => s.exchange === wanted)
      if (focus === -1 && wanted) focus = findLast(steps, (s) => sameRequest(s.exchange, wanted))
      if (focus === -1 && wanted) {
        // A request the case did not send through its lane (none known): replayed last.
        steps.push({ exchange: wanted })
        focus = steps.length - 1
      }
    }
    if (steps.length === 0) return undefined
    const basePath = shared.profile.basePath
    const replay = replayCommand({
      target: targetOf(steps[0].exchange.request.url, basePath),
      profile: shared.profile,
      seed,
      runs: shared.run.runs,
      defaultRuns: DEFAULT_RUNS,
      strictRfc: shared.run.strictRfc,
      checkId: check.id,
      path: check.cases ? (shared.run.path ?? path) : null,
      userId: shared.run.userId ?? null,
    })
    const script = reproductionScript({
      checkId: check.id,
      title: `${check.id} (${check.level}, ${check.source}): ${check.title}`,
      ...(v.finding ? { finding: v.finding } : {}),
      basePath,
      users: lane.users.ids.map((id, i) => {
        const created = lane.users.created[i] ?? {}
        const meta = created.meta as { version?: unknown } | undefined
        return {
          id,
          body: acceptedState(shared.profile, created),
          version: typeof meta?.version === 'string' ? meta.version : null,
          borrowed: id === shared.run.userId,
        }
      }),
      mediaType: shared.profile.requestMediaType,
      steps,
      focus,
      replay,
    })
    return { script: scrubSecrets(script, secrets), replay: scrubSecrets(replay, secrets) }
  }

  let result: CheckResult
  try {
    result = await judge()
  } catch (error) {
    // The end-of-run sweep reports what stayed; the first error (e.g. the target gone) is the one to tell.
    await removeAll().catch(() => {})
    throw error
  }
  await removeAll()
  return result

  async function judge(): Promise<CheckResult> {
    const [main] = lanes
    if (!check.cases) {
      const log: Logged[] = []
      main.log = log
      const ran = await guard(check, () =>
        asCase(SINGLE_CASE, () => check.run(main.ctx, main.users, undefined)).finally(() => {
          main.log = null
          return settle(main)
        }),
      )
      const v = withSideEffects(graded(check, ran), main.refusals.take())
      cases.set(v, { lane: main, log, tag: SINGLE_CASE })
      return finish({ ...resultOf(v, null), numRuns: 1, exercised: exercisedBy(v) ? 1 : 0 })
    }
    const traits: Record<string, string> = {}
    let worst: Verdict | null = null
    let firstWarning: { verdict: Verdict; index: number; lane: Lane } | null = null
    let firstInconclusive: Verdict | null = null
    let runs = 0
    let exercised = 0
    const checkSeed = mix(seed, check.id)
    /** Folds one case's verdict (not a shrink try) into what the check concluded. */
    const fold = (v: Verdict, index: number, lane: Lane) => {
      if (exercisedBy(v)) exercised++
      if (v.outcome === 'inconclusive') firstInconclusive ??= v
      if (v.outcome === 'warned') firstWarning ??= { verdict: v, index, lane }
      if (
        v.outcome !== 'failed' &&
        v.outcome !== 'warned' &&
        v.outcome !== 'inconclusive' &&
        (!worst || OUTCOME_RANK[v.outcome as Outcome] > OUTCOME_RANK[worst.outcome as Outcome])
      )
        worst = v
    }
    /**
     * One fast-check run on a lane in which the outcomes in `stopOn` are counterexamples, shrunk to the
     * smallest case of the worst outcome found. Shrink tries past --max-shrinks count as passing without a
     * request. `from` starts at one case of the seed already judged (its index and verdict); `folding` folds
     * the cases (not the shrink tries).
     */
    const search = async (
      stopOn: ReadonlySet<string>,
      lane: Lane,
      from: { index: number; verdict: Verdict } | null,
      folding: boolean,
    ) => {
      let lastBad: Verdict | null = null
      // The case at `from` is not sent again: its verdict is known, and shrinking starts from the user's state
      // right after it, as in a sequential run.
      let known = from?.verdict ?? null
      let shrinks: number | null = null
      let capped = false
      // A harness problem (a crash, the target gone) ends the search at once: later cases are not run,
      // nothing is shrunk.
      let fatal: unknown = null
      // --path replays exactly one case: the one at that path of the check's own seed, not shrunk further.
      const replay =
        from !== null
          ? { path: String(from.index) }
          : shared.run.path === null
            ? {}
            : { path: shared.run.path, endOnFailure: true }
      const paths = casePaths(replay.path ?? '')
      const property = fc.asyncProperty(check.cases!(lane.ctx, lane.users), async (input) => {
        const tag = paths.next()
        const holds = await tried(input, tag)
        if (!holds) paths.failed()
        return holds
      })
      /** One value fast-check tries, at path `tag`: whether it holds (false: a counterexample). */
      const tried = async (input: unknown, tag: string): Promise<boolean> => {
        if (fatal !== null) return true
        if (known !== null) {
          lastBad = known
          known = null
          shrinks = 0
          return false
        }
        if (shrinks !== null && shrinks++ >= shared.run.maxShrinks) {
          capped = true
          return true
        }
        runs++
        let v: Verdict
        try {
          v = await runCase(lane, input, tag)
        } catch (error) {
          fatal = error
          return true
        }
        Object.assign(traits, v.traits)
        if (shrinks === null && folding) fold(v, runs - 1, lane)
        if (stopOn.has(v.outcome)) {
          // A shrink candidate with a milder outcome is not a smaller case of this one: it counts as passing,
          // so shrinking never trades a failure for a warning.
          if (lastBad && OUTCOME_RANK[v.outcome as Outcome] < OUTCOME_RANK[(lastBad as Verdict).outcome as Outcome])
            return true
          // fast-check keeps shrinking from each failing case, so the last counterexample verdict is the shrunk one.
          lastBad = v
          shrinks ??= 0
          return false
        }
        return true
      }
      const details = await fc.check(property, { seed: checkSeed, numRuns, ...replay })
      if (fatal !== null) throw asHarnessError(check, fatal)
      // The arbitrary itself threw (a generator bug): a harness error too.
      if (details.failed && !lastBad) throw asHarnessError(check, details.errorInstance)
      return { details, bad: lastBad as Verdict | null, capped }
    }
    const report = ({ details, bad, capped }: Awaited<ReturnType<typeof search>>): CheckResult => {
      const found = resultOf(bad as Verdict, details.counterexamplePath, traits)
      if (capped) found.message += cappedNote(shared.run.maxShrinks)
      return finish({ ...found, numRuns: runs, exercised, path: details.counterexamplePath })
    }
    if (lanes.length > 1) {
      // Every case of the seed at once over the lanes, folded in order up to the first failure.
      const found = await inLanes(lanes, numRuns, checkSeed, (v, i, lane) => {
        Object.assign(traits, v.traits)
        fold(v, i, lane)
      })
      runs += found.ran
      if (found.firstFailure !== null) {
        // Shrunk as a sequential run shrinks it: from that case of the seed, on the lane that met it.
        const { index, verdict: failed, lane } = found.firstFailure
        const forFailure = await search(new Set(['failed']), lane, { index, verdict: failed }, false)
        return report(forFailure)
      }
    } else {
      // First every case is tried for a failure: a warning must not end the search before a later case fails.
      const forFailure = await search(new Set(['failed']), main, null, true)
      if (forFailure.details.failed) return report(forFailure)
    }
    const warning = firstWarning as { verdict: Verdict; index: number; lane: Lane } | null
    if (warning) {
      // Then that case of the seed again (or the --path case), on the lane that met it, shrunk to its smallest case.
      const at = shared.run.path === null ? { index: warning.index, verdict: warning.verdict } : null
      const forWarning = await search(new Set(['warned', 'failed']), warning.lane, at, false)
      if (forWarning.details.failed) return report(forWarning)
      // The --path case did not warn again (the target answers differently from one run to the next): as it was.
      return finish({ ...resultOf(warning.verdict, String(warning.index), traits), numRuns: runs, exercised })
    }
    if (worst) return finish({ ...resultOf(worst as Verdict, null, traits), numRuns: runs, exercised })
    // No case reached the rule: not a pass. The first case's reason stands for the rest.
    const why = (firstInconclusive as Verdict | null)?.message ?? 'no case was generated'
    return finish({
      ...resultOf(verdict('inconclusive', `No case of ${runs} reached the rule: ${why}`, []), null, traits),
      numRuns: runs,
      exercised: 0,
    })
  }

  /**
   * The cases of the seed (the values `fc.check` would try, in its order) run over the lanes: each lane takes
   * the next case when it is free, and none is taken past a failing one. Each verdict is handed to `fold` in
   * the seed's order, up to and with the first failure, as soon as every case before it is known, and is let go
   * then: a long run holds the cases in flight, not all of them (issue 15).
   */
  async function inLanes(
    lanes: Lane[],
    numRuns: number,
    checkSeed: number,
    fold: (v: Verdict, index: number, lane: Lane) => void,
  ) {
    let ran = 0
    let next = 0
    /** The lowest index that failed so far: no case past it is started. */
    let stopAt = Number.POSITIVE_INFINITY
    let fatal: unknown = null
    let firstFailure: { index: number; verdict: Verdict; lane: Lane } | null = null
    const known = new Map<number, { verdict: Verdict; lane: Lane }>()
    let folded = 0
    const foldKnown = () => {
      for (let k = known.get(folded); firstFailure === null && k !== undefined; k = known.get(folded)) {
        known.delete(folded)
        fold(k.verdict, folded, k.lane)
        if (k.verdict.outcome === 'failed') firstFailure = { index: folded, verdict: k.verdict, lane: k.lane }
        folded++
      }
    }
    await Promise.all(
      lanes.map(async (lane) => {
        let stream: CaseStream
        try {
          stream = caseStream(check.cases!(lane.ctx, lane.users), checkSeed, numRuns)
        } catch (error) {
          fatal ??= error
          return
        }
        try {
          while (fatal === null && next < numRuns && next < stopAt) {
            const i = next++
            const drawn = await stream.at(i)
            // Never for an index below numRuns: a case lost here would be a check judged on fewer cases.
            if (drawn === null) throw new Error(`case ${i} of the seed could not be drawn`)
            const verdict = await runCase(lane, drawn.value, String(i))
            ran++
            if (verdict.outcome === 'failed') stopAt = Math.min(stopAt, i)
            known.set(i, { verdict, lane })
            foldKnown()
          }
        } catch (error) {
          fatal ??= error
        } finally {
          stream.close()
        }
      }),
    )
    if (fatal !== null) throw asHarnessError(check, fatal)
    return { ran, firstFailure: firstFailure as { index: number; verdict: Verdict; lane: Lane } | null }
  }
}

/**
 * The path of each value a `fc.check` run tries, as its `counterexamplePath` would name it (fast-check's
 * RunExecution): the index among the values since the last failure, appended to the path of that failure;
 * merged with the `path` the run replays from (`base`), whose last segment offsets the first.
 */
export function casePaths(base: string): { next(): string; failed(): void } {
  let failure: string | null = null
  let index = -1
  let current = ''
  const merged = (path: string) => {
    if (base === '') return path
    const head = base.split(':')
    const [first, ...rest] = path.split(':')
    return [...head.slice(0, -1), String(Number(head[head.length - 1]) + Number(first)), ...rest].join(':')
  }
  return {
    next() {
      index++
      current = failure === null ? String(index) : `${failure}:${index}`
      return merged(current)
    },
    failed() {
      failure = current
      index = -1
    },
  }
}

/** Said of a counterexample whose shrinking --max-shrinks stopped. */
const cappedNote = (n: number) => `\n(Shrinking stopped after ${n} tries (--max-shrinks): a smaller case may exist.)`

/**
 * A lane's pool as the case's log sees it: a POST the pool sends for the check (a new user) and a DELETE it
 * verifies are requests of the case too.
 */
function loggedPool(pool: UserPool, holder: { log: Logged[] | null }): UserPool {
  return new Proxy(pool, {
    get: (target, prop, receiver) => {
      if (prop === 'postUser')
        return async (...args: Parameters<UserPool['postUser']>) => {
          const entry: Logged = { started: performance.now(), ended: Number.POSITIVE_INFINITY, exchange: null }
          holder.log?.push(entry)
          const posted = await target.postUser(...args)
          entry.exchange = posted?.exchange ?? null
          entry.ended = performance.now()
          return posted
        }
      if (prop === 'removeOne')
        return async (id: string) => {
          const log = holder.log
          const started = performance.now()
          const outcome = await target.removeOne(id)
          const request = {
            method: 'DELETE',
            url: `http://target${target.userPath(id)}`,
            headers: { authorization: `Bearer ${TOKEN_PLACEHOLDER}` },
            body: null,
          }
          const exchange: Exchange = {
            request,
            response: null,
            error: null,
            startedAt: new Date().toISOString(),
            durationMs: 0,
          }
          log?.push({ started, ended: performance.now(), exchange, note: `deleted by the harness: ${outcome}` })
          return outcome
        }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** A case's log as script steps: requests in flight together (a race) share a parallel number. */
function stepsOf(log: readonly Logged[]): ReproductionStep[] {
  const done = log.filter((l): l is Logged & { exchange: Exchange } => l.exchange !== null)
  const steps: ReproductionStep[] = []
  let group = 0
  let groupEnd = Number.NEGATIVE_INFINITY
  for (let i = 0; i < done.length; i++) {
    const l = done[i]
    const withPrevious = i > 0 && l.started < groupEnd
    const withNext = i + 1 < done.length && done[i + 1].started < Math.max(groupEnd, l.ended)
    if (!withPrevious && withNext) group++
    groupEnd = withPrevious ? Math.max(groupEnd, l.ended) : l.ended
    steps.push({
      exchange: l.exchange,
      ...(withPrevious || withNext ? { parallel: group } : {}),
      ...(l.note ? { note: l.note } : {}),
    })
  }
  return steps
}

function sameRequest(a: Exchange, b: Exchange): boolean {
  return a.request.method === b.request.method && a.request.url === b.request.url && a.request.body === b.request.body
}

function findLast<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i])) return i
  return -1
}

/** A case counts as exercised when it reached the rule's judgement. */
function exercisedBy(v: Verdict): boolean {
  return v.outcome !== 'inconclusive' && v.outcome !== 'skipped'
}

/**
 * The check's verdict in graded terms. `violated` takes the grade of the check's level. A case that met
 * a 5xx is inconclusive in every check but the one that owns that rule (RFC 7644 §3.12: no 5xx for
 * client input is judged by put.status.no-5xx alone), so one server error is one finding, not many.
 */
export function graded(check: Pick<CheckDefinition, 'level' | 'judgesServerErrors'>, v: Verdict): Verdict {
  // A request still 429 when its retries ran out was never processed (RFC 6585 §4): the case reached no rule.
  const limited = v.outcome === 'skipped' ? null : rateLimitedOut(v.exchanges)
  if (limited) return { ...v, outcome: 'inconclusive', finding: undefined, message: limited }
  if (!check.judgesServerErrors && v.outcome !== 'skipped') {
    const e = v.exchanges.find((x) => (x.response?.status ?? 0) >= 500)
    if (e) {
      const path = e.request.url.replace(/^[a-z]+:\/\/[^/]+/i, '')
      return {
        ...v,
        outcome: 'inconclusive',
        finding: undefined,
        message:
          `the server answered ${e.response!.status} to ${e.request.method} ${path} ` +
          '(put.status.no-5xx judges server errors)',
        traits: v.traits,
      }
    }
  }
  return v.outcome === 'violated' ? { ...v, outcome: GRADE_OF_LEVEL[check.level] } : v
}

/** Runs a single-case check, turning anything it throws into a harness error. */
async function guard(check: CheckDefinition, run: () => Promise<Verdict>): Promise<Verdict> {
  try {
    return await run()
  } catch (error) {
    throw asHarnessError(check, error)
  }
}

/** Anything a check throws that is not a verdict: a harness error (exit 2), whatever kind of check threw it. */
function asHarnessError(check: Pick<CheckDefinition, 'id'>, error: unknown): HarnessError {
  if (error instanceof HarnessError) return error
  return new CheckCrashedError(`${check.id} crashed (a harness bug, not a finding): ${oneLine(error)}`, {
    cause: error,
  })
}

/**
 * The secrets of the run, for scrubbing a recorded string before it is cut (a secret straddling the cut
 * would leave its first characters, which the scrubber at write time no longer recognises). The token
 * is already redacted when an exchange is recorded; the --target userinfo is not.
 */
function scrubBeforeCut(secrets: readonly Secret[]): (text: string) => string {
  return (text) => scrubSecrets(text, secrets)
}

/**
 * An exchange as a result keeps it. The client keeps up to 8 MiB per response, but a result travels
 * from the worker to the reporters and into report.json once per exchange and once as the
 * counterexample: bodies are cut to 64 KiB of text (the HTML report shows 32 KiB), and a parsed body
 * to 64 levels and 4,096 values, each cut marked `[report cut: …]` (see src/http/bounded-json.ts).
 */
function forReport(exchange: Exchange, scrub: (text: string) => string): Exchange {
  return boundExchange(exchange, scrub)
}

function fromVerdict(
  secrets: readonly Secret[],
  v: Verdict,
  traits?: Record<string, string>,
): Pick<
  CheckResult,
  'status' | 'message' | 'finding' | 'story' | 'counterexample' | 'reproduce' | 'exchanges' | 'diff' | 'traits'
> {
  const bad = v.outcome === 'failed' || v.outcome === 'warned'
  const scrub = scrubBeforeCut(secrets)
  const exchanges = bad ? v.exchanges.map((e) => forReport(e, scrub)) : []
  const focus = exchanges[v.focus ?? 0] ?? null
  const mergedTraits = boundJson({ ...traits, ...v.traits }, { ...RECORDED, scrub })
  return {
    status: v.outcome === 'violated' ? 'failed' : v.outcome, // graded() has mapped violated already
    message: v.message,
    finding: bad && v.finding ? boundJson(v.finding, { ...RECORDED, scrub }) : undefined,
    story: bad && v.story ? boundJson(v.story, { ...RECORDED, scrub }) : undefined,
    counterexample: bad && focus ? { request: focus.request, response: focus.response } : null,
    // From the request as sent: a body over 64 KiB is left out of the curl line with its real size.
    reproduce: bad && focus ? toCurl(v.exchanges[v.focus ?? 0].request) : null,
    exchanges: bad ? exchanges : undefined,
    diff: v.diff?.map((d) => boundJson(d, { ...RECORDED, scrub })),
    traits: Object.keys(mergedTraits).length > 0 ? mergedTraits : undefined,
  }
}
