import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import { INVALID_MUTATIONS, expectationFor, type Expectation, type Mutation } from '../../generate/invalid-scim-user.ts'
import type { CheckContext } from '../context.ts'
import type { CheckUsers } from '../define-check.ts'
import { validPayloads } from './payloads.ts'
import { putRaw } from './requests.ts'

/** One request body a check sends to its first test user: a valid payload or a labelled invalid one. */
export interface ProbeCase {
  /** `valid payload`, or the mutation's violation text. */
  label: string
  kind: string
  body: string
  contentType: string | null
  /** The rule-graded expectation for an invalid case; null for a valid payload. */
  expect: Expectation | null
  /** HTTP statuses outside Table 8 this case may rightly get (413 oversize, 415 media type). */
  httpStatusOk?: number[]
}

/** Context a mutation needs: the base payloads and another test user's userName for uniqueness cases. */
export function mutationContext(ctx: CheckContext, users: CheckUsers, checkId: string) {
  const other = users.created[1]?.userName
  return {
    base: validPayloads(ctx, checkId),
    otherUserName: typeof other === 'string' ? other : undefined,
    pathId: users.ids[0],
  }
}

export function invalidCases(
  ctx: CheckContext,
  users: CheckUsers,
  checkId: string,
  mutations: readonly Mutation[],
): fc.Arbitrary<ProbeCase> {
  const mctx = mutationContext(ctx, users, checkId)
  const usable = mutations.filter(
    (m) => m.appliesTo(ctx.profile) && (mctx.otherUserName !== undefined || !m.requires.includes('otherUserName')),
  )
  return fc.oneof(
    ...usable.map((m) => ({
      // A heavy kind (a megabyte per case) is drawn a quarter as often; its own check covers it.
      weight: m.cost === 'heavy' ? 1 : 4,
      arbitrary: m.arbitrary(ctx.profile, mctx).map(
        (c): ProbeCase => ({
          label: c.violation,
          kind: c.kind,
          body: c.body,
          contentType: c.contentType,
          expect: expectationFor(c.expect, ctx.profile),
          httpStatusOk: c.expect.acceptable
            .flatMap((o) => (Array.isArray(o.status) ? o.status : []))
            .filter((s) => s === 413 || s === 415),
        }),
      ),
    })),
  )
}

/** Valid payloads and every kind of invalid one, for checks that judge any response (no 5xx, declared statuses, error format). */
export function mixedCases(ctx: CheckContext, users: CheckUsers, checkId: string): fc.Arbitrary<ProbeCase> {
  const valid = validPayloads(ctx, checkId).map(
    (p): ProbeCase => ({
      label: 'a valid payload',
      kind: 'valid',
      body: JSON.stringify(p),
      contentType: ctx.profile.requestMediaType,
      expect: null,
    }),
  )
  return fc.oneof(
    { arbitrary: valid, weight: 1 },
    { arbitrary: invalidCases(ctx, users, checkId, INVALID_MUTATIONS), weight: 3 },
  )
}

export function sendCase(ctx: CheckContext, users: CheckUsers, c: ProbeCase): Promise<Exchange> {
  return putRaw(ctx, users.ids[0], c.body, c.contentType)
}
