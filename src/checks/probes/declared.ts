import type { Exchange } from '../../http/exchange.ts'
import type { VendorProfile } from '../../profile/vendor-profile.ts'
import type { MediaSchema } from '../../openapi/put-user-operation.ts'

/** The response's media type without parameters, lower-cased. */
export function mediaTypeOf(e: Exchange): string | null {
  const raw = e.response?.headers['content-type']
  return raw ? raw.split(';')[0].trim().toLowerCase() : null
}

/**
 * What the vendor declares for a status: the entry for the exact code, else `4XX`, else `default`; the media
 * entry matching the response's type, else the first. `mediaMatches` says whether the response used a declared type.
 */
export function declaredSchemaFor(
  profile: VendorProfile,
  status: number,
  media: string | null,
): { media: MediaSchema; mediaMatches: boolean } | null {
  const responses = profile.op.responses
  const entries = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default
  if (!entries || entries.length === 0) return null
  const exact = media ? entries.find((m) => m.mediaType.toLowerCase() === media) : undefined
  return exact ? { media: exact, mediaMatches: true } : { media: entries[0], mediaMatches: false }
}
