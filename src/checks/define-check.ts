import type fc from 'fast-check'
import type { Exchange } from '../http/exchange.ts'
import type { CheckContext, CheckUsers } from './context.ts'

export type { CheckUsers }
import type { Area, AttributeDiff, Contract, Finding, Level, Outcome, Story } from './types.ts'

/**
 * What one case of a check concluded, in the rule's own terms:
 * - `passed`: the case reached the rule's judgement and the rule held;
 * - `violated`: the rule was broken. The runner grades it from the check's level (MUST/SHALL → failed,
 *   SHOULD → warned, MAY → observed), so a check cannot grade more or less harshly than its rule;
 * - `observed`: a behaviour the rule permits, recorded as a fact (a trait), never a deviation;
 * - `inconclusive`: the case never reached the rule (the PUT was refused for another reason, the
 *   server returns nothing to compare): not evidence either way. The message says why;
 * - `skipped`: the rule does not apply to this target.
 * `failed`/`warned` are the graded outcomes: the runner produces them from `violated`.
 */
export type VerdictOutcome = 'passed' | 'violated' | 'observed' | 'inconclusive' | 'skipped'

/** What one probe of a check concluded. A `violated` case makes fast-check shrink towards a smaller one. */
export interface Verdict {
  outcome: VerdictOutcome | Outcome
  /** `Received: … / Expected: …` text, ending with the fix when there is one. */
  message: string
  /** The exchanges behind the verdict, in order; the first non-discovery one is the counterexample. */
  exchanges: Exchange[]
  /** Index in `exchanges` of the exchange that shows the problem (default: the first). */
  focus?: number
  diff?: AttributeDiff[]
  traits?: Record<string, string>
  /** The facts of a `violated` verdict as fields; {@link violation} builds the verdict and its message from them. */
  finding?: Finding
  /** A failing sequence or race, step by step (put.sequence.*, put.concurrency.*). */
  story?: Story
}

/**
 * One rule = one check: its id (stable: JUnit name, `--only` value), the sentence it enforces, and how
 * to probe it. `run` sends requests through `ctx` and judges them; property checks get generated
 * `cases`, which fast-check shrinks to the smallest failing one.
 */
export interface CheckDefinition<C = unknown> {
  id: string
  title: string
  level: Level
  /** RFC section or vendor document, e.g. `RFC 7644 §3.5.1`. */
  source: string
  area: Area
  /** The rule's sentence, quoted where the wording is verified. */
  rule: string
  /** Which contract judges the server; a function when it depends on the vendor's document. */
  contract?: Contract | ((ctx: CheckContext) => Contract)
  /** Reason the check cannot run against this target (capability not declared, no token...), or null. */
  skipIf?: (ctx: CheckContext) => string | null
  /** Test users to create before the check. @defaultValue 0 */
  users?: number
  /** Each case creates (and deletes) test users of its own through the run's ledger (the sequences). */
  casesCreateUsers?: boolean
  /** Generated inputs; absent = the check runs once with `undefined`. */
  cases?: (ctx: CheckContext, users: CheckUsers) => fc.Arbitrary<C>
  /** Cap on generated cases, for checks whose every case costs many requests. @defaultValue the run's --runs */
  maxRuns?: number
  run: (ctx: CheckContext, users: CheckUsers, input: C) => Promise<Verdict>
  /**
   * One owner per rule: only the check that judges 5xx answers (`put.status.no-5xx`) sets this. In
   * every other check a case whose exchanges met a 5xx is inconclusive, not a finding of its own rule.
   */
  judgesServerErrors?: boolean
}

const LEVELS: readonly Level[] = ['MUST', 'SHOULD', 'MAY']
const AREAS: readonly Area[] = [
  'status',
  'schema',
  'replace',
  'readonly',
  'meta',
  'uniqueness',
  'errors',
  'auth',
  'etag',
  'media',
  'stability',
  'invalid',
  'declared',
  'attributes',
  'sequence',
  'concurrency',
]
/** `put.<area-or-topic>.<rule>` in lower-case words joined by dashes (the JUnit name and the `--only` value). */
const CHECK_ID = /^put\.[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$/

/**
 * Declares one check. Validated when the module loads, so that a malformed definition is a bug at
 * start-up (a TypeError naming the check), never a silent gap in a report.
 */
export function defineCheck<C>(check: CheckDefinition<C>): CheckDefinition<C> {
  const problem = !CHECK_ID.test(check.id)
    ? 'its id must look like put.<area>.<rule> (lower-case words joined by dashes)'
    : !LEVELS.includes(check.level)
      ? `its level must be one of ${LEVELS.join(', ')}`
      : !AREAS.includes(check.area)
        ? `its area must be one of ${AREAS.join(', ')}`
        : !/\S/.test(check.source)
          ? 'it names no source (an RFC section or the vendor document)'
          : !/\S/.test(check.title) || !/\S/.test(check.rule)
            ? 'it needs a title and the sentence of its rule'
            : null
  if (problem) throw new TypeError(`defineCheck(${JSON.stringify(check.id)}): ${problem}.`)
  return check
}

/** The registry's own rule: every id once. */
export function assertUniqueIds(checks: readonly { id: string }[]): void {
  const seen = new Set<string>()
  for (const { id } of checks) {
    if (seen.has(id)) throw new TypeError(`check id ${JSON.stringify(id)} is defined twice`)
    seen.add(id)
  }
}

/** Worst-first order of outcomes, to fold many verdicts into one: one exercised case outranks any inconclusive one. */
export const OUTCOME_RANK: Record<Outcome, number> = {
  failed: 5,
  warned: 4,
  observed: 3,
  passed: 2,
  inconclusive: 1,
  skipped: 0,
}

/** The grade of a broken rule at each level (RFC 2119 levels: MUST fail, SHOULD warn, MAY observe). */
export const GRADE_OF_LEVEL: Record<Level, Outcome> = { MUST: 'failed', SHOULD: 'warned', MAY: 'observed' }

/** The text of a finding: `Received: …`, `Expected: …`, then the fix after a blank line. */
export function findingText(f: Finding): string {
  return `Received: ${f.received}\nExpected: ${f.expected}${f.fix ? `\n\n${f.fix}` : ''}`
}

/** A broken rule, its facts as fields (the message is their text). The runner grades it from the check's level. */
export function violation(
  finding: Finding,
  exchanges: Exchange[],
  extra: Omit<Partial<Verdict>, 'finding'> = {},
): Verdict {
  return { outcome: 'violated', message: findingText(finding), exchanges, ...extra, finding }
}

export function verdict(
  outcome: VerdictOutcome | Outcome,
  message: string,
  exchanges: Exchange[],
  extra: Partial<Verdict> = {},
): Verdict {
  return { outcome, message, exchanges, ...extra }
}
