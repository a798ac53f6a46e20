/** A request as sent, with the credential replaced by `Bearer $SCIM_TOKEN`. */
export interface RecordedRequest {
  method: string
  url: string
  headers: Record<string, string>
  /** The raw body as sent (a payload may be deliberately malformed, so it stays text). */
  body: string | null
}

/** A response as received. `body` is the parsed JSON, or undefined when the text is not JSON. */
export interface RecordedResponse {
  status: number
  headers: Record<string, string>
  bodyText: string
  body: unknown
  /** True when the body was longer than the client's cap and was cut (the rest was discarded, not buffered). */
  truncated: boolean
}

/** One HTTP exchange; `response` is null when the transport failed (then `error` says how). */
export interface Exchange {
  request: RecordedRequest
  response: RecordedResponse | null
  /**
   * How the transport failed; `afterStatus` is the status line that had arrived when it did (the server did
   * answer, then the body broke off).
   */
  error: { code: string; message: string; afterStatus?: number } | null
  startedAt: string
  durationMs: number
  /**
   * Present when the target answered this request 429 (RFC 6585 §4) at least once: the client waited and sent it
   * again (src/http/client.ts). With `exhausted` the retry budget ran out and this is still the 429: the server
   * never acted on the request, so the exchange says nothing about any rule.
   */
  rateLimited?: RateLimited
}

/** How a request fared against the target's rate limit. */
export interface RateLimited {
  /** Times it was sent again after a 429. */
  retries: number
  /** Total wait before those retries, ms. */
  waitedMs: number
  /** The last Retry-After the server sent for it, as sent; null when none. */
  retryAfter: string | null
  /** The retry budget ran out: this exchange is the last 429. */
  exhausted: boolean
}
