import { escapeHtml } from './_internals/html.ts'

/**
 * Shorter tokens are not scrubbed by substring: replacing every "T" or "status" in a report would
 * corrupt it. The harness never writes the token itself (requests are recorded with the header
 * redacted); scrubbing only guards against a server that echoes a real, long credential.
 */
export const MIN_SCRUB_LENGTH = 8

export function scrubbable(token: string | undefined | null): token is string {
  return typeof token === 'string' && token.length >= MIN_SCRUB_LENGTH
}

/** What a scrubbed credential reads as: the environment variable the curl lines use. */
export const TOKEN_PLACEHOLDER = '$SCIM_TOKEN'

/**
 * The forms a token can take in a written report: as is, escaped inside a JSON string, escaped
 * for HTML (also after JSON escaping), and percent-encoded in a URL. Longest first, so a longer
 * form is replaced before a shorter one it contains.
 */
function tokenForms(token: string): string[] {
  const json = JSON.stringify(token).slice(1, -1)
  const forms = new Set([token, json, escapeHtml(token), escapeHtml(json), encodeURIComponent(token)])
  return [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length)
}

/**
 * Replaces every occurrence of the token (in any of the forms above) with `$SCIM_TOKEN`. Defence in
 * depth: requests are recorded with the credential already redacted, but a server may echo the
 * token in a body or a header. An empty or missing token leaves the text unchanged.
 */
export function scrubToken(text: string, token: string | undefined): string {
  if (!scrubbable(token)) return text
  let out = text
  for (const form of tokenForms(token)) out = out.split(form).join(TOKEN_PLACEHOLDER)
  return out
}

/** Deep copy of a JSON-like value with the token replaced in every string (keys included). */
export function scrubTokenDeep<T>(value: T, token: string | undefined): T {
  if (!scrubbable(token)) return value
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.split(token).join(TOKEN_PLACEHOLDER)
    if (Array.isArray(v)) return v.map(walk)
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k.split(token).join(TOKEN_PLACEHOLDER), walk(inner)]))
    }
    return v
  }
  return walk(value) as T
}
