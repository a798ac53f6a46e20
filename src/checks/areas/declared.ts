import { defineCheck, verdict } from '../define-check.ts'
import { validPayloads } from '../probes/payloads.ts'
import { bodyObject, getUser, noResponse, putUser } from '../probes/requests.ts'

/**
 * A server that declares `returned: "never"` for an attribute (RFC 7643 §7) and then returns it
 * contradicts its own /Schemas.
 */
export const returnedNever = defineCheck({
  id: 'put.declared.returned-never',
  title: 'Attributes the server declares returned "never" are not in PUT or GET responses',
  level: 'MUST',
  source: 'RFC 7643 §7 (server /Schemas)',
  area: 'declared',
  rule: 'returned "never": The attribute is never returned.',
  users: 1,
  maxRuns: 10,
  skipIf: (ctx) => (ctx.discovery.declared ? null : 'the server publishes no /Schemas declaration'),
  cases: (ctx) => validPayloads(ctx, 'put.declared.returned-never', { password: 'always' }),
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body)
    const get = await getUser(ctx, users.ids[0])
    if (noResponse([put, get])) return noResponse([put, get])!
    for (const e of [put, get]) {
      const shown = Object.keys(bodyObject(e) ?? {}).filter(
        (k) => ctx.discovery.declared?.get(k.toLowerCase())?.returned === 'never',
      )
      if (shown.length > 0)
        return verdict(
          'failed',
          `Received: ${shown.join(', ')} in the ${e.request.method} response\nExpected: never returned, as the server's own /Schemas declares`,
          [put, get],
          { focus: e === put ? 0 : 1 },
        )
    }
    return verdict('passed', 'no returned:"never" attribute in the responses', [put, get])
  },
})

export const DECLARED_CHECKS = [returnedNever]
