import { getAttr, isUnassigned } from '../compare.ts'
import { defineCheck, verdict } from '../define-check.ts'
import { fullPayloads } from '../probes/payloads.ts'
import { bodyObject, describeStatus, is2xx, noResponse } from '../probes/requests.ts'

const ALWAYS = new Set(['id', 'schemas', 'meta', 'username'])

/**
 * SCIM-PUT-RULES 21, RFC 7644 §3.9: attributes/excludedAttributes apply to any operation that returns a
 * resource. A server that ignores them is reported as a capability gap (warn), not a failed replace.
 */
export const attributesParam = defineCheck({
  id: 'put.attributes.param',
  title: 'PUT ?attributes=userName returns only id, userName and the always-returned attributes',
  level: 'SHOULD',
  source: 'RFC 7644 §3.9',
  area: 'attributes',
  rule: 'attributes: ... the attribute names to return in the response, overriding the set of attributes that would be returned by default.',
  users: 1,
  maxRuns: 3,
  cases: (ctx) =>
    // The former id stays the salt, so that a seed draws the same payloads as before.
    fullPayloads(ctx, 'put.attributes-param').filter((b) =>
      Object.keys(b).some((k) => !ALWAYS.has(k.toLowerCase()) && !isUnassigned(b[k])),
    ),
  async run(ctx, users, body) {
    const put = await ctx.client.send({
      method: 'PUT',
      path: ctx.users.userPath(users.ids[0]),
      query: { attributes: 'userName' },
      json: body,
      contentType: ctx.profile.requestMediaType,
    })
    if (noResponse([put])) return noResponse([put])!
    if (!is2xx(put) || !bodyObject(put))
      return verdict('passed', `PUT answered ${describeStatus(put)}; other checks judge that`, [put])
    const extra = Object.keys(bodyObject(put)!).filter((k) => {
      if (ALWAYS.has(k.toLowerCase())) return false
      return ctx.attribute(k)?.returned !== 'always' && !isUnassigned(getAttr(bodyObject(put), k))
    })
    if (extra.length === 0) return verdict('passed', 'only the requested and always-returned attributes', [put])
    return verdict(
      'warned',
      `Received: ${extra.join(', ')} in the response to PUT ?attributes=userName\nExpected: id, userName and attributes returned "always" only\n\nApply attributes/excludedAttributes to PUT responses (§3.9)`,
      [put],
    )
  },
})

export const ATTRIBUTES_CHECKS = [attributesParam]
