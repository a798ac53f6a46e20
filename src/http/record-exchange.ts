import type { IncomingHttpHeaders } from 'node:http'
import { DecoratorHandler } from 'undici'
import type { Dispatcher } from 'undici'
import type { Exchange, RecordedRequest, RecordedResponse } from './exchange.ts'
import { RECORDED_MAX_CHARS } from './bounded-json.ts'
import { redactSecret } from './redact.ts'
import { scrubSecrets, type Secret } from '../secrets.ts'

// One decoder for every exchange: decode() without `stream` keeps no state between calls.
const UTF8 = new TextDecoder()

/** Default response body cap: 8 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024

/** The code of an exchange that outlived its whole-exchange deadline. */
export const DEADLINE_CODE = 'SCIM_ERR_DEADLINE'

/**
 * Why the recorder aborted a dispatch: its deadline passed, or the body outgrew the cap (then the truncated response is
 * the record).
 */
class RecorderAbort extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'RecorderAbort'
    this.code = code
  }
}

/** setTimeout's longest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Options for {@link recordExchange}. */
export interface RecordExchangeOptions {
  /**
   * Bytes of response body kept. A longer body is recorded cut at the cap (`truncated`) and its
   * connection dropped: reading an endless body to its end would never finish. @defaultValue 8 MiB
   */
  maxResponseBytes?: number
  /**
   * Longest a whole exchange may take, from the moment its request gets a connection to the last body
   * byte; then it is aborted and recorded as a `SCIM_ERR_DEADLINE` transport error. The connect itself
   * is bounded by the connect timeout, the wait in the pool's queue by nothing here. A dispatch's own
   * `deadlineMs` wins. @defaultValue null (none)
   */
  deadlineMs?: number | null
  /**
   * The bearer token. The `Authorization` header is recorded as `Bearer $SCIM_TOKEN`, and every other
   * occurrence (URL, bodies, response headers) becomes `[redacted]`. @defaultValue null
   */
  token?: string | null
  /** More secrets (Basic, OAuth), read per exchange: scrubbed from everything recorded. @defaultValue none */
  secrets?: () => readonly Secret[]
  /** Called once for every finished dispatch, after the per-dispatch `onExchange`. */
  onExchange?: (exchange: Exchange) => void
}

/**
 * Dispatch options the interceptor reads. Like undici's own `dumpMaxSize` or `maxRedirections`, the
 * per-request extra rides on the dispatch options; `onExchange` is how a caller gets its own exchange back.
 */
export interface RecordDispatchOptions extends Dispatcher.DispatchOptions {
  onExchange?: (exchange: Exchange) => void
  /** This dispatch's whole-exchange deadline; see {@link RecordExchangeOptions.deadlineMs}. */
  deadlineMs?: number | null
  /** How the `Authorization` header is recorded (the client's own credential: `Basic $SCIM_BASIC_CREDENTIALS`). */
  recordedAuthorization?: string
}

interface Handler {
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void
  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void
}

// undici's typings declare DecoratorHandler without its methods; its JS forwards all of them.
const Decorator = DecoratorHandler as unknown as new (handler: Dispatcher.DispatchHandler) => Handler

/** What a recorded exchange is scrubbed of: the client's token, and the other secrets as they are now. */
export interface Redaction {
  token: string | null
  secrets: () => readonly Secret[]
}

interface Sink extends Redaction {
  maxResponseBytes: number
  deadlineMs: number | null
  onExchange: ((exchange: Exchange) => void) | undefined
}

class RecordingHandler extends Decorator {
  readonly #sink: Sink
  readonly #request: RecordedRequest
  readonly #timeouts: { headers: number | null; body: number | null; deadline: number | null }
  readonly #onExchange: ((exchange: Exchange) => void) | undefined
  #startedAt = new Date()
  #started = performance.now()
  #connected = false
  #status = 0
  #headers: Record<string, string> = {}
  #chunks: Buffer[] = []
  #kept = 0
  #received = 0
  #truncated = false
  #done = false
  #deadline: NodeJS.Timeout | undefined

