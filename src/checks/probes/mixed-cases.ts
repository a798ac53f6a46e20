import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import { INVALID_MUTATIONS, type InvalidCase, type Mutation } from '../../generate/invalid-scim-user.ts'
import type { CheckContext } from '../context.ts'
import type { CheckUsers } from '../define-check.ts'
import { httpStatusesOk } from '../expectation.ts'
import { validPayloads } from './payloads.ts'
import { putRaw } from './requests.ts'

/** One request body a check sends to its first test user: a valid payload or a labelled invalid one. */
export interface ProbeCase {
  /** `a valid payload`, or the mutation's violation text. */
  label: string
  /** `valid`, or the mutation's kind. */
  kind: string
  body: string
  contentType: string | null
  /** HTTP statuses outside Table 8 this case may rightly get (413 oversize, 415 media type). */
  httpStatusOk?: number[]
}

/** Context a mutation needs: the base payloads and another test user's userName for uniqueness cases. */
export function mutationContext(ctx: CheckContext, users: CheckUsers) {
  const other = users.created[1]?.userName
  return {
    base: validPayloads(ctx),
    otherUserName: typeof other === 'string' ? other : undefined,
    pathId: users.ids[0],
  }
}

/** The mutations that apply to the vendor and whose context (another user's userName) is at hand. */
function usableMutations(ctx: CheckContext, users: CheckUsers, mutations: readonly Mutation[]): Mutation[] {
  const other = users.created[1]?.userName
  return mutations.filter(
    (m) => m.appliesTo(ctx.profile) && (typeof other === 'string' || !m.requires.includes('otherUserName')),
  )
}

const probeCase = (c: InvalidCase): ProbeCase => ({
  label: c.violation,
  kind: c.kind,
  body: c.body,
  contentType: c.contentType,
  httpStatusOk: httpStatusesOk(c.kind),
})

export function invalidCases(
  ctx: CheckContext,
  users: CheckUsers,
  mutations: readonly Mutation[],
): fc.Arbitrary<ProbeCase> {
  const mctx = mutationContext(ctx, users)
  return fc.oneof(
    ...usableMutations(ctx, users, mutations).map((m) => ({
      // A heavy kind (a megabyte per case) is drawn a quarter as often; its own check covers it.
      weight: m.cost === 'heavy' ? 1 : 4,
      arbitrary: m.arbitrary(ctx.profile, mctx).map(probeCase),
    })),
  )
}

function validCase(ctx: CheckContext): fc.Arbitrary<ProbeCase> {
  return validPayloads(ctx).map(
    (p): ProbeCase => ({
      label: 'a valid payload',
      kind: 'valid',
      body: JSON.stringify(p),
      contentType: ctx.profile.requestMediaType,
    }),
  )
}

/** Valid payloads and every kind of invalid one, for checks that judge any response (declared statuses). */
export function mixedCases(ctx: CheckContext, users: CheckUsers): fc.Arbitrary<ProbeCase> {
  return fc.oneof(
    { arbitrary: validCase(ctx), weight: 1 },
    { arbitrary: invalidCases(ctx, users, INVALID_MUTATIONS), weight: 3 },
  )
}

/**
 * One valid payload and one case of every kind of invalid payload, in catalogue order: a check that must
 * meet every kind (put.status.no-5xx) does so in each case, instead of drawing kinds at random.
 */
export function everyKindCases(ctx: CheckContext, users: CheckUsers): fc.Arbitrary<ProbeCase[]> {
  const mctx = mutationContext(ctx, users)
  return fc.tuple(
    validCase(ctx),
    ...usableMutations(ctx, users, INVALID_MUTATIONS).map((m) => m.arbitrary(ctx.profile, mctx).map(probeCase)),
  )
}

export function sendCase(ctx: CheckContext, users: CheckUsers, c: ProbeCase): Promise<Exchange> {
  return putRaw(ctx, users.ids[0], c.body, c.contentType)
}
