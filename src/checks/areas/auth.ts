import type { CheckContext } from '../context.ts'
import { getAttr } from '../compare.ts'
import { defineCheck, verdict } from '../define-check.ts'
import { validPayloads } from '../probes/payloads.ts'
import { bodyObject, describeStatus, getUser, is2xx, noResponse, putUser, statusOf } from '../probes/requests.ts'
import { judgeError } from './errors.ts'

/** The statuses an auth failure may have: Table 8's 401, or what the vendor declares (Maia: 403) unless --strict-rfc. */
function expectedAuthStatuses(ctx: CheckContext): number[] {
  return ctx.run.strictRfc ? [401] : [...new Set([401, ...ctx.profile.authFailureStatuses])]
}

/**
 * SCIM-PUT-RULES 20, RFC 7644 Table 8: 401 "Authorization failure. The authorization header is invalid
 * or missing." Probed with an otherwise valid body, since servers may validate a body before auth.
 */
function authCheck(kind: 'missing' | 'invalid') {
  const id = kind === 'missing' ? 'put.auth.missing-token' : 'put.auth.invalid-token'
  return defineCheck({
    id,
    title:
      kind === 'missing'
        ? 'A PUT without credentials is refused (401) and changes nothing'
        : 'A PUT with a wrong token is refused (401) and changes nothing',
    level: 'MUST',
    source: 'RFC 7644 §2, §3.12 Table 8',
    area: 'auth',
    rule: 'Table 8: 401 Unauthorized, "Authorization failure. The authorization header is invalid or missing."',
    contract: (ctx) => (!ctx.run.strictRfc && !ctx.profile.authFailureStatuses.includes(401) ? 'vendor' : 'rfc'),
    users: 1,
    maxRuns: 3,
    skipIf: (ctx) =>
      ctx.run.authenticated
        ? null
        : 'no token configured (--token or SCIM_TOKEN): the target is tested without authentication',
    cases: (ctx) => validPayloads(ctx, id),
    async run(ctx, users, body) {
      const before = await getUser(ctx, users.ids[0])
      const put = await putUser(ctx, users.ids[0], body, {
        auth: kind === 'missing' ? 'none' : { bearer: 'scim-conformance-invalid-token' },
      })
      const after = await getUser(ctx, users.ids[0])
      const broken = noResponse([before, put, after])
      if (broken) return broken
      const status = statusOf(put)!
      const changed =
        getAttr(bodyObject(after), 'userName') !== getAttr(bodyObject(before), 'userName') ||
        JSON.stringify(getAttr(bodyObject(after), 'meta')) !== JSON.stringify(getAttr(bodyObject(before), 'meta'))
      if (changed || is2xx(put)) {
        return verdict(
          'failed',
          `Received: ${describeStatus(put)} for a PUT with ${kind === 'missing' ? 'no Authorization header' : 'a wrong bearer token'}${changed ? ', and the user changed' : ''}\nExpected: ${expectedAuthStatuses(ctx).join(' or ')}, nothing changed\n\nAuthenticate every request before acting on it`,
          [before, put, after],
          { focus: 1 },
        )
      }
      if (expectedAuthStatuses(ctx).includes(status)) {
        // SCIM-PUT-RULES 18/20: the refusal is an error like any other, so its body is held to §3.12's MUST (or the vendor's declared format).
        const body = judgeError(ctx, put)
        if (body.outcome === 'failed' || body.outcome === 'warned')
          return verdict(body.outcome, `The ${status} refusal's body: ${body.message}`, [before, put, after], {
            focus: 1,
          })
        return verdict('passed', `${status}, nothing changed`, [before, put, after])
      }
      if (status === 403 || status === 401)
        return verdict(
          'warned',
          `Received: ${status}\nExpected: ${expectedAuthStatuses(ctx).join(' or ')} (403 means authenticated but not permitted)`,
          [before, put, after],
          { focus: 1 },
        )
      return verdict(
        'warned',
        `Received: ${describeStatus(put)} for a request with ${kind === 'missing' ? 'no credentials' : 'a wrong token'} (nothing changed)\nExpected: ${expectedAuthStatuses(ctx).join(' or ')}`,
        [before, put, after],
        { focus: 1 },
      )
    },
  })
}

export const missingToken = authCheck('missing')
export const invalidToken = authCheck('invalid')

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
  rule: 'A SCIM service provider SHALL indicate supported HTTP authentication schemes via the WWW-Authenticate header; a 401 MUST carry at least one challenge.',
  users: 1,
  maxRuns: 2,
  skipIf: (ctx) =>
    ctx.run.authenticated
      ? null
      : 'no token configured (--token or SCIM_TOKEN): the target is tested without authentication',
  cases: (ctx) => validPayloads(ctx, 'put.auth.www-authenticate'),
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body, { auth: 'none' })
    const broken = noResponse([put])
    if (broken) return broken
    // Any other answer is put.auth.missing-token's to judge; a 403 (say) carries no challenge.
    if (statusOf(put) !== 401) return verdict('passed', `no 401 to judge (${describeStatus(put)})`, [put])
    const challenge = put.response!.headers['www-authenticate']?.trim()
    if (!challenge)
      return verdict(
        'failed',
        'Received: 401 without a WWW-Authenticate header\nExpected: a challenge naming the scheme, e.g. WWW-Authenticate: Bearer realm="SCIM"',
        [put],
      )
    return verdict('passed', `401 with WWW-Authenticate: ${challenge}`, [put], {
      traits: { 'auth.challenge': challenge.split(/[\s,]/)[0] },
    })
  },
})

export const AUTH_CHECKS = [missingToken, invalidToken, wwwAuthenticate]
