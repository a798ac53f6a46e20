/**
 * Whether an `If-Match` header matches the current entity tag, by weak comparison (RFC 9110 §13.1.1):
 * `*` matches any current representation; otherwise one listed tag must equal it, ignoring `W/`.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.14
 */
export function ifMatchSatisfied(header: string, currentTag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || opaque(t) === opaque(currentTag))
}

function opaque(tag: string): string {
  return tag.replace(/^W\//i, '')
}
