import { Pool } from 'undici'
import type { Dispatcher } from 'undici'
import { UsageError } from '../errors.ts'
import { defaultDeadlineMs } from './deadline.ts'
import { type AuthProvider, bearerAuth } from './auth.ts'
import { encodeLargeBodies } from './body-bytes.ts'
import type { Exchange } from './exchange.ts'
import { createThrottle, DEFAULT_RETRY, retryAfterMs, retryWait } from './rate-limit.ts'
import type { RateLimitClock, RateLimitTally, RetryPolicy } from './rate-limit.ts'
import { DEFAULT_MAX_RESPONSE_BYTES, describeTransportError, recordExchange, recordRequest } from './record-exchange.ts'
import type { RecordDispatchOptions } from './record-exchange.ts'
import type { Secret } from '../secrets.ts'

/** Options for {@link createScimClient}. */
export interface ClientOptions {
  /** Target URL the request paths are appended to, path prefix kept: `https://acme.example/scim/v2`. */
  baseUrl: string
  /**
   * Bearer token, sent as `Authorization: Bearer <token>` unless a request says otherwise; recorded as
   * `Bearer $SCIM_TOKEN`. @defaultValue null
   */
  token?: string | null
  /**
   * The credential of every request (a static bearer token, HTTP Basic, OAuth client credentials), asked per
   * request; wins over `token`. A 401 to a request that carried it lets it renew the credential (an OAuth token
   * fetched again) and the request is sent once more. @defaultValue a bearer provider of `token`
   */
  auth?: AuthProvider | null
  /** Headers sent with every request (`--header`, e.g. a tenant for a gateway); a request's own win. */
  headers?: Record<string, string>
  /**
   * Per request: the wait for response headers, and the longest pause between body chunks (also the connect
   * timeout). @defaultValue 10000
   */
  timeoutMs?: number
  /**
   * Per request: the longest the whole exchange may take, from getting a connection to the last body
   * byte (the connect is bounded by `timeoutMs`); then it ends as a `SCIM_ERR_DEADLINE` transport error.
   * `timeoutMs` alone lets a body that trickles a byte per gap run forever. @defaultValue {@link defaultDeadlineMs}
   */
  deadlineMs?: number
  /**
   * Maximum requests in flight (the pool's connection count); further sends queue. While the target answers 429
   * the client allows fewer, then earns them back. @defaultValue 8
   */
  concurrency?: number
  /**
   * Maximum request starts per second, evenly spaced; null is unlimited; `'auto'` starts unlimited, slows down
   * while the target answers 429 and speeds up again. @defaultValue null
   */
  rate?: number | 'auto' | null
  /** How a request answered 429 is retried (a wait, and a cap on its total). @defaultValue {@link DEFAULT_RETRY} */
  retry?: Partial<RetryPolicy>
  /** Jitter source of the back-off without Retry-After (tests). @defaultValue Math.random */
  random?: () => number
  /**
   * Bytes of response body kept; a longer body is cut there (`truncated`) and its connection dropped.
   * @defaultValue 8 MiB
   */
  maxResponseBytes?: number
  /** Called with every exchange (each 429 that is retried too), e.g. to log or count. */
  onExchange?: (exchange: Exchange) => void
  /** Clock for the rate limit, the pauses and the back-off (tests). @defaultValue the real clock */
  clock?: RateLimitClock
}

/** One request for {@link ScimClient.send}. */
export interface SendOptions {
  method: string
  /** Appended to the base URL's path, e.g. `/Users/abc`. */
  path: string
  query?: Record<string, string>
  /** Serialised with `JSON.stringify`. */
  json?: unknown
  /** Sent as is (malformed payloads); wins over `json`. */
  rawBody?: string | Uint8Array
  /** `Content-Type` when a body is present; `null` sends none. @defaultValue 'application/scim+json' */
  contentType?: string | null
  /** Extra headers; they override the defaults (`Accept`, `Content-Type`, `Authorization`). */
  headers?: Record<string, string>
  /**
   * `'token'` sends the client's credential, `'none'` none, `'wrong'` a wrong one of the same scheme (a made-up
   * bearer token, a wrong Basic password: recorded verbatim), `{ bearer }` that value. An explicit
   * bearer is recorded verbatim (it is a harness-made credential for negative tests, and the
   * reproduction needs it) unless it equals the token: pass real secrets only as `ClientOptions.token`.
   * @defaultValue 'token'
   */
  auth?: 'token' | 'none' | 'wrong' | { bearer: string }
  /**
   * Told, in `performance.now()` milliseconds, when the request is written to its connection (`'sent'`,
   * after the pool and the rate limit let it go) and when its response starts (`'answered'`): how a
   * caller that fires several requests at once tells whether they were in flight together, or kept
   * apart by `concurrency` or `rate` (which stay hard limits). Not recorded, not sent.
   */
  onProgress?: (event: 'sent' | 'answered', at: number) => void
}

