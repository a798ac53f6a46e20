import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { unknownCheckIds } from '../checks/index.ts'
import { TransportError, UsageError } from '../errors.ts'
import { createScimClient } from '../http/client.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { ALL_VENDORS } from '../profile/vendors.ts'
import { startReferenceServer, type ReferenceServer } from '../reference/server.ts'
import { consoleSummary } from '../report/console-summary.ts'
import { terminalLine } from '../report/terminal.ts'
import { secretsOf, withoutUserinfo } from '../secrets.ts'
import type { ConformanceReport } from '../report/types.ts'
import { buildConfig, configToEnv, ENV, type RunConfig } from '../run/config.ts'
import { HELP, parseFlags, RUN_OPTIONS } from './args.ts'

const SUITES_CONFIG = fileURLToPath(new URL('../../suites/vitest.config.ts', import.meta.url))

/** `run`: one conformance run per vendor, each a vitest run of the suites; the exit code folds them. */
export async function runCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, RUN_OPTIONS)
  if (flags.help) {
    process.stdout.write(`${HELP}\n`)
    return 0
  }
  const config = buildConfig({
    vendor: flags.vendor,
    spec: flags.spec,
    target: flags.target,
    token: (flags.token as string | undefined) ?? process.env[ENV.token],
    seed: flags.seed,
    runs: flags.runs,
    maxShrinks: flags['max-shrinks'],
    concurrency: flags.concurrency,
    rate: flags.rate,
    timeoutMs: flags['timeout-ms'],
    deadlineMs: flags['deadline-ms'],
    only: flags.only,
    skip: flags.skip,
    failOn: flags['fail-on'],
    reportDir: flags['report-dir'],
    userId: flags['user-id'],
    strictRfc: flags['strict-rfc'],
    allowRemoteRefs: flags['allow-remote-refs'],
  })
  const unknown = unknownCheckIds([...config.only, ...config.skip])
  if (unknown.length > 0) throw new UsageError(`unknown check id ${unknown.map((u) => `"${u}"`).join(', ')} in --only/--skip. See list-checks.`)
  const vendors = vendorsToRun(flags, config)
  let worst = 0
  for (const vendor of vendors) {
    const code = await runVendor(config, vendor, vendors.length > 1)
    worst = Math.max(worst, code)
    if (code === 130) break
  }
  return worst
}

function vendorsToRun(flags: Record<string, unknown>, config: RunConfig): string[] {
  if (flags.spec) {
    if (flags.vendor === 'all') throw new UsageError('--vendor all cannot be combined with --spec: a spec file describes one vendor.')
    return [config.vendor]
  }
  if (flags.vendor === undefined) {
    if (config.target) throw new UsageError('--target needs --vendor NAME (lightdash, maia, cube, generic) or --spec FILE: which API does the target implement?')
    return [...ALL_VENDORS]
  }
  if (flags.vendor === 'all') {
    if (config.target) throw new UsageError('--vendor all runs three different APIs; with --target, name the one the target implements.')
    return [...ALL_VENDORS]
  }
  return [config.vendor]
}

async function runVendor(base: RunConfig, vendor: string, perVendorDir: boolean): Promise<number> {
  const profile = await loadProfile({ vendor: base.spec ? undefined : vendor, spec: base.spec ?? undefined, allowRemoteRefs: base.allowRemoteRefs })
  const reportDir = perVendorDir ? join(base.reportDir, vendor) : base.reportDir
  let server: ReferenceServer | null = null
  let config: RunConfig = { ...base, vendor: base.spec ? profile.name : vendor, reportDir }
  if (!config.target) {
    // The embedded server always demands a token and supports ETags, so that the auth and ETag checks run too.
    const token = config.token ?? randomBytes(16).toString('hex')
    server = await startReferenceServer({ profile, token, etag: true })
    config = { ...config, target: server.origin, token }
  }
  try {
    await preflight(config, profile)
    process.stderr.write(`scim-conformance: ${profile.name} (${profile.declared.displayName}) against ${server ? `the embedded reference server at ${server.baseUrl}` : terminalLine(withoutUserinfo(config.target!))}, seed ${config.seed}, ${config.runs} runs\n`)
    const report = await runSuites(config)
    if (!report) return 130
    process.stdout.write(`${consoleSummary(report, { reportDir, color: process.stdout.isTTY === true, secrets: secretsOf(config) })}\n`)
    if (report.harnessErrors && report.harnessErrors.length > 0) {
      process.stderr.write(`scim-conformance: ${terminalLine(report.harnessErrors[0])}\n`)
      return 2
    }
    if (report.interrupted) return 130
    const failing = report.results.some((r) => r.status === 'failed' || (config.failOn === 'should' && r.status === 'warned'))
    return failing ? 1 : 0
  } finally {
    await server?.close()
  }
}

/** One request before the run, so an unreachable target is a clear exit-2 error and not 60 failed checks. */
async function preflight(config: RunConfig, profile: VendorProfile): Promise<void> {
  const client = createScimClient({ baseUrl: config.target!, token: config.token, timeoutMs: config.timeoutMs, deadlineMs: config.deadlineMs })
  try {
    const exchange = await client.send({ method: 'GET', path: `${profile.basePath}/ServiceProviderConfig` })
    if (exchange.error) throw new TransportError(`cannot reach the target ${config.target}: ${exchange.error.message}`)
  } finally {
    await client.close()
  }
}

/** Runs the suites in-process through vitest's Node API; null when interrupted before a report was written. */
async function runSuites(config: RunConfig): Promise<ConformanceReport | null> {
  const reportFile = join(config.reportDir, 'report.json')
  await rm(reportFile, { force: true })
  const saved = { ...process.env }
  for (const name of Object.values(ENV)) delete process.env[name]
  Object.assign(process.env, configToEnv(config), { SCIM_CONFORMANCE_CLI: '1' })
  // Imported here, not at the top: vitest/node is most of the CLI's start-up time, and usage errors,
  // audit-spec, list-checks and serve need none of it.
  const { createVitest } = await import('vitest/node')
  const signals = ['SIGINT', 'SIGTERM'] as const
  const ownListeners = new Map(signals.map((s) => [s, process.listeners(s)]))
  const vitest = await createVitest('test', { config: SUITES_CONFIG, watch: false, run: true }, {}, { stdout: process.stderr })
  // Vitest's logger exits the process 1 ms after SIGINT/SIGTERM, before the global teardown that deletes
  // the test users and restores --user-id: take its listeners off and cancel the run gracefully instead.
  for (const s of signals) for (const l of process.listeners(s)) if (!ownListeners.get(s)!.includes(l)) process.off(s, l)
  let interrupted = false
  const onSignal = () => {
    if (interrupted) {
      // A second Ctrl-C still quits at once; the ledger keeps what is left for the next run's sweep.
      process.stderr.write(`scim-conformance: interrupted again; exiting without cleanup. Test users left behind are listed in ${join(config.reportDir, '.ledger')}\n`)
      process.exit(130)
    }
    interrupted = true
    process.stderr.write('\nscim-conformance: interrupted; cleaning up test users and writing partial reports...\n')
    void vitest.cancelCurrentRun('keyboard-input')
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    await vitest.start([])
  } finally {
    await vitest.close()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.env = saved
  }
  process.exitCode = 0
  try {
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as ConformanceReport
    if (interrupted) report.interrupted = true
    return report
  } catch {
    if (interrupted) return null
    throw new UsageError(`the run wrote no report to ${reportFile}: see the errors above`)
  }
}
