import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, type CheckDefinition, type Verdict } from '../define-check.ts'
import type { Area, Level } from '../types.ts'
import { validPayloads } from './payloads.ts'
import { describeStatus, getUser, is2xx, noResponse, putUser } from './requests.ts'

/** Before, PUT, after: the evidence every meta/schemas check judges. */
export interface Replaced {
  before: Exchange
  put: Exchange
  get: Exchange
}

type Judge = (ctx: CheckContext, users: CheckUsers, r: Replaced) => Verdict

/** A check that PUTs a changed, valid payload and judges before/PUT/GET; a failed PUT is another check's business. */
export function replaceJudged(spec: {
  id: string
  title: string
  level: Level
  source: string
  rule: string
  area?: Area
  maxRuns?: number
  judge: Judge
}): CheckDefinition<Record<string, unknown>> {
  return defineCheck({
    id: spec.id,
    title: spec.title,
    level: spec.level,
    source: spec.source,
    area: spec.area ?? 'meta',
    rule: spec.rule,
    users: 1,
    maxRuns: spec.maxRuns ?? 10,
    cases: (ctx) => validPayloads(ctx, spec.id),
    async run(ctx, users, body) {
      const before = await getUser(ctx, users.ids[0])
      const put = await putUser(ctx, users.ids[0], body)
      const broken = noResponse([before, put])
      if (broken) return broken
      if (!is2xx(put))
        return verdict('passed', `PUT answered ${describeStatus(put)}; put.status.success-200 judges that`, [put])
      const get = await getUser(ctx, users.ids[0])
      return noResponse([before, put, get]) ?? spec.judge(ctx, users, { before, put, get })
    },
  })
}
