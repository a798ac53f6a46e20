import fc from 'fast-check'
import { INVALID_MUTATIONS, mutation, type InvalidCase } from '../../generate/invalid-scim-user.ts'
import type { Exchange } from '../../http/exchange.ts'
import { getAttr } from '../compare.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, violation, type Verdict } from '../define-check.ts'
import { expectationOf, judgeOutcome, type Grade } from '../expectation.ts'
import { refusedByConstraint, sendControl } from '../probes/attribution.ts'
import { inCase } from '../probes/error-cases.ts'
import { invalidCases } from '../probes/mixed-cases.ts'
import { ownState, ownStateControl, ownStateRefused } from '../probes/own-state.ts'
import { isRefusal, judgeRefusal, REFUSAL_RULE } from '../probes/refusal-unchanged.ts'
import {
  bodyObject,
  describeStatus,
  getUser,
  is2xx,
  noResponse,
  putRaw,
  putUser,
  scimTypeOf,
  statusOf,
} from '../probes/requests.ts'
import { serverDeclares } from '../probes/server-schemas.ts'
import { requestProperties } from '../probes/slots.ts'

/** The verdict of a grade that keeps the rule (a `violated` grade is built with its finding). */
const OUTCOME: Record<Exclude<Grade, 'violated'>, 'passed' | 'observed'> = { pass: 'passed', observe: 'observed' }

/**
 * The cases of a kind, built on the test user's own accepted state: the mutation is then the only thing
 * the request changes, so a refusal is the server's answer to it (attribution by control).
 */
function casesOn(ctx: CheckContext, users: CheckUsers, kind: string): fc.Arbitrary<InvalidCase> {
  return mutation(kind).arbitrary(ctx.profile, { base: fc.constant(ownState(ctx, users)), pathId: users.ids[0] })
}

/** Why a kind does not apply to the vendor (its request schema has nothing to break this way), or null. */
function notApplicable(ctx: CheckContext, kind: string): string | null {
  const m = mutation(kind)
  return m.appliesTo(ctx.profile) ? null : `the vendor's request schema has nothing to break this way (${m.violation})`
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
  // Some User of the target already holds "" (the run's own users never do: src/run/blank-username.ts): the
  // 409 answers that, not the empty userName (RFC 7644 §3.5.1: a PUT that would duplicate a unique value).
  if (c.kind === 'username-empty' && statusOf(put) === 409)
    return {
      verdict: verdict(
        'inconclusive',
        `the PUT (${c.violation}) was refused with 409: another User of the target already holds userName "", ` +
          'so the refusal says nothing of an empty userName',
        [put],
      ),
      exchanges: [put],
    }
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
 * Grades the server's answer to one invalid case against the set of outcomes the RFC allows for its kind
 * (src/checks/expectation.ts; RFC 7644 §3.12 Tables 8 and 9), never against one status code.
 */
async function judgeInvalid(ctx: CheckContext, users: CheckUsers, c: InvalidCase): Promise<Verdict> {
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
  const { grade, reason, finding } = judgeOutcome(expectationOf(c.kind), { status, scimType })
  // A wrong type in an attribute the server's /Schemas does not declare is, to that server, an unknown
  // attribute: RFC 7644 §3.5.1 is silent on those in a PUT, so ignoring it is observed.
  const undeclared = c.kind === 'wrong-type' && is2xx(put) ? undeclaredTarget(ctx, c.violation) : null
  if (undeclared)
    return verdict(
      'observed',
      `Received ${status}: observe (the server's /Schemas does not declare ${undeclared}, so to it this is an ` +
        'unknown attribute, which it ignored; RFC 7644 §3.5.1 is silent on unknown attributes).' +
        `\n(case: ${c.violation})`,
      exchanges,
    )
  if (grade === 'violated') return inCase(violation(finding, exchanges), c.violation)
  // RFC 7644 §3.12: scimType is OPTIONAL, so a refusal's keyword, or its absence, is a pass with an observation.
  const refused = status >= 400 && status < 500 && ctx.profile.error.format !== 'problem'
  return verdict(OUTCOME[grade], `${reason}\n(case: ${c.violation})`, exchanges, {
    traits: grade === 'pass' && refused ? { [`scimType.${c.kind}`]: scimType ?? 'none' } : undefined,
  })
}

/*
 * One check per kind of invalid payload, graded at the level of the rule that decides it: the level is
 * the kind's expectation's (src/checks/expectation.ts; a test holds the two equal), its rule the RFC text
 * that expectation cites.
 */

export const usernameMissing = defineCheck({
  id: 'put.invalid.username-missing',
  title: 'Invalid payload (userName missing) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7643 §4.1.1; RFC 7644 §3.5.1',
  area: 'invalid',
  rule: expectationOf('username-missing').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'username-missing'),
  cases: (ctx, users) => casesOn(ctx, users, 'username-missing'),
  run: judgeInvalid,
})

