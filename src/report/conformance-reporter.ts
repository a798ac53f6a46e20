import { isAbsolute, relative } from 'node:path'
import type { Reporter, TestCase, TestModule, TestRunEndReason, Vitest } from 'vitest/node'
import { auditSpec } from '../audit/audit-spec.ts'
import { type CheckDefinition, OUTCOME_RANK } from '../checks/define-check.ts'
import { INTERRUPTED_MESSAGE, type CheckResult, type SpecFinding } from '../checks/types.ts'
import { oneLine } from '../errors.ts'
import { selectedCount } from '../checks/select.ts'
import { TOOL_VERSION } from '../package-info.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import type { RunConfig } from '../run/config.ts'
import '../run/provided.ts'
import { secretsOf, warnShortSecrets, withoutUserinfo } from '../secrets.ts'
import { terminalLine } from './terminal.ts'
import type { ConformanceReport } from './types.ts'
import { writeReports } from './write-reports.ts'
import { harSpoolPath } from '../run/har-spool.ts'
import { linkResults, writeHar } from './har.ts'

export { TOOL_VERSION }

/** What a {@link ConformanceReporter} is given by whoever starts the run. */
export interface ConformanceReporterOptions {
  /**
   * Write report.json and report.html at the end (a plain `vitest run`); the CLI writes them itself.
   * @defaultValue false
   */
  write?: boolean
  /** The run's vendor profile, loaded once by the caller; loaded at the end of the run when absent. */
  profile?: VendorProfile
  /** The static findings about the vendor document, when the caller has audited it already. */
  specFindings?: SpecFinding[]
}

/**
 * Collects each check's result from `task.meta` as vitest reports it and, at the end of the run, after
 * the end-of-run sweep of test users, builds the report: {@link result} hands it to the CLI in memory.
 * The run's configuration comes through vitest's provided context (the same the suites inject).
 */
export class ConformanceReporter implements Reporter {
  private vitest: Vitest | null = null
  private report: ConformanceReport | null = null
  constructor(private readonly options: ConformanceReporterOptions = {}) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  /** The finished report, or null before the run ended. */
  result(): ConformanceReport | null {
    return this.report
  }

  private results: CheckResult[] = []
  private harnessErrors: string[] = []
  /** Checks that threw instead of concluding (each a harness error, told once per kind). */
  private errored = 0
  /** True once a check met a target that stopped answering (each suite worker meets it once: told once). */
  private targetGone = false
  private discoveryNotes = new Set<string>()
  private constraints: Record<string, string> = {}
  /** The target's rate limit as met (`rateLimit`), from the latest check: the tally only grows. */
  private rateLimit: Record<string, string> = {}
  private startedAt = new Date()

  onTestRunStart(): void {
    this.results = []
    this.harnessErrors = []
    this.errored = 0
    this.targetGone = false
    this.discoveryNotes.clear()
    this.constraints = {}
    this.rateLimit = {}
    this.startedAt = new Date()
    this.report = null
    // Once per process: the CLI has already said it when it runs the suites.
    const config = this.config()
    if (config) warnShortSecrets(secretsOf(config))
  }

  /** The run's configuration as provided to the suites (with the target the global setup filled in). */
  private config(): RunConfig | null {
    return this.vitest?.getRootProject().getProvidedContext().run ?? null
  }

  onTestCaseResult(testCase: TestCase): void {
    const meta = testCase.meta()
    for (const note of meta.scimDiscovery ?? []) this.discoveryNotes.add(note)
    Object.assign(this.constraints, meta.scimConstraints)
    Object.assign(this.rateLimit, meta.scimRateLimit)
    if (meta.scimResult) {
      this.results.push(meta.scimResult)
      return
    }
    const result = testCase.result()
    if (result.state !== 'failed') return
    this.errored++
    const error = result.errors?.[0]
    const message = oneLine(error?.message ?? 'failed without a result')
    // A target that stopped answering is one problem of the run, however many checks met it.
    if (error?.name === 'TransportError') {
      if (!this.targetGone) this.harnessErrors.push(message)
      this.targetGone = true
      return
    }
    this.harnessErrors.push(`${testCase.name}: ${message}`)
  }

