import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FAULT_NAMES, FAULTS, type FaultName } from '../support/faults/index.ts'
import { expectationsFor, MATRIX_VENDORS, UNEXERCISED, type MatrixVendor } from './fault-catalogue.ts'
import { runFaultMatrix, type FaultMatrixReport, type MatrixRow } from './fault-matrix.ts'

/**
 * `npm run matrix`: every check against the reference server with each fault switched on, for every
 * vendor the fault applies to. Writes reports/matrix.json and reports/matrix.md, prints the summary and
 * exits 1 when a fault goes undetected or a check fails that should not (2 on a usage error).
 */
const usage = 'Usage: npm run matrix -- [--seed N] [--runs N] [--vendors a,b] [--faults x,y] [--workers N] [--out DIR]'

function parse() {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '42' },
      runs: { type: 'string', default: '10' },
      vendors: { type: 'string' },
      faults: { type: 'string' },
      workers: { type: 'string' },
      out: { type: 'string', default: 'reports' },
    },
  })
  const int = (name: string, raw: string | undefined) => {
    if (raw === undefined) return undefined
    if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a whole number, got "${raw}".\n${usage}`)
    return Number(raw)
  }
  const list = <T extends string>(name: string, raw: string | undefined, known: readonly T[]): T[] | undefined => {
    if (raw === undefined) return undefined
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const unknown = items.filter((i) => !known.includes(i as T))
    if (unknown.length > 0)
      throw new Error(`--${name}: unknown ${unknown.join(', ')}. Choose from ${known.join(', ')}.\n${usage}`)
    return items as T[]
  }
  return {
    seed: int('seed', values.seed)!,
    runs: int('runs', values.runs)!,
    workers: int('workers', values.workers),
    vendors: list<MatrixVendor>('vendors', values.vendors, MATRIX_VENDORS),
    faults: list<FaultName>('faults', values.faults, FAULT_NAMES),
    out: values.out!,
  }
}

/** "N of M faults detected by their intended check, K unexpected failures". */
function summaryLine(report: FaultMatrixReport): string {
  const t = report.totals
  return (
    `${t.faultsDetected} of ${t.faults} faults detected by their intended check ` +
    `(${t.pairsDetected} of ${t.pairs} fault × vendor runs), ${t.unexpected} unexpected failures`
  )
}

const cell = (row: MatrixRow | undefined): string => {
  if (!row) return '—'
  if (row.error) return `✗ error`
  const mark = row.detected ? '✓' : `✗ ${row.missed.map((m) => `${m.check} ${m.status}`).join(', ')}`
  return row.unexpected.length > 0
    ? `${mark}; unexpected ${row.unexpected.map((u) => `${u.check} ${u.status}`).join(', ')}`
    : mark
}

const escapeCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

/** The Markdown report: totals, baseline per vendor, one row per fault with the checks that caught it per vendor. */
function matrixMarkdown(report: FaultMatrixReport): string {
  const out: string[] = []
  out.push('# Fault-detection matrix', '')
  out.push(
    `Seed ${report.seed}, ${report.runs} runs per property check, ${report.checks} checks, ` +
      `vendors ${report.vendors.join(', ')}; ${Math.round(report.durationMs / 1000)} s.`,
    '',
  )
  out.push(`**${summaryLine(report)}**`, '')
  out.push('## Baseline (no fault)', '')
  out.push('| vendor | passed | failed | warned | observed | skipped | time |', '|---|---:|---:|---:|---:|---:|---:|')
  for (const row of report.baseline) {
    const count = (s: string) => Object.values(row.statuses).filter((x) => x === s).length
    out.push(
      `| ${row.vendor} | ${count('passed')} | ${count('failed')} | ${count('warned')} | ${count('observed')} | ` +
        `${count('skipped')} | ${(row.durationMs / 1000).toFixed(1)} s |`,
    )
  }
  out.push('')
  out.push('## Faults', '')
  out.push('✓ = every intended check showed its expected status; — = the fault does not apply to the vendor.', '')
  out.push(
    `| fault | detected by | ${report.vendors.join(' | ')} | also affected (allowed consequences) |`,
    `|---|---|${report.vendors.map(() => '---').join('|')}|---|`,
  )
  const faults = [...new Set(report.rows.map((r) => r.fault!))]
  for (const fault of faults) {
    const rows = report.rows.filter((r) => r.fault === fault)
    const intended = [...new Set(rows.flatMap((r) => Object.entries(r.expected).map(([c, s]) => `${c} (${s})`)))]
    const consequences = [...new Set(rows.flatMap((r) => r.consequences.map((c) => c.check)))]
    const cells = report.vendors.map((v) => cell(rows.find((r) => r.vendor === v)))
    out.push(
      `| \`${fault}\` | ${intended.join('<br>')} | ${cells.map(escape).join(' | ')} | ` +
        `${consequences.join(', ') || '—'} |`,
    )
  }
  const problems = [...report.baseline, ...report.rows].filter(
    (r) => r.error || r.missed.length > 0 || r.unexpected.length > 0,
  )
  if (problems.length > 0) {
    out.push('', '## Problems', '')
    for (const row of problems) {
      out.push(`### ${row.fault ?? 'baseline'} on ${row.vendor}`, '')
      if (row.error) out.push('```', row.error, '```')
      for (const m of row.missed)
        out.push(
          `- missed: \`${m.check}\` expected ${m.expected}, got ${m.status}. ${escapeCell(m.message).slice(0, 400)}`,
        )
      for (const u of row.unexpected)
        out.push(`- unexpected: \`${u.check}\` ${u.status}. ${escapeCell(u.message).slice(0, 400)}`)
      out.push('')
    }
  }
  out.push('', '## Checks no fault is meant to make fail or warn', '')
  for (const [check, { kind, reason }] of Object.entries(UNEXERCISED)) out.push(`- \`${check}\` (${kind}): ${reason}`)
  out.push('', '## The faults', '')
  for (const fault of faults) {
    const vendors = MATRIX_VENDORS.filter((v) => expectationsFor(fault, v).length > 0)
    out.push(
      `- \`${fault}\`: ${FAULTS[fault]}` +
        `${vendors.length < MATRIX_VENDORS.length ? ` (applies to ${vendors.join(', ')})` : ''}`,
    )
  }
  return `${out.join('\n')}\n`
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>
  try {
    args = parse()
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    return 2
  }
  let done = 0
  const onRow = (row: MatrixRow) => {
    done += 1
    const state = row.error
      ? 'ERROR'
      : row.fault === null
        ? row.unexpected.length === 0
          ? 'clean'
          : 'NOT CLEAN'
        : row.detected
          ? 'detected'
          : 'MISSED'
    const extra =
      row.unexpected.length > 0 ? ` unexpected: ${row.unexpected.map((u) => `${u.check}=${u.status}`).join(' ')}` : ''
    console.log(
      `[${done}] ${row.fault ?? 'baseline'} on ${row.vendor}: ${state} ` +
        `(${(row.durationMs / 1000).toFixed(1)} s)${extra}`,
    )
  }
  let report: FaultMatrixReport
  try {
    report = await runFaultMatrix({ ...args, onRow })
  } catch (error) {
    // A harness problem (a worker thread died), not a finding.
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
    return 2
  }
  await mkdir(args.out, { recursive: true })
  await writeFile(join(args.out, 'matrix.json'), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(join(args.out, 'matrix.md'), matrixMarkdown(report))
  console.log(`\n${summaryLine(report)}`)
  console.log(
    `Wrote ${join(args.out, 'matrix.json')} and ${join(args.out, 'matrix.md')} ` +
      `in ${Math.round(report.durationMs / 1000)} s.`,
  )
  const ok =
    report.totals.faultsDetected === report.totals.faults &&
    report.totals.unexpected === 0 &&
    report.baseline.every((r) => !r.error)
  return ok ? 0 : 1
}

process.exitCode = await main()
