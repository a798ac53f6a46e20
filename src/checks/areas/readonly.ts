import fc from 'fast-check'
import { scimUserAttribute } from '../../generate/scim-user.ts'
import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext } from '../context.ts'
import type { CheckUsers } from '../define-check.ts'
import { differs, getAttr, isUnassigned, sameRepresentation } from '../compare.ts'
import { defineCheck, verdict, type Verdict } from '../define-check.ts'
import { firstSeen } from '../probes/first-seen.ts'
import { validPayloads } from '../probes/payloads.ts'
import { declaredWith } from '../probes/server-schemas.ts'
import {
  bodyObject,
  describeStatus,
  getUser,
  is2xx,
  noResponse,
  putUser,
  scimTypeOf,
  statusOf,
} from '../probes/requests.ts'

type Body = Record<string, unknown>

/**
 * SCIM-PUT-RULES 8: RFC 7644 §3.5.1 (verified) says readOnly values "SHALL be ignored", while §3.12's
 * own PUT example answers 400 mutability. Both pass; a stored change or a 5xx fails.
 */
async function judgeReadOnly(
  ctx: CheckContext,
  users: CheckUsers,
  body: Body,
  what: string,
  changed: (before: Body, after: Body | null, put: Exchange, get: Exchange) => string | null | Promise<string | null>,
): Promise<Verdict> {
  const id = users.ids[0]
  const before = await getUser(ctx, id)
  const put = await putUser(ctx, id, body)
  const get = await getUser(ctx, id)
  const broken = noResponse([before, put, get])
  if (broken) return broken
  const status = statusOf(put)!
  if (status >= 500)
    return verdict(
      'failed',
      `Received: ${describeStatus(put)} for a PUT carrying ${what}\nExpected: the value ignored (2xx) or 400 mutability`,
      [before, put, get],
      { focus: 1 },
    )
  const problem = await changed(bodyObject(before) ?? {}, bodyObject(get), put, get)
  if (problem)
    return verdict(
      'failed',
      `Received: ${problem}\nExpected: ${what} ignored (readOnly values SHALL be ignored), or 400 mutability\n\nDrop readOnly attributes from PUT bodies before storing`,
      [before, put, get],
      { focus: 1 },
    )
  if (is2xx(put))
    return verdict('passed', `${what} ignored`, [before, put, get], {
      traits: { [`readOnly.${what.split(' ')[0]}`]: 'ignored' },
    })
  if (status === 400) {
    const scimType = scimTypeOf(put)
    if (scimType === 'mutability' || ctx.profile.error.format === 'problem')
      return verdict('passed', `${what} rejected with ${describeStatus(put)}`, [before, put, get], {
        traits: { [`readOnly.${what.split(' ')[0]}`]: 'rejected (400 mutability)' },
      })
    return verdict(
      'warned',
      `Received: ${describeStatus(put)} for a PUT carrying ${what}\nExpected: the value ignored, or 400 with scimType "mutability"`,
      [before, put, get],
      { focus: 1 },
    )
  }
  return verdict(
    'warned',
    `Received: ${describeStatus(put)} for a PUT carrying ${what}\nExpected: the value ignored (2xx) or 400 mutability`,
    [before, put, get],
    { focus: 1 },
  )
}

export const idIgnored = defineCheck({
  id: 'put.readonly.id-ignored',
  title: 'An id in the body that differs from the path is ignored (or rejected with 400 mutability)',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1; RFC 7643 §3.1',
  area: 'readonly',
  rule: 'readOnly: Any values provided SHALL be ignored. (RFC 7643 §3.1: id is readOnly, assigned by the service provider.)',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => fc.tuple(validPayloads(ctx, 'put.readonly.id-ignored'), fc.uuid({ version: 4 })),
  run: (ctx, users, [body, decoy]) =>
    judgeReadOnly(
      ctx,
      users,
      { ...body, id: decoy },
      'id (different from the path)',
      async (_before, after, put, get) => {
        if (statusOf(get) !== 200) {
          // The user moved to the decoy id: delete it there too, so the target is left as it was found,
          // but only when a GET there shows the userName this PUT sent (the decoy may be a real user's id).
          if (await ctx.users.adopt(decoy, String(getAttr(body, 'userName')))) await ctx.users.removeOne(decoy)
          return `the user is no longer found at its id after the PUT (GET answered ${statusOf(get)})`
        }
        if (getAttr(after, 'id') !== users.ids[0]) return `GET shows id ${JSON.stringify(getAttr(after, 'id'))}`
        const returned = getAttr(bodyObject(put), 'id')
        if (is2xx(put) && returned !== undefined && returned !== users.ids[0])
          return `the PUT response shows id ${JSON.stringify(returned)}`
        return null
      },
    ),
})

