/**
 * Whether an `If-Match` header matches the current entity tag, by weak comparison (RFC 9110 §13.1.1):
 * `*` matches any current representation; otherwise one listed tag must equal it, ignoring `W/`.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.14
 */
export function ifMatchSatisfied(header: string, currentTag: string, comparison: 'weak' | 'strong' = 'weak'): boolean {
  // Strong comparison (fault 'if-match-strong'): a weak tag on either side never matches.
  const same =
    comparison === 'strong'
      ? (t: string) => !/^W\//i.test(t) && !/^W\//i.test(currentTag) && t === currentTag
      : (t: string) => opaque(t) === opaque(currentTag)
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || same(t))
}

function opaque(tag: string): string {
  return tag.replace(/^W\//i, '')
}
