import { once } from 'node:events'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import type { AddressInfo, Server as NetServer, Socket } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { UsageError } from '../errors.ts'
import { createScimClient, rateLimitSeen } from './client.ts'
import type { ClientOptions, ScimClient } from './client.ts'
import { RECORDED_MAX_CHARS } from './bounded-json.ts'
import type { Exchange } from './exchange.ts'

const TOKEN = 'tok-3f9a1c7e5b2d4e8f'
const MiB = 1024 * 1024

type Route = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void

/** What the server saw for the last request to each path. */
const seen = new Map<string, { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }>()
const routes = new Map<string, Route>()
const held: ServerResponse[] = []
const recorded: Exchange[] = []
const clients: ScimClient[] = []
let server: Server
let baseUrl: string
let otherServer: Server
let otherHits = 0
let otherUrl: string

async function listen(target: Server | NetServer): Promise<string> {
  target.listen(0, '127.0.0.1')
  await once(target, 'listening')
  return `http://127.0.0.1:${(target.address() as AddressInfo).port}`
}

function client(options: Partial<ClientOptions> = {}): ScimClient {
  const created = createScimClient({
    baseUrl: `${baseUrl}/scim/v2`,
    token: TOKEN,
    onExchange: (e) => recorded.push(e),
    ...options,
  })
  clients.push(created)
  return created
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      const body = Buffer.concat(chunks)
      seen.set(path, { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const route = routes.get(path)
      if (route) return route(req, res, body)
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no route')
    })
  })
  otherServer = createServer((_req, res) => {
    otherHits++
    res.end('other')
  })
  baseUrl = await listen(server)
  otherUrl = await listen(otherServer)
})

afterAll(async () => {
  for (const c of clients) await c.close()
  for (const res of held) res.destroy()
  server.closeAllConnections()
  otherServer.closeAllConnections()
  server.close()
  otherServer.close()
  await Promise.all([once(server, 'close'), once(otherServer, 'close')])
})