/** Sends requests to one SCIM target and records each as an {@link Exchange}. */
export interface ScimClient {
  /** Never rejects for transport failures: then `exchange.response` is null and `exchange.error` says how. */
  send(options: SendOptions): Promise<Exchange>
  /** Exchanges finished so far (each 429 that was retried is one). */
  readonly exchangeCount: number
  /** The target's rate limit as the client met it (absent on clients that only pass requests on). */
  readonly rateLimit?: RateLimitTally
  /** Closes the connections; in-flight requests get a short grace period, then are destroyed. */
  close(): Promise<void>
}

const ACCEPT = 'application/scim+json, application/json'
const NO_SECRETS: readonly Secret[] = []
const SCIM_JSON = 'application/scim+json'
/** Longest `close()` waits for in-flight requests before destroying the pool. */
const CLOSE_GRACE_MS = 1000

/** The rate-limit tallies of every client made in this process, by origin (a rate limit is the host's). */
const TALLIES = new Map<string, RateLimitTally[]>()

/**
 * What every client of this process met of the rate limit of the origin of `url`, summed; null when no client was
 * made for it. A run's clients are made in its worker: this is how the run's report learns of the 429s without every
 * wrapper of the client passing the tally on.
 */
export function rateLimitSeen(url: string): RateLimitTally | null {
  let origin: string
  try {
    origin = new URL(url).origin
  } catch {
    return null
  }
  const tallies = TALLIES.get(origin)
  if (!tallies) return null
  const sum = (key: 'answered429' | 'retried' | 'exhausted' | 'waitedMs') => tallies.reduce((n, t) => n + t[key], 0)
  const rates = tallies.flatMap((t) => (t.lowestRate === null ? [] : [t.lowestRate]))
  return {
    answered429: sum('answered429'),
    retried: sum('retried'),
    exhausted: sum('exhausted'),
    waitedMs: sum('waitedMs'),
    retryAfter: tallies.findLast((t) => t.retryAfter !== null)?.retryAfter ?? null,
    lowestConcurrency: Math.min(...tallies.map((t) => t.lowestConcurrency)),
    lowestRate: rates.length === 0 ? null : Math.min(...rates),
  }
}

/** Methods RFC 9110 §9.2.2 calls idempotent, which a client may send again after a connection failure. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
/** Errors of a connection that closed under the request (a keep-alive socket the server had just closed). */
const CLOSED_UNDER = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])

/** An idempotent request whose connection closed before any status line came back. */
function staleConnection(exchange: Exchange): boolean {
  const { request, response, error } = exchange
  return (
    response === null &&
    error !== null &&
    CLOSED_UNDER.has(error.code) &&
    IDEMPOTENT.has(request.method.toUpperCase()) &&
    error.afterStatus === undefined
  )
}

/**
 * An HTTP client for one SCIM target: an undici `Pool` (keep-alive, pipelining 1, `concurrency`
 * connections) composed with the {@link recordExchange} interceptor. It never follows redirects and
 * never retries a failure (a retried 5xx would hide a finding), but for an idempotent request whose connection
 * closed before any answer, sent again once (RFC 9110 §9.2.2).
 *
 * A 429 is not a failure: the server is rate limiting (RFC 6585 §4) and did not act on the request, so that
 * request alone is sent again, whatever its method (a PUT or POST answered 429 was not processed: sending it
 * again does not apply it twice), after the Retry-After the server asked for (RFC 9110 §10.2.3) or an exponential
 * back-off with jitter, within a cap on the total wait ({@link RetryPolicy}). Meanwhile every start waits, and
 * fewer requests are let in flight ({@link createThrottle}). The answer carries `rateLimited`; one still 429 when
 * the budget ran out is the caller's to treat as no answer about its rule.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.5.1
 */
