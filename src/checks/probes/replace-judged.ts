import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { verdict, type Verdict } from '../define-check.ts'
import { refusedValidPut } from './attribution.ts'
import { describeStatus, getUser, is2xx, noResponse, putUser, statusOf } from './requests.ts'

/** Before, PUT, after: the evidence every meta/schemas check judges. */
export interface Replaced {
  before: Exchange
  put: Exchange
  get: Exchange
}

/** Judges a PUT of a valid payload that succeeded, with the GETs before and after it (both 200). */
export type ReplaceJudge = (ctx: CheckContext, users: CheckUsers, r: Replaced) => Verdict

/**
 * The `run` of a check judged on a successful replace: GETs the test user, PUTs the case's payload
 * (`cases: (ctx) => validPayloads(ctx)`), GETs the user again, and hands the three to `judge`. The rule
 * is about a successful replace: a PUT that was refused (put.status.success-200 judges that), or a GET
 * that did not show the user, is inconclusive, never a pass.
 */
export function judgedReplace(
  judge: ReplaceJudge,
): (ctx: CheckContext, users: CheckUsers, body: Record<string, unknown>) => Promise<Verdict> {
  return async (ctx, users, body) => {
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
        `the GET of the test user ${unseen === before ? 'before' : 'after'} the PUT answered ` +
          `${describeStatus(unseen)}, so there is no stored state to judge`,
        [before, put, get],
      )
    return judge(ctx, users, { before, put, get })
  }
}
