import { STATUS_CODES } from 'node:http'
import type { Level, Outcome } from '../../checks/types.ts'

export const OUTCOMES: readonly Outcome[] = ['failed', 'warned', 'observed', 'passed', 'inconclusive', 'skipped']
export const LEVELS: readonly Level[] = ['MUST', 'SHOULD', 'MAY']

/** Short upper-case label of an outcome, the word the console and the badges print. */
export const OUTCOME_LABEL: Record<Outcome, string> = {
  failed: 'FAIL',
  warned: 'WARN',
  observed: 'OBSERVE',
  passed: 'PASS',
  inconclusive: 'INCONCLUSIVE',
  skipped: 'SKIP',
}

/** The reason phrase of an HTTP status (`404` → `Not Found`). */
export function statusReason(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown Status'
}

/**
 * Makes server text safe to print: CRLF becomes LF, other control characters (ANSI escapes
 * included) and bidi overrides become `\uXXXX`, so a hostile body can neither drive the terminal
 * nor reorder what a reader sees.
 */
export function printable(text: string): string {
  return (
    text
      .replace(/\r\n/g, '\n')
      // C0/C1 controls except tab and newline, then the bidi embedding/override/isolate characters
      .replace(
        /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      )
  )
}

/** Cuts text after `max` characters (never inside a surrogate pair) and says how much was left out. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text
  let end = max
  const code = text.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end--
  return `${text.slice(0, end)}\n… [cut: ${text.length - end} more characters]`
}

/** Pretty JSON when the text parses as JSON; the text itself otherwise. */
export function prettyText(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

/** A response body for display: the parsed JSON pretty-printed, else the raw text. */
export function prettyResponseBody(bodyText: string, body: unknown): string {
  if (body !== undefined) return JSON.stringify(body, null, 2)
  return prettyText(bodyText)
}

/** One attribute value in a diff cell: compact JSON, `(absent)` for undefined. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(absent)'
  return JSON.stringify(value) ?? String(value)
}

/** `850 ms`, `12.3 s`, `2 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`
}

/** The first `Received:` line of a check message (without the label), if it has one. */
export function receivedLine(message: string): string | undefined {
  const line = message.split('\n').find((l) => l.trimStart().startsWith('Received:'))
  return line?.trim().slice('Received:'.length).trim()
}