export function createScimClient(options: ClientOptions): ScimClient {
  const { origin, prefix } = parseBaseUrl(options.baseUrl)
  // A static token is redacted by the recorder as `token` (one pass); other schemes' secrets are read per exchange.
  const token = options.token || options.auth?.staticToken || null
  const provider = options.auth ?? (token === null ? null : bearerAuth(token))
  const extraHeaders = Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])
  const providerSecrets = () => (provider === null || provider.staticToken ? NO_SECRETS : provider.secrets())
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10_000)
  const deadlineMs = positive('deadlineMs', options.deadlineMs ?? defaultDeadlineMs(timeoutMs))
  const concurrency = Math.floor(positive('concurrency', options.concurrency ?? 8))
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  const rate = options.rate ?? null
  if (rate !== null && rate !== 'auto' && !(rate > 0))
    throw new UsageError(`rate must be a positive number of requests per second or "auto", received ${rate}.`)
  const throttle = createThrottle({ concurrency, rate, clock: options.clock })
  TALLIES.set(origin, [...(TALLIES.get(origin) ?? []), throttle.tally])
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry }
  const random = options.random ?? Math.random
  const pool = new Pool(origin, {
    connections: concurrency,
    pipelining: 1,
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  })
  // The recorder is outermost (the last composed), so it records the body as the caller gave it.
  const dispatcher = pool.compose(
    encodeLargeBodies(),
    recordExchange({ maxResponseBytes, deadlineMs, token, secrets: providerSecrets }),
  )
  let exchangeCount = 0
  let inFlight = 0
  let closing: Promise<void> | null = null

  async function send(request: SendOptions): Promise<Exchange> {
    const own = (request.auth ?? 'token') === 'token' && provider !== null
    let retries = 0
    let waitedMs = 0
    let retryAfter: string | null = null
    let resent = false
    let reauthorized = false
    for (;;) {
      // The credential is asked for each attempt: an OAuth token may have been renewed meanwhile.
      const authorization = own ? await provider.authorization() : null
      const opts = dispatchOptions(request, authorization)
      const ticket = await throttle.acquire(retries > 0)
      let exchange: Exchange
      inFlight++
      try {
        exchange = await dispatchOnce(opts, request)
      } finally {
        inFlight--
      }
      exchangeCount++
      if (!resent && staleConnection(exchange)) {
        // RFC 9110 §9.2.2: an idempotent request whose connection closed before any answer may be sent again
        // automatically. A keep-alive connection the server closed as it was reused is no answer about anything.
        resent = true
        ticket.release(false)
        continue
      }
      const response = exchange.response
      if (own && !reauthorized && response?.status === 401 && (await provider.refused(authorization!))) {
        // RFC 6750 §3.1: an expired or revoked token answers 401; with a renewed one the request is sent once more.
        reauthorized = true
        ticket.release(false)
        options.onExchange?.(exchange)
        continue
      }
      if (response?.status !== 429) {
        ticket.release(false)
        if (retries > 0) exchange = { ...exchange, rateLimited: { retries, waitedMs, retryAfter, exhausted: false } }
        options.onExchange?.(exchange)
        return exchange
      }
      throttle.tally.answered429++
      retryAfter = response.headers['retry-after'] ?? null
      if (retryAfter !== null) throttle.tally.retryAfter = retryAfter
      const asked = retryAfterMs(response.headers['retry-after'], Date.now(), response.headers.date)
      const wait = retryWait(policy, retries, asked, waitedMs, random)
      // Even a 429 that is not retried slows every other request down (the server is shedding load), but a wait
      // past the budget (a quota reset an hour away) never stalls the run: at most one longest back-off.
      ticket.limited(wait ?? Math.min(asked ?? policy.baseMs, policy.maxBackoffMs))
      ticket.release(true)
      if (wait === null || closing !== null) {
        throttle.tally.exhausted++
        exchange = { ...exchange, rateLimited: { retries, waitedMs, retryAfter, exhausted: true } }
        options.onExchange?.(exchange)
        return exchange
      }
      options.onExchange?.(exchange)
      throttle.tally.retried++
      throttle.tally.waitedMs += wait
      // The throttle's pause is the wait: the retry is the next request to start once it is over.
      waitedMs += wait
      retries++
    }
  }

  function dispatchOnce(opts: RecordDispatchOptions, request: SendOptions): Promise<Exchange> {
    return new Promise<Exchange>((resolve) => {
      try {
        const withSink: RecordDispatchOptions = { ...opts, onExchange: resolve }
        dispatcher.dispatch(withSink, request.onProgress ? progressHandler(request.onProgress) : IGNORE)
      } catch (error) {
        // Only a handler bug lands here: undici reports its own failures through onResponseError.
        resolve(unsentExchange(opts, error))
      }
    })
  }

  function dispatchOptions(request: SendOptions, authorization: string | null): RecordDispatchOptions {
    const body =
      request.rawBody !== undefined ? request.rawBody : request.json !== undefined ? JSON.stringify(request.json) : null
    const headers: Record<string, string> = { accept: ACCEPT }
    const contentType = request.contentType === undefined ? (body === null ? null : SCIM_JSON) : request.contentType
    if (contentType !== null) headers['content-type'] = contentType
    for (const [name, value] of extraHeaders) headers[name] = value
    const auth = request.auth ?? 'token'
    if (authorization !== null) headers.authorization = authorization
    else if (auth === 'wrong') {
      if (provider !== null) headers.authorization = provider.wrong()
    } else if (auth !== 'none' && auth !== 'token') headers.authorization = `Bearer ${auth.bearer}`
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value
    const query =
      request.query && Object.keys(request.query).length > 0 ? `?${new URLSearchParams(request.query).toString()}` : ''
    const path = `${prefix}${request.path.startsWith('/') ? '' : '/'}${request.path}${query}`
    // The client's own credential is recorded as its variable (unless the request set its own header).
    const recorded =
      authorization !== null && headers.authorization === authorization
        ? { recordedAuthorization: provider!.recordedAs }
        : {}
    return {
      origin,
      path,
      method: request.method,
      headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...recorded,
    }
  }

  /** A request that never reached the recorder, recorded as the recorder would have. */
  function unsentExchange(opts: RecordDispatchOptions, error: unknown): Exchange {
    return {
      request: recordRequest(opts, { token, secrets: providerSecrets }),
      response: null,
      error: describeTransportError(error),
      startedAt: new Date().toISOString(),
      durationMs: 0,
    }
  }

  async function close(): Promise<void> {
    closing ??= (async () => {
      const closed = pool.close()
      if (inFlight === 0) return closed
      let timer: NodeJS.Timeout | undefined
      const graceOver = new Promise<'grace over'>((resolve) => {
        timer = setTimeout(resolve, Math.min(timeoutMs, CLOSE_GRACE_MS), 'grace over')
      })
      const outcome = await Promise.race([closed, graceOver])
      clearTimeout(timer)
      // A stuck server would keep a graceful close waiting until the timeouts fire.
      if (outcome === 'grace over') await pool.destroy()
      await closed
    })()
    return closing
  }

  return {
    send,
    get exchangeCount() {
      return exchangeCount
    },
    rateLimit: throttle.tally,
    close,
  }
}

/** The terminal handler: the interceptor records everything, so the body is simply dropped here. */
const IGNORE: Dispatcher.DispatchHandler = {
  onRequestStart() {},
  onResponseStart() {},
  onResponseData() {},
  onResponseEnd() {},
  onResponseError() {},
}

/** The terminal handler of a request whose caller follows its progress (the recorder forwards these calls). */
function progressHandler(onProgress: NonNullable<SendOptions['onProgress']>): Dispatcher.DispatchHandler {
  return {
    ...IGNORE,
    onRequestStart() {
      onProgress('sent', performance.now())
    },
    onResponseStart() {
      onProgress('answered', performance.now())
    },
  }
}

function parseBaseUrl(baseUrl: string): { origin: string; prefix: string } {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    throw new UsageError(
      `Base URL ${JSON.stringify(baseUrl)} is not a URL. Pass one like https://acme.example/scim/v2.`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`Base URL ${baseUrl} uses ${url.protocol}; pass an http: or https: URL.`)
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UsageError(`Base URL ${baseUrl} has a query or fragment; pass only scheme, host and path prefix.`)
  }
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new UsageError(`${name} must be a positive number, received ${value}.`)
  return value
}
