import { describe, expect, test } from 'vitest'
import type { Exchange } from '../../http/exchange.ts'
import { judgeScimError } from './errors.ts'

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** An exchange whose response is `status` with `body` as JSON text (or as given, when a string). */
function answered(status: number, body: unknown): Exchange {
  const bodyText = typeof body === 'string' ? body : JSON.stringify(body)
  let parsed: unknown
  try {
    parsed = JSON.parse(bodyText)
  } catch {
    parsed = undefined
  }
  return {
    request: { method: 'PUT', url: 'http://127.0.0.1:1/Users/x', headers: {}, body: '{}' },
    response: {
      status,
      headers: { 'content-type': 'application/scim+json' },
      bodyText,
      body: parsed,
      truncated: false,
    },
    error: null,
    startedAt: new Date(0).toISOString(),
    durationMs: 1,
  }
}

describe('judgeScimError (RFC 7644 §3.12, SCIM-PUT-RULES 18)', () => {
  test.each([
    // The MUSTs: a JSON body, the Error URN, status as the HTTP code in a JSON string.
    { body: 'Bad Request', want: 'failed' },
    { body: { status: '400' }, want: 'failed' },
    { body: { schemas: [ERROR], status: 400 }, want: 'failed' },
    { body: { schemas: [ERROR], status: '409' }, want: 'failed' },
    { body: { schemas: [ERROR], status: '400' }, want: 'passed' },
    { body: { schemas: [ERROR], status: '400', scimType: 'invalidValue' }, want: 'passed' },
    // scimType is OPTIONAL and no MUST governs its value: a keyword for other operations, or none of Table 9, warns.
    { body: { schemas: [ERROR], status: '400', scimType: 'noTarget' }, want: 'warned' },
    { body: { schemas: [ERROR], status: '400', scimType: 'tooMany' }, want: 'warned' },
    { body: { schemas: [ERROR], status: '400', scimType: 'sensitive' }, want: 'warned' },
    { body: { schemas: [ERROR], status: '400', scimType: 'badRequest' }, want: 'warned' },
    { body: { schemas: [ERROR], status: '400', scimType: 'toString' }, want: 'warned' },
  ])('$body → $want', ({ body, want }) => {
    expect(judgeScimError(answered(400, body)).outcome).toBe(want)
  })
})