  constructor(opts: RecordDispatchOptions, handler: Dispatcher.DispatchHandler, sink: Sink) {
    super(handler)
    this.#sink = sink
    this.#onExchange = opts.onExchange
    this.#request = recordRequest(opts, sink)
    this.#timeouts = {
      headers: opts.headersTimeout ?? null,
      body: opts.bodyTimeout ?? null,
      deadline: opts.deadlineMs ?? sink.deadlineMs,
    }
  }

  override onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    // Time from the moment the request gets a connection, not from when it joined the pool's queue.
    if (!this.#connected) {
      this.#connected = true
      this.#startedAt = new Date()
      this.#started = performance.now()
      const deadline = this.#timeouts.deadline
      if (deadline !== null) {
        // undici's timeouts bound only the gaps (headers wait, body idle), so a body that trickles a byte
        // per gap never ends: the controller's abort errors the request and destroys its socket.
        this.#deadline = setTimeout(
          () => controller.abort(new RecorderAbort(DEADLINE_CODE, `deadline of ${deadline} ms passed`)),
          Math.min(deadline, MAX_TIMER_MS),
        )
        // A pending deadline must not keep the process alive; the socket does while it matters.
        this.#deadline.unref()
      }
    }
    super.onRequestStart(controller, context)
  }

  override onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.#status = statusCode
    this.#headers = redactRecord(flattenHeaders(headers), this.#sink)
    super.onResponseStart(controller, statusCode, headers, statusMessage)
  }

  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#received += chunk.length
    const room = this.#sink.maxResponseBytes - this.#kept
    if (room > 0) {
      // Copy the slice so a kept chunk does not pin a larger pooled buffer.
      const kept = chunk.length <= room ? chunk : Buffer.from(chunk.subarray(0, room))
      this.#chunks.push(kept)
      this.#kept += kept.length
    }
    if (chunk.length > room) {
      this.#truncated = true
      // Record what was kept and drop the connection: discarding the rest of an endless body is endless too.
      this.#finish(this.#response(), null)
      controller.abort(
        new RecorderAbort('SCIM_ERR_BODY_CAP', `response body longer than ${this.#sink.maxResponseBytes} bytes`),
      )
      return
    }
    super.onResponseData(controller, chunk)
  }

  override onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.#finish(this.#response(), null)
    super.onResponseEnd(controller, trailers)
  }

  override onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    const detail = this.#status === 0 ? '' : ` (after status ${this.#status} and ${this.#received} body bytes)`
    const described = describeTransportError(error, this.#timeouts)
    const answered = this.#status === 0 ? {} : { afterStatus: this.#status }
    this.#finish(null, { code: described.code, message: described.message + detail, ...answered })
    super.onResponseError(controller, error)
  }

  #response(): RecordedResponse {
    // A body cut at the cap is no JSON and no check reads past what a report shows: only that much is decoded
    // and kept, so the checks in flight together never hold a cap's worth of text each.
    const keep = this.#truncated ? Math.min(this.#kept, RECORDED_MAX_CHARS) : this.#kept
    // A body usually arrives in one chunk: decode it in place rather than copy it first.
    const raw = UTF8.decode(prefix(this.#chunks, keep))
    this.#chunks = []
    const bodyText = redact(raw, this.#sink)
    return {
      status: this.#status,
      headers: this.#headers,
      bodyText,
      body: this.#truncated ? undefined : parseJson(bodyText),
      truncated: this.#truncated,
    }
  }

  #finish(response: RecordedResponse | null, error: Exchange['error']): void {
    if (this.#done) return
    this.#done = true
    clearTimeout(this.#deadline)
    const exchange: Exchange = {
      request: this.#request,
      response,
      error,
      startedAt: this.#startedAt.toISOString(),
      durationMs: Math.round((performance.now() - this.#started) * 1000) / 1000,
    }
    this.#onExchange?.(exchange)
    this.#sink.onExchange?.(exchange)
  }
}

/**
 * An undici interceptor that records every dispatch as an {@link Exchange}: the request as sent
 * (credential redacted), the status, lower-cased headers and up to `maxResponseBytes` of body, the
 * timing, or the transport error. It is transparent: every callback still reaches the wrapped handler.
 */
export function recordExchange(options: RecordExchangeOptions = {}): Dispatcher.DispatcherComposeInterceptor {
  const sink: Sink = {
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    deadlineMs: options.deadlineMs ?? null,
    token: options.token ?? null,
    secrets: options.secrets ?? (() => []),
    onExchange: options.onExchange,
  }
  if (!(sink.maxResponseBytes >= 0))
    throw new RangeError(`maxResponseBytes must be >= 0, received ${sink.maxResponseBytes}`)
  if (sink.deadlineMs !== null && !(sink.deadlineMs > 0))
    throw new RangeError(`deadlineMs must be > 0, received ${sink.deadlineMs}`)
  return (dispatch) => (opts, handler) => dispatch(opts, new RecordingHandler(opts, handler, sink))
}

/** The stable code and a one-line message for a transport failure (an undici or Node socket error). */
export function describeTransportError(
  error: unknown,
  timeouts: { headers?: number | null; body?: number | null; deadline?: number | null } = {},
): { code: string; message: string } {
  const code = errorCode(error)
  switch (code) {
    case DEADLINE_CODE:
      return { code, message: `The whole exchange took longer than ${timeouts.deadline ?? '?'} ms (--deadline-ms).` }
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { code, message: `No response headers within ${timeouts.headers ?? '?'} ms.` }
    case 'UND_ERR_BODY_TIMEOUT':
      return { code, message: `Response body stalled for more than ${timeouts.body ?? '?'} ms.` }
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { code, message: 'Could not connect before the timeout. Check the base URL and network access.' }
    case 'ECONNREFUSED':
      return { code, message: `${oneLineMessage(error)}. Is the target running, and is the base URL right?` }
    default:
      return { code, message: oneLineMessage(error) }
  }
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, errors, name } = error as { code?: unknown; errors?: unknown; name?: unknown }
    if (typeof code === 'string' && code !== '') return code
    // Node's happy-eyeballs connect reports an AggregateError whose members carry the codes.
    if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0])
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name
  }
  return 'ERR_TRANSPORT'
}

function oneLineMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error)
  if (message === '' && error instanceof AggregateError && error.errors.length > 0)
    return oneLineMessage(error.errors[0])
  message = message.replace(/\s*\n\s*/g, ' ').trim()
  return message === '' ? errorCode(error) : message
}

/** A request as it is recorded: every secret scrubbed, the client's own credential shown as its variable. */
export function recordRequest(opts: RecordDispatchOptions, sink: Redaction): RecordedRequest {
  const origin = opts.origin === undefined ? '' : String(opts.origin).replace(/\/$/, '')
  const headers = redactRecord(requestHeaders(opts.headers), sink)
  if (opts.recordedAuthorization !== undefined && 'authorization' in headers)
    headers.authorization = opts.recordedAuthorization
  return {
    method: opts.method,
    url: redact(origin + opts.path, sink),
    headers,
    body: requestBody(opts.body, sink),
  }
}

/** The token, then the other secrets, scrubbed from `text`. */
function redact(text: string, sink: Redaction): string {
  const secrets = sink.secrets()
  const once = redactSecret(text, sink.token)
  return secrets.length === 0 ? once : scrubSecrets(once, secrets)
}

function requestHeaders(headers: Dispatcher.DispatchOptions['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  const add = (name: string, value: unknown) => {
    if (value === undefined) return
    const key = name.toLowerCase()
    const text = Array.isArray(value) ? value.join(', ') : String(value)
    out[key] = key in out ? `${out[key]}, ${text}` : text
  }
  if (headers == null) return out
  if (Array.isArray(headers)) {
    // A flat [name, value, name, value, …] list.
    for (let i = 0; i + 1 < headers.length; i += 2) add(String(headers[i]), headers[i + 1])
  } else if (Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) add(name, value)
  } else {
    for (const [name, value] of Object.entries(headers)) add(name, value)
  }
  return out
}

function requestBody(body: Dispatcher.DispatchOptions['body'], sink: Redaction): string | null {
  if (body == null) return null
  if (typeof body === 'string') return redact(body, sink)
  if (body instanceof Uint8Array) return redact(UTF8.decode(body), sink)
  return '[stream body not recorded]'
}

function redactRecord(headers: Record<string, string>, sink: Redaction): Record<string, string> {
  const secrets = sink.secrets()
  const byToken = redactTokenRecord(headers, sink.token)
  if (secrets.length === 0) return byToken
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(byToken)) out[scrubSecrets(name, secrets)] = scrubSecrets(value, secrets)
  return out
}

function redactTokenRecord(headers: Record<string, string>, token: string | null): Record<string, string> {
  if (!token) return headers
  const out: Record<string, string> = {}
  for (const [rawName, value] of Object.entries(headers)) {
    // A server may echo the token as a header *name* (stored lower-cased): redacted there too.
    const name = redactSecret(rawName, token)
    // The credential header is replaced whole, whatever the token's length (substring redaction skips short ones).
    out[name] =
      name === 'authorization' && token && value === `Bearer ${token}`
        ? 'Bearer $SCIM_TOKEN'
        : name === 'authorization'
          ? redactSecret(value, token, '$SCIM_TOKEN')
          : redactSecret(value, token)
  }
  return out
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

/** The first `bytes` bytes of the chunks, copied only when they span several chunks. */
function prefix(chunks: Buffer[], bytes: number): Buffer {
  if (chunks.length === 1 || (chunks.length > 0 && chunks[0].length >= bytes)) return chunks[0].subarray(0, bytes)
  const taken: Buffer[] = []
  let size = 0
  for (const chunk of chunks) {
    if (size >= bytes) break
    taken.push(chunk)
    size += chunk.length
  }
  return Buffer.concat(taken, Math.min(size, bytes))
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
