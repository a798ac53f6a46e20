import type { CheckResult, SpecFinding } from '../checks/types.ts'
import type { RunCleanup } from '../run/sweep.ts'
import type { BaselineComparison } from './baseline.ts'
import type { HarLink } from './har.ts'

export interface ReportSummary {
  passed: number
  failed: number
  warned: number
  observed: number
  /** Checks no case of which reached their rule (never a pass, never a failure). */
  inconclusive: number
  skipped: number
  /**
   * Checks that ended in a harness error (no verdict: they threw, e.g. the target stopped answering); absent when
   * none did. With the outcomes above, the number of checks that ran.
   */
  errored?: number
  requests: number
}

/** The shape of `report.json` (fields may be added, none renamed). */
export interface ConformanceReport {
  tool: { name: 'scim-conformance'; version: string }
  vendor: string
  spec: string
  target: string
  seed: number
  runs: number
  startedAt: string
  durationMs: number
  summary: ReportSummary
  results: CheckResult[]
  specFindings: SpecFinding[]
  /** Server behaviours observed during the run (MAY-level traits), e.g. `{ "omitted.name": "retained" }`. */
  traits: Record<string, string>
  /**
   * The server's input constraints learned before the checks (also among `traits`), e.g.
   * `{ "constraint.maxLength": "100 (256 refused in name.givenName: 400 invalidValue: …)" }`; absent when none was
   * learned.
   */
  constraints?: Record<string, string>
  strictRfc: boolean
  /** Why some capabilities are unknown (e.g. `/Schemas answered 404`). */
  discoveryNotes?: string[]
  /** Problems of the harness itself (a check that crashed, a target it could not set up); each makes the run exit 2. */
  harnessErrors?: string[]
  /** True when the run was cut short (Ctrl-C, timeout): the results are partial. */
  interrupted?: boolean
  /** The end-of-run sweep: test users removed, and any left on the target (why, and the ledger that lists them). */
  cleanup?: RunCleanup
  /** With `--baseline FILE`: this run's findings against it (new, known, fixed); absent without one. */
  baseline?: BaselineComparison
  /** With `--har FILE`: where every exchange is; a result's entries are those whose `_checkId` is its id. */
  har?: HarLink
}
