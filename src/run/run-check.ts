import fc from 'fast-check'
import {
  GRADE_OF_LEVEL,
  OUTCOME_RANK,
  verdict,
  type CheckDefinition,
  type CheckUsers,
  type Verdict,
} from '../checks/define-check.ts'
import type { CheckResult, Outcome } from '../checks/types.ts'
import { CheckCrashedError, HarnessError, oneLine } from '../errors.ts'
import type { Exchange } from '../http/exchange.ts'
import { boundExchange, boundJson, RECORDED } from '../http/bounded-json.ts'
import { toCurl } from '../http/to-curl.ts'
import { scrubSecrets, type Secret } from '../secrets.ts'
import type { CheckContext } from '../checks/context.ts'
import { mix } from '../generate/mix-seed.ts'
import { ForeignUserError, NotEnoughUsers } from './test-users.ts'
import { RefusalGuard, withSideEffects } from './refusal-guard.ts'
import type { SendOptions } from '../http/client.ts'
import { acceptedState } from '../profile/accepted-state.ts'
import { BlankUserNameLane, BlankUserNameTurn } from './blank-username.ts'

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
    // Judges every refused PUT of the check on its own test users (a refusal changes nothing):
    // src/run/refusal-guard.ts.
    const refusals = new RefusalGuard(shared, counted, check.id)
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
      users: refusals.pool(),
    }
    return { ctx, users, refusals, blank }
  }
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

  /** One case on a lane: its verdict with the guard's judgements of its refusals. */
  const runCase = async (lane: Lane, input: unknown): Promise<Verdict> => {
    lane.refusals.take()
    let ran: Verdict
    try {
      ran = await check.run(lane.ctx, lane.users, input)
    } finally {
      await settle(lane)
    }
    const v = withSideEffects(graded(check, ran), lane.refusals.take())
    casesRun++
    work.left = Math.round((requests / casesRun) * Math.max(1, numRuns - casesRun))
    return v
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
      const v = withSideEffects(
        graded(check, await guard(check, () => check.run(main.ctx, main.users, undefined).finally(() => settle(main)))),
        main.refusals.take(),
      )
      return finish({ ...fromVerdict(secrets, v), numRuns: 1, exercised: exercisedBy(v) ? 1 : 0 })
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
      const property = fc.asyncProperty(check.cases!(lane.ctx, lane.users), async (input) => {
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
          v = await runCase(lane, input)
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
      })
      // --path replays exactly one case: the one at that path of the check's own seed, not shrunk further.
      const replay =
        from !== null
          ? { path: String(from.index) }
          : shared.run.path === null
            ? {}
            : { path: shared.run.path, endOnFailure: true }
      const details = await fc.check(property, { seed: checkSeed, numRuns, ...replay })
      if (fatal !== null) throw asHarnessError(check, fatal)
      // The arbitrary itself threw (a generator bug): a harness error too.
      if (details.failed && !lastBad) throw asHarnessError(check, details.errorInstance)
      return { details, bad: lastBad as Verdict | null, capped }
    }
    const report = ({ details, bad, capped }: Awaited<ReturnType<typeof search>>): CheckResult => {
      const found = fromVerdict(secrets, bad as Verdict, traits)
      if (capped) found.message += cappedNote(shared.run.maxShrinks)
      return finish({ ...found, numRuns: runs, exercised, path: details.counterexamplePath })
    }
    if (lanes.length > 1) {
      // Every case of the seed at once over the lanes, in order, up to the first failure.
      const found = await inLanes(lanes, numRuns, checkSeed)
      runs += found.verdicts.length
      const last = Math.min(found.firstFailure ?? numRuns - 1, numRuns - 1)
      for (let i = 0; i <= last; i++) {
        Object.assign(traits, found.verdicts[i].traits)
        fold(found.verdicts[i], i, found.lanes[i])
      }
      if (found.firstFailure !== null) {
        // Shrunk as a sequential run shrinks it: from that case of the seed, on the lane that met it.
        const i = found.firstFailure
        const forFailure = await search(
          new Set(['failed']),
          found.lanes[i],
          { index: i, verdict: found.verdicts[i] },
          false,
        )
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
      return finish({ ...fromVerdict(secrets, warning.verdict, traits), numRuns: runs, exercised })
    }
    if (worst) return finish({ ...fromVerdict(secrets, worst as Verdict, traits), numRuns: runs, exercised })
    // No case reached the rule: not a pass. The first case's reason stands for the rest.
    const why = (firstInconclusive as Verdict | null)?.message ?? 'no case was generated'
    return finish({
      ...fromVerdict(secrets, verdict('inconclusive', `No case of ${runs} reached the rule: ${why}`, []), traits),
      numRuns: runs,
      exercised: 0,
    })
  }

  /**
   * The cases of the seed (the values `fc.check` would try, in its order) run over the lanes: each lane takes
   * the next case when it is free, and none is taken past a failing one. The verdicts by case index.
   */
  async function inLanes(lanes: Lane[], numRuns: number, checkSeed: number) {
    const verdicts: Verdict[] = []
    const ranOn: Lane[] = []
    let firstFailure: number | null = null
    let next = 0
    let fatal: unknown = null
    await Promise.all(
      lanes.map(async (lane) => {
        let inputs: unknown[]
        try {
          inputs = fc.sample(check.cases!(lane.ctx, lane.users), { seed: checkSeed, numRuns })
        } catch (error) {
          fatal ??= error
          return
        }
        while (fatal === null && next < numRuns && (firstFailure === null || next < firstFailure)) {
          const i = next++
          try {
            verdicts[i] = await runCase(lane, inputs[i])
          } catch (error) {
            fatal ??= error
            return
          }
          ranOn[i] = lane
          if (verdicts[i].outcome === 'failed' && (firstFailure === null || i < firstFailure)) firstFailure = i
        }
      }),
    )
    if (fatal !== null) throw asHarnessError(check, fatal)
    return { verdicts, lanes: ranOn, firstFailure }
  }
}

/** Said of a counterexample whose shrinking --max-shrinks stopped. */
const cappedNote = (n: number) => `\n(Shrinking stopped after ${n} tries (--max-shrinks): a smaller case may exist.)`

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
