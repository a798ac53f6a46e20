import fc from 'fast-check'
import { INVALID_MUTATIONS, mutation, type InvalidCase, type Mutation } from '../../generate/invalid-scim-user.ts'
import type { Exchange } from '../../http/exchange.ts'
import { getAttr } from '../compare.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, type CheckDefinition, type Verdict } from '../define-check.ts'
import { EXPECTATIONS, judgeOutcome, type Grade } from '../expectation.ts'
import { refusedByConstraint, sendControl } from '../probes/attribution.ts'
import { ownState, ownStateControl, ownStateRefused } from '../probes/own-state.ts'
import { bodyObject, getUser, is2xx, noResponse, putRaw, putUser, scimTypeOf, statusOf } from '../probes/requests.ts'
import { serverDeclares } from '../probes/server-schemas.ts'
import { requestProperties } from '../probes/slots.ts'

const OUTCOME: Record<Grade, 'passed' | 'observed' | 'violated'> = {
  pass: 'passed',
  observe: 'observed',
  violated: 'violated',
}

/**
 * The cases of a kind, built on the test user's own accepted state: the mutation is then the only thing
 * the request changes, so a refusal is the server's answer to it (attribution by control).
 */
function casesOn(ctx: CheckContext, users: CheckUsers, m: Mutation): fc.Arbitrary<InvalidCase> {
  return m.arbitrary(ctx.profile, { base: fc.constant(ownState(ctx, users)), pathId: users.ids[0] })
}

/**
 * A 4xx to a case is the server's answer to the mutation only when the same request without it is
 * accepted: the case's own control where the mutation brings new values (two-primaries), else the test
 * user's accepted state. Returns the inconclusive verdict when the control was refused too, else null.
 */
async function refusedForAnotherReason(
  ctx: CheckContext,
  users: CheckUsers,
  c: InvalidCase,
  put: Exchange,
): Promise<{ verdict: Verdict | null; exchanges: Exchange[] }> {
  if (c.control !== undefined) {
    const { control, accepted } = await sendControl(() => putUser(ctx, users.ids[0], c.control))
    if (accepted) return { verdict: null, exchanges: [put, control] }
    return {
      verdict: refusedByConstraint({
        what: `the PUT (${c.violation})`,
        without: 'the same PUT without the violation',
        refused: put,
        control,
        exchanges: [put, control],
        key: c.kind,
      }),
      exchanges: [put, control],
    }
  }
  const { control, accepted } = await ownStateControl(ctx, users)
  if (accepted) return { verdict: null, exchanges: [put] }
  return { verdict: ownStateRefused(`the PUT (${c.violation})`, put, control, [put]), exchanges: [put] }
}

/**
 * One check per kind of invalid payload: the server's answer is graded against the set of outcomes the
 * RFC allows for that kind (src/checks/expectation.ts; SCIM-PUT-RULES 9, 13, 14, 19, 23, 26), never
 * against one status code, at the level of the rule that decides it.
 */
function invalidPayloadCheck(m: Mutation): CheckDefinition<InvalidCase> {
  const id = `put.invalid.${m.kind}`
  const expect = EXPECTATIONS[m.kind]
  return defineCheck({
    id,
    title: `Invalid payload (${m.violation}) gets an acceptable 4xx`,
    level: expect.level,
    source: m.rule,
    area: 'invalid',
    rule: expect.source,
    users: 1,
    // A heavy kind sends the same megabyte each time, and a kind on a fixed base varies little: a few cases suffice.
    maxRuns: m.cost === 'heavy' ? 2 : 5,
    skipIf: (ctx) =>
      m.appliesTo(ctx.profile) ? null : `the vendor's request schema has nothing to break this way (${m.violation})`,
    cases: (ctx, users) => casesOn(ctx, users, m),
    async run(ctx, users, c) {
      const put = await putRaw(ctx, users.ids[0], c.body, c.contentType)
      noResponse([put])
      const status = statusOf(put)!
      let exchanges = [put]
      if (status >= 400 && status < 500) {
        const other = await refusedForAnotherReason(ctx, users, c, put)
        if (other.verdict) return other.verdict
        exchanges = other.exchanges
      }
      // problem+json (Maia) has no scimType: none is read there.
      const scimType = ctx.profile.error.format === 'problem' ? null : scimTypeOf(put)
      const { grade, reason } = judgeOutcome(expect, { status, scimType })
      // A wrong type in an attribute the server's /Schemas does not declare is, to that server, an unknown
      // attribute: RFC 7644 is silent on those in a PUT (SCIM-PUT-RULES 14), so ignoring it is observed.
      const undeclared = m.kind === 'wrong-type' && is2xx(put) ? undeclaredTarget(ctx, c.violation) : null
      if (undeclared)
        return verdict(
          'observed',
          `Received ${status}: observe (the server's /Schemas does not declare ${undeclared}, so to it this is an unknown attribute, which it ignored; RFC 7644 §3.5.1 is silent on unknown attributes).\n(case: ${c.violation})`,
          exchanges,
        )
      // SCIM-PUT-RULES 9, 13, 18: a refusal's keyword, or its absence (OPTIONAL), is a pass with an observation.
      const refused = status >= 400 && status < 500 && ctx.profile.error.format !== 'problem'
      return verdict(OUTCOME[grade], `${reason}\n(case: ${c.violation})`, exchanges, {
        traits: grade === 'pass' && refused ? { [`scimType.${m.kind}`]: scimType ?? 'none' } : undefined,
      })
    },
  })
}

