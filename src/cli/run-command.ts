import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { PACKAGE_ROOT } from '../package-info.ts'
import { auditSpec } from '../audit/audit-spec.ts'
import { CHECK_ALIASES } from '../checks/aliases.ts'
import { unknownCheckIds } from '../checks/select.ts'
import { UsageError } from '../errors.ts'
import type { Reporter } from 'vitest/node'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { ALL_VENDORS } from '../profile/vendors.ts'
import { writeFileAtomic } from '../report/_internals/atomic-write.ts'
import { type Baseline, baselineMismatch, compareToBaseline, gatingNew, updatedBaseline } from '../report/baseline.ts'
import { ConformanceReporter } from '../report/conformance-reporter.ts'
import { harFileFor } from '../run/har-spool.ts'
import { consoleSummary } from '../report/console-summary.ts'
import { ProgressBoard } from '../report/progress-board.ts'
import { terminalLine } from '../report/terminal.ts'
import type { ConformanceReport } from '../report/types.ts'
import { writeReports } from '../report/write-reports.ts'
import { buildConfig, ENV, type RunConfig, scimTarget, shownPath } from '../run/config.ts'
import { UserLedger } from '../run/ledger.ts'
import '../run/provided.ts'
import { offerPreflight, preflightKey } from '../run/preflight-handoff.ts'
import { suiteOptions } from '../run/suite-options.ts'
import type { ServerConstraints } from '../checks/context.ts'
import { scrubSecrets, secretsOf, withoutUserinfo } from '../secrets.ts'
import { HELP, parseFlags, RUN_OPTIONS } from './args.ts'
import { readBaseline } from './diff-command.ts'
import { authFlags } from './auth-flags.ts'
import { markPhase, writePhases } from './phase-marks.ts'

// Compiled (the installed package: dist/, bundled by `npm run build`) the suites are JavaScript too, in dist/suites/.
const COMPILED = import.meta.url.endsWith('.js')
// The folder the suites/ folder is in: the repository, or dist/ compiled (found from the package root: bundled,
// this module may be in a chunk anywhere under dist/).
const SUITES_ROOT = COMPILED ? join(PACKAGE_ROOT, 'dist') : PACKAGE_ROOT

/**
 * `run`: one conformance run per vendor, each a vitest run of the suites in its own worker thread; several vendors
 * (the embedded server's default) run at once, their summaries printed in order; the exit code folds them.
 */
export async function runCommand(args: string[]): Promise<number> {
  markPhase(null, 'command started')
  try {
    return await runVendors(args)
  } finally {
    writePhases()
  }
}

async function runVendors(args: string[]): Promise<number> {
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
    ...authFlags(flags),
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
    path: flags.path,
    strictRfc: flags['strict-rfc'],
    allowRemoteRefs: flags['allow-remote-refs'],
    har: flags.har,
  })
  const unknown = unknownCheckIds([...config.only, ...config.skip])
  if (unknown.length > 0)
    throw new UsageError(
      `unknown check id ${unknown.map((u) => `"${u}"`).join(', ')} in --only/--skip. See list-checks.`,
    )
  const vendors = vendorsToRun(flags, config)
  const gate = regressionGate(flags, vendors)
  // Against the embedded server it loads while the spec is read; against a target, once the preflight's read passed.
  if (config.target === null) warmVitest()
  // Kept until the process exits (signal listeners keep no process alive): a signal while the run
  // winds down must not kill it half-way through its cleanup.
  for (const s of SIGNALS) process.on(s, onSignal)
  interrupt.own = new Set(SIGNALS.flatMap((s) => process.listeners(s)))
  const several = vendors.length > 1
  const progress = several && process.stderr.isTTY ? new ProgressBoard(process.stderr) : undefined
  // Each vendor's run is its own vitest instance, worker thread and reference server: they share no state, so
  // they run at once (issue 15: two cores busy instead of one). A usage error of one is told once all have ended.
  const settled = await Promise.allSettled(
    vendors.map((vendor) =>
      runVendor(config, vendor, { perVendorDir: several, gate, label: several ? vendor : null, progress }),
    ),
  )
  let worst = 0
  for (const outcome of settled) {
    if (outcome.status === 'rejected') throw outcome.reason
    for (const [stream, text] of outcome.value.output) process[stream].write(text)
    worst = Math.max(worst, outcome.value.code)
  }
  return interrupt.count > 0 || settled.some((o) => o.status === 'fulfilled' && o.value.code === 130) ? 130 : worst
}

