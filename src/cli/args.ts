import { parseArgs } from 'node:util'
import { UsageError } from '../errors.ts'

/** How run and sweep authenticate beyond --token (secrets only from the environment). */
export const AUTH_OPTIONS = {
  'oauth-token-url': { type: 'string' },
  'client-id': { type: 'string' },
  scope: { type: 'string' },
  audience: { type: 'string' },
  resource: { type: 'string' },
  basic: { type: 'boolean' },
  header: { type: 'string', multiple: true },
} as const

export const RUN_OPTIONS = {
  ...AUTH_OPTIONS,
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
  baseline: { type: 'string' },
  'baseline-update': { type: 'string' },
  har: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export const DIFF_OPTIONS = {
  'fail-on': { type: 'string' },
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

export const AUDIT_OPTIONS = {
  vendor: { type: 'string' },
  spec: { type: 'string' },
  'allow-remote-refs': { type: 'boolean' },
  'fail-on': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export const LIST_OPTIONS = {
  vendor: { type: 'string' },
  spec: { type: 'string' },
  'allow-remote-refs': { type: 'boolean' },
  markdown: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export const MERGE_OPTIONS = {
  'report-dir': { type: 'string' },
  'fail-on': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export const SWEEP_OPTIONS = {
  ...AUTH_OPTIONS,
  vendor: { type: 'string' },
  spec: { type: 'string' },
  'allow-remote-refs': { type: 'boolean' },
  target: { type: 'string' },
  token: { type: 'string' },
  'report-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

type Options =
  | typeof RUN_OPTIONS
  | typeof SERVE_OPTIONS
  | typeof AUDIT_OPTIONS
  | typeof LIST_OPTIONS
  | typeof MERGE_OPTIONS
  | typeof SWEEP_OPTIONS
  | typeof DIFF_OPTIONS

/** A repeatable flag's values are joined one a line (`--header`: none may hold a line break). */
export type Flags = Record<string, string | boolean | undefined>

/** node:util parseArgs, with its errors turned into one-line usage errors. */
export function parseFlags<T extends Options>(args: string[], options: T): Flags {
  return parseWithPositionals(args, options, false).values
}

/**
 * The flags and the positional arguments (only commands that take some, e.g. merge-reports' shards, pass
 * `positionals`). `--help` anywhere wins over every other problem of the line: the caller prints its help.
 */
export function parseWithPositionals<T extends Options>(
  args: string[],
  options: T,
  positionals: boolean,
): { values: Flags; positionals: string[] } {
  if (args.includes('--help') || args.includes('-h')) return { values: { help: true }, positionals: [] }
  const secretFlag = args.find((a) => /^--(client-secret|basic-password|password)(=|$)/.test(a))
  if (secretFlag !== undefined && !(secretFlag.split('=')[0].slice(2) in options))
    throw new UsageError(
      `${secretFlag.split('=')[0]}: secrets are read from the environment only (SCIM_CLIENT_SECRET, ` +
        'SCIM_BASIC_PASSWORD): a flag would show in the process list and shell history.',
    )
  try {
    const parsed = parseArgs({
      args: joinNegativeValues(args, options),
      options,
      strict: true,
      allowPositionals: true,
    })
    if (!positionals && parsed.positionals.length > 0)
      throw new UsageError(`unexpected argument "${parsed.positionals[0]}". Flags take the form --name value.`)
    return { values: joinRepeated(parsed.values), positionals: parsed.positionals }
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

/** Each repeated flag's values as one string, a value a line; a value holding a line break is refused. */
function joinRepeated(values: Record<string, string | boolean | (string | boolean)[] | undefined>): Flags {
  const out: Flags = {}
  for (const [name, value] of Object.entries(values)) {
    if (!Array.isArray(value)) {
      out[name] = value
      continue
    }
    const bad = value.find((v) => typeof v === 'string' && /[\r\n\0]/.test(v))
    if (bad !== undefined)
      throw new UsageError(`--${name} ${JSON.stringify(bad)}: a line break or NUL cannot be part of a header.`)
    out[name] = value.join('\n')
  }
  return out
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

/** The one default-vendor rule of every command (its help and the README say it in the same words). */
const VENDOR_RULE = `Vendors: lightdash, maia, cube (their published OpenAPI documents), generic (the RFC core User),
or --spec FILE (your own OpenAPI 3.x document: a local path; URLs are not read). Without --vendor
or --spec, a command covers lightdash, maia and cube when it can (run on the embedded servers,
audit-spec) and list-checks lists every check; a command for one server (serve, sweep, run
--target) needs --vendor or --spec.`

/** The credential flags of run and sweep (one scheme per run; secrets only from the environment). */
const AUTH_HELP = `  --basic               HTTP Basic (RFC 7617) with SCIM_BASIC_USER and SCIM_BASIC_PASSWORD
  --oauth-token-url URL OAuth 2.0 client credentials (RFC 6749 §4.4) from this token endpoint, with --client-id
                        and the secret in SCIM_CLIENT_SECRET; the token is renewed before it expires and on a 401
  --client-id ID        the OAuth client
  --scope S             the token request's scope (optional)
  --audience A          the token request's audience (optional)
  --resource URI        the token request's resource (RFC 8707), the URI of the SCIM API (optional)
  --header 'N: V'       an extra header on every request, e.g. a tenant for a gateway (repeatable)`

export const HELP = `scim-conformance: conformance harness for SCIM 2.0 PUT /Users/{id}

Usage:
  scim-conformance run [--vendor V|all | --spec FILE] [--target URL] [--token T] [--report-dir DIR] ...
  scim-conformance audit-spec [--vendor V|all | --spec FILE] [--fail-on must|should]
  scim-conformance serve (--vendor V | --spec FILE) [--port N] [--token T] [--etag] [--constrained]
  scim-conformance list-checks [--vendor V | --spec FILE] [--markdown]
  scim-conformance merge-reports [--report-dir DIR] [--fail-on must|should] SHARD/report.json...
  scim-conformance sweep --target URL (--vendor V | --spec FILE) [--report-dir DIR] [--token T | --basic | ...]
  scim-conformance diff [--fail-on must|should] BASELINE.json REPORT.json
  scim-conformance --version
  scim-conformance COMMAND --help   (the command's own flags)

run            Test a SCIM server (or the embedded reference servers); writes junit.xml, report.json, report.html.
audit-spec     The static findings of a vendor's OpenAPI document against RFC 7643/7644.
serve          Start the embedded reference server and print its base URL (Ctrl-C stops it).
list-checks    Every check: id, level, source, title; with --vendor, which apply to that vendor's document.
merge-reports  One report.json/report.html from the shards of a run (vitest --shard).
sweep          Delete the test users that interrupted runs left on --target.
diff           A run's report.json against a baseline: its new, known and fixed findings.

${VENDOR_RULE}

Exit codes: 0 no failure at the --fail-on level, 1 failures, 2 usage/configuration error or unreachable target.`

const EXIT = 'Exit codes: 0 no failure at the --fail-on level, 1 failures, 2 usage/configuration error.'

/** Each command's own `--help`: its flags only (exit 0). */
export const COMMAND_HELP = {
  run: `Usage: scim-conformance run [--vendor V|all | --spec FILE] [--target URL] [flags]

Test a SCIM server's PUT /Users/{id}. Without --target, the embedded reference server of each vendor
is started and tested (lightdash, maia and cube when no --vendor or --spec is given, a report per
vendor under DIR/<vendor>/). With --target, name the API the target implements (--vendor or --spec).

  --vendor V|all        lightdash, maia, cube, generic; all = lightdash, maia, cube (not with --target)
  --spec FILE           your own OpenAPI 3.x document (a local path)
  --allow-remote-refs   let the spec's $refs fetch http(s) URLs (local $refs never leave its folder)
  --target URL          the server under test (http or https): its origin, or the SCIM base URL serve prints
  --token T             bearer token (or SCIM_TOKEN); never appears in any output
${AUTH_HELP}
  --report-dir DIR      junit.xml, report.json, report.html (default reports/)
  --har FILE            every request and response of the run as HAR 1.2 (credentials redacted), each entry
                        tagged with its check id (_checkId)
  --fail-on must|should exit 1 on MUST failures (default) or also on SHOULD warnings
  --only ID,...         run only these checks (ids or prefixes ending in *; see list-checks)
  --skip ID,...         leave these checks out
  --seed N              reproduce a run: same seed and spec, same payloads in the same order
  --runs N              generated cases per property check (default 50)
  --max-shrinks N       cases tried while shrinking a failure, per check (default 100)
  --path P              with --seed and --only ID: replay exactly one reported case
  --concurrency N       requests in flight at once (default 8)
  --rate N|auto         at most N requests per second; auto: start fast, slow down while the target answers 429
  --timeout-ms N        each wait: connect, headers, a pause in a body (default 10000)
  --deadline-ms N       a whole exchange (default the larger of 60000 and 3 x --timeout-ms)
  --user-id ID          test on this existing user (put back after) when the target lets no user be created
  --strict-rfc          the RFC wins where the vendor's document departs from it
  --baseline FILE       regression gate: compare with an earlier report.json (or a --baseline-update file) of
                        the same vendor and target; exit 1 only for NEW findings at the --fail-on level
  --baseline-update F   write this run's findings to F as the accepted set (entries may get an "expires"
                        date, YYYY-MM-DD, after which they count as new again)

${EXIT} 130: interrupted.`,
  'audit-spec': `Usage: scim-conformance audit-spec [--vendor V|all | --spec FILE] [--fail-on must|should]

The static findings of a vendor's OpenAPI document against RFC 7643/7644 (no target needed). Without
--vendor or --spec: lightdash, maia and cube.

  --vendor V|all        lightdash, maia, cube, generic; all = lightdash, maia, cube
  --spec FILE           your own OpenAPI 3.x document (a local path)
  --allow-remote-refs   let the spec's $refs fetch http(s) URLs
  --fail-on must|should exit 1 when a finding at that level (or above) exists; without it, exit 0

Exit codes: 0 (or no finding at the --fail-on level), 1 findings at the --fail-on level, 2 usage error.`,
  serve: `Usage: scim-conformance serve (--vendor V | --spec FILE) [--port N] [--host H] [--token T] [--etag]
                              [--constrained]

Start the embedded reference server for one vendor's API and print its SCIM base URL (Ctrl-C stops it).

  --vendor V            lightdash, maia, cube, generic
  --spec FILE           your own OpenAPI 3.x document (a local path)
  --port N              port to listen on (default 0: any free port)
  --host H              address to listen on (default 127.0.0.1)
  --token T             bearer token the server demands (or SCIM_TOKEN; none: no authentication)
  --etag                ETags and If-Match (RFC 7644 §3.14)
  --constrained         a strict, RFC-permitted server: strings of at most 100 characters, one value per
                        type, no {} values, emails defaulted from an email-shaped userName

Exit codes: 0 stopped by Ctrl-C/SIGTERM, 2 usage error.`,
  'list-checks': `Usage: scim-conformance list-checks [--vendor V | --spec FILE] [--markdown]

Every check: id, level, source and title. With --vendor or --spec, each line also says whether the
check applies to that vendor's document, is skipped by it (and why), or depends on the target (what
its /ServiceProviderConfig and /Schemas declare, or whether the run has a token).

  --vendor V            lightdash, maia, cube, generic
  --spec FILE           your own OpenAPI 3.x document (a local path)
  --allow-remote-refs   let the spec's $refs fetch http(s) URLs
  --markdown            the catalogue as Markdown (docs/checks.md)

Exit codes: 0, 2 usage error.`,
  'merge-reports': `Usage: scim-conformance merge-reports [--report-dir DIR] [--fail-on must|should]
                                      SHARD/report.json...

One report.json and report.html from the shards of a run (vitest --shard).

  --report-dir DIR      where the merged report goes (default reports/)
  --fail-on must|should exit 1 on MUST failures (default) or also on SHOULD warnings

${EXIT}`,
  sweep: `Usage: scim-conformance sweep --target URL (--vendor V | --spec FILE) [--report-dir DIR] [--token T]

Delete the test users that interrupted runs left on --target, as the ledgers in DIR/.ledger/ list
them (only users that still carry the harness's mark; every DELETE is verified by a GET).

  --target URL          the server the interrupted runs tested
  --vendor V            lightdash, maia, cube, generic (as the run had)
  --spec FILE           the OpenAPI document the run had (a local path)
  --allow-remote-refs   let the spec's $refs fetch http(s) URLs
  --report-dir DIR      the run's report folder (default reports/)
  --token T             bearer token (or SCIM_TOKEN)
${AUTH_HELP}

Exit codes: 0 nothing left, 1 some test users remain (each named), 2 usage error or unreachable target.`,
  diff: `Usage: scim-conformance diff [--fail-on must|should] BASELINE.json REPORT.json

The regression gate alone: the findings of REPORT.json (a run's report.json) against BASELINE.json (an
earlier report.json of the same vendor and target, or a file written by run --baseline-update): new
(the check passed, was inconclusive or absent, or its accepted entry expired), known, and fixed.

  --fail-on must|should exit 1 on new MUST failures (default) or also on new SHOULD warnings

Exit codes: 0 no new finding at the --fail-on level, 1 new findings, 2 usage error, a missing or invalid
file, or reports of another vendor or target.`,
} as const

export type CommandName = keyof typeof COMMAND_HELP

/** Prints a command's own help; exit code 0. */
export function printHelp(command: CommandName): number {
  process.stdout.write(`${COMMAND_HELP[command]}\n`)
  return 0
}
