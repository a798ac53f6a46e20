import { getAttr, isUnassigned } from '../compare.ts'
import { defineCheck, verdict, violation } from '../define-check.ts'
import { describeRefusal, refusedByConstraint, sendControl } from '../probes/attribution.ts'
import { fullPayloads } from '../probes/payloads.ts'
import { bodyObject, describeStatus, is2xx, noResponse, putUser } from '../probes/requests.ts'

const ALWAYS = new Set(['id', 'schemas', 'meta', 'username'])

/**
 * RFC 7644 §3.9: attributes/excludedAttributes apply to any operation that returns a
 * resource. A server that ignores or refuses them is reported as a capability gap (warn), not a failed
 * replace; a refusal is the parameter's only when the same PUT without it is accepted.
 */
export const attributesParam = defineCheck({
  id: 'put.attributes.param',
  title: 'PUT ?attributes=userName returns only id, userName and the always-returned attributes',
  level: 'SHOULD',
  source: 'RFC 7644 §3.9',
  area: 'attributes',
  rule:
    'attributes: ... the attribute names to return in the response, overriding the set of attributes that would ' +
    'be returned by default.',
  users: 1,
  maxRuns: 3,
  cases: (ctx) =>
    fullPayloads(ctx).filter((b) => Object.keys(b).some((k) => !ALWAYS.has(k.toLowerCase()) && !isUnassigned(b[k]))),
  async run(ctx, users, body) {
    const id = users.ids[0]
    const put = await putUser(ctx, id, body, { query: { attributes: 'userName' } })
    noResponse([put])
    if (!is2xx(put)) {
      const { control, accepted } = await sendControl(() => putUser(ctx, id, body))
      if (!accepted)
        return refusedByConstraint({
          what: 'the PUT ?attributes=userName',
          without: 'the same PUT without the parameter',
          refused: put,
          control,
          exchanges: [put, control],
          key: 'put-body',
        })
      return violation(
        {
          received:
            `${describeRefusal(put)} for PUT ?attributes=userName; ` +
            `the same PUT without the parameter was accepted (${describeStatus(control)})`,
          expected:
            'the PUT performed, its response holding id, userName and attributes returned "always" (RFC 7644 §3.9)',
          fix: 'Support attributes/excludedAttributes on PUT (RFC 7644 §3.9).',
        },
        [put, control],
      )
    }
    const returned = bodyObject(put)
    if (!returned)
      return verdict(
        'inconclusive',
        `the ${describeStatus(put)} response to PUT ?attributes=userName carries no resource ` +
          '(put.status.success-200 judges that)',
        [put],
      )
    const extra = Object.keys(returned).filter((k) => {
      if (ALWAYS.has(k.toLowerCase())) return false
      return ctx.attribute(k)?.returned !== 'always' && !isUnassigned(getAttr(returned, k))
    })
    if (extra.length === 0) return verdict('passed', 'only the requested and always-returned attributes', [put])
    return violation(
      {
        received: `${extra.join(', ')} in the response to PUT ?attributes=userName`,
        expected: 'id, userName and attributes returned "always" only (RFC 7644 §3.9)',
        fix: 'Apply attributes/excludedAttributes to PUT responses (RFC 7644 §3.9).',
      },
      [put],
    )
  },
})

export const ATTRIBUTES_CHECKS = [attributesParam]