/** A vendor's exit code, and what it has to say once the run ended (summaries are printed in the vendors' order). */
interface VendorOutcome {
  code: number
  output: Array<['stdout' | 'stderr', string]>
}

/**
 * Signals are ours for the whole run: the first stops it gracefully (checks not finished are marked as
 * not run, test users removed, reports written), the second removes the test users at once and quits,
 * the third quits and says exactly which users remain. SIGHUP (a closed terminal) counts like Ctrl-C.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
const interrupt: {
  count: number
  /** How to cancel each vitest run in progress. */
  cancel: Set<() => void>
  /** The runs begun (one per vendor). */
  configs: RunConfig[]
  /** The signal listeners that are ours: vitest's own are taken off (see runSuites). */
  own: Set<unknown>
} = { count: 0, cancel: new Set(), configs: [], own: new Set() }

function onSignal(signal: NodeJS.Signals): void {
  interrupt.count++
  const configs = interrupt.configs
  // From the first signal on, no worker creates another test user (the ledger is what they all read).
  for (const config of configs) new UserLedger(config.reportDir, config.runId).stop(`${signal} received`)
  if (interrupt.count === 1) {
    process.stderr.write(
      `\nscim-conformance: ${signal}: interrupted; cleaning up test users and writing partial reports ` +
        '(again to remove them at once and quit)...\n',
    )
    for (const cancel of interrupt.cancel) cancel()
    return
  }
  if (configs.length === 0) process.exit(130)
  if (interrupt.count === 2) {
    process.stderr.write(
      `scim-conformance: ${signal} again: removing the test users now, then quitting (again to quit at once)\n`,
    )
    void Promise.all(configs.map(removeTestUsersNow)).finally(() => process.exit(130))
    return
  }
  for (const config of configs)
    for (const line of leftoverLines(config)) process.stderr.write(`scim-conformance: ${line}\n`)
  process.exit(130)
}

function vendorsToRun(flags: Record<string, unknown>, config: RunConfig): string[] {
  if (flags.spec) {
    if (flags.vendor === 'all')
      throw new UsageError('--vendor all cannot be combined with --spec: a spec file describes one vendor.')
    return [config.vendor]
  }
  if (flags.vendor === undefined) {
    if (config.target)
      throw new UsageError(
        '--target needs --vendor NAME (lightdash, maia, cube, generic) or --spec FILE: ' +
          'which API does the target implement?',
      )
    return [...ALL_VENDORS]
  }
  if (flags.vendor === 'all') {
    if (config.target)
      throw new UsageError('--vendor all runs three different APIs; with --target, name the one the target implements.')
    return [...ALL_VENDORS]
  }
  return [config.vendor]
}

/** `--baseline FILE` (read now: a missing or invalid file is one line, exit 2) and `--baseline-update FILE`. */
interface RegressionGate {
  baseline: Baseline | null
  /** The baseline file as the user named it. */
  against: string | null
  /** Where the accepted set goes, absolute (a relative path is the user's working directory's). */
  update: string | null
}

