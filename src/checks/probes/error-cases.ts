import fc from 'fast-check'
import { INVALID_MUTATIONS } from '../../generate/invalid-scim-user.ts'
import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { violation, type Verdict } from '../define-check.ts'
import { findCreated, unknownIdOccupied, unknownIds } from './created.ts'
import { invalidCases, type ProbeCase } from './mixed-cases.ts'
import { validPayloads } from './payloads.ts'
import { is2xx, putRaw } from './requests.ts'

/** Error cases: every invalid payload kind (weight 4 together), plus a PUT on an unknown id (404). */
export function errorCases(
  ctx: CheckContext,
  users: Parameters<typeof invalidCases>[1],
  /** Weight of the unknown-id case against 4 for all the invalid payloads together. @defaultValue 1 */
  unknownWeight = 1,
): fc.Arbitrary<ProbeCase & { unknownId?: string }> {
  const unknown = fc.tuple(unknownIds(), validPayloads(ctx)).map(([uuid, body]) => ({
    label: 'a PUT on an unknown id',
    kind: 'unknown-id',
    body: JSON.stringify(body),
    contentType: ctx.profile.requestMediaType,
    unknownId: uuid,
  }))
  return fc.oneof(
    { arbitrary: invalidCases(ctx, users, INVALID_MUTATIONS), weight: 4 },
    { arbitrary: unknown, weight: unknownWeight },
  )
}

/**
 * Sends an error case; a PUT on an unknown id that created a user is cleaned up (put.status.unknown-id-not-created
 * judges that).
 */
export async function sendErrorCase(
  ctx: CheckContext,
  users: CheckUsers,
  input: ProbeCase & { unknownId?: string },
): Promise<Exchange | Verdict> {
  if (input.unknownId) {
    // Never a PUT on a made-up id that a GET shows taken: the server would apply it to an existing user.
    const occupied = await ctx.users.probeAbsent(input.unknownId)
    if (occupied) return unknownIdOccupied(input.unknownId, occupied)
  }
  const e = await putRaw(ctx, input.unknownId ?? users.ids[0], input.body, input.contentType)
  if (input.unknownId && is2xx(e))
    await findCreated(ctx, input.unknownId, e, String((JSON.parse(input.body) as { userName?: unknown }).userName))
  return e
}

/** A violation met on an error case, its `received` naming the case (`… (case: userName missing)`). */
export function inCase(v: Verdict, label: string): Verdict {
  if (!v.finding) return v
  const { outcome: _outcome, message: _message, finding, exchanges, ...extra } = v
  return violation({ ...finding, received: `${finding.received} (case: ${label})` }, exchanges, extra)
}
