import type { Exchange } from '../../../src/reference/hooks.ts'
import type { StoredUser } from '../../../src/reference/store.ts'
import { fault, isPut } from './fault.ts'

/** The media type of a Content-Type header, lower-cased, without parameters. */
const essence = (contentType: string | undefined) => (contentType ?? '').split(';')[0].trim().toLowerCase()

/** A fault refusing PUTs sent with one of the media types RFC 7644 §3.1 allows. */
const rejects = (mediaType: string) => () => ({
  request: (exchange: Exchange) =>
    isPut(exchange) && essence(exchange.headers['content-type']) === mediaType
      ? {
          status: 415,
          error: 'Content-Type must be application/scim+json or application/json.',
          reason: 'unsupported-media-type' as const,
        }
      : undefined,
})

/** RFC 9110 §13.1.1 strong comparison: a weak tag on either side never matches. */
function strongMatch(header: string, currentTag: string): boolean {
  const weak = (tag: string) => /^W\//i.test(tag)
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || (!weak(t) && !weak(currentTag) && t === currentTag))
}

/** Faults of authentication, routing, media types, If-Match and the addressed user. */
export const REQUEST_FAULTS = {
  'upsert-unknown-id': fault('PUT on an unknown id creates the user (201) instead of answering 404.', () => {
    // The PUT replaces a blank user at version 0 under the requested id, and is answered as a creation.
    const upserts = new WeakMap<Exchange, StoredUser>()
    return {
      target: ({ exchange, id, correct }) => {
        if (correct || !isPut(exchange)) return undefined
        const blank = { id, data: {}, groups: [], created: new Date().toISOString(), lastModified: 0, version: 0 }
        upserts.set(exchange, blank)
        return blank
      },
      // No stored version to compare with: the If-Match of an upsert is not evaluated.
      ifMatch: ({ exchange }) => (upserts.has(exchange) ? true : undefined),
      write: (call) => {
        if (call.operation === 'replace' && upserts.get(call.exchange) === call.previous)
          call.next.created = new Date(call.next.lastModified).toISOString()
      },
      response: ({ exchange, response }) => {
        const blank = upserts.get(exchange)
        if (!blank || response.status !== 200) return
        response.status = 201
        response.headers.Location = `${exchange.server.baseUrl}/Users/${encodeURIComponent(blank.id)}`
      },
    }
  }),
  'intermittent-500': fault('Every fifth PUT to the same user answers 500.', () => {
    // Counted per user, so that which of a client's PUTs fail does not depend on what other clients send meanwhile.
    const counts = new Map<string, number>()
    return {
      request: (exchange) => {
        if (!isPut(exchange) || exchange.id === undefined) return undefined
        const count = (counts.get(exchange.id) ?? 0) + 1
        counts.set(exchange.id, count)
        return count % 5 === 0 ? { status: 500, error: 'Internal server error.', reason: 'internal' } : undefined
      },
    }
  }),
  'scim-json-rejected': fault(
    'Requests with Content-Type application/scim+json are rejected with 415.',
    rejects('application/scim+json'),
  ),
  'json-rejected': fault(
    'PUT requests with Content-Type application/json are rejected with 415 (only application/scim+json is accepted).',
    rejects('application/json'),
  ),
  'content-type-ignored': fault(
    'The PUT request Content-Type is never checked: a JSON body sent as text/plain is parsed and applied.',
    () => ({
      request: (exchange) => {
        const type = essence(exchange.headers['content-type'])
        if (isPut(exchange) && type !== 'application/scim+json' && type !== 'application/json')
          exchange.headers['content-type'] = 'application/scim+json'
        return undefined
      },
    }),
  ),
  'attributes-param-ignored': fault('The `attributes` query parameter is ignored on PUT.', () => ({
    request: (exchange) => {
      if (!isPut(exchange)) return undefined
      for (const key of [...exchange.query.keys()])
        if (/^(attributes|excludedAttributes)$/i.test(key)) exchange.query.delete(key)
      return undefined
    },
  })),
  'if-match-ignored': fault('A stale If-Match is ignored and the PUT succeeds.', () => ({
    ifMatch: ({ exchange }) => (isPut(exchange) ? true : undefined),
  })),
  'if-match-strong': fault(
    'If-Match is compared strongly (RFC 9110 §13.1.1): the current weak ETag never matches, ' +
      'so every conditional PUT answers 412.',
    () => ({
      ifMatch: ({ exchange, header, currentTag }) => (isPut(exchange) ? strongMatch(header, currentTag) : undefined),
    }),
  ),
  'if-match-refused': fault(
    'With ETags enabled, any PUT carrying If-Match is answered 409 Conflict, even when the tag is the current one.',
    () => ({
      // The precondition is never evaluated: whatever the tag, the PUT is refused.
      ifMatch: ({ exchange }) => (isPut(exchange) ? false : undefined),
      error: ({ exchange, error }) => {
        if (!isPut(exchange) || error.reason !== 'precondition-failed') return
        Object.assign(error, { status: 409, detail: 'If-Match is not supported on PUT.', scimType: undefined })
      },
    }),
  ),
  'auth-ignored': fault('Requests without a valid bearer token are served.', () => ({ authorize: () => true })),
  'no-discovery': fault('/ServiceProviderConfig, /Schemas and /ResourceTypes answer 404.', () => ({
    request: (exchange) =>
      exchange.route === 'discovery'
        ? { status: 404, error: `No resource at ${exchange.path}.`, reason: 'not-found' }
        : undefined,
  })),
} as const
