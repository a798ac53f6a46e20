import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext } from '../context.ts'
import { verdict, type Verdict } from '../define-check.ts'
import { bodyObject, describeStatus, is2xx, noResponse, scimTypeOf, statusOf } from './requests.ts'

/**
 * Attribution by control: a refusal counts against the rule under test only when the same request
 * without the rule's perturbation is accepted. When the control is refused too, the refusal is the
 * server's own input constraint (RFC 7644 §3.12 lets it refuse a value it cannot store): the case never
 * reached the rule, and the constraint is recorded as a trait.
 */

/** What an error body says in its own words (SCIM `detail`, problem details' `detail` or `title`), on one line. */
export function refusalDetail(e: Exchange): string | null {
  const body = bodyObject(e)
  const text = body ? (body.detail ?? body.title) : e.response?.bodyText
  if (typeof text !== 'string' || !/\S/.test(text)) return null
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

/** `400 invalidValue ("externalId" is 1024 characters long…)`: a response's status, scimType and detail. */
export function describeRefusal(e: Exchange): string {
  const detail = refusalDetail(e)
  return detail ? `${describeStatus(e)} (${JSON.stringify(detail)})` : describeStatus(e)
}

/** The refusal the RFC shows for a value a client may not change: 400 `mutability` (RFC 7644 §3.12 Table 9). */
export function isMutability400(e: Exchange): boolean {
  return statusOf(e) === 400 && scimTypeOf(e) === 'mutability'
}

/**
 * A refusal that is the value's (its control was accepted) in the form the RFC shows: 400 `mutability`,
 * or a 400 from a vendor whose declared error format (problem details) has no scimType to carry it.
 */
export function isMutabilityVariant(ctx: CheckContext, e: Exchange): boolean {
  return isMutability400(e) || (statusOf(e) === 400 && ctx.profile.error.format === 'problem')
}

/** The control of a refused request, sent and read: accepted (2xx) or refused too. */
export interface Control {
  control: Exchange
  accepted: boolean
}

/** Sends the control (the same request without the rule's perturbation). A transport failure is a harness error. */
export async function sendControl(send: () => Promise<Exchange>): Promise<Control> {
  const control = await send()
  noResponse([control])
  return { control, accepted: is2xx(control) }
}

/**
 * The verdict of a case whose request and control were both refused: the server's own constraint, not the
 * rule. `what` names the perturbed request ("the PUT carrying a decoy id"), `without` the control ("the
 * same PUT without the id"), `key` the trait (`constraint.<key>`).
 */
export function refusedByConstraint(options: {
  what: string
  without: string
  refused: Exchange
  control: Exchange
  exchanges: Exchange[]
  key: string
}): Verdict {
  const { what, without, refused, control, exchanges, key } = options
  return verdict(
    'inconclusive',
    `${what} answered ${describeRefusal(refused)}, and ${without} was refused too (${describeStatus(control)}): ` +
      "an input constraint of the server's own, not this rule",
    exchanges,
    { traits: { [`constraint.${key}`]: describeRefusal(control) } },
  )
}

/**
 * A case whose PUT was refused although nothing of the rule was in it (or its control was refused as
 * well): the server's own input constraint, not evidence about the rule. Inconclusive, with the answer as
 * a `constraint.<what>` trait; `why` says what was refused.
 */
export function refusedAnyway(
  what: string,
  why: string,
  refusal: Exchange,
  exchanges: Exchange[] = [refusal],
): Verdict {
  return verdict('inconclusive', `${why}: ${describeRefusal(refusal)}`, exchanges, {
    traits: { [`constraint.${what}`]: describeRefusal(refusal) },
  })
}

/** The verdict of a case whose valid payload was refused: there is no successful PUT to judge. */
export function refusedValidPut(put: Exchange, exchanges: Exchange[]): Verdict {
  return verdict(
    'inconclusive',
    `the PUT of a valid payload answered ${describeRefusal(put)}, so there is no successful replace to judge ` +
      '(put.status.success-200 judges the refusal)',
    exchanges,
  )
}
