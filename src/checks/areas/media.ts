import type { Exchange } from '../../http/exchange.ts'
import { isJsonMedia } from '../../openapi/put-user-operation.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, violation, type Verdict } from '../define-check.ts'
import { describeRefusal, refusedByConstraint, sendControl } from '../probes/attribution.ts'
import { declaredSchemaFor, mediaTypeOf } from '../probes/declared.ts'
import { errorCases, inCase, sendErrorCase } from '../probes/error-cases.ts'
import { ownState } from '../probes/own-state.ts'
import { is2xx, noResponse, putRaw, statusOf } from '../probes/requests.ts'

const SCIM_JSON = 'application/scim+json'

/** Whether the test user's own accepted state, sent as `type`, is accepted; the other JSON type is the control. */
async function judgeType(ctx: CheckContext, users: CheckUsers, type: string, other: string): Promise<Verdict> {
  const body = JSON.stringify(ownState(ctx, users))
  const put = await putRaw(ctx, users.ids[0], body, type)
  noResponse([put])
  if (is2xx(put)) return verdict('passed', `${type} accepted`, [put])
  const status = statusOf(put)!
  if (status < 400 || status >= 500)
    return verdict('inconclusive', `the PUT sent as ${type} answered ${describeRefusal(put)}`, [put])
  const refusedMedia = (exchanges: Exchange[], why: string) =>
    violation(
      {
        received: `${describeRefusal(put)} for the test user's own accepted state sent as ${type}${why}`,
        expected: `2xx: a JSON body sent as ${type} accepted (RFC 7644 §3.8, §8.1)`,
        fix: `Accept ${type}.`,
      },
      exchanges,
    )
  // 415 Unsupported Media Type names the media type itself as the reason (RFC 9110 §15.5.16).
  if (status === 415) return refusedMedia([put], '')
  // Any other refusal: the same body sent as the other JSON media type is the control.
  const { control, accepted } = await sendControl(() => putRaw(ctx, users.ids[0], body, other))
  if (accepted) return refusedMedia([put, control], `, while the same body sent as ${other} was accepted`)
  return refusedByConstraint({
    what: `the PUT of the test user's own state sent as ${type}`,
    without: `the same body sent as ${other}`,
    refused: put,
    control,
    exchanges: [put, control],
    key: 'own-state',
  })
}

/** One case: each media type in turn (with and without a charset), the first refusal the finding. */
async function judgeTypes(ctx: CheckContext, users: CheckUsers, types: string[], other: string): Promise<Verdict> {
  const sent: Exchange[] = []
  for (const type of types) {
    const v = await judgeType(ctx, users, type, other)
    if (v.outcome !== 'passed') return { ...v, exchanges: [...sent, ...v.exchanges], focus: sent.length }
    sent.push(...v.exchanges)
  }
  return verdict('passed', `${types.join(' and ')} accepted`, sent)
}

/**
 * RFC 7644 §3.8/§8.1: application/scim+json is SCIM's media type; a server must
 * accept it, and should accept application/json, with or without a charset parameter. The body is the
 * test user's own accepted state, so the media type is the only thing the probe changes.
 */
export const requestScimJson = defineCheck({
  id: 'put.media.request-scim-json',
  title: 'A body sent as application/scim+json is accepted',
  level: 'MUST',
  source: 'RFC 7644 §3.8; §3.1, §8.1',
  area: 'media',
  rule:
    '§3.8: "Servers MUST accept requests and be able to return JSON-structured responses using UTF-8 encoding"; ' +
    "application/scim+json is SCIM's JSON media type (§3.1, §8.1).",
  users: 1,
  run: (ctx, users) => judgeTypes(ctx, users, [SCIM_JSON, `${SCIM_JSON}; charset=utf-8`], 'application/json'),
})

export const requestJson = defineCheck({
  id: 'put.media.request-json',
  title: 'A body sent as application/json is accepted',
  level: 'SHOULD',
  source: 'RFC 7644 §8.1',
  area: 'media',
  rule:
    '§8.1: "For most client types, it is sufficient to recognize the content as equivalent to "application/json"": ' +
    'a server should accept application/json bodies too (rejected → warn).',
  users: 1,
  run: (ctx, users) => judgeTypes(ctx, users, ['application/json', 'application/json; charset=utf-8'], SCIM_JSON),
})

function anyDeclaration(ctx: CheckContext, pattern: RegExp, media: string | null) {
  const first = Object.keys(ctx.profile.op.responses).find((s) => pattern.test(s))
  return first ? declaredSchemaFor(ctx.profile, Number(first), media) : null
}

