import { join } from 'node:path'
import type { CheckResult, Outcome } from '../checks/types.ts'
import { type BaselineComparison, type BaselineItem, gates } from './baseline.ts'
import { countsByLevel, describeCounts } from './_internals/counts.ts'
import { formatDuration, LEVELS, OUTCOME_LABEL, receivedLine } from './_internals/text.ts'
import { activeSecrets, scrubSecrets, withoutUserinfo } from '../secrets.ts'
import { secretsFrom, type SecretOptions } from './scrub-token.ts'
import { terminalLine } from './terminal.ts'
import type { ConformanceReport } from './types.ts'

export interface ConsoleSummaryOptions extends SecretOptions {
  /** Directory the reports were written to (printed so CI logs point at the artifacts). */
  reportDir: string
  /**
   * ANSI colours on the outcome labels. Pass `process.stdout.isTTY && !process.env.NO_COLOR`.
   * @defaultValue false
   */
  color?: boolean
}

const REASON_LIMIT = 160

const ANSI: Partial<Record<Outcome, string>> = { failed: '\u001b[31m', warned: '\u001b[33m', passed: '\u001b[32m' }
const RESET = '\u001b[0m'

/** `1 check`, `0 checks`, `65 checks`. */
const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`

/** Title and what was received (the finding's field, else the message's line): one line, at most REASON_LIMIT chars. */
function oneLineReason(result: CheckResult): string {
  const received = result.finding?.received ?? receivedLine(result.message)
  const reason = (received ? `${result.title}: ${received}` : result.title).replace(/\s+/g, ' ').trim()
  return reason.length > REASON_LIMIT ? `${reason.slice(0, REASON_LIMIT - 1)}…` : reason
}

/**
 * What the CLI prints after a run: counts by outcome and by RFC 2119 level, one line per failure and
 * warning (`FAIL put.status.unknown-id-404  <reason>`), where the reports are, and the seed to replay.
 * Text from the report (which a server or a shard file may have shaped) is escaped for the terminal
 * before the colours are added; the secrets (`options`, and the process's own) are scrubbed last.
 */
export function consoleSummary(report: ConformanceReport, options: ConsoleSummaryOptions): string {
  const color = options.color ?? false
  const label = (outcome: Outcome) => {
    const word = OUTCOME_LABEL[outcome]
    const code = ANSI[outcome]
    return color && code ? `${code}${word}${RESET}` : word
  }
  const s = report.summary
  const inconclusive = s.inconclusive ?? 0
  const errored = s.errored ?? 0
  // Every check that ran: those that ended in a harness error too (they have no result).
  const checks = s.passed + s.failed + s.warned + s.observed + inconclusive + s.skipped + errored
  const lines: string[] = [
    terminalLine(
      `scim-conformance ${report.tool.version}: ${report.vendor} PUT /Users/{id} at ${withoutUserinfo(report.target)}` +
        (report.strictRfc ? ' (--strict-rfc)' : ''),
    ),
    `${plural(checks, 'check')}: ${s.passed} passed, ${s.failed} failed, ${s.warned} warned, ` +
      `${s.observed} observed, ${inconclusive} inconclusive, ${s.skipped} skipped` +
      (errored > 0 ? `, ${errored} ended in a harness error` : '') +
      ` (${plural(s.requests, 'request')}, ${formatDuration(report.durationMs)})`,
  ]
  if (report.interrupted) lines.push('INTERRUPTED: the run was cut short; these results are partial')
  const byLevel = countsByLevel(report.results)
  for (const level of LEVELS) lines.push(`  ${level.padEnd(6)}  ${describeCounts(byLevel[level])}`)
  if (report.specFindings.length > 0)
    lines.push(`${plural(report.specFindings.length, 'spec finding')} about the vendor document (see the HTML report)`)

  const notable = [
    ...report.results.filter((r) => r.status === 'failed'),
    ...report.results.filter((r) => r.status === 'warned'),
  ]
  if (notable.length > 0) {
    lines.push('')
    const width = Math.max(...notable.map((r) => r.id.length))
    for (const r of notable)
      lines.push(`${label(r.status)} ${terminalLine(r.id).padEnd(width)}  ${terminalLine(oneLineReason(r))}`)
  }

  if (report.baseline) lines.push('', ...baselineLines(report.baseline))

  const harnessErrors = report.harnessErrors ?? []
  if (harnessErrors.length > 0) {
    lines.push('')
    for (const e of harnessErrors) lines.push(`${color ? `\u001b[35mERROR${RESET}` : 'ERROR'} ${terminalLine(e)}`)
  }
  const constraints = Object.entries(report.constraints ?? {})
  if (constraints.length > 0)
    lines.push('', terminalLine(`constraints learned: ${constraints.map(([k, v]) => `${k}: ${v}`).join('; ')}`))
  const notes = report.discoveryNotes ?? []
  if (notes.length > 0) lines.push('', ...notes.map((n) => `note: ${terminalLine(n)}`))

  lines.push(
    '',
    `Reports: ${terminalLine(join(options.reportDir, 'report.html'))}`,
    `         ${terminalLine(join(options.reportDir, 'report.json'))}`,
    `Replay with: --seed ${terminalLine(String(report.seed))}`,
  )
  return scrubSecrets(lines.join('\n'), [...secretsFrom(options), ...activeSecrets()])
}

/** What a finding was before, in words. */
function wasText(item: BaselineItem): string {
  if (item.expired) return `accepted until ${item.expired}, expired`
  return item.before === 'absent' ? 'not in the baseline' : `was ${item.before}`
}

/**
 * The regression gate's lines (run --baseline, diff): counts, then one line per new (those that gate marked NEW),
 * known and fixed finding. Escaped for the terminal; the caller scrubs.
 */
export function baselineLines(comparison: BaselineComparison): string[] {
  const c = comparison
  const lines = [
    terminalLine(
      `Baseline ${c.against}: ${c.new.length} new, ${c.known.length} known, ${c.fixed.length} fixed` +
        (c.notRun.length > 0 ? `, ${c.notRun.length} not run` : '') +
        ` (exit 1 only for a new ${c.failOn === 'should' ? 'failure or warning' : 'failure'})`,
    ),
  ]
  const all = [...c.new, ...c.known, ...c.fixed]
  const width = Math.max(0, ...all.map((i) => i.id.length))
  const line = (tag: string, item: BaselineItem, note: string) => {
    const what = terminalLine(`${item.status}, ${note}: ${item.summary}`)
    return `  ${tag.padEnd(5)} ${terminalLine(item.id).padEnd(width)}  ${what}`
  }
  for (const item of c.new) lines.push(line(gates(item.status, c.failOn) ? 'NEW' : 'new', item, wasText(item)))
  for (const item of c.known)
    lines.push(line('known', item, item.expires ? `accepted until ${item.expires}` : 'accepted'))
  for (const item of c.fixed) lines.push(line('fixed', item, `was ${item.before}`))
  if (c.notRun.length > 0) lines.push(`  not run: ${terminalLine(c.notRun.join(', '))}`)
  return lines
}
