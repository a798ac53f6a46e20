import { auditSpec } from '../audit/audit-spec.ts'
import { checksCatalogue } from '../checks/catalogue.ts'
import { CHECKS } from '../checks/index.ts'
import type { SpecFinding } from '../checks/types.ts'
import { UsageError } from '../errors.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { ALL_VENDORS } from '../profile/vendors.ts'
import { consoleSummary } from '../report/console-summary.ts'
import { mergeReports } from '../report/merge-reports.ts'
import { writeReports } from '../report/write-reports.ts'
import { secretsOf } from '../secrets.ts'
import { applicability } from './applicability.ts'
import {
  AUDIT_OPTIONS,
  type Flags,
  LIST_OPTIONS,
  MERGE_OPTIONS,
  parseFlags,
  parseWithPositionals,
  printHelp,
} from './args.ts'

/**
 * `audit-spec`: the document's departures from the RFC, without a target. Without --vendor or --spec it audits
 * lightdash, maia and cube (the rule every command shares: see `--help`). Exit 0 unless `--fail-on must|should`
 * is given and a finding at that level (or above) exists: then 1.
 */
export async function auditSpecCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, AUDIT_OPTIONS)
  if (flags.help) return printHelp('audit-spec')
  const failOn = flags['fail-on'] as string | undefined
  if (failOn !== undefined && failOn !== 'must' && failOn !== 'should')
    throw new UsageError(`--fail-on must be "must" or "should", got "${failOn}".`)
  let failing = false
  for (const profile of await profilesOf(flags)) {
    const findings = auditSpec(profile)
    process.stdout.write(`Spec findings for ${profile.name} (${profile.specPath}), PUT ${profile.op.path}:\n`)
    if (findings.length === 0)
      process.stdout.write('  none: the document agrees with RFC 7643/7644 on every audited point\n')
    for (const f of findings)
      process.stdout.write(`  ${f.level.padEnd(6)} ${f.id}  [${f.source}]\n         ${f.message}\n`)
    if (failOn !== undefined && findings.some((f) => failsAt(f, failOn))) failing = true
  }
  return failing ? 1 : 0
}

const failsAt = (f: SpecFinding, failOn: string) => f.level === 'MUST' || (failOn === 'should' && f.level === 'SHOULD')

/** The documents a spec command reads: --spec, one --vendor, or every built-in vendor (none given, or `all`). */
async function profilesOf(flags: Flags): Promise<VendorProfile[]> {
  const spec = flags.spec as string | undefined
  const vendor = flags.vendor as string | undefined
  const allowRemoteRefs = flags['allow-remote-refs'] === true
  if (spec !== undefined) {
    if (vendor === 'all')
      throw new UsageError('--vendor all cannot be combined with --spec: a spec file describes one vendor.')
    return [await loadProfile({ spec, allowRemoteRefs })]
  }
  const vendors = vendor === undefined || vendor === 'all' ? [...ALL_VENDORS] : [vendor]
  return Promise.all(vendors.map((v) => loadProfile({ vendor: v, allowRemoteRefs })))
}

/**
 * `list-checks`: id, level, source and title of every check; with --vendor or --spec, whether each applies to
 * that document, is skipped by it (why), or depends on the target (src/cli/applicability.ts).
 */
export async function listChecksCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, LIST_OPTIONS)
  if (flags.help) return printHelp('list-checks')
  if (flags.vendor === 'all')
    throw new UsageError('list-checks --vendor takes one vendor (lightdash, maia, cube, generic); without it: all.')
  const profile =
    flags.vendor || flags.spec
      ? await loadProfile({
          vendor: flags.vendor as string | undefined,
          spec: flags.spec as string | undefined,
          allowRemoteRefs: flags['allow-remote-refs'] === true,
        })
      : null
  // The catalogue a QA team reads (docs/checks.md is this output, kept current by a test).
  if (flags.markdown) {
    process.stdout.write(checksCatalogue(CHECKS))
    return 0
  }
  const width = Math.max(...CHECKS.map((c) => c.id.length))
  const line = (c: (typeof CHECKS)[number]) => `${c.id.padEnd(width)}  ${c.level.padEnd(6)}  ${c.source.padEnd(34)}`
  if (profile === null) {
    for (const c of CHECKS) process.stdout.write(`${line(c)}  ${c.title}\n`)
    process.stdout.write(`${CHECKS.length} checks\n`)
    return 0
  }
  const counts = { applies: 0, skipped: 0, depends: 0 }
  for (const c of CHECKS) {
    const a = applicability(c, profile)
    counts[a.kind]++
    const status = a.kind === 'applies' ? 'applies' : a.kind === 'skipped' ? 'skipped' : 'depends'
    process.stdout.write(`${line(c)}  ${status.padEnd(7)}  ${c.title}\n`)
    const indent = ' '.repeat(width + 2)
    if (a.kind === 'skipped') process.stdout.write(`${indent}skipped for ${profile.name}: ${a.reason}\n`)
    if (a.kind === 'depends') process.stdout.write(`${indent}depends on the target (skipped when: ${a.reason})\n`)
  }
  process.stdout.write(
    `${CHECKS.length} checks for ${profile.name}: ${counts.applies} apply, ${counts.skipped} skipped by its ` +
      `document, ${counts.depends} depend on the target\n`,
  )
  return 0
}

/** `merge-reports --report-dir OUT a/report.json b/report.json ...`: one report from the shards of a run. */
export async function mergeReportsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseWithPositionals(args, MERGE_OPTIONS, true)
  if (values.help) return printHelp('merge-reports')
  const failOn = (values['fail-on'] as string | undefined) ?? 'must'
  if (failOn !== 'must' && failOn !== 'should')
    throw new UsageError(`--fail-on must be "must" or "should", got "${failOn}".`)
  const dir = (values['report-dir'] as string | undefined) ?? 'reports'
  const report = await mergeReports(positionals)
  // The shards were scrubbed when written; the environment's token is scrubbed again, in case a shard came from afar.
  const secrets = secretsOf({ token: process.env.SCIM_TOKEN })
  await writeReports(report, dir, { secrets })
  process.stdout.write(`${consoleSummary(report, { reportDir: dir, color: process.stdout.isTTY === true, secrets })}\n`)
  return report.results.some((r) => r.status === 'failed' || (failOn === 'should' && r.status === 'warned')) ? 1 : 0
}
