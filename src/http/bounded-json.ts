import type { Exchange } from './exchange.ts'

/**
 * Bounds for values recorded in a report. A target may answer anything (the harness's own 1,000-deep
 * nesting case echoed back, 8 MiB of JSON), and report.json must stay readable by ordinary JSON tools:
 * Python's `json` module recurses once per level and gives up near 1,000, jq 1.6 at 256 (hence the
 * 64 levels a recorded value keeps). What a bound removes is replaced by a marked string that says
 * the report cut it (`[report cut: …]`), so it is never mistaken for what the server sent.
 */
export interface JsonBounds {
  /** Levels of arrays and objects kept; a deeper array or object becomes a marked string. @defaultValue 64 */
  maxDepth?: number
  /** Characters kept of a string (a key too), the marker included. @defaultValue 64 KiB */
  maxStringChars?: number
  /**
   * Values (of any kind, at any level) kept of the whole value; past them, an array ends with a marked
   * string and an object with a `"[report cut]"` member. Bounds the pretty-printed size, which
   * indentation can make many times the size of the JSON text. @defaultValue unbounded
   */
  maxNodes?: number
  /**
   * Applied to a string before it is cut (the run's secret scrubber): a secret that straddles the cut
   * would otherwise leave its first characters behind, where the scrubber no longer recognises it.
   */
  scrub?: (text: string) => string
}

/** Levels of nesting a recorded value keeps. */
export const RECORDED_MAX_DEPTH = 64
/** Characters of a recorded body, header or string value kept: what the HTML report can show, twice over. */
export const RECORDED_MAX_CHARS = 64 * 1024
/** Values of one recorded JSON value (a parsed body, a diff's sent or stored value) kept. */
export const RECORDED_MAX_NODES = 4096
/** Characters of a cut subtree's JSON shown in its marker. */
const PREVIEW_CHARS = 200

/** How every marker starts: the report, not the server, shortened the value. */
export const REPORT_CUT = '[report cut'

/** The bounds of one recorded value: a parsed body, a diff's sent or stored value, traits. */
export const RECORDED: Required<Omit<JsonBounds, 'scrub'>> = {
  maxDepth: RECORDED_MAX_DEPTH,
  maxStringChars: RECORDED_MAX_CHARS,
  maxNodes: RECORDED_MAX_NODES,
}

const count = (n: number) => n.toLocaleString('en-US')

/**
 * `text` cut to at most `maxChars` characters, the marker included:
 * `…the first part… [report cut: 1,048,577 characters, the first 65,470 kept]`. Shorter text is
 * returned as it is (so cutting twice changes nothing); a surrogate pair is never split.
 */
export function boundText(
  text: string,
  maxChars: number = RECORDED_MAX_CHARS,
  scrub?: (text: string) => string,
): string {
  if (text.length <= maxChars) return text
  const whole = scrub ? scrub(text) : text
  if (whole.length <= maxChars) return whole
  const marker = (kept: number) => ` … ${REPORT_CUT}: ${count(whole.length)} characters, the first ${count(kept)} kept]`
  let keep = Math.max(0, maxChars - marker(maxChars).length)
  const code = whole.charCodeAt(keep - 1)
  if (keep > 0 && code >= 0xd800 && code <= 0xdbff) keep--
  return whole.slice(0, keep) + marker(keep)
}

/**
 * A copy of a JSON-like `value` within `bounds` (defaults: 64 levels, 64 KiB strings, any number of
 * values): an array or object nested deeper than `maxDepth` becomes
 * `"[report cut: nested deeper than 64 levels, 12,345 characters of JSON; it began: [[[[…]"`, a longer
 * string is cut with a marker (see {@link boundText}), and past `maxNodes` values the rest of each
 * array or object is summed up in one marker. A value within its bounds is returned as it is (the same
 * object), so bounding twice changes nothing. Recursion stops at `maxDepth`: a value of any depth is
 * measured without recursion, so even one too deep for `JSON.stringify` is safe.
 */
export function boundJson<T>(value: T, bounds: JsonBounds = {}): T {
  const maxDepth = bounds.maxDepth ?? RECORDED_MAX_DEPTH
  const maxChars = bounds.maxStringChars ?? RECORDED_MAX_CHARS
  const maxNodes = bounds.maxNodes ?? Infinity
  let nodes = 0
  const walk = (v: unknown, level: number): unknown => {
    nodes++
    if (typeof v === 'string') return boundText(v, maxChars, bounds.scrub)
    if (v === null || typeof v !== 'object') return v
    if (level >= maxDepth) return describeCut(`nested deeper than ${count(maxDepth)} levels`, v)
    if (Array.isArray(v)) {
      let out: unknown[] | null = null
      for (let i = 0; i < v.length; i++) {
        // The marker a bound left as the last item is kept as it is, uncounted (so bounding twice changes nothing).
        const last = i === v.length - 1 && isMarker(v[i])
        if (nodes >= maxNodes && !last) {
          out ??= v.slice(0, i)
          out.push(describeCut(`${count(v.length - i)} more item${v.length - i === 1 ? '' : 's'}`, v.slice(i)))
          break
        }
        const item = last ? v[i] : walk(v[i], level + 1)
        if (out === null && item !== v[i]) out = v.slice(0, i)
        out?.push(item)
      }
      return out ?? v
    }
    const entries = Object.entries(v)
    let out: [string, unknown][] | null = null
    for (let i = 0; i < entries.length; i++) {
      const [key, inner] = entries[i]
      const last = i === entries.length - 1 && key === `${REPORT_CUT}]` && isMarker(inner)
      if (last) {
        out?.push([key, inner])
        continue
      }
      if (nodes >= maxNodes) {
        out ??= entries.slice(0, i)
        const rest = entries.length - i
        out.push([
          `${REPORT_CUT}]`,
          describeCut(`${count(rest)} more member${rest === 1 ? '' : 's'}`, Object.fromEntries(entries.slice(i))),
        ])
        break
      }
      const k = boundText(key, maxChars, bounds.scrub)
      const item = walk(inner, level + 1)
      if (out === null && (item !== inner || k !== key)) out = entries.slice(0, i)
      out?.push([k, item])
    }
    return out === null ? v : Object.fromEntries(out)
  }
  return walk(value, 0) as T
}

