import { REDACTED, scrubSecrets, type Secret } from '../secrets.ts'

/** What a redacted secret is replaced with outside the `Authorization` header. */
export { REDACTED }

/**
 * Removes every occurrence of `secret` from `text` in any form a server may echo it (raw, JSON
 * `\uXXXX`-escaped, percent-encoded, HTML-escaped, in another letter case), so that the parsed body
 * never holds it either. Defence in depth: the client already records `Authorization: Bearer
 * $SCIM_TOKEN`, and the report writers scrub again as their last step. A secret shorter than 8
 * characters is replaced only where it stands alone (after `Bearer `, as a whole quoted string).
 * An empty or missing secret leaves the text unchanged.
 */
export function redactSecret(text: string, secret: string | null | undefined, replacement: string = REDACTED): string {
  if (!secret) return text
  return scrubSecrets(text, secretList(secret, replacement))
}

// One list object per (secret, replacement), so the scrubber's compiled pattern is found by identity.
const lists = new Map<string, Secret[]>()
// The list asked for last: a run redacts with one token, and comparing the same strings costs less than hashing a key.
let last: { secret: string; replacement: string; list: Secret[] } | null = null

function secretList(secret: string, replacement: string): Secret[] {
  if (last !== null && last.secret === secret && last.replacement === replacement) return last.list
  const key = `${replacement}\0${secret}`
  let list = lists.get(key)
  if (!list) {
    if (lists.size > 16) lists.clear()
    list = [{ label: 'the token', value: secret, placeholder: replacement }]
    lists.set(key, list)
  }
  last = { secret, replacement, list }
  return list
}