export const usernameEmpty = defineCheck({
  id: 'put.invalid.username-empty',
  title: 'Invalid payload (userName is the empty string) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7643 §4.1.1',
  area: 'invalid',
  rule: expectationOf('username-empty').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'username-empty'),
  cases: (ctx, users) => casesOn(ctx, users, 'username-empty'),
  run: judgeInvalid,
})

export const usernameNull = defineCheck({
  id: 'put.invalid.username-null',
  title: 'Invalid payload (userName is null) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7643 §4.1.1; RFC 7644 §3.5.1',
  area: 'invalid',
  rule: expectationOf('username-null').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'username-null'),
  cases: (ctx, users) => casesOn(ctx, users, 'username-null'),
  run: judgeInvalid,
})

export const schemasMissing = defineCheck({
  id: 'put.invalid.schemas-missing',
  title: 'Invalid payload (schemas missing) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7643 §3',
  area: 'invalid',
  rule: expectationOf('schemas-missing').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'schemas-missing'),
  cases: (ctx, users) => casesOn(ctx, users, 'schemas-missing'),
  run: judgeInvalid,
})

export const schemasEmpty = defineCheck({
  id: 'put.invalid.schemas-empty',
  title: 'Invalid payload (schemas is []) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7643 §3',
  area: 'invalid',
  rule: expectationOf('schemas-empty').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'schemas-empty'),
  cases: (ctx, users) => casesOn(ctx, users, 'schemas-empty'),
  run: judgeInvalid,
})

export const schemasWithoutCore = defineCheck({
  id: 'put.invalid.schemas-without-core',
  title: 'Invalid payload (schemas lacks urn:ietf:params:scim:schemas:core:2.0:User) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7643 §3',
  area: 'invalid',
  rule: expectationOf('schemas-without-core').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'schemas-without-core'),
  cases: (ctx, users) => casesOn(ctx, users, 'schemas-without-core'),
  run: judgeInvalid,
})

export const schemasUnknownUrn = defineCheck({
  id: 'put.invalid.schemas-unknown-urn',
  title:
    'Invalid payload (schemas lists an unknown URN ' +
    '(urn:example:params:scim:schemas:extension:scimc-unknown:2.0:User)) gets an acceptable 4xx',
  level: 'MAY',
  source: 'RFC 7643 §3',
  area: 'invalid',
  rule: expectationOf('schemas-unknown-urn').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'schemas-unknown-urn'),
  cases: (ctx, users) => casesOn(ctx, users, 'schemas-unknown-urn'),
  run: judgeInvalid,
})

export const wrongType = defineCheck({
  id: 'put.invalid.wrong-type',
  title: 'Invalid payload (an attribute has the wrong JSON type) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12',
  area: 'invalid',
  rule: expectationOf('wrong-type').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'wrong-type'),
  cases: (ctx, users) => casesOn(ctx, users, 'wrong-type'),
  run: judgeInvalid,
})

