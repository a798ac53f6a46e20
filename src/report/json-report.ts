import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { CheckResult } from '../checks/types.ts'
import { boundExchange, boundJson, RECORDED } from '../http/bounded-json.ts'
import { writeFileAtomic } from './_internals/atomic-write.ts'
import { scrubSecrets } from '../secrets.ts'
import { scrubReport, secretsFrom, type SecretOptions } from './scrub-token.ts'
import type { ConformanceReport } from './types.ts'

/**
 * The run's secrets (`secrets: secretsOf(config)`, or just `token`): every occurrence, in any
 * form, is replaced before writing (the token with `$SCIM_TOKEN`).
 */
export type WriteReportOptions = SecretOptions

/**
 * Deepest nesting of a whole report: a result's recorded values sit 7 levels down and keep 64 levels
 * of their own, so only a value that never went through {@link boundResult} (a shard written by an
 * older version, a field added without bounds) reaches this, the last safety net. Python's `json`
 * stops near 1,000 levels, jq 1.6 at 256.
 */
export const REPORT_MAX_DEPTH = 80
/** Longest string of a whole report: far beyond any message the harness writes (recorded text keeps 64 KiB). */
export const REPORT_MAX_STRING_CHARS = 1024 * 1024

/**
 * A result with its recorded values bounded as a check's result is made (src/run/run-check.ts
 * `fromVerdict`): bodies cut to 64 KiB of text, parsed bodies, diff values and traits to 64 levels and
 * 4,096 values, each cut marked `[report cut: …]`. Status and message are never touched. A result
 * already within bounds is returned as it is.
 */
export function boundResult(result: CheckResult, scrub?: (text: string) => string): CheckResult {
  const json = <T>(v: T): T => boundJson(v, { ...RECORDED, scrub })
  const exchanges = result.exchanges?.map((e) => boundExchange(e, scrub))
  let counterexample = result.counterexample
  if (counterexample) {
    const { request, response } = boundExchange(
      { request: counterexample.request, response: counterexample.response, error: null, startedAt: '', durationMs: 0 },
      scrub,
    )
    if (request !== counterexample.request || response !== counterexample.response)
      counterexample = { request, response }
  }
  const diff = result.diff?.map(json)
  const traits = result.traits && json(result.traits)
  const same =
    counterexample === result.counterexample &&
    traits === result.traits &&
    (exchanges ?? []).every((e, i) => e === result.exchanges![i]) &&
    (diff ?? []).every((d, i) => d === result.diff![i])
  return same ? result : { ...result, counterexample, exchanges, diff, traits }
}

/**
 * The report as it may be written: every result's recorded values bounded ({@link boundResult}), then
 * the whole report within {@link REPORT_MAX_DEPTH} levels and {@link REPORT_MAX_STRING_CHARS}-character
 * strings, whatever reached it. `scrub` (the secret scrubber) runs on a string before it is cut, so a
 * secret is never cut in two.
 */
export function boundReport<T extends ConformanceReport>(report: T, scrub?: (text: string) => string): T {
  const results = report.results.map((r) => boundResult(r, scrub))
  const bounded = results.every((r, i) => r === report.results[i]) ? report : { ...report, results }
  return boundJson(bounded, { maxDepth: REPORT_MAX_DEPTH, maxStringChars: REPORT_MAX_STRING_CHARS, scrub })
}

/**
 * report.json's text: two-space indented, newline-terminated, with the recorded values bounded
 * ({@link boundReport}: every report.json parses with jq and Python's `json`), the secrets scrubbed
 * from every value and then, as the last step, from the rendered text (which catches forms only rendering makes).
 */
export function renderJson(report: ConformanceReport, options: WriteReportOptions = {}): string {
  const secrets = secretsFrom(options)
  const bounded = boundReport(report, (text) => scrubSecrets(text, secrets))
  return scrubSecrets(`${JSON.stringify(scrubReport(bounded, secrets), null, 2)}\n`, secrets)
}

/** Writes `<dir>/report.json` atomically (creating `dir`) and returns its path. */
export async function writeJsonReport(
  report: ConformanceReport,
  dir: string,
  options: WriteReportOptions = {},
): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, 'report.json')
  await writeFileAtomic(path, renderJson(report, options))
  return path
}
