import type { Exchange } from '../../http/exchange.ts'
import { getAttr } from '../compare.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, violation, type Verdict } from '../define-check.ts'
import { describeRefusal } from '../probes/attribution.ts'
import { ownState } from '../probes/own-state.ts'
import { bodyObject, describeStatus, getUser, is2xx, noResponse, putUser, statusOf } from '../probes/requests.ts'
import { judgeError } from './errors.ts'

type Kind = 'missing' | 'invalid'

/** The statuses an auth failure may have: Table 8's 401, or the vendor's (Maia declares 403) unless --strict-rfc. */
function expectedAuthStatuses(ctx: CheckContext): number[] {
  return ctx.run.strictRfc ? [401] : [...new Set([401, ...ctx.profile.authFailureStatuses])]
}

const NO_TOKEN =
  'no credential configured (--token or SCIM_TOKEN, --basic, --oauth-token-url): ' +
  'the target is tested without authentication'
const needsToken = (ctx: CheckContext) => (ctx.run.authenticated ? null : NO_TOKEN)
/** What the negative case sends, in the run's own scheme: a made-up token, or the Basic user with a wrong password. */
const WRONG: Record<NonNullable<CheckContext['run']['authScheme']>, string> = {
  bearer: 'a wrong bearer token',
  basic: 'Basic credentials with a wrong password',
  oauth: 'a bearer token the token endpoint never issued',
}
const credentials = (ctx: CheckContext, kind: Kind) =>
  kind === 'missing' ? 'no Authorization header' : WRONG[ctx.run.authScheme ?? 'bearer']

/** The same PUT with and without valid credentials, and the user before and after the one without. */
interface AuthProbe {
  /** The test user's accepted state PUT with the run's token: the control that the body is acceptable. */
  control: Exchange
  before: Exchange
  put: Exchange
  after: Exchange
  changed: boolean
}

/**
 * RFC 7644 §2 and §3.12 Table 8 (401): probe auth with a body the server accepts with a token (many servers
 * validate a body before they authenticate, so a refusal of an invalid body says nothing of auth). The body is
 * the test user's own accepted state, PUT first with the token; a refusal there makes the case inconclusive.
 */
async function probeAuth(ctx: CheckContext, users: CheckUsers, kind: Kind): Promise<AuthProbe | Verdict> {
  const body = ownState(ctx, users)
  // The run's own credential, whatever its scheme (a static token, Basic, an OAuth token).
  const control = await putUser(ctx, users.ids[0], body)
  noResponse([control])
  if (!is2xx(control))
    return verdict(
      'inconclusive',
      `the test user's own accepted state PUT with the token answered ${describeRefusal(control)}: ` +
        'no body the server accepts to probe auth with',
      [control],
      { traits: { 'constraint.own-state': describeRefusal(control) } },
    )
  const before = await getUser(ctx, users.ids[0])
  const put = await putUser(ctx, users.ids[0], body, {
    auth: kind === 'missing' ? 'none' : 'wrong',
  })
  const after = await getUser(ctx, users.ids[0])
  noResponse([before, put, after])
  const changed =
    getAttr(bodyObject(after), 'userName') !== getAttr(bodyObject(before), 'userName') ||
    JSON.stringify(getAttr(bodyObject(after), 'meta')) !== JSON.stringify(getAttr(bodyObject(before), 'meta'))
  return { control, before, put, after, changed }
}

/**
 * RFC 7644 §2, Table 8: 401 "Authorization failure. The authorization header is invalid or missing."
 * A request without valid credentials is refused and changes nothing; the refusal is an error like any
 * other, so its body is held to §3.12's MUST (or the vendor's declared error format).
 */
async function judgeRefused(ctx: CheckContext, users: CheckUsers, kind: Kind): Promise<Verdict> {
  const probe = await probeAuth(ctx, users, kind)
  if ('outcome' in probe) return probe
  const { control, before, put, after, changed } = probe
  const exchanges = [control, before, put, after]
  const harm = changed ? ', and the user changed' : ''
  if (changed || is2xx(put))
    return violation(
      {
        received: `${describeStatus(put)} for a PUT with ${credentials(ctx, kind)}${harm}`,
        expected: `${expectedAuthStatuses(ctx).join(' or ')}, nothing changed (RFC 7644 §3.12 Table 8)`,
        fix: 'Authenticate every request before acting on it.',
      },
      exchanges,
      { focus: 2 },
    )
  const status = statusOf(put)!
  if (status < 400 || status >= 500)
    return verdict('inconclusive', `the PUT with ${credentials(ctx, kind)} answered ${describeStatus(put)}`, exchanges)
  const body = judgeError(ctx, put).finding
  if (body)
    return violation(
      { ...body, received: `the ${status} refusal of a PUT with ${credentials(ctx, kind)}: ${body.received}` },
      exchanges,
      { focus: 2 },
    )
  return verdict('passed', `${status}, nothing changed`, exchanges)
}

const REFUSED_RULE =
  'Table 8: 401 Unauthorized, "Authorization failure. The authorization header is invalid or missing." ' +
  '§3.12: "implementers MUST return the errors in the body of the response in a JSON format".'

export const missingToken = defineCheck({
  id: 'put.auth.missing-token',
  title: 'A PUT without credentials is refused and changes nothing',
  level: 'MUST',
  source: 'RFC 7644 §2, §3.12',
  area: 'auth',
  rule: REFUSED_RULE,
  users: 1,
  skipIf: needsToken,
  run: (ctx, users) => judgeRefused(ctx, users, 'missing'),
})

