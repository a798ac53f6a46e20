/** What a redacted secret is replaced with outside the `Authorization` header. */
export const REDACTED = '[redacted]'

/**
 * Removes every occurrence of `secret` from `text`, also in its URL-encoded form, so that a token a
 * server echoes back (or that slipped into a URL) never reaches a report. Defence in depth: the
 * client already records `Authorization: Bearer $SCIM_TOKEN`. An empty or missing secret leaves
 * the text unchanged.
 */
export function redactSecret(text: string, secret: string | null | undefined, replacement: string = REDACTED): string {
  if (!secret) return text
  let out = text.split(secret).join(replacement)
  const encoded = encodeURIComponent(secret)
  if (encoded !== secret) out = out.split(encoded).join(replacement)
  return out
}
