import type { ServerHooks } from '../../src/reference/hooks.ts'
import { RACE_FAULTS } from '../support/faults/history-faults.ts'
import { faultHooks } from '../support/faults/index.ts'

/**
 * The fault catalogue's race faults (test/support/faults/history-faults.ts), each with the put.concurrency.*
 * checks that must find it: check-then-write windows of one event-loop tick at one place only.
 */

export interface RaceHook {
  description: string
  hooks: () => ServerHooks
  /** The put.concurrency.* checks that must fail (the others pass). */
  catches: string[]
  /** The race needs ETags declared. */
  etag?: boolean
}

const CATCHES: Record<keyof typeof RACE_FAULTS, { catches: string[]; etag?: boolean }> = {
  'race-username': { catches: ['put.concurrency.username-race', 'put.concurrency.username-race-post'] },
  'race-username-post': { catches: ['put.concurrency.username-race-post'] },
  'race-if-match': { catches: ['put.concurrency.if-match-race'], etag: true },
  'race-replace-interleaved': { catches: ['put.concurrency.whole-body'] },
}

export const RACE_HOOKS: Record<string, RaceHook> = Object.fromEntries(
  (Object.keys(RACE_FAULTS) as (keyof typeof RACE_FAULTS)[]).map((name) => [
    name,
    { description: RACE_FAULTS[name].description, hooks: () => faultHooks([name])[0], ...CATCHES[name] },
  ]),
)
