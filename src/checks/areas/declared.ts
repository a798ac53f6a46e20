import fc from 'fast-check'
import { scimUserAttribute } from '../../generate/scim-user.ts'
import type { CheckContext } from '../context.ts'
import { differs, getAttr, isUnassigned } from '../compare.ts'
import { defineCheck, verdict } from '../define-check.ts'
import { validPayloads } from '../probes/payloads.ts'
import { bodyObject, describeStatus, getUser, is2xx, noResponse, putUser, scimTypeOf } from '../probes/requests.ts'
import { requestProperties } from '../probes/slots.ts'

/** Top-level attributes the server declares (in /Schemas) with a characteristic, limited to those the vendor's request documents. */
function declaredWith(ctx: CheckContext, test: (name: string) => boolean): string[] {
  if (!ctx.discovery.declared) return []
  return Object.keys(requestProperties(ctx.profile)).filter(
    (name) => ctx.discovery.declared!.has(name.toLowerCase()) && test(name),
  )
}

/**
 * A server that declares `returned: "never"` for an attribute (RFC 7643 §7) and then returns it
 * contradicts its own /Schemas.
 */
export const returnedNever = defineCheck({
  id: 'put.declared.returned-never',
  title: 'Attributes the server declares returned "never" are not in PUT or GET responses',
  level: 'MUST',
  source: 'RFC 7643 §7 (server /Schemas)',
  area: 'discovery',
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

/**
 * SCIM-PUT-RULES 7, RFC 7644 §3.5.1 (verified): for immutable attributes "the input value(s) MUST match,
 * or HTTP status code 400 SHOULD be returned with a "scimType" error code of "mutability"". Only
 * attributes the server declares immutable are probed (the core User has none).
 */
export const immutableUnchanged = defineCheck({
  id: 'put.immutable.unchanged',
  title: 'An immutable attribute is not changed by PUT (400 mutability)',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'readonly',
  rule: 'If the attribute is immutable, the input value(s) MUST match, or HTTP status code 400 SHOULD be returned with a "scimType" error code of "mutability".',
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) =>
    declaredWith(ctx, (n) => ctx.discovery.declared!.get(n.toLowerCase())!.mutability === 'immutable').length > 0
      ? null
      : 'the server declares no immutable attribute the vendor documents',
  cases: (ctx) => {
    const names = declaredWith(ctx, (n) => ctx.discovery.declared!.get(n.toLowerCase())!.mutability === 'immutable')
    return fc
      .constantFrom(...names)
      .chain((name) =>
        fc.tuple(
          validPayloads(ctx, 'put.immutable.unchanged'),
          fc.constant(name),
          scimUserAttribute(ctx.profile, [name]),
          scimUserAttribute(ctx.profile, [name]),
        ),
      )
  },
  async run(ctx, users, [body, name, first, second]) {
    if (isUnassigned(first) || isUnassigned(second) || differs(first, second, name, ctx.attribute) === null)
      return verdict('passed', 'no two different values to try', [])
    const id = users.ids[0]
    const before = await getUser(ctx, id)
    if (noResponse([before])) return noResponse([before])!
    const existing = getAttr(bodyObject(before), name)
    const setting = isUnassigned(existing) ? await putUser(ctx, id, { ...body, [name]: first }) : null
    // What the server holds before the attempt: §3.5.1 applies a value to an immutable attribute that has none.
    const settled = setting ? await getUser(ctx, id) : null
    const prior = [before, ...(setting ? [setting] : []), ...(settled ? [settled] : [])]
    if (noResponse(prior)) return noResponse(prior)!
    if (setting && !is2xx(setting))
      return verdict('passed', `setting ${name} the first time answered ${describeStatus(setting)}`, prior)
    const current = settled ? getAttr(bodyObject(settled), name) : existing
    if (isUnassigned(current))
      return verdict('passed', `${name} holds no value, so a new one SHALL be applied (RFC 7644 §3.5.1)`, prior)
    if (differs(second, current, name, ctx.attribute) === null)
      return verdict('passed', `${name} already holds the value to try`, prior)
    const attempt = await putUser(ctx, id, { ...body, [name]: second })
    const after = await getUser(ctx, id)
    const all = [...prior, attempt, after]
    if (noResponse(all)) return noResponse(all)!
    if (differs(second, getAttr(bodyObject(after), name), name, ctx.attribute) === null) {
      return verdict(
        'failed',
        `Received: ${describeStatus(attempt)}, and ${name} changed from ${JSON.stringify(current)} to ${JSON.stringify(second)}\nExpected: 400 mutability, the value kept\n\nRefuse changes to immutable attributes`,
        all,
        { focus: all.indexOf(attempt) },
      )
    }
    // The value was kept (the MUST held) but the mismatch was not refused: "400 SHOULD be returned".
    if (is2xx(attempt))
      return verdict(
        'warned',
        `Received: ${describeStatus(attempt)} for a changed immutable ${name} (the value was kept)\nExpected: 400 with scimType "mutability"`,
        all,
        { focus: all.indexOf(attempt) },
      )
    if (scimTypeOf(attempt) === 'mutability' || ctx.profile.error.format === 'problem')
      return verdict('passed', `${describeStatus(attempt)}`, all)
    return verdict(
      'warned',
      `Received: ${describeStatus(attempt)} for a changed immutable ${name}\nExpected: 400 with scimType "mutability"`,
      all,
      { focus: all.indexOf(attempt) },
    )
  },
})

export const DECLARED_CHECKS = [returnedNever, immutableUnchanged]
