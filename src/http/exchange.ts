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
  error: { code: string; message: string } | null
  startedAt: string
  durationMs: number
}
