import {
  expectationFor,
  INVALID_MUTATIONS,
  judgeOutcome,
  type Grade,
  type InvalidCase,
  type Mutation,
} from '../../generate/invalid-scim-user.ts'
import { getAttr } from '../compare.ts'
import { defineCheck, verdict, type CheckDefinition } from '../define-check.ts'
import type { Outcome } from '../types.ts'
import { validPayloads } from '../probes/payloads.ts'
import { bodyObject, getUser, is2xx, noResponse, putRaw, scimTypeOf, statusOf } from '../probes/requests.ts'
import { serverDeclares } from '../probes/server-schemas.ts'
import { requestProperties } from '../probes/slots.ts'
import type { CheckContext } from '../context.ts'

const OUTCOME: Record<Grade, Outcome> = { pass: 'passed', warn: 'warned', observe: 'observed', fail: 'failed' }

/** Kinds judged by a dedicated check that also inspects what was stored. */
const DEDICATED = new Set(['duplicate-username', 'duplicate-username-case-variant', 'readonly-id-mismatch'])

/**
 * One check per kind of invalid payload: the server's answer is graded against the set of outcomes the
 * RFC allows for that kind (SCIM-PUT-RULES 9, 13, 14, 19, 23, 26), never against one status code.
 */
function invalidPayloadCheck(m: Mutation): CheckDefinition<InvalidCase> {
  const id = `put.invalid.${m.kind}`
  return defineCheck({
    id,
    title: `Invalid payload (${m.violation}) gets an acceptable 4xx`,
    level: m.expect.level,
    source: m.rule,
    area: 'invalid',
    rule: m.expect.source,
    users: 1,
    // A heavy kind sends the same megabyte each time: a second case only confirms the first.
    maxRuns: m.cost === 'heavy' ? 2 : 10,
    skipIf: (ctx) =>
      m.appliesTo(ctx.profile) ? null : `the vendor's request schema has nothing to break this way (${m.violation})`,
    cases: (ctx, users) => m.arbitrary(ctx.profile, { base: validPayloads(ctx, id), pathId: users.ids[0] }),
    async run(ctx, users, c) {
      const put = await putRaw(ctx, users.ids[0], c.body, c.contentType)
      const broken = noResponse([put])
      if (broken) return broken
      const { grade, reason } = judgeOutcome(expectationFor(c.expect, ctx.profile), {
        status: statusOf(put)!,
        scimType: scimTypeOf(put),
      })
      const message = `${reason}\n(case: ${c.violation})`
      // A wrong type in an attribute the server's /Schemas does not declare is, to that server, an unknown
      // attribute: RFC 7644 is silent on those in a PUT (SCIM-PUT-RULES 14), so ignoring it is observed.
      const undeclared = m.kind === 'wrong-type' && is2xx(put) ? undeclaredTarget(ctx, c.violation) : null
      if (undeclared)
        return verdict(
          'observed',
          `Received ${statusOf(put)}: observe (the server's /Schemas does not declare ${undeclared}, so to it this is an unknown attribute, which it ignored; RFC 7644 §3.5.1 is silent on unknown attributes).\n(case: ${c.violation})`,
          [put],
        )
      // Rule 9: a 2xx that left the user without a userName fails; one that kept it is a warning.
      if ((grade === 'fail' || grade === 'warn') && is2xx(put) && c.expect.verifyUserName) {
        const get = await getUser(ctx, users.ids[0])
        const kept =
          typeof getAttr(bodyObject(get), 'userName') === 'string' &&
          String(getAttr(bodyObject(get), 'userName')).trim() !== ''
        return verdict(
          kept ? 'warned' : 'failed',
          `${message}\n${kept ? 'The user kept its userName (rule 9: warn).' : 'GET shows the user without a userName: every User MUST have a non-empty userName.'}`,
          [put, get],
        )
      }
      return verdict(OUTCOME[grade], message, [put])
    },
  })
}

/** The top-level attribute a wrong-type case breaks (its violation starts with the attribute's path), when the server does not declare it. */
function undeclaredTarget(ctx: CheckContext, violation: string): string | null {
  const names = Object.keys(requestProperties(ctx.profile)).sort((a, b) => b.length - a.length)
  const name = names.find((n) => violation.startsWith(n) && /^[.[:]/.test(violation.slice(n.length)))
  return name !== undefined && !serverDeclares(ctx, name) ? name : null
}

export const INVALID_CHECKS = INVALID_MUTATIONS.filter((m) => !DEDICATED.has(m.kind)).map(invalidPayloadCheck)
