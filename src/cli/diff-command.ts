import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { CHECK_ALIASES } from '../checks/aliases.ts'
import { UsageError } from '../errors.ts'
import {
  type Baseline,
  baselineMismatch,
  compareToBaseline,
  type FailOn,
  gatingNew,
  parseBaseline,
} from '../report/baseline.ts'
import { baselineLines } from '../report/console-summary.ts'
import { terminalLine } from '../report/terminal.ts'
import type { ConformanceReport } from '../report/types.ts'
import { activeSecrets, scrubSecrets } from '../secrets.ts'
import { DIFF_OPTIONS, parseWithPositionals, printHelp } from './args.ts'

/**
 * Reads FILE (relative to the working directory) as a baseline: an accepted set or a report.json. A missing or
 * unreadable file, or one that is neither, is one usage error naming it (exit 2).
 */
export function readBaseline(file: string, flag: string): Baseline {
  let text: string
  try {
    text = readFileSync(resolve(file), 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(`${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`}.`)
  }
  try {
    return parseBaseline(JSON.parse(text))
  } catch (error) {
    const why = error instanceof SyntaxError ? 'not JSON' : error instanceof Error ? error.message : String(error)
    throw new UsageError(`${flag} ${file}: ${why.split('\n')[0]}.`)
  }
}

export function failOnOf(value: unknown): FailOn {
  const failOn = (value as string | undefined) ?? 'must'
  if (failOn !== 'must' && failOn !== 'should')
    throw new UsageError(`--fail-on must be "must" or "should", got "${failOn}".`)
  return failOn
}

/**
 * `diff A.json B.json`: the regression gate alone. B (a report.json) against A (an earlier report.json, or an
 * accepted set written by --baseline-update): exit 1 when B has a new finding at the --fail-on level.
 */
export async function diffCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseWithPositionals(args, DIFF_OPTIONS, true)
  if (values.help) return printHelp('diff')
  const failOn = failOnOf(values['fail-on'])
  if (positionals.length !== 2)
    throw new UsageError(
      `diff takes two files, the baseline and the report to judge (got ${positionals.length}): ` +
        'scim-conformance diff A.json B.json.',
    )
  const [a, b] = positionals
  const baseline = readBaseline(a, 'diff:')
  const later = readBaseline(b, 'diff:')
  if (later.outcomes === undefined)
    throw new UsageError(`diff: ${b}: a baseline file, not a report.json: the second file is the run to judge.`)
  const mismatch = baselineMismatch(baseline, later)
  if (mismatch) throw new UsageError(`diff: ${a}: ${mismatch}.`)
  // The judged run's results, as a report.json of it lists them (only id and outcome are read, and the summary).
  const { results } = JSON.parse(readFileSync(resolve(b), 'utf8')) as Pick<ConformanceReport, 'results'>
  const wellFormed = results.filter((r) => typeof r?.id === 'string' && typeof r.status === 'string')
  const comparison = compareToBaseline(
    baseline,
    { results: wellFormed },
    {
      against: a,
      failOn,
      now: new Date(),
      aliases: CHECK_ALIASES,
    },
  )
  const head = `scim-conformance diff: ${later.vendor} at ${later.target}, ${b} against ${a}`
  const text = [terminalLine(head), ...baselineLines(comparison)].join('\n')
  process.stdout.write(`${scrubSecrets(text, activeSecrets())}\n`)
  return gatingNew(comparison).length > 0 ? 1 : 0
}
