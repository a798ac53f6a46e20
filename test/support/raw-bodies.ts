import { type Answer, type Serve, scimError } from './fake-target.ts'

/** The media types RFC 7644 §3.1 lets a request body use. */
const SCIM_MEDIA = /^application\/(scim\+)?json\b/i

/**
 * A fake target's script that reads raw bodies (the invalid and media-type probes send them) as
 * `correctServer` reads JSON ones: a body that parses to a JSON object is handed on as `json`; a
 * Content-Type other than SCIM's JSON types answers 415, a body that does not parse 400 invalidSyntax.
 */
export function readingRawBodies(serve: Serve): Serve {
  return (request) => {
    if (request.rawBody === undefined) return serve(request)
    if (request.contentType && !SCIM_MEDIA.test(request.contentType)) return scimError(415)
    const text = typeof request.rawBody === 'string' ? request.rawBody : new TextDecoder().decode(request.rawBody)
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return scimError(400, 'invalidSyntax', 'The request body is not valid JSON.')
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      return scimError(400, 'invalidSyntax', 'The request body is not a JSON object.')
    return serve({ ...request, rawBody: undefined, json })
  }
}

/** An answer with its Content-Type replaced. */
export function withMediaType(answer: Answer, mediaType: string): Answer {
  return { ...answer, headers: { ...answer.headers, 'content-type': mediaType } }
}
