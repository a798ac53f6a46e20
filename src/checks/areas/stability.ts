import fc from 'fast-check'
import type { CheckContext } from '../context.ts'
import { defineCheck, verdict } from '../define-check.ts'
import { validPayloads } from '../probes/payloads.ts'
import { noResponse, putUser, statusOf } from '../probes/requests.ts'

/** Per-run tallies, so the verdict can state the flake rate over everything this check sent. */
const tallies = new WeakMap<CheckContext, { sent: number; failed: number }>()

/** The same request repeated gives the same outcome; an intermittent 5xx is a flaky server. */
export const repeatable = defineCheck({
  id: 'put.stability.repeatable',
  title: 'The same PUT repeated gives the same status every time (no intermittent 5xx)',
  level: 'MUST',
  source: 'RFC 9110 §9.2.2; RFC 7644 §3.12',
  area: 'stability',
  rule: 'PUT is idempotent: repeating it has the same intended effect; a 5xx is never the answer to a correct request.',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => fc.tuple(validPayloads(ctx, 'put.stability.repeatable'), fc.integer({ min: 5, max: 6 })),
  async run(ctx, users, [body, times]) {
    const tally = tallies.get(ctx) ?? { sent: 0, failed: 0 }
    tallies.set(ctx, tally)
    const exchanges = []
    for (let i = 0; i < times; i++) exchanges.push(await putUser(ctx, users.ids[0], body))
    const broken = noResponse(exchanges)
    if (broken) return broken
    const statuses = exchanges.map((e) => statusOf(e)!)
    tally.sent += statuses.length
    tally.failed += statuses.filter((s) => s >= 500).length
    if (new Set(statuses).size === 1 && statuses[0] < 500)
      return verdict('passed', `${times} × ${statuses[0]}`, exchanges)
    const traits = { 'stability.flakeRate': `${tally.failed}/${tally.sent}` }
    const serverError = statuses.findIndex((s) => s >= 500)
    if (serverError !== -1) {
      // SCIM-PUT-RULES 19: no 5xx for a correct request, and this one is answered otherwise at other times.
      return verdict(
        'failed',
        `Received: statuses ${statuses.join(', ')} for the same PUT repeated (flaky: ${tally.failed} of ${tally.sent} PUTs answered 5xx so far)\nExpected: the same non-5xx status every time\n\nFind what makes the server fail internally on a request it otherwise accepts`,
        exchanges,
        { focus: serverError, traits },
      )
    }
    // No 5xx: varying 2xx/4xx (e.g. a 429 from rate limiting) breaks no MUST, but idempotent repeats should agree (RFC 9110 §9.2.2).
    const changed = statuses.findIndex((s) => s !== statuses[0])
    return verdict(
      'warned',
      `Received: statuses ${statuses.join(', ')} for the same PUT repeated (none a 5xx)\nExpected: the same status every time\n\nAnswer an identical PUT the same way each time`,
      exchanges,
      { focus: Math.max(changed, 0), traits },
    )
  },
})

export const STABILITY_CHECKS = [repeatable]