export const twoPrimaries = defineCheck({
  id: 'put.invalid.two-primaries',
  title: 'Invalid payload (two entries of a multi-valued attribute have primary: true) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7643 §2.4',
  area: 'invalid',
  rule: expectationOf('two-primaries').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'two-primaries'),
  cases: (ctx, users) => casesOn(ctx, users, 'two-primaries'),
  run: judgeInvalid,
})

export const notJson = defineCheck({
  id: 'put.invalid.not-json',
  title: 'Invalid payload (the body is not JSON) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12',
  area: 'invalid',
  rule: expectationOf('not-json').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'not-json'),
  cases: (ctx, users) => casesOn(ctx, users, 'not-json'),
  run: judgeInvalid,
})

export const truncatedJson = defineCheck({
  id: 'put.invalid.truncated-json',
  title: 'Invalid payload (the body is JSON cut short) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12',
  area: 'invalid',
  rule: expectationOf('truncated-json').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'truncated-json'),
  cases: (ctx, users) => casesOn(ctx, users, 'truncated-json'),
  run: judgeInvalid,
})

export const jsonArrayBody = defineCheck({
  id: 'put.invalid.json-array-body',
  title: 'Invalid payload (the body is a JSON array, not an object) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12',
  area: 'invalid',
  rule: expectationOf('json-array-body').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'json-array-body'),
  cases: (ctx, users) => casesOn(ctx, users, 'json-array-body'),
  run: judgeInvalid,
})

export const jsonScalarBody = defineCheck({
  id: 'put.invalid.json-scalar-body',
  title: 'Invalid payload (the body is a JSON scalar, not an object) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12',
  area: 'invalid',
  rule: expectationOf('json-scalar-body').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'json-scalar-body'),
  cases: (ctx, users) => casesOn(ctx, users, 'json-scalar-body'),
  run: judgeInvalid,
})

export const emptyBody = defineCheck({
  id: 'put.invalid.empty-body',
  title: 'Invalid payload (the body is empty) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12',
  area: 'invalid',
  rule: expectationOf('empty-body').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'empty-body'),
  cases: (ctx, users) => casesOn(ctx, users, 'empty-body'),
  run: judgeInvalid,
})

export const oversizeBody = defineCheck({
  id: 'put.invalid.oversize-body',
  title: 'Invalid payload (the body is over 1 MiB (an unknown attribute padded)) gets an acceptable 4xx',
  level: 'MAY',
  source: 'RFC 7644 §3.12; RFC 9110 §15.5.14',
  area: 'invalid',
  rule: expectationOf('oversize-body').source,
  users: 1,
  maxRuns: 2,
  skipIf: (ctx) => notApplicable(ctx, 'oversize-body'),
  cases: (ctx, users) => casesOn(ctx, users, 'oversize-body'),
  run: judgeInvalid,
})

export const wrongContentType = defineCheck({
  id: 'put.invalid.wrong-content-type',
  title: 'Invalid payload (a valid JSON body sent as text/plain) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7644 §8.1; RFC 9110 §15.5.16',
  area: 'invalid',
  rule: expectationOf('wrong-content-type').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'wrong-content-type'),
  cases: (ctx, users) => casesOn(ctx, users, 'wrong-content-type'),
  run: judgeInvalid,
})

export const deeplyNested = defineCheck({
  id: 'put.invalid.deeply-nested',
  title: 'Invalid payload (a value nested 1000 deep where a string is declared) gets an acceptable 4xx',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12',
  area: 'invalid',
  rule: expectationOf('deeply-nested').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'deeply-nested'),
  cases: (ctx, users) => casesOn(ctx, users, 'deeply-nested'),
  run: judgeInvalid,
})

export const unknownAttribute = defineCheck({
  id: 'put.invalid.unknown-attribute',
  title: 'Invalid payload (a valid body plus an attribute no schema declares) gets an acceptable 4xx',
  level: 'MAY',
  source: 'RFC 7644 §3.5.1',
  area: 'invalid',
  rule: expectationOf('unknown-attribute').source,
  users: 1,
  maxRuns: 5,
  skipIf: (ctx) => notApplicable(ctx, 'unknown-attribute'),
  cases: (ctx, users) => casesOn(ctx, users, 'unknown-attribute'),
  run: judgeInvalid,
})

