import type fc from 'fast-check'
import type { Exchange } from '../http/exchange.ts'
import type { CheckContext, CheckUsers } from './context.ts'

export type { CheckUsers }
import type { Area, AttributeDiff, Contract, Level, Outcome } from './types.ts'

/** What one probe of a check concluded. `failed`/`warned` make fast-check shrink towards a smaller case. */
export interface Verdict {
  outcome: Outcome
  /** `Received: … / Expected: …` text, ending with the fix when there is one. */
  message: string
  /** The exchanges behind the verdict, in order; the first non-discovery one is the counterexample. */
  exchanges: Exchange[]
  /** Index in `exchanges` of the exchange that shows the problem (default: the first). */
  focus?: number
  diff?: AttributeDiff[]
  traits?: Record<string, string>
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
  /** Generated inputs; absent = the check runs once with `undefined`. */
  cases?: (ctx: CheckContext, users: CheckUsers) => fc.Arbitrary<C>
  /** Cap on generated cases, for checks whose every case costs many requests. @defaultValue the run's --runs */
  maxRuns?: number
  run: (ctx: CheckContext, users: CheckUsers, input: C) => Promise<Verdict>
}

export function defineCheck<C>(check: CheckDefinition<C>): CheckDefinition<C> {
  return check
}

/** Worst-first order of outcomes, to fold many verdicts into one. */
export const OUTCOME_RANK: Record<Outcome, number> = { failed: 4, warned: 3, observed: 2, passed: 1, skipped: 0 }

export function verdict(
  outcome: Outcome,
  message: string,
  exchanges: Exchange[],
  extra: Partial<Verdict> = {},
): Verdict {
  return { outcome, message, exchanges, ...extra }
}
