import { timingSafeEqual } from 'node:crypto'

/** Whether an `Authorization` header carries `Bearer <token>` (scheme name ignoring case, RFC 6750 §2.1). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  if (!match) return false
  const sent = Buffer.from(match[1])
  const expected = Buffer.from(token)
  return sent.length === expected.length && timingSafeEqual(sent, expected)
}