/**
 * An exchange as a report records it: request and response bodies cut to 64 KiB of text (a cut
 * response body keeps no parsed `body`; `truncated` still says only whether the client cut it), the
 * parsed body, headers and error within {@link RECORDED}. The same exchange when nothing needed cutting.
 */
export function boundExchange(exchange: Exchange, scrub?: (text: string) => string): Exchange {
  const { request, response, error } = exchange
  const text = (t: string) => boundText(t, RECORDED_MAX_CHARS, scrub)
  const json = <T>(v: T) => boundJson(v, { ...RECORDED, scrub })
  const boundedRequest = {
    ...request,
    url: text(request.url),
    headers: json(request.headers),
    body: request.body === null ? null : text(request.body),
  }
  const sameRequest =
    boundedRequest.url === request.url &&
    boundedRequest.headers === request.headers &&
    boundedRequest.body === request.body
  let boundedResponse = response
  if (response) {
    const bodyText = text(response.bodyText)
    const cut = bodyText !== response.bodyText
    // The parsed body of a cut text would not match the text shown; the text and its marker say what there was.
    const body = cut ? undefined : json(response.body)
    const headers = json(response.headers)
    if (cut || body !== response.body || headers !== response.headers)
      boundedResponse = { ...response, headers, bodyText, body }
  }
  const boundedError =
    error && error.message.length > RECORDED_MAX_CHARS ? { ...error, message: text(error.message) } : error
  if (sameRequest && boundedResponse === response && boundedError === error) return exchange
  return {
    ...exchange,
    request: sameRequest ? request : boundedRequest,
    response: boundedResponse,
    error: boundedError,
  }
}

/** A marker string a bound made: `[report cut: …]`, no longer than a marker is. */
function isMarker(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith(`${REPORT_CUT}: `) && v.endsWith(']') && v.length <= PREVIEW_CHARS + 200
}

/** `[report cut: WHY, N characters of JSON; it began: PREVIEW…]`, measured without recursion. */
function describeCut(why: string, value: unknown): string {
  const { chars, preview } = measureJson(value, PREVIEW_CHARS)
  const more = chars > preview.length ? '…' : ''
  return `${REPORT_CUT}: ${why}, ${count(chars)} characters of JSON; it began: ${preview}${more}]`
}

type Frame = { items: unknown[]; i: number; close: string } | { entries: [string, unknown][]; i: number; close: string }

/**
 * The length of `value`'s compact JSON (as `JSON.stringify` writes it) and its first `previewChars`
 * characters, found with an explicit stack: a value nested 100,000 deep is measured like any other.
 */
export function measureJson(value: unknown, previewChars: number): { chars: number; preview: string } {
  let chars = 0
  let preview = ''
  const emit = (text: string) => {
    chars += text.length
    if (preview.length < previewChars) preview += text.slice(0, previewChars - preview.length)
  }
  const stack: Frame[] = []
  const open = (v: unknown): void => {
    if (Array.isArray(v)) {
      emit('[')
      stack.push({ items: v, i: 0, close: ']' })
    } else if (v !== null && typeof v === 'object') {
      emit('{')
      const entries = Object.entries(v).filter(([, x]) => x !== undefined && typeof x !== 'function')
      stack.push({ entries, i: 0, close: '}' })
    } else {
      emit(v === undefined || typeof v === 'function' ? 'null' : (JSON.stringify(v) ?? 'null'))
    }
  }
  open(value)
  while (stack.length > 0) {
    const top = stack[stack.length - 1]
    if ('items' in top) {
      if (top.i >= top.items.length) {
        emit(top.close)
        stack.pop()
        continue
      }
      if (top.i > 0) emit(',')
      open(top.items[top.i++])
    } else {
      if (top.i >= top.entries.length) {
        emit(top.close)
        stack.pop()
        continue
      }
      const [key, inner] = top.entries[top.i++]
      emit(`${top.i > 1 ? ',' : ''}${JSON.stringify(key)}:`)
      open(inner)
    }
  }
  return { chars, preview }
}
