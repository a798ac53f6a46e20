import fc from 'fast-check'
import { defineCheck, verdict } from '../define-check.ts'
import { validPayloads } from '../probes/payloads.ts'
import { describeStatus, is2xx, noResponse, putRaw } from '../probes/requests.ts'

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
export const MEDIA_CHECKS = [requestScimJson, requestJson]
