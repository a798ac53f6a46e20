import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, type CheckDefinition, type Verdict } from '../define-check.ts'
import type { Area, Level } from '../types.ts'
import { refusedValidPut } from './attribution.ts'
import { validPayloads } from './payloads.ts'
import { describeStatus, getUser, is2xx, noResponse, putUser, statusOf } from './requests.ts'

/** Before, PUT, after: the evidence every meta/schemas check judges. */
export interface Replaced {
  before: Exchange
  put: Exchange
  get: Exchange
}

type Judge = (ctx: CheckContext, users: CheckUsers, r: Replaced) => Verdict

/** What a check judged on a successful replace declares: its identity as data, and the judgement. */
export interface ReplaceJudgedSpec {
  id: string
  title: string
  level: Level
  source: string
  area: Area
  rule: string
  maxRuns?: number
  /** Judges a PUT of a valid payload that succeeded, with the GETs before and after it (both 200). */
  judge: Judge
}

/**
 * A check that GETs its test user, PUTs a valid payload and GETs the user again, and judges the three.
 * The rule is about a successful replace: a PUT that was refused (put.status.success-200 judges that), or
 * a GET that did not show the user, is inconclusive, never a pass.
 */
export function replaceJudged(spec: ReplaceJudgedSpec): CheckDefinition<Record<string, unknown>> {
  const { judge, maxRuns, ...identity } = spec
  return defineCheck({
    ...identity,
    users: 1,
    maxRuns: maxRuns ?? 10,
    cases: (ctx) => validPayloads(ctx),
    async run(ctx, users, body) {
      const before = await getUser(ctx, users.ids[0])
      const put = await putUser(ctx, users.ids[0], body)
      noResponse([before, put])
      if (!is2xx(put)) return refusedValidPut(put, [before, put])
      const get = await getUser(ctx, users.ids[0])
      noResponse([get])
      const unseen = [before, get].find((e) => statusOf(e) !== 200)
      if (unseen)
        return verdict(
          'inconclusive',
          `the GET of the test user ${unseen === before ? 'before' : 'after'} the PUT answered ${describeStatus(unseen)}, so there is no stored state to judge`,
          [before, put, get],
        )
      return judge(ctx, users, { before, put, get })
    },
  })
}