/**
 * The top-level attribute a wrong-type case breaks (its violation starts with the attribute's path), when the
 * server does not declare it.
 */
function undeclaredTarget(ctx: CheckContext, violation: string): string | null {
  const names = Object.keys(requestProperties(ctx.profile)).sort((a, b) => b.length - a.length)
  const name = names.find((n) => violation.startsWith(n) && /^[.[:]/.test(violation.slice(n.length)))
  return name !== undefined && !serverDeclares(ctx, name) ? name : null
}

/** Kinds whose 2xx could leave the user without a userName: userName absent, empty or null, or not a JSON object. */
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
 * RFC 7643 §4.1.1: userName "is REQUIRED" ("Each User MUST include a non-empty userName value"). Whatever
 * a server answers to a body without a usable userName, the user keeps one: a 2xx that clears it fails; a
 * refusal, or a 2xx that kept the old one (put.invalid.username-* warn on it), holds.
 */
export const usernameKept = defineCheck({
  id: 'put.invalid.username-kept',
  title: 'No PUT leaves the user without a userName',
  level: 'MUST',
  source: 'RFC 7643 §4.1.1; RFC 7644 §3.5.1',
  area: 'invalid',
  rule:
    'userName: "Unique identifier for the User ... This attribute is REQUIRED" (RFC 7643 §4.1.1): ' +
    'a PUT without a non-empty userName never leaves the User without one.',
  users: 1,
  maxRuns: 3,
  // Every kind in every case (not one drawn at random): a few runs must not miss the one kind a server gets wrong.
  cases: (ctx, users): fc.Arbitrary<InvalidCase | InvalidCase[]> =>
    fc.tuple(...USERNAME_AT_RISK.map((kind) => casesOn(ctx, users, kind))),
  async run(ctx, users, input) {
    const verdicts: Verdict[] = []
    for (const c of Array.isArray(input) ? input : [input]) {
      const v = await judgeKept(ctx, users, c)
      if (v.outcome === 'violated') return v
      verdicts.push(v)
    }
    return verdicts.find((v) => v.outcome === 'passed') ?? verdicts[0]
  },
})

/** One PUT at risk of clearing userName, judged: refused, or accepted with the userName kept. */
async function judgeKept(ctx: CheckContext, users: CheckUsers, c: InvalidCase): Promise<Verdict> {
  {
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
    return violation(
      {
        received: `${status} for a PUT (${c.violation}), and GET shows userName ${JSON.stringify(stored ?? null)}`,
        expected: '400 (or the old userName kept): every User MUST include a non-empty userName (RFC 7643 §4.1.1)',
        fix: 'Refuse a PUT without a non-empty userName with 400 invalidValue.',
      },
      [put, get],
      { focus: 1 },
    )
  }
}

/** Every kind of invalid PUT but the megabyte ones (their own put.invalid.* checks send those). */
const LIGHT_KINDS = INVALID_MUTATIONS.filter((m) => m.cost !== 'heavy')

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
  cases: (ctx, users) => invalidCases(ctx, users, LIGHT_KINDS),
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

/** The checks of one invalid kind each: their cases are the kind's InvalidCase. */
export const INVALID_KIND_CHECKS = [
  usernameMissing,
  usernameEmpty,
  usernameNull,
  schemasMissing,
  schemasEmpty,
  schemasWithoutCore,
  schemasUnknownUrn,
  wrongType,
  twoPrimaries,
  notJson,
  truncatedJson,
  jsonArrayBody,
  jsonScalarBody,
  emptyBody,
  oversizeBody,
  wrongContentType,
  deeplyNested,
  unknownAttribute,
]

export const INVALID_CHECKS = [...INVALID_KIND_CHECKS, usernameKept, refusalUnchanged]
