import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'

/** How the token bucket of a {@link RateLimitedServer} is sized, and how it tells the client to wait. */
export interface TokenBucketOptions {
  /** Requests a full bucket lets through at once. */
  capacity: number
  /** Tokens added per second. */
  refillPerSecond: number
  /**
   * The `Retry-After` of a 429 (RFC 9110 §10.2.3): `'seconds'` (delay-seconds, the time until the next token
   * rounded up), `'date'` (an HTTP-date of that moment, rounded up to the next second), `'none'` (no header).
   * @defaultValue 'seconds'
   */
  retryAfter?: 'seconds' | 'date' | 'none'
}

/** A SCIM server behind a token bucket, as SaaS endpoints are. */
export interface RateLimitedServer {
  /** The proxy's origin: `http://127.0.0.1:PORT`. */
  origin: string
  /** Requests passed on to the backend. */
  readonly forwarded: number
  /** Requests answered 429. */
  readonly limited: number
  /** Emits `'limited'` (with the Retry-After sent, or null) for each 429, `'forwarded'` for each request passed. */
  events: EventEmitter
  close(): Promise<void>
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']

/**
 * A proxy on 127.0.0.1 (port 0) in front of a SCIM server (the reference server) that spends one token per request
 * and answers `429 Too Many Requests` (RFC 6585 §4) with a SCIM error body (RFC 7644 §3.12) when the bucket is empty;
 * everything else is forwarded byte for byte.
 */
export async function startRateLimitedServer(
  backendOrigin: string,
  bucket: TokenBucketOptions,
): Promise<RateLimitedServer> {
  const events = new EventEmitter()
  let tokens = bucket.capacity
  let last = performance.now()
  let forwarded = 0
  let limited = 0
  /** A token, or the ms until the next one. */
  const take = (): number => {
    const now = performance.now()
    tokens = Math.min(bucket.capacity, tokens + ((now - last) / 1000) * bucket.refillPerSecond)
    last = now
    if (tokens >= 1) {
      tokens -= 1
      return 0
    }
    return ((1 - tokens) / bucket.refillPerSecond) * 1000
  }
  const retryAfterOf = (waitMs: number): string | null => {
    const form = bucket.retryAfter ?? 'seconds'
    if (form === 'none') return null
    if (form === 'seconds') return String(Math.ceil(waitMs / 1000))
    return new Date(Math.ceil((Date.now() + waitMs) / 1000) * 1000).toUTCString()
  }
  const forward = async (incoming: IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(incoming.headers))
      if (v !== undefined && !HOP_BY_HOP.includes(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v
    const res = await request(`${backendOrigin}${incoming.url ?? '/'}`, {
      method: (incoming.method ?? 'GET') as 'GET',
      headers,
      body: body.length === 0 ? undefined : body,
    })
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined && !HOP_BY_HOP.includes(k)) out[k] = Array.isArray(v) ? v.join(', ') : v
    return { status: res.statusCode, headers: out, body: Buffer.from(await res.body.arrayBuffer()) }
  }
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const wait = take()
      if (wait > 0) {
        limited++
        const retryAfter = retryAfterOf(wait)
        const body = JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '429',
          detail: 'Too many requests: the rate limit is exceeded',
        })
        outgoing
          .writeHead(429, { 'content-type': 'application/scim+json', ...(retryAfter && { 'retry-after': retryAfter }) })
          .end(body)
        events.emit('limited', retryAfter)
        return
      }
      forwarded++
      forward(incoming, Buffer.concat(chunks)).then(
        (res) => {
          outgoing.writeHead(res.status, res.headers).end(res.body)
          events.emit('forwarded')
        },
        (error: unknown) => outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(String(error)),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    get forwarded() {
      return forwarded
    },
    get limited() {
      return limited
    },
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