export const metaIgnored = defineCheck({
  id: 'put.readonly.meta-ignored',
  title: 'meta in the body (created, resourceType, location) is ignored',
  level: 'MUST',
  source: 'RFC 7643 §3.1; RFC 7644 §3.5.1',
  area: 'readonly',
  rule: 'meta: This attribute SHALL be ignored when provided by clients.',
  users: 1,
  maxRuns: 5,
  cases: (ctx) => validPayloads(ctx, 'put.readonly.meta-ignored'),
  run: (ctx, users, body) =>
    judgeReadOnly(
      ctx,
      users,
      {
        ...body,
        meta: {
          resourceType: 'Group',
          created: '2001-01-01T00:00:00Z',
          lastModified: '2001-01-01T00:00:00Z',
          location: 'https://decoy.invalid/Users/decoy',
          version: 'W/"decoy"',
        },
      },
      'meta (decoy values)',
      (before, after) => {
        const b = firstSeen(users, 'meta', getAttr(before, 'meta'))
        const a = getAttr(after, 'meta')
        const changed: string[] = []
        if (getAttr(a, 'created') !== getAttr(b, 'created'))
          changed.push(
            `meta.created ${JSON.stringify(getAttr(b, 'created'))} became ${JSON.stringify(getAttr(a, 'created'))}`,
          )
        if (getAttr(a, 'resourceType') === 'Group') changed.push('meta.resourceType became "Group"')
        if (Date.parse(String(getAttr(a, 'lastModified'))) === Date.parse('2001-01-01T00:00:00Z'))
          changed.push('meta.lastModified took the decoy value')
        if (String(getAttr(a, 'location') ?? '').includes('decoy.invalid'))
          changed.push('meta.location took the decoy URL')
        if (getAttr(a, 'version') === 'W/"decoy"') changed.push('meta.version took the decoy value')
        return changed.length > 0 ? changed.join('; ') : null
      },
    ),
})

export const groupsIgnored = defineCheck({
  id: 'put.readonly.groups-ignored',
  title: 'groups in the body changes no membership',
  level: 'MUST',
  source: 'RFC 7643 §4.1.2; RFC 7644 §3.5.1',
  area: 'readonly',
  rule: 'groups: ... group membership changes MUST be applied via the "Group" Resource. The attribute is readOnly: values provided SHALL be ignored.',
  users: 1,
  maxRuns: 5,
  cases: (ctx) => fc.tuple(validPayloads(ctx, 'put.readonly.groups-ignored'), fc.uuid({ version: 4 })),
  run: (ctx, users, [body, group]) =>
    judgeReadOnly(
      ctx,
      users,
      { ...body, groups: [{ value: group, display: 'decoy group' }] },
      'groups (a membership)',
      (before, after) => {
        const b = firstSeen(users, 'groups', getAttr(before, 'groups'))
        const a = getAttr(after, 'groups')
        if (isUnassigned(b) && isUnassigned(a)) return null
        return sameRepresentation({ groups: b }, { groups: a }, () => undefined).length > 0
          ? `groups changed from ${JSON.stringify(b ?? [])} to ${JSON.stringify(a)}`
          : null
      },
    ),
})

/**
 * SCIM-PUT-RULES 7, RFC 7644 §3.5.1 (verified): for immutable attributes "the input value(s) MUST match,
 * or HTTP status code 400 SHOULD be returned with a "scimType" error code of "mutability"". Only
 * attributes the server declares immutable are probed (the core User has none).
 */
export const immutableUnchanged = defineCheck({
  id: 'put.readonly.immutable-unchanged',
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
    return fc.constantFrom(...names).chain((name) =>
      fc.tuple(
        // The former id stays the salt, so that a seed draws the same payloads as before.
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

export const READONLY_CHECKS = [idIgnored, metaIgnored, groupsIgnored, immutableUnchanged]
