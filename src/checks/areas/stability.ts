import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, violation } from '../define-check.ts'
import { validPayloads } from '../probes/payloads.ts'
import { noResponse, putUser, statusOf } from '../probes/requests.ts'

type Body = Record<string, unknown>

/** Per-run tallies, so the verdict can state the flake rate over everything this check sent. */
const tallies = new WeakMap<CheckContext, { sent: number; failed: number }>()

/** The same PUT sent `times` times in a row to the check's own user. */
async function repeatPut(ctx: CheckContext, users: CheckUsers, body: Body, times: number): Promise<Exchange[]> {
  const exchanges: Exchange[] = []
  for (let i = 0; i < times; i++) exchanges.push(await putUser(ctx, users.ids[0], body))
  noResponse(exchanges)
  return exchanges
}

const repeats = (ctx: CheckContext) => fc.tuple(validPayloads(ctx), fc.integer({ min: 5, max: 6 }))

/**
 * RFC 7644 §3.12 Table 8 (500 is an internal error): no 5xx for a correct request. A PUT the server answers
 * otherwise at other times, and with a 5xx now, is a flaky server: this check owns that finding (it judges the
 * 5xx of its repeats), while put.status.no-5xx judges inputs that always make the server fail.
 */
export const repeatable = defineCheck({
  id: 'put.stability.repeatable',
  title: 'The same PUT repeated is never answered with an intermittent 5xx',
  level: 'MUST',
  source: 'RFC 9110 §9.2.2; RFC 7644 §3.12',
  area: 'stability',
  rule: 'PUT is idempotent: repeating it has the same intended effect; a 5xx is never the answer to a correct request.',
  users: 1,
  maxRuns: 10,
  judgesServerErrors: true,
  cases: repeats,
  async run(ctx, users, [body, times]) {
    const tally = tallies.get(ctx) ?? { sent: 0, failed: 0 }
    tallies.set(ctx, tally)
    const exchanges = await repeatPut(ctx, users, body, times)
    const statuses = exchanges.map((e) => statusOf(e)!)
    tally.sent += statuses.length
    tally.failed += statuses.filter((s) => s >= 500).length
    const serverError = statuses.findIndex((s) => s >= 500)
    if (serverError === -1)
      return verdict('passed', `${times} × the same PUT, no 5xx (${statuses.join(', ')})`, exchanges)
    if (statuses.every((s) => s >= 500))
      return verdict(
        'inconclusive',
        `every repeat answered 5xx (${statuses.join(', ')}): not intermittent (put.status.no-5xx judges server errors)`,
        exchanges,
      )
    return violation(
      {
        received:
          `statuses ${statuses.join(', ')} for the same PUT repeated ` +
          `(flaky: ${tally.failed} of ${tally.sent} PUTs answered 5xx so far)`,
        expected: 'the same non-5xx status every time (RFC 9110 §9.2.2; RFC 7644 §3.12)',
        fix: 'Find what makes the server fail internally on a request it otherwise accepts',
      },
      exchanges,
      { focus: serverError, traits: { 'stability.flakeRate': `${tally.failed}/${tally.sent}` } },
    )
  },
})

/**
 * RFC 9110 §9.2.2: PUT is idempotent, so identical repeats should be answered alike. Varying 2xx/4xx
 * (e.g. a 429 from rate limiting) breaks no MUST: a warning. A case with a 5xx is put.stability.repeatable's.
 */
export const sameStatus = defineCheck({
  id: 'put.stability.same-status',
  title: 'The same PUT repeated gets the same status every time',
  level: 'SHOULD',
  source: 'RFC 9110 §9.2.2',
  area: 'stability',
  rule:
    'A request method is considered "idempotent" if the intended effect on the server of multiple identical ' +
    'requests with that method is the same as the effect for a single such request.',
  users: 1,
  maxRuns: 5,
  cases: repeats,
  async run(ctx, users, [body, times]) {
    const exchanges = await repeatPut(ctx, users, body, times)
    const statuses = exchanges.map((e) => statusOf(e)!)
    const changed = statuses.findIndex((s) => s !== statuses[0])
    if (changed === -1) return verdict('passed', `${times} × ${statuses[0]}`, exchanges)
    return violation(
      {
        received: `statuses ${statuses.join(', ')} for the same PUT repeated`,
        expected: 'the same status every time (RFC 9110 §9.2.2: PUT is idempotent)',
        fix: 'Answer an identical PUT the same way each time',
      },
      exchanges,
      { focus: changed },
    )
  },
})

export const STABILITY_CHECKS = [repeatable, sameStatus]