function regressionGate(flags: Record<string, unknown>, vendors: string[]): RegressionGate {
  const text = (name: string) => {
    const value = flags[name]
    if (value === undefined) return null
    if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} needs a file path.`)
    return value.trim()
  }
  const against = text('baseline')
  const update = text('baseline-update')
  if ((against !== null || update !== null) && vendors.length > 1)
    throw new UsageError("--baseline and --baseline-update judge one vendor's run: name it with --vendor or --spec.")
  if (update !== null) {
    const parent = dirname(resolve(update))
    const isDir = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory()
    if (isDir(resolve(update))) throw new UsageError(`--baseline-update ${update}: a directory; name a file.`)
    if (!isDir(parent)) throw new UsageError(`--baseline-update ${update}: no folder ${parent} to write it in.`)
  }
  return {
    baseline: against === null ? null : readBaseline(against, '--baseline'),
    against,
    update: update === null ? null : resolve(update),
  }
}

interface VendorRun {
  /** Several vendors: each writes to its own folder (and HAR file). */
  perVendorDir: boolean
  gate: RegressionGate
  /** The vendor's name on its progress lines when several run at once. */
  label: string | null
  /** One progress line for several vendors on a terminal. */
  progress?: ProgressBoard
}

async function runVendor(base: RunConfig, vendor: string, run: VendorRun): Promise<VendorOutcome> {
  const { perVendorDir, gate } = run
  const output: VendorOutcome['output'] = []
  const done = (code: number): VendorOutcome => ({ code, output })
  const profile = await loadProfile({
    vendor: base.spec ? undefined : vendor,
    spec: base.spec ?? undefined,
    allowRemoteRefs: base.allowRemoteRefs,
  })
  markPhase(vendor, 'spec loaded')
  const reportDir = perVendorDir ? join(base.reportDir, vendor) : base.reportDir
  // Without a target the global setup starts the embedded reference server, which always demands a
  // token (made here, so that every output knows the secret to scrub) and supports ETags.
  const config: RunConfig = {
    ...base,
    vendor: base.spec ? profile.name : vendor,
    reportDir,
    // Several vendors, several HAR files: the vendor's name before the extension.
    har: base.har !== null && perVendorDir ? harFileFor(base.har, vendor) : base.har,
    // The origin and the SCIM base URL `serve` prints are the same target (src/run/config.ts scimTarget).
    target: base.target ? scimTarget(base.target, profile.basePath) : null,
    token: base.token ?? (base.target ? null : randomBytes(16).toString('hex')),
  }
  interrupt.configs.push(config)
  // Against the embedded server (no --target) its port changes every run: only the vendor is compared.
  const mismatch =
    gate.baseline &&
    baselineMismatch(gate.baseline, {
      vendor: config.vendor,
      target: config.target ? withoutUserinfo(config.target) : null,
    })
  if (mismatch) throw new UsageError(`--baseline ${gate.against}: ${mismatch}.`)
  // Against a target, the preflight: a read of the target, then the ownership probe and the constraints it learns
  // on a test user. The run starts once the read has passed (a wrong address or token ends the command here,
  // without vitest); the rest of the preflight runs while vitest and the worker start, and the worker's checks
  // wait for its outcome before their first request (src/run/preflight-handoff.ts). Loaded only against a target:
  // the HTTP client and the test users are the worker's business otherwise.
  const preflight = config.target ? (await startPreflight(config, profile)).running : null
  if (!preflight) markPhase(vendor, 'preflight done')
  if (interrupt.count > 0) {
    await preflight?.catch(() => {})
    return done(130)
  }
  // Said once the target has passed the preflight: the checks start then.
  const announce = () => {
    if (interrupt.count > 0) return
    process.stderr.write(
      `scim-conformance: ${profile.name} (${profile.declared.displayName}) against ` +
        `${config.target ? terminalLine(withoutUserinfo(config.target)) : 'the embedded reference server'}, ` +
        `seed ${config.seed}, ${config.runs} runs\n`,
    )
  }
  if (preflight) preflight.then(announce, () => {})
  else announce()
  const report = await runSuites(config, profile, preflight, run)
  // A preflight that failed is the run's outcome (exit 2, its one line), whatever the suites did meanwhile.
  await preflight
  if (!report) return done(130)
  const now = new Date()
  if (gate.baseline)
    report.baseline = compareToBaseline(gate.baseline, report, {
      against: gate.against!,
      failOn: config.failOn,
      now,
      aliases: CHECK_ALIASES,
    })
  const secrets = secretsOf(config)
  await writeReports(report, reportDir, { secrets })
  markPhase(vendor, 'reports written')
  const shown = { reportDir: shownPath(reportDir), color: process.stdout.isTTY === true, secrets }
  output.push(['stdout', `${consoleSummary(report, shown)}\n`])
  if (report.harnessErrors && report.harnessErrors.length > 0) {
    output.push(['stderr', `scim-conformance: ${terminalLine(report.harnessErrors[0])}\n`])
    return done(2)
  }
  if (report.interrupted) return done(130)
  if (gate.update) output.push(['stderr', await writeAcceptedSet(gate, report, now, secrets)])
  // With a baseline only new findings at the --fail-on level fail the run.
  const failing = report.baseline
    ? gatingNew(report.baseline).length > 0
    : report.results.some((r) => r.status === 'failed' || (config.failOn === 'should' && r.status === 'warned'))
  return done(failing ? 1 : 0)
}

/**
 * --baseline-update: this run's findings as the accepted set (a run with harness errors or cut short writes none);
 * the line that says so.
 */
async function writeAcceptedSet(
  gate: RegressionGate,
  report: ConformanceReport,
  now: Date,
  secrets: ReturnType<typeof secretsOf>,
): Promise<string> {
  const accepted = updatedBaseline(report, gate.baseline, report.baseline ?? null, now, CHECK_ALIASES)
  await writeFileAtomic(gate.update!, scrubSecrets(`${JSON.stringify(accepted, null, 2)}\n`, secrets))
  return (
    `scim-conformance: accepted set of ${accepted.entries.length} finding(s) written to ` +
    `${terminalLine(shownPath(gate.update!))}\n`
  )
}

/**
 * Starts the preflight (src/run/before-checks.ts) and resolves once its read of the target has passed, with the
 * preflight still running; rejects at once when it ends before that (the read refused: exit 2). Meanwhile
 * vitest/node loads (the run needs it next).
 */
async function startPreflight(
  config: RunConfig,
  profile: VendorProfile,
): Promise<{ running: Promise<ServerConstraints> }> {
  const { preflight } = await import('../run/before-checks.ts')
  let read!: () => void
  const readPassed = new Promise<void>((resolve) => {
    read = resolve
  })
  const running = preflight(config, profile, false, () => {
    warmVitest()
    read()
  })
  running.then(
    () => markPhase(config.vendor, 'preflight done'),
    () => {},
  )
  await Promise.race([readPassed, running])
  // In an object: an async function returning the promise itself would wait for it.
  return { running }
}

/**
 * Runs the suites in-process through vitest's Node API: the config goes in through `provide` (the
 * suites `inject` it), the report comes back in memory from the reporter; null when the run was
 * stopped before it ended.
 */
async function runSuites(
  config: RunConfig,
  profile: VendorProfile,
  preflight: Promise<ServerConstraints> | null,
  run: VendorRun,
): Promise<ConformanceReport | null> {
  // Imported here, not at the top: vitest/node is most of the CLI's start-up time, and usage errors,
  // audit-spec, list-checks and serve need none of it.
  const { createVitest } = await import('vitest/node')
  const { ScrubbedJUnitReporter } = await import('../report/junit-reporter.ts')
  const { ProgressReporter } = await import('../report/progress-reporter.ts')
  const reporter = new ConformanceReporter({ profile, specFindings: auditSpec(profile) })
  // Muted when the preflight fails: the checks that then cannot start are not the run's story, its one line is.
  let muted = false
  const stderr = process.stderr
  const progressStream = {
    get isTTY() {
      return stderr.isTTY
    },
    get columns() {
      return stderr.columns
    },
    write: (text: string) => muted || stderr.write(text),
  }
  const junit = new ScrubbedJUnitReporter({
    outputFile: join(config.reportDir, 'junit.xml'),
    suiteName: 'scim-conformance',
    secrets: () => secretsOf(config),
  })
  const vitest = await createVitest(
    'test',
    {
      // The options inline, no config file (src/run/suite-options.ts): nothing bundled, no loader hook.
      config: false,
      root: SUITES_ROOT,
      ...suiteOptions(COMPILED ? 'js' : 'ts'),
      watch: false,
      run: true,
      reporters: [
        new ProgressReporter({ label: run.label, board: run.progress, stream: progressStream }),
        junit,
        reporter,
        phaseReporter(config.vendor),
      ],
    },
    {},
    { stdout: process.stderr },
  )
  // Vitest's logger exits the process 1 ms after SIGINT/SIGTERM, before the global teardown that deletes
  // the test users and restores --user-id: take its listeners off and cancel the run gracefully instead.
  for (const s of SIGNALS) for (const l of process.listeners(s)) if (!interrupt.own.has(l)) process.off(s, l)
  vitest.provide('run', config)
  vitest.provide('embedded', false)
  // Learned once by the preflight, which may still be running: the worker asks for its outcome by this key (and
  // uses the constraints instead of learning again). A preflight that fails leaves no junit.xml behind.
  const key = preflightKey(config.runId, config.vendor)
  const withdraw = preflight ? offerPreflight(key, preflight) : () => {}
  if (preflight) {
    vitest.provide('preflight', key)
    preflight.catch(() => {
      muted = true
      junit.discard()
    })
  }
  const cancel = () => void vitest.cancelCurrentRun('keyboard-input')
  interrupt.cancel.add(cancel)
  markPhase(config.vendor, 'vitest created')
  try {
    if (interrupt.count === 0) await vitest.start([])
  } finally {
    interrupt.cancel.delete(cancel)
    await vitest.close()
    withdraw()
  }
  markPhase(config.vendor, 'suites ended')
  process.exitCode = 0
  const report = reporter.result()
  if (report && interrupt.count > 0) report.interrupted = true
  return report
}

/** Marks the moment the worker has loaded the suites and the first check's test begins (phase-marks.ts). */
function phaseReporter(vendor: string): Reporter {
  let first = true
  return {
    onTestCaseReady() {
      if (first) markPhase(vendor, 'first check started')
      first = false
    },
  }
}

/**
 * vitest/node takes about half a second to load (seconds on a busy machine): it loads while the run prepares
 * (runSuites awaits the same module; a failure to load surfaces there). Not before the preflight's read: a run
 * that ends there would wait for it to exit.
 */
function warmVitest(): void {
  import('vitest/node').catch(() => undefined)
}

/** After a second signal: the end-of-run sweep at once, bounded, and what it could not remove. */
async function removeTestUsersNow(config: RunConfig): Promise<void> {
  const bounded = new Promise<null>((resolve) => setTimeout(resolve, 20_000, null).unref())
  // The embedded reference server ends with this process, and its users with it.
  if (config.target === null) return
  // Twice: a creation already in flight when the stop was written is confirmed, and swept, by the second pass.
  const sweepTwice = async () => {
    const { finishRun } = await import('../run/sweep.ts')
    await finishRun(config, config.target!)
    return finishRun(config, config.target!)
  }
  const cleanup = await Promise.race([sweepTwice().catch(() => null), bounded])
  for (const line of cleanup === null ? leftoverLines(config) : cleanup.warnings)
    process.stderr.write(`scim-conformance: warning: ${terminalLine(line)}\n`)
  if (cleanup !== null && cleanup.left.length === 0)
    process.stderr.write(`scim-conformance: removed ${cleanup.removed} test user(s); nothing is left on the target\n`)
}

/** The test users this run's ledger lists, and the command that removes them. */
function leftoverLines(config: RunConfig): string[] {
  const ledger = new UserLedger(config.reportDir, config.runId)
  const left = ledger.leftovers()
  const unconfirmed = ledger.unconfirmed()
  if (left.length === 0 && unconfirmed.length === 0) return ['no test user is left on the target']
  return [
    ...left.map((u) => `test user ${u.id} (userName ${JSON.stringify(u.userName)}) may remain on the target`),
    ...unconfirmed.map(
      (userName) => `a test user with userName ${JSON.stringify(userName)} may exist (its POST was never answered)`,
    ),
    `remove them with: scim-conformance sweep --target ${config.target ?? '<target>'} ` +
      `${config.spec ? `--spec ${config.spec}` : `--vendor ${config.vendor}`} --report-dir ${config.reportDir}`,
  ]
}