  async onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<{ message?: string }>,
    reason: TestRunEndReason,
  ): Promise<void> {
    for (const e of unhandledErrors) this.harnessErrors.push(oneLine(e.message ?? 'unhandled error'))
    // A suite file that could not load registered none of its checks: a run that says nothing of them is no pass.
    for (const m of modules)
      for (const e of m.errors()) this.harnessErrors.push(`${m.relativeModuleId} could not run: ${oneLine(e.message)}`)
    const config = this.config()
    if (!config)
      throw new Error(
        'ConformanceReporter: the run has no provided configuration (suites/vitest.config.ts provides it)',
      )
    if (reason !== 'interrupted' && this.results.length === 0 && this.errored === 0 && this.harnessErrors.length === 0)
      if (selectedCount(config.only, config.skip) > 0)
        this.harnessErrors.push('no check ran: the suites registered none of the selected checks')
    // Loaded where needed (issue 15: start-up): the catalog (fast-check, ajv) to name the checks a stop cut short,
    // the sweep (undici) against a target, whose preflight loaded the client already.
    if (reason === 'interrupted') {
      const { CHECKS } = await import('../checks/index.ts')
      this.results.push(...notRun(CHECKS, modules, this.results, config.seed))
    }
    // Every check is done or abandoned: its test users go now, so that the report can say what remains.
    let cleanup: ConformanceReport['cleanup']
    try {
      if (config.target) cleanup = await (await import('../run/sweep.ts')).finishRun(config, config.target)
      for (const line of cleanup?.warnings ?? [])
        process.stderr.write(`scim-conformance: warning: ${terminalLine(line)}\n`)
    } catch (error) {
      this.harnessErrors.push(`cleaning up test users: ${oneLine(error)}`)
    }
    let specFindings: SpecFinding[] = []
    let spec = config.spec ?? config.vendor
    try {
      const profile = this.options.profile ?? (await (await import('../run/from-config.ts')).profileOf(config))
      // As the user would type it: relative to where the run started, when it lies below.
      const rel = relative(process.cwd(), profile.specPath)
      spec = rel.startsWith('..') || isAbsolute(rel) ? profile.specPath : rel
      specFindings = this.options.specFindings ?? auditSpec(profile)
    } catch (error) {
      this.harnessErrors.push(oneLine(error))
    }
    const order = new Map<string, number>()
    const results = [...this.results].sort(
      (a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0) || a.id.localeCompare(b.id),
    )
    const traits: Record<string, string> = { ...this.constraints, ...this.rateLimit }
    for (const r of results) Object.assign(traits, r.traits)
    const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length
    const report: ConformanceReport = {
      tool: { name: 'scim-conformance', version: TOOL_VERSION },
      vendor: config.vendor,
      spec,
      // Its userinfo is a credential (never sent: the client connects to the origin).
      target: withoutUserinfo(config.target ?? ''),
      seed: config.seed,
      runs: config.runs,
      startedAt: this.startedAt.toISOString(),
      durationMs: Date.now() - this.startedAt.getTime(),
      summary: {
        passed: count('passed'),
        failed: count('failed'),
        warned: count('warned'),
        observed: count('observed'),
        inconclusive: count('inconclusive'),
        skipped: count('skipped'),
        ...(this.errored > 0 ? { errored: this.errored } : {}),
        requests: results.reduce((n, r) => n + (r.requests ?? 0), 0),
      },
      results: results.sort((a, b) => OUTCOME_RANK[b.status] - OUTCOME_RANK[a.status] || a.id.localeCompare(b.id)),
      specFindings,
      traits,
      ...(Object.keys(this.constraints).length > 0 ? { constraints: { ...this.constraints } } : {}),
      strictRfc: config.strictRfc,
      discoveryNotes: [...this.discoveryNotes],
      harnessErrors: this.harnessErrors,
      interrupted: reason === 'interrupted',
      cleanup,
    }
    // --har: the exchanges the run's worker spooled, written as one HAR file now that every check is done.
    if (config.har) {
      try {
        const written = writeHar(harSpoolPath(config), config.har, { name: 'scim-conformance', version: TOOL_VERSION })
        report.har = written.link
        linkResults(report.results, written)
      } catch (error) {
        this.harnessErrors.push(`writing --har ${config.har}: ${oneLine(error)}`)
      }
    }
    this.report = report
    if (this.options.write) await writeReports(report, config.reportDir, { secrets: secretsOf(config) })
  }
}

/** The checks an interrupted run never finished: each a `skipped` result marked interrupted, never a pass. */
function notRun(
  catalog: readonly Pick<CheckDefinition, 'id' | 'title' | 'level' | 'source' | 'area'>[],
  modules: ReadonlyArray<TestModule>,
  results: readonly CheckResult[],
  seed: number,
): CheckResult[] {
  const done = new Set(results.map((r) => r.id))
  const out: CheckResult[] = []
  for (const module of modules) {
    for (const testCase of module.children.allTests()) {
      const check = catalog.find((c) => c.id === testCase.name)
      if (!check || done.has(check.id) || testCase.result().state === 'failed') continue
      const { id, title, level, source, area } = check
      out.push({
        id,
        title,
        level,
        source,
        area,
        contract: 'rfc',
        status: 'skipped',
        message: INTERRUPTED_MESSAGE,
        interrupted: true,
        counterexample: null,
        reproduce: null,
        seed,
        path: null,
        numRuns: 0,
      })
    }
  }
  return out
}
