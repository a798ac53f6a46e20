import { parseArgs } from 'node:util'
import { UsageError } from '../errors.ts'

export const RUN_OPTIONS = {
  vendor: { type: 'string' },
  spec: { type: 'string' },
  target: { type: 'string' },
  token: { type: 'string' },
  seed: { type: 'string' },
  runs: { type: 'string' },
  'max-shrinks': { type: 'string' },
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'deadline-ms': { type: 'string' },
  only: { type: 'string' },
  skip: { type: 'string' },
  'fail-on': { type: 'string' },
  'report-dir': { type: 'string' },
  'user-id': { type: 'string' },
  path: { type: 'string' },
  'strict-rfc': { type: 'boolean' },
  'allow-remote-refs': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export const SERVE_OPTIONS = {
  vendor: { type: 'string' },
  spec: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  token: { type: 'string' },
  etag: { type: 'boolean' },
  constrained: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export const SPEC_OPTIONS = {
  vendor: { type: 'string' },
  spec: { type: 'string' },
  'allow-remote-refs': { type: 'boolean' },
  markdown: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export const SWEEP_OPTIONS = {
  vendor: { type: 'string' },
  spec: { type: 'string' },
  'allow-remote-refs': { type: 'boolean' },
  target: { type: 'string' },
  token: { type: 'string' },
  'report-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

type Options = typeof RUN_OPTIONS | typeof SERVE_OPTIONS | typeof SPEC_OPTIONS | typeof SWEEP_OPTIONS

/** node:util parseArgs, with its errors turned into one-line usage errors. */
export function parseFlags<T extends Options>(
  args: string[],
  options: T,
): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(args, options),
      options,
      strict: true,
      allowPositionals: true,
    })
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${positionals[0]}". Flags take the form --name value.`)
    return values as Record<string, string | boolean | undefined>
  } catch (error) {
    if (error instanceof UsageError) throw error
    const message = (error instanceof Error ? error.message.split('\n')[0] : String(error))
      .replace(/\. To specify a positional argument.*$/, '')
      .replace(/\.$/, '')
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous$/.exec(message)
    if (ambiguous)
      throw new UsageError(
        `${ambiguous[1]} has no value: the next argument is a flag. ` +
          `Write ${ambiguous[1]}=VALUE for a value that starts with "-". See --help.`,
      )
    throw new UsageError(`${message}. See --help.`)
  }
}

/**
 * `--runs -1` → `--runs=-1`: parseArgs reads a value starting with "-" as a flag, but a negative number is a value
 * (rejected by name later).
 */
function joinNegativeValues(args: string[], options: Options): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const name = /^--([\w-]+)$/.exec(args[i])?.[1]
    const next = args[i + 1]
    const takesValue = name !== undefined && (options as Record<string, { type: string }>)[name]?.type === 'string'
    if (takesValue && next !== undefined && /^-\d/.test(next)) {
      out.push(`${args[i]}=${next}`)
      i++
    } else out.push(args[i])
  }
  return out
}

export const HELP = `scim-conformance: conformance harness for SCIM 2.0 PUT /Users/{id}

Usage:
  scim-conformance run   [--vendor lightdash|maia|cube|generic|all] [--spec FILE] [--target URL] [--token T]
                         [--seed N] [--runs N] [--max-shrinks N] [--concurrency N] [--rate N] [--timeout-ms N]
                         [--only ID,...] [--skip ID,...] [--fail-on must|should] [--report-dir DIR]
                         [--user-id ID] [--strict-rfc] [--deadline-ms N] [--allow-remote-refs]
                         [--path P]   (with --seed and --only: replay exactly one reported case)
  scim-conformance audit-spec [--vendor V | --spec FILE]
  scim-conformance serve [--vendor V] [--port N] [--token T] [--etag] [--constrained]
  scim-conformance list-checks [--vendor V] [--markdown]
  scim-conformance merge-reports [--report-dir DIR] [--fail-on must|should] SHARD/report.json...
  scim-conformance sweep --target URL (--vendor V | --spec FILE) [--report-dir DIR] [--token T]
  scim-conformance --version

run         Test a SCIM server. Without --target, the embedded reference server of each vendor is
            started and tested (--vendor all is then the default). The token comes from --token or
            SCIM_TOKEN and never appears in any output. Reports: junit.xml, report.json, report.html
            in --report-dir (default reports/; reports/<vendor>/ for --vendor all).
            --timeout-ms bounds each wait (connect, headers, a pause in a body; default 10000),
            --deadline-ms a whole exchange (default the larger of 60000 and 3 x --timeout-ms).
audit-spec  The static findings of a vendor's OpenAPI document against RFC 7643/7644.
--allow-remote-refs  (run, audit-spec) let --spec $refs fetch http(s) URLs; local $refs never leave the spec's folder.
serve       Start the embedded reference server and print its base URL (Ctrl-C stops it).
            --constrained: a strict, RFC-permitted server (strings of at most 100 characters, one
            value per type, no {} values, emails defaulted from an email-shaped userName).
list-checks Every check: id, level, source, title.
merge-reports  One report.json/report.html from the shards of a run (vitest --shard).
sweep       Delete the test users that interrupted runs left on --target, as the ledgers in
            --report-dir/.ledger/ list them (only users that still carry the harness's mark).

Exit codes: 0 no failure at the --fail-on level, 1 failures, 2 usage/configuration error or unreachable target.`