/** The top-level attribute a wrong-type case breaks (its violation starts with the attribute's path), when the server does not declare it. */
function undeclaredTarget(ctx: CheckContext, violation: string): string | null {
  const names = Object.keys(requestProperties(ctx.profile)).sort((a, b) => b.length - a.length)
  const name = names.find((n) => violation.startsWith(n) && /^[.[:]/.test(violation.slice(n.length)))
  return name !== undefined && !serverDeclares(ctx, name) ? name : null
}

/** Kinds whose 2xx could leave the user without a userName: userName absent, empty or null, or a body that is not a JSON object. */
const USERNAME_AT_RISK = [
  'username-missing',
  'username-empty',
  'username-null',
  'not-json',
  'truncated-json',
  'json-array-body',
  'json-scalar-body',
  'empty-body',
]

/**
 * RFC 7643 §4.1.1: userName "is REQUIRED" (SCIM-PUT-RULES 9: "every User MUST have a non-empty
 * userName"). Whatever a server answers to a body without a usable userName, the user keeps one: a 2xx
 * that clears it fails; a refusal, or a 2xx that kept the old one (put.invalid.username-* warn on it), holds.
 */
export const usernameKept = defineCheck({
  id: 'put.invalid.username-kept',
  title: 'No PUT leaves the user without a userName',
  level: 'MUST',
  source: 'RFC 7643 §4.1.1; RFC 7644 §3.5.1',
  area: 'invalid',
  rule: 'userName: "Unique identifier for the User ... This attribute is REQUIRED" (RFC 7643 §4.1.1): a PUT without a non-empty userName never leaves the User without one.',
  users: 1,
  maxRuns: USERNAME_AT_RISK.length,
  cases: (ctx, users) => fc.oneof(...USERNAME_AT_RISK.map((kind) => casesOn(ctx, users, mutation(kind)))),
  async run(ctx, users, c) {
    const put = await putRaw(ctx, users.ids[0], c.body, c.contentType)
    noResponse([put])
    const status = statusOf(put)!
    if (status >= 400 && status < 500) {
      const other = await refusedForAnotherReason(ctx, users, c, put)
      if (other.verdict) return other.verdict
      return verdict('passed', `refused (${status}): the user kept its userName`, other.exchanges)
    }
    if (!is2xx(put)) return verdict('inconclusive', `the PUT (${c.violation}) answered ${status}`, [put])
    const get = await getUser(ctx, users.ids[0])
    noResponse([get])
    const stored = getAttr(bodyObject(get), 'userName')
    if (statusOf(get) !== 200)
      return verdict('inconclusive', `the GET after the PUT answered ${statusOf(get)}: no stored user to read`, [
        put,
        get,
      ])
    if (typeof stored === 'string' && stored.trim() !== '')
      return verdict('passed', `${status}, and the user kept the userName ${JSON.stringify(stored)}`, [put, get])
    return verdict(
      'violated',
      `Received: ${status} for a PUT (${c.violation}), and GET shows userName ${JSON.stringify(stored ?? null)}\nExpected: 400 (or the old userName kept): every User MUST include a non-empty userName (RFC 7643 §4.1.1)\n\nRefuse a PUT without a non-empty userName with 400 invalidValue`,
      [put, get],
      { focus: 1 },
    )
  },
})

export const INVALID_CHECKS = [
  ...INVALID_MUTATIONS.filter((m) => Object.hasOwn(EXPECTATIONS, m.kind)).map(invalidPayloadCheck),
  usernameKept,
]
