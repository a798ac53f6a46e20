/** What a redacted secret is replaced with outside the `Authorization` header. */
export const REDACTED = '[redacted]'

/**
 * Removes every occurrence of `secret` from `text`, also in its URL-encoded form, so that a token a
 * server echoes back (or that slipped into a URL) never reaches a report. Defence in depth: the
 * client already records `Authorization: Bearer $SCIM_TOKEN`. An empty or missing secret leaves
 * the text unchanged.
 */
export function redactSecret(text: string, secret: string | null | undefined, replacement: string = REDACTED): string {
  // A very short secret cannot be told from ordinary text (a token "T" would redact every T); the
  // Authorization header is redacted structurally whatever the token's length.
  if (!secret || secret.length < 8) return text
  // The common case is a body without the secret: one scan and no copy (split/join always copies, 1 MiB bodies included).
  let out = text.includes(secret) ? text.split(secret).join(replacement) : text
  const encoded = encodeURIComponent(secret)
  if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(replacement)
  return out
}
