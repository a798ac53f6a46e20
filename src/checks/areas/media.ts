import fc from 'fast-check'
import type { CheckContext } from '../context.ts'
import { isJsonMedia } from '../../openapi/put-user-operation.ts'
import { defineCheck, verdict } from '../define-check.ts'
import { declaredSchemaFor, mediaTypeOf } from '../probes/declared.ts'
import { validPayloads } from '../probes/payloads.ts'
import { describeStatus, is2xx, noResponse, putRaw, statusOf } from '../probes/requests.ts'

/**
 * SCIM-PUT-RULES 26, RFC 7644 §3.8/§8.1: application/scim+json is SCIM's media type; a server must
 * accept it, and should accept application/json, with or without a charset parameter.
 */
function requestMediaCheck(kind: 'scim' | 'json') {
  const id = kind === 'scim' ? 'put.media.request-scim-json' : 'put.media.request-json'
  const types =
    kind === 'scim'
      ? ['application/scim+json', 'application/scim+json; charset=utf-8']
      : ['application/json', 'application/json; charset=utf-8']
  return defineCheck({
    id,
    title:
      kind === 'scim'
        ? 'A body sent as application/scim+json is accepted'
        : 'A body sent as application/json is accepted',
    level: kind === 'scim' ? 'MUST' : 'SHOULD',
    source: kind === 'scim' ? 'RFC 7644 §3.8; §3.1, §8.1' : 'RFC 7644 §8.1; SCIM-PUT-RULES 26',
    area: 'media',
    rule:
      kind === 'scim'
        ? '§3.8: "Servers MUST accept requests and be able to return JSON-structured responses using UTF-8 encoding"; application/scim+json is SCIM\'s JSON media type (§3.1, §8.1).'
        : '§8.1: "For most client types, it is sufficient to recognize the content as equivalent to "application/json"": a server should accept application/json bodies too (rejected → warn).',
    users: 1,
    maxRuns: 4,
    cases: (ctx) => fc.tuple(validPayloads(ctx, id), fc.constantFrom(...types)),
    async run(ctx, users, [body, type]) {
      const put = await putRaw(ctx, users.ids[0], JSON.stringify(body), type)
      if (noResponse([put])) return noResponse([put])!
      if (is2xx(put)) return verdict('passed', `${type} accepted`, [put])
      return verdict(
        kind === 'scim' ? 'failed' : 'warned',
        `Received: ${describeStatus(put)} for a valid body sent as ${type}\nExpected: 200\n\nAccept ${type}`,
        [put],
      )
    },
  })
}

export const requestScimJson = requestMediaCheck('scim')
export const requestJson = requestMediaCheck('json')
function anySuccessDeclaration(ctx: CheckContext, status: number, media: string | null) {
  const first = Object.keys(ctx.profile.op.responses).find((s) => /^2/.test(s))
  return first && /^2/.test(String(status)) ? declaredSchemaFor(ctx.profile, Number(first), media) : null
}

/** RFC 7644 §3.1/§8.1 and SCIM-PUT-RULES 26: responses are JSON of the declared media type. */
export const responseContentType = defineCheck({
  id: 'put.media.response-content-type',
  title: 'Response Content-Type is a JSON type the vendor declares (application/scim+json per the RFC)',
  level: 'SHOULD',
  source: 'RFC 7644 §8.1, §3.8; vendor OpenAPI responses',
  area: 'media',
  rule: 'SCIM responses use the media type application/scim+json; the operation declares the media types it returns.',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx, 'put.media.response-content-type'),
  async run(ctx, users, body) {
    const e = await putRaw(ctx, users.ids[0], JSON.stringify(body), ctx.profile.requestMediaType)
    const broken = noResponse([e])
    if (broken) return broken
    const status = statusOf(e)!
    if (status === 204 || !e.response!.bodyText) return verdict('passed', 'no body', [e])
    const media = mediaTypeOf(e)
    // SCIM-PUT-RULES 26 grades any other response media type a warning; a body that is not JSON fails elsewhere (success-200, errors.format).
    if (!media || !isJsonMedia(media))
      return verdict(
        'warned',
        `Received: ${status} with Content-Type ${JSON.stringify(e.response!.headers['content-type'] ?? null)}\nExpected: application/scim+json (or the JSON type the vendor declares)\n\nSend JSON responses with a JSON media type`,
        [e],
      )
    // A success status the document does not list (put.status.declared judges that) is held to the media type it declares for the others.
    const declared = declaredSchemaFor(ctx.profile, status, media) ?? anySuccessDeclaration(ctx, status, media)
    if (declared && !declared.mediaMatches)
      return verdict(
        'warned',
        `Received: Content-Type ${media}\nExpected: ${declared.media.mediaType} as the vendor document declares for ${status}`,
        [e],
      )
    if (!declared && media !== 'application/scim+json')
      return verdict('warned', `Received: Content-Type ${media}\nExpected: application/scim+json`, [e])
    return verdict('passed', `Content-Type ${media}`, [e])
  },
})

export const MEDIA_CHECKS = [requestScimJson, requestJson, responseContentType]
