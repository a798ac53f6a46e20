import { join } from 'node:path'
import type { CheckResult, Outcome } from '../checks/types.ts'
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
