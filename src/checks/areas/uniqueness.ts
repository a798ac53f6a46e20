import type { CheckContext } from '../context.ts'
import { getAttr } from '../compare.ts'
import { defineCheck, verdict, type CheckUsers } from '../define-check.ts'
import { validPayloads } from '../probes/payloads.ts'
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

/** A case variant of a userName: the same identifier for a case-insensitive attribute. */
export function caseVariant(userName: string): string {
  const flipped = [...userName].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('')
  return flipped !== userName
    ? flipped
    : userName.toUpperCase() !== userName
      ? userName.toUpperCase()
      : userName.toLowerCase()
}

/**
 * RFC 7643 §4.1.1 (verified): userName "MUST be unique across the service provider's entire set of
 * Users. This attribute is REQUIRED and is case insensitive." Table 9: 409 with scimType uniqueness.
 */
function uniquenessCheck(variant: 'exact' | 'case') {
  const id = variant === 'exact' ? 'put.uniqueness.username-conflict' : 'put.uniqueness.case-variant-conflict'
  return defineCheck({
    id,
    title:
      variant === 'exact'
        ? "Another user's userName is refused with 409 uniqueness"
        : "A case variant of another user's userName is refused with 409 uniqueness",
    level: 'MUST',
    source: 'RFC 7643 §4.1.1; RFC 7644 §3.12',
    area: 'uniqueness',
    rule: "userName: This identifier MUST be unique across the service provider's entire set of Users. This attribute is REQUIRED and is case insensitive. (409 Conflict, scimType uniqueness.)",
    users: 2,
    maxRuns: 5,
    cases: (ctx) => validPayloads(ctx, id),
    async run(ctx: CheckContext, users: CheckUsers, body) {
      const taken = String(getAttr(users.created[1], 'userName'))
      const userName = variant === 'exact' ? taken : caseVariant(taken)
      const put = await putUser(ctx, users.ids[0], { ...body, userName })
      const get = await getUser(ctx, users.ids[0])
      const broken = noResponse([put, get])
      if (broken) return broken
      const status = statusOf(put)!
      const stored = String(getAttr(bodyObject(get), 'userName') ?? '')
      if (stored.toLowerCase() === taken.toLowerCase()) {
        return verdict(
          'failed',
          `Received: ${describeStatus(put)}, and GET shows userName ${JSON.stringify(stored)}, already another user's (${JSON.stringify(taken)})\nExpected: 409 with scimType "uniqueness", nothing stored\n\nCheck userName uniqueness case-insensitively on PUT as on POST`,
          [put, get],
          { focus: 1 },
        )
      }
      if (status >= 500)
        return verdict(
          'failed',
          `Received: ${describeStatus(put)} for a duplicate userName\nExpected: 409 uniqueness`,
          [put, get],
        )
      if (is2xx(put))
        return verdict(
          'warned',
          `Received: ${status} for a duplicate userName (the old userName was kept)\nExpected: 409 uniqueness, not a silent success`,
          [put, get],
        )
      const scimType = scimTypeOf(put)
      const problem = ctx.profile.error.format === 'problem' && !ctx.run.strictRfc
      if (status === 409 && (scimType === 'uniqueness' || problem))
        return verdict('passed', `${describeStatus(put)}`, [put, get])
      if (status === 409)
        return verdict(
          'warned',
          `Received: 409 with scimType ${JSON.stringify(scimType)}\nExpected: 409 with scimType "uniqueness"`,
          [put, get],
        )
      if (status === 400 && scimType === 'uniqueness')
        return verdict(
          'warned',
          'Received: 400 uniqueness\nExpected: 409 uniqueness (RFC 7643 §7 allows 400; Table 9 names 409)',
          [put, get],
        )
      return verdict(
        'warned',
        `Received: ${describeStatus(put)} for a duplicate userName (nothing stored)\nExpected: 409 uniqueness`,
        [put, get],
      )
    },
  })
}

export const usernameConflict = uniquenessCheck('exact')
export const caseVariantConflict = uniquenessCheck('case')

export const UNIQUENESS_CHECKS = [usernameConflict, caseVariantConflict]
