import type { Exchange } from '../../http/exchange.ts'
import { getAttr } from '../compare.ts'
import type { CheckContext } from '../context.ts'
import { defineCheck, verdict, violation, type CheckUsers, type Verdict } from '../define-check.ts'
import { describeRefusal, refusedByConstraint, sendControl } from '../probes/attribution.ts'
import { ownState } from '../probes/own-state.ts'
import { validPayloads } from '../probes/payloads.ts'
import { bodyObject, getUser, is2xx, noResponse, putUser, scimTypeOf, statusOf } from '../probes/requests.ts'
import { judgesDeclaredErrors } from './errors.ts'

/** A case variant of a userName: the same identifier for a case-insensitive attribute. */
export function caseVariant(userName: string): string {
  const flipped = [...userName].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('')
  return flipped !== userName
    ? flipped
    : userName.toUpperCase() !== userName
      ? userName.toUpperCase()
      : userName.toLowerCase()
}

type Variant = 'exact' | 'case'

/** The duplicate PUT: the first test user's accepted state, its userName set to the second's (or a case variant). */
interface DuplicateProbe {
  taken: string
  userName: string
  put: Exchange
  /** The same PUT with a fresh userName instead: sent only when the duplicate was refused other than 409. */
  control: { control: Exchange; accepted: boolean } | null
}

async function putDuplicate(ctx: CheckContext, users: CheckUsers, variant: Variant, fresh: string) {
  const taken = String(getAttr(users.created[1], 'userName'))
  const userName = variant === 'exact' ? taken : caseVariant(taken)
  const base = ownState(ctx, users)
  const put = await putUser(ctx, users.ids[0], { ...base, userName })
  noResponse([put])
  const status = statusOf(put)!
  // The rule's perturbation is "another user's userName": the control is the same PUT with a userName nobody has.
  const control =
    status >= 400 && status < 500 && status !== 409
      ? await sendControl(() => putUser(ctx, users.ids[0], { ...base, userName: fresh }))
      : null
  return { taken, userName, put, control } satisfies DuplicateProbe
}

const RULE =
  "userName: This identifier MUST be unique across the service provider's entire set of Users. " +
  'This attribute is REQUIRED and is case insensitive.'

/** A fresh userName for the control (the generator's, unique to the run and check). */
const freshUserNames = (ctx: CheckContext) => validPayloads(ctx).map((p) => String(p.userName))

function refusedOtherwise(probe: DuplicateProbe, exchanges: Exchange[]): Verdict | null {
  const { put, control } = probe
  if (!control || control.accepted) return null
  return refusedByConstraint({
    what: `the PUT of the test user's accepted state with userName ${JSON.stringify(probe.userName)}`,
    without: 'the same PUT with a userName no user has',
    refused: put,
    control: control.control,
    exchanges,
    key: 'userName',
  })
}

/**
 * RFC 7643 §4.1.1 (verified): userName "MUST be unique across the service provider's entire set of
 * Users. This attribute is REQUIRED and is case insensitive." Whatever the status, the duplicate is
 * never stored (a 2xx that stored the duplicate breaks that MUST: fail).
 */
async function judgeNotStored(ctx: CheckContext, users: CheckUsers, variant: Variant, fresh: string) {
  const probe = await putDuplicate(ctx, users, variant, fresh)
  const get = await getUser(ctx, users.ids[0])
  noResponse([get])
  const exchanges = [probe.put, ...(probe.control ? [probe.control.control] : []), get]
  const stored = String(getAttr(bodyObject(get), 'userName') ?? '')
  // Read before the control's verdict: the control ran after the duplicate, so GET shows the control's name then.
  if (statusOf(get) === 200 && stored.toLowerCase() === probe.taken.toLowerCase())
    return violation(
      {
        received:
          `${describeRefusal(probe.put)}, and GET shows userName ${JSON.stringify(stored)}, ` +
          `already another user's (${JSON.stringify(probe.taken)})`,
        expected:
          'nothing stored: userName MUST be unique, case-insensitively (RFC 7643 §4.1.1); ' +
          '409 with scimType "uniqueness" (RFC 7644 §3.12)',
        fix: 'Check userName uniqueness case-insensitively on PUT as on POST.',
      },
      exchanges,
      { focus: exchanges.length - 1 },
    )
  const other = refusedOtherwise(probe, exchanges)
  if (other) return other
  if (statusOf(get) !== 200)
    return verdict('inconclusive', `the GET after the PUT answered ${statusOf(get)}: no stored user to read`, exchanges)
  return verdict('passed', `${describeRefusal(probe.put)}, the duplicate was not stored`, exchanges)
}

