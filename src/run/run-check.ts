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
import { NotEnoughUsers } from './test-users.ts'
import { RefusalGuard, withSideEffects } from './refusal-guard.ts'
import type { SendOptions } from '../http/client.ts'

/**
 * Runs one check: creates its test users, drives its cases through `fc.check` with the run's seed
 * (shrinking a failing or warning case to the smallest one), folds the verdicts into one result and
 * always deletes the users it created.
 */
export async function runCheck(
  // biome-ignore lint/suspicious/noExplicitAny: the registry holds checks of many case types; each check's own `cases` and `run` agree on its type.
  check: CheckDefinition<any>,
  shared: CheckContext,
  /** The run's secrets, scrubbed from recorded strings before they are cut (the check never sees them). */
  secrets: readonly Secret[] = [],
): Promise<CheckResult> {
  const started = performance.now()
  let requests = 0
  const counted = (o: SendOptions) => {
    requests++
    return shared.client.send(o)
  }
  // Judges every refused PUT of the check on its own test users (a refusal changes nothing): src/run/refusal-guard.ts.
  const refusals = new RefusalGuard(shared, counted, check.id)
  // The same context with a client that counts this check's requests (the client itself is shared).
  const ctx: CheckContext = {
    ...shared,
    checkId: check.id,
    client: {
      ...shared.client,
      send: (o) => refusals.request(o),
      close: () => shared.client.close(),
    },
    users: refusals.pool(),
  }
  const seed = ctx.run.seed
  const base = {
    id: check.id,
    title: check.title,
    level: check.level,
    source: check.source,
    area: check.area,
    contract: ctx.contractOf(check),
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

  const skipReason = check.skipIf?.(ctx) ?? null
  if (skipReason) return finish({ status: 'skipped', message: skipReason })

  let users: CheckUsers
  try {
    users = await ctx.users.create(check.users ?? 0, check.id)
  } catch (error) {
    if (error instanceof NotEnoughUsers) return finish({ status: 'skipped', message: `Skipped: ${error.message}.` })
    throw error
  }
  refusals.track(users)

  let result: CheckResult
  try {
    result = await judge()
  } catch (error) {
    // The end-of-run sweep reports what stayed; the first error (e.g. the target gone) is the one to tell.
    await ctx.users.remove(users).catch(() => {})
    throw error
  }
  await ctx.users.remove(users)
  return result

  async function judge(): Promise<CheckResult> {
    if (!check.cases) {
      const v = withSideEffects(
        graded(check, await guard(check, () => check.run(ctx, users, undefined))),
        refusals.take(),
      )
      return finish({ ...fromVerdict(secrets, v), numRuns: 1, exercised: exercisedBy(v) ? 1 : 0 })
    }
    const traits: Record<string, string> = {}
    let worst: Verdict | null = null
    let firstWarning: Verdict | null = null
    let firstInconclusive: Verdict | null = null
    let runs = 0
    let exercised = 0
    // A harness problem (a crash, the target gone) ends the search at once: later cases are not run, nothing is shrunk.
    let fatal: unknown = null
    const numRuns = Math.min(check.maxRuns ?? ctx.run.runs, ctx.run.runs)
    const checkSeed = mix(seed, check.id)
    /**
     * One fast-check run in which the outcomes in `stopOn` are counterexamples, shrunk to the smallest
     * case of the worst outcome found. Shrink tries past --max-shrinks count as passing without a request.
     */
    const search = async (stopOn: ReadonlySet<string>) => {
      let lastBad: Verdict | null = null
      let shrinks: number | null = null
      let capped = false
      const property = fc.asyncProperty(check.cases!(ctx, users), async (input) => {
        if (fatal !== null) return true
        if (shrinks !== null && shrinks++ >= ctx.run.maxShrinks) {
          capped = true
          return true
        }
        runs++
        let v: Verdict
        try {
          refusals.take()
          v = withSideEffects(graded(check, await check.run(ctx, users, input)), refusals.take())
        } catch (error) {
          fatal = error
          return true
        }
        Object.assign(traits, v.traits)
        if (shrinks === null && exercisedBy(v)) exercised++
        if (v.outcome === 'inconclusive') firstInconclusive ??= v
        if (v.outcome === 'warned') firstWarning ??= v
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
        if (
          v.outcome !== 'warned' &&
          v.outcome !== 'inconclusive' &&
          (!worst || OUTCOME_RANK[v.outcome as Outcome] > OUTCOME_RANK[worst.outcome as Outcome])
        )
          worst = v
        return true
      })
      // --path replays exactly one case: the one at that path of the check's own seed, not shrunk further.
      const replay = ctx.run.path === null ? {} : { path: ctx.run.path, endOnFailure: true }
      const details = await fc.check(property, { seed: checkSeed, numRuns, ...replay })
      if (fatal !== null) throw asHarnessError(check, fatal)
      // The arbitrary itself threw (a generator bug): a harness error too.
      if (details.failed && !lastBad) throw asHarnessError(check, details.errorInstance)
      return { details, bad: lastBad as Verdict | null, capped }
    }
    const report = ({ details, bad, capped }: Awaited<ReturnType<typeof search>>): CheckResult => {
      const found = fromVerdict(secrets, bad as Verdict, traits)
      if (capped)
        found.message += `\n(Shrinking stopped after ${ctx.run.maxShrinks} tries (--max-shrinks): a smaller case may exist.)`
      return finish({ ...found, numRuns: runs, exercised, path: details.counterexamplePath })
    }
    // First every case is tried for a failure: a warning must not end the search before a later case fails.
    const forFailure = await search(new Set(['failed']))
    if (forFailure.details.failed) return report(forFailure)
    if (firstWarning) {
      // Then, with the same seed, the first warning is found again and shrunk to its smallest case.
      const forWarning = await search(new Set(['warned', 'failed']))
      if (forWarning.details.failed) return report(forWarning)
      // The target did not warn again (it answers differently from one run to the next): report the first warning as it was.
      return finish({ ...fromVerdict(secrets, firstWarning as Verdict, traits), numRuns: runs, exercised })
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
  if (!check.judgesServerErrors && v.outcome !== 'skipped') {
    const e = v.exchanges.find((x) => (x.response?.status ?? 0) >= 500)
    if (e) {
      const path = e.request.url.replace(/^[a-z]+:\/\/[^/]+/i, '')
      return {
        ...v,
        outcome: 'inconclusive',
        finding: undefined,
        message: `the server answered ${e.response!.status} to ${e.request.method} ${path} (put.status.no-5xx judges server errors)`,
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
