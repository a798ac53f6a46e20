import { INVALID_MUTATIONS } from '../../generate/invalid-scim-user.ts'
import { defineCheck, verdict } from '../define-check.ts'
import { invalidCases } from '../probes/mixed-cases.ts'
import { isRefusal, judgeRefusal, REFUSAL_RULE } from '../probes/refusal-unchanged.ts'
import { bodyObject, describeStatus, getUser, is2xx, noResponse, putRaw, statusOf } from '../probes/requests.ts'

/** Every kind of invalid PUT but the megabyte ones (their own put.invalid.* checks send those). */
const KINDS = INVALID_MUTATIONS.filter((m) => m.cost !== 'heavy')

/**
 * The owner of "a refused PUT changes nothing" ({@link REFUSAL_RULE}). Every other check's refused PUTs
 * are judged the same way by the runner's refusal guard (src/run/refusal-guard.ts); this check makes sure
 * the rule is exercised: it reads the user, sends an invalid PUT of every kind built on a fresh valid
 * payload (new values everywhere, so whatever the server writes before it refuses shows), then reads
 * the user again. Any refusal counts, whatever its reason: no control is needed.
 */
export const refusalUnchanged = defineCheck({
  id: REFUSAL_RULE.id,
  title: 'A refused PUT changes nothing',
  level: REFUSAL_RULE.level,
  source: REFUSAL_RULE.source,
  area: 'invalid',
  rule:
    'A 4xx states the request was not applied (RFC 9110 §15; §15.5.2: 401 "has not been applied"; §13.1.1: ' +
    'with a false If-Match a server "MUST NOT perform the requested method"); RFC 7644 §3.5.2 for PATCH: ' +
    '"the original SCIM resource MUST be restored". A GET after a refused PUT shows the user as before it.',
  users: 2,
  maxRuns: 20,
  cases: (ctx, users) => invalidCases(ctx, users, KINDS),
  async run(ctx, users, c) {
    const id = users.ids[0]
    const before = await getUser(ctx, id)
    noResponse([before])
    if (statusOf(before) !== 200 || !bodyObject(before))
      return verdict('inconclusive', `the GET before the PUT answered ${describeStatus(before)}: no user to compare`, [
        before,
      ])
    const put = await putRaw(ctx, id, c.body, c.contentType)
    noResponse([put])
    if (is2xx(put))
      return verdict(
        'inconclusive',
        `the PUT (${c.label}) was accepted (${statusOf(put)}): no refusal to judge (put.invalid.${c.kind} judges that)`,
        [before, put],
      )
    if (!isRefusal(statusOf(put)))
      return verdict('inconclusive', `the PUT (${c.label}) answered ${describeStatus(put)}: not a refusal`, [
        before,
        put,
      ])
    const after = await getUser(ctx, id)
    noResponse([after])
    const baseline = { body: bodyObject(before)!, from: 'get' as const, exchange: before }
    return (
      judgeRefusal(ctx.attribute, baseline, put, after) ??
      verdict('inconclusive', `the GET after the refused PUT answered ${describeStatus(after)}: no user to compare`, [
        before,
        put,
        after,
      ])
    )
  },
})
