import type { SendOptions } from '../../src/http/client.ts'
import { type Answer, correctServer, type Serve, scimError } from './fake-target.ts'

/** A /ServiceProviderConfig body that declares ETag support (RFC 7643 §5). */
export const ETAG_SUPPORTED = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  etag: { supported: true },
  patch: { supported: false },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: false, maxResults: 0 },
  changePassword: { supported: false },
  sort: { supported: false },
  authenticationSchemes: [],
}

export interface VersionedOptions {
  /** Strong entity tags (`"2"`) instead of weak ones (`W/"2"`). @defaultValue false */
  strong?: boolean
  /** How If-Match is compared (RFC 9110 §8.8.3.2). @defaultValue 'weak' */
  compare?: 'weak' | 'strong'
  /** Alters an answer (a fault or a constraint) after the versioning; undefined keeps it. */
  change?: (request: SendOptions, correct: Answer) => Answer | undefined
}

/** The user id a request names, if any. */
export const idOf = (request: SendOptions) => /\/Users\/([^/?]+)/.exec(request.path)?.[1]

/**
 * {@link correctServer} with versioning (RFC 7644 §3.14): each user carries a version bumped by every
 * successful PUT, sent as the ETag header and as meta.version; a PUT with an If-Match that does not match
 * is refused with 412 and changes nothing.
 */
export function versionedServer(users: Record<string, Record<string, unknown>>, options: VersionedOptions = {}): Serve {
  const inner = correctServer(users)
  const versions: Record<string, number> = {}
  const tag = (id: string) => (options.strong ? `"${versions[id] ?? 1}"` : `W/"${versions[id] ?? 1}"`)
  const opaque = (t: string) => t.replace(/^W\//, '')
  const matches = (header: string, current: string) =>
    header
      .split(',')
      .map((t) => t.trim())
      .some(
        (t) =>
          t === '*' ||
          (options.compare === 'strong'
            ? !t.startsWith('W/') && !current.startsWith('W/') && t === current
            : opaque(t) === opaque(current)),
      )
  return (request) => {
    const id = idOf(request)
    const correct = ((): Answer => {
      const ifMatch = request.headers?.['if-match']
      if (id && users[id] && request.method === 'PUT' && ifMatch !== undefined && !matches(ifMatch, tag(id)))
        return scimError(412, undefined, `If-Match ${ifMatch} does not match ${tag(id)}`)
      const answer = inner(request)
      if (!id || !users[id] || answer.status >= 300 || !['GET', 'PUT'].includes(request.method)) return answer
      if (request.method === 'PUT') versions[id] = (versions[id] ?? 1) + 1
      const body = answer.body as Record<string, unknown>
      return {
        ...answer,
        headers: { ...answer.headers, etag: tag(id) },
        body: { ...body, meta: { ...(body.meta as Record<string, unknown>), version: tag(id) } },
      }
    })()
    return options.change?.(request, correct) ?? correct
  }
}

/**
 * An answer whose JSON body `f` rewrites: its result, or the copy it changed in place when it returns
 * nothing (a copy: the fake's stored users stay as they are).
 */
export function rewriteBody(
  answer: Answer,
  f: (body: Record<string, unknown>) => Record<string, unknown> | undefined,
): Answer {
  if (typeof answer.body !== 'object' || answer.body === null) return answer
  const copy = structuredClone(answer.body as Record<string, unknown>)
  return { ...answer, body: f(copy) ?? copy }
}
