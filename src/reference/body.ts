import type { IncomingMessage } from 'node:http'

/** Largest request body the server accepts (RFC 7644 Table 8: larger → 413). */
export const MAX_BODY_BYTES = 512 * 1024

/** Past this many discarded bytes the server stops draining and closes the connection. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024

export type RequestBody =
  | { kind: 'ok'; text: string }
  | { kind: 'too-large' }
  /** Too large even to drain: answer, then close the connection. */
  | { kind: 'abandon' }

/**
 * Reads the request body with a cap: bytes past `MAX_BODY_BYTES` are discarded, not buffered, and the
 * stream is still read to its end so that a 413 reaches a client that is still writing.
 */
export function readBody(req: IncomingMessage): Promise<RequestBody> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > MAX_DRAIN_BYTES) {
    req.pause()
    return Promise.resolve({ kind: 'abandon' })
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) chunks.push(chunk)
      else if (chunks.length > 0) chunks.length = 0
      if (size > MAX_DRAIN_BYTES && !settled) {
        settled = true
        req.pause()
        resolve({ kind: 'abandon' })
      }
    })
    req.on('end', () => {
      if (settled) return
      settled = true
      if (size > MAX_BODY_BYTES) return resolve({ kind: 'too-large' })
      // Most bodies arrive in one chunk: decoded as it is, without the copy Buffer.concat makes.
      const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
      resolve({ kind: 'ok', text: bytes.toString('utf8') })
    })
    req.on('error', (error) => {
      if (!settled) reject(error)
    })
  })
}

/** Whether a request Content-Type is a SCIM body's: application/scim+json or application/json (RFC 7644 §3.1). */
export function isScimRequestMedia(contentType: string | undefined): boolean {
  const essence = (contentType ?? '').split(';')[0].trim().toLowerCase()
  return essence === 'application/scim+json' || essence === 'application/json'
}