describe('createScimClient', () => {
  test('a JSON round trip records lower-cased headers, timing and the redacted token', async () => {
    // Arrange
    routes.set('/scim/v2/Users/abc', (_req, res, body) => {
      res.writeHead(200, { 'Content-Type': 'application/scim+json', 'X-Request-Id': 'r-1' })
      res.end(JSON.stringify({ ...JSON.parse(body.toString()), id: 'abc' }))
    })
    const c = client()
    // Act
    const exchange = await c.send({
      method: 'PUT',
      path: '/Users/abc',
      query: { attributes: 'userName' },
      json: { userName: 'bjensen', name: { givenName: 'Barbara' } },
    })
    // Assert
    expect(exchange.error).toBeNull()
    expect(exchange.request).toEqual({
      method: 'PUT',
      url: `${baseUrl}/scim/v2/Users/abc?attributes=userName`,
      headers: {
        accept: 'application/scim+json, application/json',
        'content-type': 'application/scim+json',
        authorization: 'Bearer $SCIM_TOKEN',
      },
      body: '{"userName":"bjensen","name":{"givenName":"Barbara"}}',
    })
    expect(exchange.response).toMatchObject({ status: 200, truncated: false, body: { id: 'abc', userName: 'bjensen' } })
    expect(exchange.response?.headers).toMatchObject({ 'content-type': 'application/scim+json', 'x-request-id': 'r-1' })
    expect(Object.keys(exchange.response?.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(true)
    expect(new Date(exchange.startedAt).toISOString()).toBe(exchange.startedAt)
    expect(exchange.durationMs).toBeGreaterThanOrEqual(0)
    const received = seen.get('/scim/v2/Users/abc')
    expect(received?.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(received?.url).toBe('/scim/v2/Users/abc?attributes=userName')
    expect(c.exchangeCount).toBe(1)
  })

  test('a large body is sent as its exact UTF-8 bytes each time, ASCII or not, and recorded as given', async () => {
    // Arrange: bodies over the 64 KiB line the client encodes once and reuses.
    routes.set('/scim/v2/Users/large', (_req, res, body) =>
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(body.length)),
    )
    const c = client()
    const ascii = `{"pad":"${'x'.repeat(80 * 1024)}"}`
    const unicode = `{"pad":"${'Zoë 🙂 李'.repeat(12 * 1024)}"}`
    for (const body of [ascii, unicode]) {
      for (let round = 0; round < 2; round++) {
        // Act
        const exchange = await c.send({ method: 'PUT', path: '/Users/large', rawBody: body })
        // Assert
        expect(seen.get('/scim/v2/Users/large')?.body.equals(Buffer.from(body, 'utf8'))).toBe(true)
        expect(exchange.request.body).toBe(body)
        expect(exchange.response?.bodyText).toBe(String(Buffer.byteLength(body)))
      }
    }
  })

  test('auth "none", an explicit bearer and header overrides', async () => {
    // Arrange
    routes.set('/scim/v2/Users/auth', (_req, res) => res.writeHead(401).end())
    const c = client()
    // Act
    const none = await c.send({ method: 'GET', path: '/Users/auth', auth: 'none' })
    const noneSeen = seen.get('/scim/v2/Users/auth')
    const fake = await c.send({
      method: 'GET',
      path: 'Users/auth',
      auth: { bearer: 'not-a-real-token' },
      headers: { Accept: 'application/json' },
    })
    const fakeSeen = seen.get('/scim/v2/Users/auth')
    // Assert
    expect(noneSeen?.headers.authorization).toBeUndefined()
    expect(none.request.headers).toEqual({ accept: 'application/scim+json, application/json' })
    expect(none.response?.body).toBeUndefined()
    expect(fakeSeen?.headers.authorization).toBe('Bearer not-a-real-token')
    expect(fakeSeen?.headers.accept).toBe('application/json')
    expect(fake.request.headers).toEqual({ accept: 'application/json', authorization: 'Bearer not-a-real-token' })
  })

  test('a malformed raw body is sent byte for byte, with or without a Content-Type', async () => {
    // Arrange
    routes.set('/scim/v2/Users/raw', (_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/scim+json' })
        .end('{"status":"400","scimType":"invalidSyntax"}'),
    )
    const c = client()
    const raw = '{"userName": "a\'b", "emails": [,]'
    // Act
    const text = await c.send({ method: 'PUT', path: '/Users/raw', rawBody: raw })
    const textSeen = seen.get('/scim/v2/Users/raw')
    const bytes = await c.send({
      method: 'PUT',
      path: '/Users/raw',
      rawBody: new TextEncoder().encode('{"ü":'),
      contentType: null,
    })
    const bytesSeen = seen.get('/scim/v2/Users/raw')
    // Assert
    expect(textSeen?.body.toString()).toBe(raw)
    expect(text.request.body).toBe(raw)
    expect(text.response?.body).toEqual({ status: '400', scimType: 'invalidSyntax' })
    expect(bytesSeen?.body.toString()).toBe('{"ü":')
    expect(bytesSeen?.headers['content-type']).toBeUndefined()
    expect(bytes.request.body).toBe('{"ü":')
    expect(bytes.request.headers['content-type']).toBeUndefined()
  })

  test('an HTML error page keeps its text and has no parsed body', async () => {
    // Arrange
    const html = '<html><body><h1>502 Bad Gateway</h1></body></html>'
    routes.set('/scim/v2/Users/html', (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end(html))
    // Act
    const exchange = await client().send({ method: 'PUT', path: '/Users/html', json: {} })
    // Assert
    expect(exchange.error).toBeNull()
    expect(exchange.response).toMatchObject({ status: 502, bodyText: html, body: undefined, truncated: false })
  })

  test('JSON is parsed whatever the Content-Type says', async () => {
    routes.set('/scim/v2/Users/text-json', (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end('{"id":"x"}'),
    )
    const exchange = await client().send({ method: 'GET', path: '/Users/text-json' })
    expect(exchange.response?.body).toEqual({ id: 'x' })
  })

  test('a redirect to another host is recorded, not followed', async () => {
    // Arrange
    routes.set('/scim/v2/Users/moved', (_req, res) => res.writeHead(302, { location: `${otherUrl}/Users/moved` }).end())
    // Act
    const exchange = await client().send({ method: 'PUT', path: '/Users/moved', json: { userName: 'x' } })
    // Assert
    expect(exchange.response?.status).toBe(302)
    expect(exchange.response?.headers.location).toBe(`${otherUrl}/Users/moved`)
    expect(otherHits).toBe(0)
  })

  test('a refused connection yields ECONNREFUSED instead of a rejection', async () => {
    // Arrange: a port that was just free
    const closed = createServer()
    const url = await listen(closed)
    closed.close()
    await once(closed, 'close')
    const c = client({ baseUrl: url })
    // Act
    const exchange = await c.send({ method: 'PUT', path: '/Users/abc', json: {} })
    // Assert
    expect(exchange.response).toBeNull()
    expect(exchange.error?.code).toBe('ECONNREFUSED')
    expect(exchange.error?.message).not.toContain('\n')
    expect(c.exchangeCount).toBe(1)
  })

  test('a server that never answers ends with the headers timeout', async () => {
    routes.set('/scim/v2/Users/silent', (_req, res) => {
      held.push(res)
    })
    const exchange = await client({ timeoutMs: 200 }).send({ method: 'PUT', path: '/Users/silent', json: {} })
    expect(exchange.response).toBeNull()
    expect(exchange.error).toEqual({ code: 'UND_ERR_HEADERS_TIMEOUT', message: 'No response headers within 200 ms.' })
  })

  test('a body that stalls ends with the body timeout', async () => {
    routes.set('/scim/v2/Users/stall', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' }).write('{"id":')
      held.push(res)
    })
    const exchange = await client({ timeoutMs: 200 }).send({ method: 'GET', path: '/Users/stall' })
    expect(exchange.error?.code).toBe('UND_ERR_BODY_TIMEOUT')
  })

  test('a body trickling a byte at a time ends at the whole-exchange deadline, its connection dropped', async () => {
    // Arrange: every gap (20 ms) is far below the idle timeout, so only the deadline can end it.
    let closed: Promise<unknown> = Promise.resolve()
    routes.set('/scim/v2/Users/trickle', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/scim+json' }).write('{')
      const drip = setInterval(() => res.write(' '), 20)
      closed = once(res, 'close').finally(() => clearInterval(drip))
    })
    const started = performance.now()
    // Act
    const exchange = await client({ timeoutMs: 1000, deadlineMs: 300 }).send({
      method: 'GET',
      path: '/Users/trickle',
    })
    const elapsed = performance.now() - started
    await closed
    // Assert
    expect(exchange.response).toBeNull()
    expect(exchange.error?.code).toBe('SCIM_ERR_DEADLINE')
    expect(exchange.error?.message).toMatch(
      /^The whole exchange took longer than 300 ms \(--deadline-ms\)\. \(after status 200 and \d+ body bytes\)$/,
    )
    expect(exchange.durationMs).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(3000)
  })

  test('a deadline shorter than the idle timeout also ends a silent server', async () => {
    routes.set('/scim/v2/Users/silent-deadline', (_req, res) => {
      held.push(res)
    })
    const exchange = await client({ timeoutMs: 60_000, deadlineMs: 200 }).send({
      method: 'PUT',
      path: '/Users/silent-deadline',
      json: {},
    })
    expect(exchange.response).toBeNull()
    expect(exchange.error).toEqual({
      code: 'SCIM_ERR_DEADLINE',
      message: 'The whole exchange took longer than 200 ms (--deadline-ms).',
    })
  })

  test.each([200, 500])(
    'an endless %i body is cut at the cap, its connection dropped, and the client keeps working',
    async (status) => {
      // Arrange: bytes as fast as the socket takes them, for ever.
      const cap = 64 * 1024
      const path = `/Users/endless-${status}`
      let closed: Promise<unknown> = Promise.resolve()
      routes.set(`/scim/v2${path}`, (_req, res) => {
        res.writeHead(status, { 'content-type': 'text/html' })
        const chunk = Buffer.alloc(16 * 1024, 'e')
        const pump = (): void => {
          while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump)
        }
        pump()
        closed = once(res, 'close')
      })
      routes.set('/scim/v2/Users/after-endless', (_req, res) => res.end('{"id":"after"}'))
      const c = client({ maxResponseBytes: cap, timeoutMs: 5000, deadlineMs: 10_000 })
      // Act
      const exchange = await c.send({ method: 'GET', path })
      await closed
      const after = await c.send({ method: 'GET', path: '/Users/after-endless' })
      // Assert
      expect(exchange.error).toBeNull()
      expect(exchange.response).toMatchObject({ status, truncated: true, body: undefined })
      // Only what a report can show of a cut body is kept (RECORDED_MAX_CHARS): it is no JSON, no check reads it.
      expect(exchange.response?.bodyText).toBe('e'.repeat(Math.min(cap, RECORDED_MAX_CHARS)))
      expect(after.response).toMatchObject({ status: 200, body: { id: 'after' } })
    },
  )

  test('an answer slower than the idle gaps but within the deadline is recorded whole', async () => {
    routes.set('/scim/v2/Users/slow-ok', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/scim+json' })
      const parts = ['{"id":', '"slow', '-ok"}']
      const next = (): void => {
        const part = parts.shift()
        if (part === undefined) return void res.end()
        res.write(part)
        setTimeout(next, 30)
      }
      next()
    })
    const exchange = await client({ timeoutMs: 1000, deadlineMs: 5000 }).send({ method: 'GET', path: '/Users/slow-ok' })
    expect(exchange.error).toBeNull()
    expect(exchange.response).toMatchObject({ status: 200, truncated: false, body: { id: 'slow-ok' } })
  })

  test('an idempotent request whose connection closed before any answer is sent again (RFC 9110 §9.2.2)', async () => {
    let gets = 0
    let posts = 0
    routes.set('/scim/v2/Users/closed-once', (req, res) => {
      if (req.method === 'GET' && gets++ === 0) return void req.socket.destroy()
      if (req.method === 'POST') {
        posts++
        return void req.socket.destroy()
      }
      res.writeHead(200, { 'content-type': 'application/scim+json' })
      res.end('{"id":"closed-once"}')
    })
    const c = client()
    const get = await c.send({ method: 'GET', path: '/Users/closed-once' })
    expect(get.response).toMatchObject({ status: 200, body: { id: 'closed-once' } })
    expect(gets).toBe(2)
    // A POST is not idempotent: the server may have acted on it, so its failure is told, not hidden.
    const post = await c.send({ method: 'POST', path: '/Users/closed-once', json: {} })
    expect(post.response).toBeNull()
    expect(posts).toBe(1)
  })

  test('a connection reset after the headers is a transport error, and is not sent again', async () => {
    let gets = 0
    routes.set('/scim/v2/Users/reset', (_req, res) => {
      gets++
      res.writeHead(200, { 'content-type': 'application/scim+json', 'content-length': '1000' })
      res.write('{"id":"abc",', () => res.socket?.destroy())
    })
    const exchange = await client().send({ method: 'PUT', path: '/Users/reset', json: {} })
    expect(exchange.response).toBeNull()
    expect(exchange.error).toMatchObject({ code: 'UND_ERR_SOCKET', afterStatus: 200 })
    expect(exchange.error?.message).toContain('after status 200')
    // The server answered (RFC 9110 §9.2.2 allows a retry only without one): an idempotent GET is told, not re-sent.
    gets = 0
    const get = await client().send({ method: 'GET', path: '/Users/reset' })
    expect([get.error?.afterStatus, gets]).toEqual([200, 1])
  })

  test('a 50 MiB body is cut at the cap and the rest never read', async () => {
    // Arrange
    const cap = MiB
    routes.set('/scim/v2/Users/huge', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/scim+json' })
      const chunk = Buffer.alloc(MiB, 'a')
      Readable.from(
        (function* () {
          for (let i = 0; i < 50; i++) yield chunk
        })(),
      ).pipe(res)
    })
    // Act
    const exchange = await client({ maxResponseBytes: cap }).send({ method: 'GET', path: '/Users/huge' })
    // Assert
    expect(exchange.error).toBeNull()
    expect(exchange.response?.truncated).toBe(true)
    expect(exchange.response?.bodyText.length).toBe(RECORDED_MAX_CHARS)
    expect(exchange.response?.body).toBeUndefined()
  })

  test('a body exactly at the cap is not truncated', async () => {
    routes.set('/scim/v2/Users/exact', (_req, res) => res.end('{"id":"abcd"}'))
    const exchange = await client({ maxResponseBytes: 13 }).send({ method: 'GET', path: '/Users/exact' })
    expect(exchange.response).toMatchObject({ truncated: false, body: { id: 'abcd' } })
  })

  test('a Content-Length longer than the body is a transport error', async () => {
    // Arrange: a raw socket server, since node:http will not send a lying Content-Length
    const liar: NetServer = createNetServer((socket: Socket) => {
      socket.once('data', () =>
        socket.end(
          'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n' +
            '{"id":"x"}',
        ),
      )
    })
    const url = await listen(liar)
    // Act
    const exchange = await client({ baseUrl: url }).send({ method: 'GET', path: '/Users/x' })
    liar.close()
    // Assert
    expect(exchange.response).toBeNull()
    expect(exchange.error?.code).toBe('UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
  })

  test('never more than `concurrency` requests are in flight, even when all are sent at once', async () => {
    // Arrange: the server holds requests until `limit` have arrived, then answers them together.
    const limit = 3
    const total = 3 * limit
    let current = 0
    let max = 0
    const waiting: ServerResponse[] = []
    routes.set('/scim/v2/Users/busy', (_req, res) => {
      current++
      max = Math.max(max, current)
      waiting.push(res)
      if (waiting.length < limit) return
      for (const r of waiting.splice(0)) {
        current--
        r.end('{}')
      }
    })
    const c = client({ concurrency: limit })
    // Act
    const exchanges = await Promise.all(
      Array.from({ length: total }, () => c.send({ method: 'GET', path: '/Users/busy' })),
    )
    // Assert
    expect(exchanges.every((e) => e.response?.status === 200)).toBe(true)
    expect(max).toBe(limit)
    expect(c.exchangeCount).toBe(total)
  })

  test.each([
    { concurrency: 2, rate: null, together: true },
    { concurrency: 1, rate: null, together: false },
    { concurrency: 2, rate: 20, together: false },
  ])(
    'onProgress tells requests in flight together from ones the limits spaced (concurrency $concurrency, rate $rate)',
    async ({ concurrency, rate, together }) => {
      // Arrange: answers after 5 ms, so a request sent at once with another overlaps it unless a limit spaces them.
      routes.set('/scim/v2/Users/raced', (_req, res) => setTimeout(() => res.end('{}'), 5))
      const c = client({ concurrency, rate })
      const marks = [0, 1].map(() => ({ sent: Number.NaN, answered: Number.NaN, calls: 0 }))
      // Act
      const exchanges = await Promise.all(
        marks.map((mark) =>
          c.send({
            method: 'PUT',
            path: '/Users/raced',
            json: {},
            onProgress: (event, at) => {
              mark[event] = at
              mark.calls++
            },
          }),
        ),
      )
      // Assert: each told once of each event, in order; together = every request sent before the first answer.
      expect(exchanges.map((e) => e.response?.status)).toEqual([200, 200])
      expect(marks.map((m) => m.calls)).toEqual([2, 2])
      for (const m of marks) expect(m.sent).toBeLessThan(m.answered)
      const lastSent = Math.max(...marks.map((m) => m.sent))
      const firstAnswer = Math.min(...marks.map((m) => m.answered))
      expect(lastSent < firstAnswer).toBe(together)
      expect(exchanges.every((e) => !('onProgress' in e.request))).toBe(true)
    },
  )

  test('the rate limit spaces out request starts', async () => {
    // Arrange: a frozen fake clock whose sleep returns at once, so only the requested waits matter
    routes.set('/scim/v2/Users/rated', (_req, res) => res.end('{}'))
    const sleeps: number[] = []
    const c = client({
      rate: 4,
      clock: {
        now: () => 0,
        sleep: async (ms) => {
          sleeps.push(ms)
        },
      },
    })
    // Act
    const exchanges = await Promise.all([1, 2, 3].map(() => c.send({ method: 'GET', path: '/Users/rated' })))
    // Assert
    expect(sleeps).toEqual([250, 500])
    expect(exchanges.map((e) => e.response?.status)).toEqual([200, 200, 200])
  })

  describe('429 Too Many Requests (RFC 6585 §4)', () => {
    /** Answers 429 with these Retry-After values (undefined: none) in turn, then 200; counts what it received. */
    function throttled(path: string, retryAfters: (string | undefined)[]) {
      const received: { method: string; body: string }[] = []
      routes.set(`/scim/v2/Users/${path}`, (req, res, body) => {
        received.push({ method: req.method ?? '', body: body.toString() })
        if (received.length > retryAfters.length) return res.end('{"ok":true}')
        const value = retryAfters[received.length - 1]
        res.writeHead(429, value === undefined ? {} : { 'retry-after': value }).end('{"detail":"slow down"}')
      })
      return received
    }
    /** A clock that stands still but for its sleeps, which return at once (telling the waits asked). */
    function instantClock(sleeps: number[]) {
      let now = 0
      return {
        now: () => now,
        sleep: async (ms: number) => {
          sleeps.push(ms)
          now += ms
        },
      }
    }

    test('a PUT answered 429 is sent again, the same, after the Retry-After; the answer tells it', async () => {
      const received = throttled('put429', ['2', 'Thu, 01 Jan 1970 00:00:00 GMT'])
      const sleeps: number[] = []
      const seenHere: Exchange[] = []
      const c = client({ clock: instantClock(sleeps), onExchange: (e) => seenHere.push(e) })
      const exchange = await c.send({ method: 'PUT', path: '/Users/put429', json: { userName: 'a' } })
      expect(exchange.response?.status).toBe(200)
      expect(exchange.rateLimited).toEqual({
        retries: 2,
        waitedMs: 2000,
        retryAfter: 'Thu, 01 Jan 1970 00:00:00 GMT',
        exhausted: false,
      })
      expect(received).toEqual(Array(3).fill({ method: 'PUT', body: '{"userName":"a"}' }))
      // The HTTP-date in the past is no wait at all.
      expect(sleeps).toEqual([2000])
      expect(seenHere.map((e) => e.response?.status)).toEqual([429, 429, 200])
      expect(c.exchangeCount).toBe(3)
      expect(c.rateLimit).toMatchObject({ answered429: 2, retried: 2, exhausted: 0, waitedMs: 2000 })
    })

    test('without Retry-After: exponential back-off with jitter', async () => {
      throttled('backoff', [undefined, undefined, undefined])
      const sleeps: number[] = []
      const c = client({ clock: instantClock(sleeps), random: () => 1, retry: { baseMs: 100 } })
      const exchange = await c.send({ method: 'GET', path: '/Users/backoff' })
      expect(exchange.response?.status).toBe(200)
      expect(sleeps).toEqual([100, 200, 400])
    })

    test('a Retry-After past the cap on the total wait is not waited for: the 429 is the answer', async () => {
      const received = throttled('hour', ['3600'])
      const sleeps: number[] = []
      const c = client({ clock: instantClock(sleeps) })
      const exchange = await c.send({ method: 'POST', path: '/Users/hour', json: {} })
      expect(exchange.response?.status).toBe(429)
      expect(exchange.rateLimited).toEqual({ retries: 0, waitedMs: 0, retryAfter: '3600', exhausted: true })
      expect(received).toHaveLength(1)
      expect(sleeps).toEqual([])
      expect(c.rateLimit).toMatchObject({ answered429: 1, retried: 0, exhausted: 1 })
      // The next request waits one longest back-off, not the hour.
      await c.send({ method: 'GET', path: '/Users/hour' })
      expect(sleeps).toEqual([16_000])
    })

    test('the cap on the total wait ends the retries', async () => {
      const received = throttled('capped', ['1', '1', '1', '1'])
      const sleeps: number[] = []
      const c = client({ clock: instantClock(sleeps), retry: { maxWaitMs: 2500 } })
      const exchange = await c.send({ method: 'GET', path: '/Users/capped' })
      expect(exchange.response?.status).toBe(429)
      expect(exchange.rateLimited).toMatchObject({ retries: 2, waitedMs: 2000, exhausted: true })
      expect(received).toHaveLength(3)
      expect(sleeps).toEqual([1000, 1000])
    })

    test('--rate auto: a burst of 429s lowers concurrency and rate; every request still gets its answer', async () => {
      // The first 8 requests (one burst, sent at once) are held until all arrived, then answered 429; then 200s.
      const burst: ServerResponse[] = []
      routes.set('/scim/v2/Users/burst', (_req, res) => {
        if (burst.length === 8) return res.end('{}')
        burst.push(res)
        if (burst.length === 8) for (const r of burst) r.writeHead(429, { 'retry-after': '0' }).end('{}')
      })
      const c = client({ rate: 'auto', concurrency: 8, clock: instantClock([]) })
      const exchanges = await Promise.all(
        Array.from({ length: 8 }, () => c.send({ method: 'GET', path: '/Users/burst' })),
      )
      expect(exchanges.map((e) => e.response?.status)).toEqual(Array(8).fill(200))
      expect(exchanges.map((e) => e.rateLimited?.retries)).toEqual(Array(8).fill(1))
      // One burst, one cut: 8 → 4 in flight, and half of the 8 starts of the last second.
      expect(c.rateLimit).toMatchObject({ answered429: 8, retried: 8, lowestConcurrency: 4, lowestRate: 4 })
    })

    test('rateLimitSeen sums what every client of an origin met, whatever its base path', async () => {
      throttled('seen', ['0', '0', '0'])
      const before = rateLimitSeen(baseUrl)?.answered429 ?? 0
      const sleeps: number[] = []
      await client({ clock: instantClock(sleeps) }).send({ method: 'GET', path: '/Users/seen' })
      const other = createScimClient({ baseUrl: `${baseUrl}/scim/v2/`, clock: instantClock(sleeps) })
      clients.push(other)
      await other.send({ method: 'GET', path: '/Users/seen' })
      expect(rateLimitSeen(`${baseUrl}/elsewhere`)?.answered429).toBe(before + 3)
      expect(rateLimitSeen('http://127.0.0.1:1')).toBeNull()
      expect(rateLimitSeen('not a url')).toBeNull()
    })

    test('a 5xx is never retried (a retried 5xx would hide a finding)', async () => {
      let hits = 0
      routes.set('/scim/v2/Users/busy503', (_req, res) => {
        hits++
        res.writeHead(503, { 'retry-after': '0' }).end('{}')
      })
      const exchange = await client().send({ method: 'GET', path: '/Users/busy503' })
      expect([exchange.response?.status, hits, exchange.rateLimited]).toEqual([503, 1, undefined])
    })

    test('a rate that is neither positive nor "auto" is a UsageError', () => {
      expect(() => createScimClient({ baseUrl, rate: 0 })).toThrow(/rate must be a positive number/)
      expect(() => createScimClient({ baseUrl, rate: 'auto' })).not.toThrow()
    })
  })

  test('close() does not wait for a stuck server', async () => {
    // Arrange
    routes.set('/scim/v2/Users/stuck', (_req, res) => {
      held.push(res)
      server.emit('stuck')
    })
    const c = createScimClient({ baseUrl, timeoutMs: 600_000 })
    const arrived = once(server, 'stuck')
    const pending = c.send({ method: 'GET', path: '/scim/v2/Users/stuck' })
    await arrived
    // Act
    await c.close()
    const exchange = await pending
    // Assert
    expect(exchange.error?.code).toBe('UND_ERR_DESTROYED')
    const after = await c.send({ method: 'GET', path: '/Users/x' })
    expect(after.response).toBeNull()
    expect(after.error?.code).toMatch(/^UND_ERR_(DESTROYED|CLOSED)$/)
  }, 10_000)

  test('a token echoed by the server, in a URL or a body is redacted', async () => {
    // Arrange
    routes.set('/scim/v2/Users/echo', (_req, res) => {
      // The token also comes back as a header *name*, which Node and undici lower-case.
      res.setHeader(`x-echo-${TOKEN}`, '1')
      res.writeHead(401, { 'www-authenticate': `Bearer error="invalid_token" token="${TOKEN}"` })
      res.end(JSON.stringify({ detail: `token ${TOKEN} rejected` }))
    })
    // Act
    const exchange = await client().send({
      method: 'PUT',
      path: '/Users/echo',
      query: { t: TOKEN },
      json: { note: TOKEN },
      headers: { 'x-debug': `copy of ${TOKEN}` },
    })
    // Assert
    expect(seen.get('/scim/v2/Users/echo')?.body.toString()).toContain(TOKEN)
    expect(exchange.request.url).toBe(`${baseUrl}/scim/v2/Users/echo?t=[redacted]`)
    expect(exchange.request.body).toBe('{"note":"[redacted]"}')
    expect(exchange.request.headers['x-debug']).toBe('copy of [redacted]')
    expect(exchange.response?.body).toEqual({ detail: 'token [redacted] rejected' })
    expect(exchange.response?.headers['www-authenticate']).toContain('token="[redacted]"')
    expect(Object.keys(exchange.response?.headers ?? {})).toContain('x-echo-[redacted]')
    expect(JSON.stringify(exchange).toLowerCase()).not.toContain(TOKEN.toLowerCase())
  })

  test('an unusable base URL or deadline is a UsageError', () => {
    expect(() => createScimClient({ baseUrl, deadlineMs: 0 })).toThrow(/deadlineMs must be a positive number/)
    expect(() => createScimClient({ baseUrl: 'not a url' })).toThrow(UsageError)
    expect(() => createScimClient({ baseUrl: 'ftp://acme.example/scim' })).toThrow(/http: or https:/)
  })

  test('the token never appears in any recorded exchange', () => {
    expect(recorded.length).toBeGreaterThan(20)
    expect(JSON.stringify(recorded)).not.toContain(TOKEN)
  })
})
