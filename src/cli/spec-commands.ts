import { auditSpec } from '../audit/audit-spec.ts'
import { checksCatalogue } from '../checks/catalogue.ts'
import { CHECKS } from '../checks/index.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { mergeReports } from '../report/merge-reports.ts'
import { writeReports } from '../report/write-reports.ts'
import { consoleSummary } from '../report/console-summary.ts'
import { secretsOf } from '../secrets.ts'
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.ts'
import { HELP, parseFlags, SPEC_OPTIONS } from './args.ts'

/** `audit-spec`: the document's departures from the RFC, without a target. */
export async function auditSpecCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, SPEC_OPTIONS)
  if (flags.help) return help()
  const profile = await loadProfile({
    vendor: (flags.vendor as string | undefined) ?? (flags.spec ? undefined : 'lightdash'),
    spec: flags.spec as string | undefined,
    allowRemoteRefs: flags['allow-remote-refs'] === true,
  })
  const findings = auditSpec(profile)
  process.stdout.write(`Spec findings for ${profile.name} (${profile.specPath}), PUT ${profile.op.path}:\n`)
  if (findings.length === 0)
    process.stdout.write('  none: the document agrees with RFC 7643/7644 on every audited point\n')
  for (const f of findings)
    process.stdout.write(`  ${f.level.padEnd(6)} ${f.id}  [${f.source}]\n         ${f.message}\n`)
  return 0
}

/** `list-checks`: id, level, source and title of every check. */
export async function listChecksCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, SPEC_OPTIONS)
  if (flags.help) return help()
  if (flags.vendor || flags.spec)
    await loadProfile({
      vendor: flags.vendor as string | undefined,
      spec: flags.spec as string | undefined,
      allowRemoteRefs: flags['allow-remote-refs'] === true,
    })
  // The catalogue a QA team reads (docs/checks.md is this output, kept current by a test).
  if (flags.markdown) {
    process.stdout.write(checksCatalogue(CHECKS))
    return 0
  }
  const width = Math.max(...CHECKS.map((c) => c.id.length))
  for (const c of CHECKS)
    process.stdout.write(`${c.id.padEnd(width)}  ${c.level.padEnd(6)}  ${c.source.padEnd(34)}  ${c.title}\n`)
  process.stdout.write(`${CHECKS.length} checks\n`)
  return 0
}

function help(): number {
  process.stdout.write(`${HELP}\n`)
  return 0
}

const parseMergeArgs = (config: {
  args: string[]
  options: { 'report-dir': { type: 'string' }; 'fail-on': { type: 'string' } }
  allowPositionals: true
  strict: true
}) => parseArgs(config)

/** `merge-reports --report-dir OUT a/report.json b/report.json ...`: one report from the shards of a run. */
export async function mergeReportsCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseMergeArgs>
  try {
    parsed = parseMergeArgs({
      args,
      options: { 'report-dir': { type: 'string' }, 'fail-on': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message.split('\n')[0] : String(error)}. See --help.`)
  }
  const failOn = parsed.values['fail-on'] ?? 'must'
  if (failOn !== 'must' && failOn !== 'should')
    throw new UsageError(`--fail-on must be "must" or "should", got "${failOn}".`)
  const dir = parsed.values['report-dir'] ?? 'reports'
  const report = await mergeReports(parsed.positionals)
  // The shards were scrubbed when written; the environment's token is scrubbed again, in case a shard came from afar.
  const secrets = secretsOf({ token: process.env.SCIM_TOKEN })
  await writeReports(report, dir, { secrets })
  process.stdout.write(`${consoleSummary(report, { reportDir: dir, color: process.stdout.isTTY === true, secrets })}\n`)
  return report.results.some((r) => r.status === 'failed' || (failOn === 'should' && r.status === 'warned')) ? 1 : 0
}