export const invalidToken = defineCheck({
  id: 'put.auth.invalid-token',
  title: 'A PUT with a wrong token is refused and changes nothing',
  level: 'MUST',
  source: 'RFC 7644 §2, §3.12',
  area: 'auth',
  rule: REFUSED_RULE,
  users: 1,
  skipIf: needsToken,
  run: (ctx, users) => judgeRefused(ctx, users, 'invalid'),
})

/**
 * RFC 7644 §3.12 Table 8 names 401 for an authorization header that is "invalid or missing", under
 * "Implementers SHOULD handle the identified HTTP status codes": a SHOULD, so a 403 warns.
 */
async function judgeStatus(ctx: CheckContext, users: CheckUsers, kind: Kind): Promise<Verdict> {
  const probe = await probeAuth(ctx, users, kind)
  if ('outcome' in probe) return probe
  const { control, before, put, after } = probe
  const exchanges = [control, before, put, after]
  const status = statusOf(put)!
  if (status < 400 || status >= 500)
    return verdict(
      'inconclusive',
      `the PUT with ${credentials(ctx, kind)} answered ${describeStatus(put)}, no refusal whose status to judge ` +
        `(put.auth.${kind}-token judges a request that was served)`,
      exchanges,
    )
  const expected = expectedAuthStatuses(ctx)
  if (expected.includes(status)) return verdict('passed', `${status} for ${credentials(ctx, kind)}`, exchanges)
  return violation(
    {
      received:
        `${describeRefusal(put)} for the test user's own state with ${credentials(ctx, kind)}, ` +
        `a body accepted with the token${status === 403 ? ' (403 means authenticated but not permitted)' : ''}`,
      expected: `${expected.join(' or ')} (RFC 7644 §3.12 Table 8)`,
      fix: 'Answer 401 with a WWW-Authenticate challenge when credentials are missing or invalid.',
    },
    exchanges,
    { focus: 2 },
  )
}

const STATUS_RULE =
  'Table 8: 401 Unauthorized, "Authorization failure. The authorization header is invalid or missing."'
/** The vendor's declared auth failure status (Maia: 403) is held unless --strict-rfc. */
const authContract = (ctx: CheckContext) =>
  !ctx.run.strictRfc && !ctx.profile.authFailureStatuses.includes(401) ? 'vendor' : 'rfc'

export const missingToken401 = defineCheck({
  id: 'put.auth.missing-token-401',
  title: 'A PUT without credentials is refused with 401',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 Table 8',
  area: 'auth',
  contract: authContract,
  rule: STATUS_RULE,
  users: 1,
  skipIf: needsToken,
  run: (ctx, users) => judgeStatus(ctx, users, 'missing'),
})

export const invalidToken401 = defineCheck({
  id: 'put.auth.invalid-token-401',
  title: 'A PUT with a wrong token is refused with 401',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 Table 8',
  area: 'auth',
  contract: authContract,
  rule: STATUS_RULE,
  users: 1,
  skipIf: needsToken,
  run: (ctx, users) => judgeStatus(ctx, users, 'invalid'),
})

/**
 * RFC 7644 §2: "a SCIM service provider SHALL indicate supported HTTP authentication schemes via the
 * "WWW-Authenticate" header"; RFC 9110 §11.6.1: a server generating a 401 "MUST send a WWW-Authenticate
 * header field containing at least one challenge". Judged on the 401 a PUT without credentials gets.
 */
export const wwwAuthenticate = defineCheck({
  id: 'put.auth.www-authenticate',
  title: 'A 401 names the authentication scheme in WWW-Authenticate',
  level: 'MUST',
  source: 'RFC 7644 §2; RFC 9110 §11.6.1',
  area: 'auth',
  rule:
    'A SCIM service provider SHALL indicate supported HTTP authentication schemes via the WWW-Authenticate header; ' +
    'a 401 MUST carry at least one challenge.',
  users: 1,
  skipIf: needsToken,
  async run(ctx, users) {
    const put = await putUser(ctx, users.ids[0], ownState(ctx, users), { auth: 'none' })
    noResponse([put])
    // A 403 (say) carries no challenge; put.auth.missing-token-401 judges the status.
    const status = statusOf(put)!
    if (status !== 401 && !ctx.run.strictRfc && ctx.profile.authFailureStatuses.includes(status))
      return verdict(
        'skipped',
        `Does not apply: the PUT without credentials answered ${status}, the status the vendor document declares ` +
          'for an auth failure, and only a 401 carries a challenge',
        [put],
      )
    if (status !== 401)
      return verdict('inconclusive', `no 401 to judge: the PUT without credentials answered ${describeStatus(put)}`, [
        put,
      ])
    const challenge = put.response!.headers['www-authenticate']?.trim()
    if (!challenge)
      return violation(
        {
          received: '401 without a WWW-Authenticate header',
          expected: 'a challenge naming the scheme, e.g. WWW-Authenticate: Bearer realm="SCIM" (RFC 9110 §11.6.1)',
        },
        [put],
      )
    return verdict('passed', `401 with WWW-Authenticate: ${challenge}`, [put], {
      traits: { 'auth.challenge': challenge.split(/[\s,]/)[0] },
    })
  },
})

export const AUTH_CHECKS = [missingToken, invalidToken, missingToken401, invalidToken401, wwwAuthenticate]
