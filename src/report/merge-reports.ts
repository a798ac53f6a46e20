import { readFile } from 'node:fs/promises'
import { UsageError } from '../errors.ts'
import type { CheckResult } from '../checks/types.ts'
import { scrubSecrets, secretsOf, withoutUserinfo } from '../secrets.ts'
import { boundReport } from './json-report.ts'
import type { ConformanceReport } from './types.ts'

/**
 * Merges the report.json of several shards of one run (same vendor and seed) into one report:
 * results are concatenated (a check id appears once, in the shard that ran it) and the summary recounted.
 * Recorded values are bounded as a run bounds them ({@link boundReport}), so a shard written before
 * report.json was bounded still makes a report.json and report.html that every JSON tool reads.
 */
export async function mergeReports(files: string[]): Promise<ConformanceReport> {
  if (files.length === 0) throw new UsageError('merge-reports needs at least one report.json.')
  const reports: ConformanceReport[] = []
  for (const file of files) {
    try {
      reports.push(JSON.parse(await readFile(file, 'utf8')) as ConformanceReport)
    } catch (error) {
      throw new UsageError(
        `${file}: not a readable report.json ` +
          `(${error instanceof Error ? error.message.split('\n')[0] : String(error)}).`,
      )
    }
  }
  const first = reports[0]
  const other = reports.find((r) => r.vendor !== first.vendor || r.seed !== first.seed)
  if (other)
    throw new UsageError(
      `the reports are not shards of one run: vendor ${first.vendor}, seed ${first.seed} ` +
        `vs vendor ${other.vendor}, seed ${other.seed}. Merge shards that share vendor and seed.`,
    )
  const byId = new Map<string, CheckResult>()
  for (const r of reports) for (const result of r.results) byId.set(result.id, result)
  const results = [...byId.values()]
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length
  const errored = reports.reduce((n, r) => n + (r.summary.errored ?? 0), 0)
  const startedAt = reports.map((r) => r.startedAt).sort()[0]
  const endedAt = Math.max(...reports.map((r) => Date.parse(r.startedAt) + r.durationMs))
  // A token the shards still hold (merge-reports scrubs $SCIM_TOKEN again) is scrubbed before a string is cut.
  const secrets = secretsOf({ token: process.env.SCIM_TOKEN })
  return boundReport(
    {
      ...first,
      // A shard written before userinfo was stripped may still carry a credential in its target.
      target: [...new Set(reports.map((r) => withoutUserinfo(r.target)))].join(', '),
      startedAt,
      durationMs: endedAt - Date.parse(startedAt),
      summary: {
        passed: count('passed'),
        failed: count('failed'),
        warned: count('warned'),
        observed: count('observed'),
        inconclusive: count('inconclusive'),
        skipped: count('skipped'),
        ...(errored > 0 ? { errored } : {}),
        requests: reports.reduce((n, r) => n + r.summary.requests, 0),
      },
      results,
      traits: Object.assign({}, ...reports.map((r) => r.traits)),
      discoveryNotes: [...new Set(reports.flatMap((r) => r.discoveryNotes ?? []))],
      harnessErrors: reports.flatMap((r) => r.harnessErrors ?? []),
      interrupted: reports.some((r) => r.interrupted === true),
    },
    (text) => scrubSecrets(text, secrets),
  )
}