export const usernameConflict = defineCheck({
  id: 'put.uniqueness.username-conflict',
  title: "Another user's userName is never stored",
  level: 'MUST',
  source: 'RFC 7643 §4.1.1',
  area: 'uniqueness',
  rule: RULE,
  users: 2,
  maxRuns: 2,
  cases: freshUserNames,
  run: (ctx, users, fresh) => judgeNotStored(ctx, users, 'exact', fresh),
})

export const caseVariantConflict = defineCheck({
  id: 'put.uniqueness.case-variant-conflict',
  title: "A case variant of another user's userName is never stored",
  level: 'MUST',
  source: 'RFC 7643 §4.1.1',
  area: 'uniqueness',
  rule: RULE,
  users: 2,
  maxRuns: 2,
  cases: freshUserNames,
  run: (ctx, users, fresh) => judgeNotStored(ctx, users, 'case', fresh),
})

/**
 * RFC 7644 §3.12 Table 8 (409 Conflict, "Service provider refused to create a new, duplicate resource")
 * and Table 9 (`uniqueness`), under "Implementers SHOULD handle the identified HTTP status codes".
 * So 409 uniqueness → pass; 400 uniqueness → warn (RFC 7643 §7 lets a server reject a duplicate with 400).
 */
async function judgeConflictStatus(ctx: CheckContext, users: CheckUsers, variant: Variant, fresh: string) {
  const probe = await putDuplicate(ctx, users, variant, fresh)
  const { put } = probe
  const exchanges = [put, ...(probe.control ? [probe.control.control] : [])]
  const other = refusedOtherwise(probe, exchanges)
  if (other) return other
  const status = statusOf(put)!
  const scimType = scimTypeOf(put)
  // problem+json (Maia) carries no scimType: the 409 alone is the answer there.
  if (status === 409 && (scimType === 'uniqueness' || judgesDeclaredErrors(ctx)))
    return verdict('passed', describeRefusal(put), exchanges)
  const stored = `put.uniqueness.${variant === 'exact' ? 'username' : 'case-variant'}-conflict`
  const received =
    status === 409
      ? `409 ${scimType === null ? 'without scimType' : `with scimType ${JSON.stringify(scimType)}`}`
      : status === 400 && scimType === 'uniqueness'
        ? '400 uniqueness (RFC 7643 §7 allows 400; Table 8 names 409)'
        : is2xx(put)
          ? `${status} for a duplicate userName (${stored} judges what was stored)`
          : `${describeRefusal(put)} for a duplicate userName, while the same PUT with a fresh userName was accepted`
  return violation({ received, expected: '409 with scimType "uniqueness" (RFC 7644 §3.12 Tables 8 and 9)' }, exchanges)
}

export const usernameConflict409 = defineCheck({
  id: 'put.uniqueness.username-conflict-409',
  title: "Another user's userName is refused with 409 uniqueness",
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 Tables 8 and 9; RFC 7643 §4.1.1',
  area: 'uniqueness',
  rule: `${RULE} (Table 8: 409 Conflict; Table 9: scimType uniqueness.)`,
  users: 2,
  maxRuns: 2,
  cases: freshUserNames,
  run: (ctx, users, fresh) => judgeConflictStatus(ctx, users, 'exact', fresh),
})

export const caseVariantConflict409 = defineCheck({
  id: 'put.uniqueness.case-variant-conflict-409',
  title: "A case variant of another user's userName is refused with 409 uniqueness",
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 Tables 8 and 9; RFC 7643 §4.1.1',
  area: 'uniqueness',
  rule: `${RULE} (Table 8: 409 Conflict; Table 9: scimType uniqueness.)`,
  users: 2,
  maxRuns: 2,
  cases: freshUserNames,
  run: (ctx, users, fresh) => judgeConflictStatus(ctx, users, 'case', fresh),
})

export const UNIQUENESS_CHECKS = [usernameConflict, caseVariantConflict, usernameConflict409, caseVariantConflict409]