/**
 * RFC 7644 §8.1: a JSON response is application/scim+json, or the type the vendor
 * document declares for it; another type warns. application/scim+json is never a deviation, even where
 * the document declares only application/json: observed (the spec audit reports the document).
 */
function judgeMediaType(ctx: CheckContext, e: Exchange, what: 'response' | 'error'): Verdict {
  const status = statusOf(e)!
  const media = mediaTypeOf(e)
  const raw = e.response!.headers['content-type'] ?? null
  // A status the document does not list is held to the media type it declares for the others of its class.
  const declared =
    declaredSchemaFor(ctx.profile, status, media) ?? anyDeclaration(ctx, what === 'error' ? /^[45]/ : /^2/, media)
  const vendor = !ctx.run.strictRfc && declared !== null
  if (media === SCIM_JSON) {
    if (vendor && !declared.mediaMatches)
      return verdict(
        'observed',
        `${status} sent as ${SCIM_JSON}, SCIM's own media type (RFC 7644 §8.1), where the vendor document ` +
          `declares ${declared.media.mediaType}: not a deviation`,
        [e],
        { traits: { [`media.${what}`]: `${SCIM_JSON} (the document declares ${declared.media.mediaType})` } },
      )
    return verdict('passed', `Content-Type ${SCIM_JSON}`, [e])
  }
  if (media && isJsonMedia(media) && vendor && declared.mediaMatches)
    return verdict('passed', `Content-Type ${media}, as the vendor document declares for ${status}`, [e])
  const other = vendor && declared.media.mediaType !== SCIM_JSON ? declared.media.mediaType : null
  const orDeclared = other ? ` or ${other} as the vendor document declares for ${status}` : ''
  return violation(
    {
      received: `${status} with Content-Type ${JSON.stringify(raw)}`,
      expected: `${SCIM_JSON} (RFC 7644 §8.1)${orDeclared}`,
      fix: `Send ${what === 'error' ? 'error' : 'JSON'} responses as ${SCIM_JSON}.`,
    },
    [e],
  )
}

/** RFC 7644 §3.1/§8.1: a successful PUT answers JSON of SCIM's (or the declared) media type. */
export const responseContentType = defineCheck({
  id: 'put.media.response-content-type',
  title: 'A successful PUT answers application/scim+json (or the JSON type the vendor declares)',
  level: 'SHOULD',
  source: 'RFC 7644 §8.1, §3.8; vendor OpenAPI responses',
  area: 'media',
  rule: 'SCIM responses use the media type application/scim+json; the operation declares the media types it returns.',
  users: 1,
  async run(ctx, users) {
    const e = await putRaw(ctx, users.ids[0], JSON.stringify(ownState(ctx, users)), ctx.profile.requestMediaType)
    noResponse([e])
    // The request is the control itself: a refusal means the server refuses even what it stored.
    if (!is2xx(e))
      return verdict(
        'inconclusive',
        `the test user's own accepted state PUT back answered ${describeRefusal(e)}: ` +
          'no successful response to judge',
        [e],
        { traits: { 'constraint.own-state': describeRefusal(e) } },
      )
    if (!e.response!.bodyText)
      return verdict('inconclusive', `${statusOf(e)} without a body: no Content-Type to judge`, [e])
    return judgeMediaType(ctx, e, 'response')
  },
})

/** RFC 7644 §8.1, §3.12: error responses too are application/scim+json, unless the vendor declares another. */
export const errorContentType = defineCheck({
  id: 'put.media.error-content-type',
  title: 'Error responses are application/scim+json (or the type the vendor declares for errors)',
  level: 'SHOULD',
  source: 'RFC 7644 §8.1, §3.12; vendor OpenAPI responses',
  area: 'media',
  rule:
    'Every JSON response, error responses included, is application/scim+json; other → warn, unless the vendor ' +
    'document declares that type for errors.',
  users: 2,
  cases: (ctx, users) => errorCases(ctx, users),
  async run(ctx, users, input) {
    const e = await sendErrorCase(ctx, users, input)
    if ('outcome' in e) return e
    noResponse([e])
    const status = statusOf(e)!
    if (status < 400) return verdict('inconclusive', `no error to judge: ${input.label} answered ${status}`, [e])
    if (!e.response!.bodyText) return verdict('inconclusive', `${status} without a body: no Content-Type to judge`, [e])
    return inCase(judgeMediaType(ctx, e, 'error'), input.label)
  },
})

export const MEDIA_CHECKS = [requestScimJson, requestJson, responseContentType, errorContentType]
