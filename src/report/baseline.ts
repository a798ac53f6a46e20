import type { CheckResult, Outcome } from '../checks/types.ts'
import { receivedLine } from './_internals/text.ts'
import type { ConformanceReport } from './types.ts'

/**
 * The regression gate: a run compared with an earlier one of the same vendor and target (its report.json, or the
 * accepted set `--baseline-update` wrote). Pure: no file, no clock (the caller passes `now`).
 */

export type FailOn = 'must' | 'should'
/** A finding is a check that failed (a MUST broken) or warned (a SHOULD broken). */
export type FindingStatus = 'failed' | 'warned'

/** The `format` of a file `--baseline-update` writes. */
export const BASELINE_FORMAT = 'scim-conformance-baseline/1'

/** One accepted finding. */
export interface BaselineEntry {
  id: string
  status: FindingStatus
  /** What the server did, one line (the finding's `received`), for the reader; the comparison goes by id. */
  summary: string
  /** `YYYY-MM-DD` (UTC, the whole day included) or an ISO instant: after it the finding counts as new again. */
  expires?: string
}

/** The accepted set: what `--baseline-update FILE` writes and `--baseline FILE` reads (so does a report.json). */
export interface BaselineFile {
  format: typeof BASELINE_FORMAT
  vendor: string
  target: string
  createdAt: string
  entries: BaselineEntry[]
}

/** A baseline as read: from a report.json it also knows every check's outcome (a new finding says what it was). */
export interface Baseline extends BaselineFile {
  outcomes?: ReadonlyMap<string, Outcome>
}

/** A finding of the comparison. */
export interface BaselineItem {
  id: string
  /** The outcome in this run (for a fixed finding: what it is now). */
  status: Outcome
  summary: string
  /** The outcome in the baseline; `absent` when the baseline does not list the check. */
  before: Outcome | 'absent'
  /** A known finding's expiry date, as the baseline gave it. */
  expires?: string
  /** Set when the finding is new only because its baseline entry expired (the date it expired). */
  expired?: string
}

/** `report.json`'s `baseline`: the run's findings against the baseline. */
export interface BaselineComparison {
  /** The baseline file, as the user named it. */
  against: string
  failOn: FailOn
  /** Findings the baseline does not accept (absent, passed, inconclusive, a lesser grade, or expired). */
  new: BaselineItem[]
  /** Findings the baseline accepts. */
  known: BaselineItem[]
  /** Findings of the baseline that this run's check no longer shows. */
  fixed: BaselineItem[]
  /** Checks with a baseline finding that this run did not run (neither known nor fixed; kept by an update). */
  notRun: string[]
}

const RANK: Partial<Record<Outcome, number>> = { warned: 1, failed: 2 }
const isFinding = (status: Outcome | 'absent'): status is FindingStatus => status === 'failed' || status === 'warned'
const SUMMARY_LIMIT = 240

/** One line: the finding's `received`, else the message's Received line, else its first line. */
export function findingSummary(result: CheckResult): string {
  const message = String(result.message ?? '')
  const text = result.finding?.received ?? receivedLine(message) ?? message.split('\n')[0] ?? ''
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > SUMMARY_LIMIT ? `${line.slice(0, SUMMARY_LIMIT - 1)}…` : line
}

/** True when the finding blocks at `failOn`: a failure always, a warning with `--fail-on should`. */
export function gates(status: Outcome, failOn: FailOn): boolean {
  return status === 'failed' || (failOn === 'should' && status === 'warned')
}

/** The new findings that make the exit code 1. */
export function gatingNew(comparison: BaselineComparison): BaselineItem[] {
  return comparison.new.filter((item) => gates(item.status, comparison.failOn))
}

/** The instant after which `expires` no longer holds (a date covers its whole UTC day); NaN when unreadable. */
export function expiryInstant(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T23:59:59.999Z`) : Date.parse(expires)
}

/** A trailing slash or letter case of the host makes no other target. */
export function sameTarget(a: string, b: string): boolean {
  const norm = (t: string) => {
    try {
      const url = new URL(t)
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}`
    } catch {
      return t.replace(/\/+$/, '')
    }
  }
  return norm(a) === norm(b)
}

/**
 * Reads a baseline from the parsed JSON of FILE: an accepted set, or a report.json (its failures and warnings are
 * the accepted set). Throws an Error whose message is one line naming what is wrong.
 */
export function parseBaseline(json: unknown): Baseline {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('neither a report.json nor a baseline file (not a JSON object)')
  const o = json as Record<string, unknown>
  if (typeof o.vendor !== 'string' || typeof o.target !== 'string')
    throw new Error('neither a report.json nor a baseline file (no vendor and target)')
  if (o.format === BASELINE_FORMAT) {
    if (!Array.isArray(o.entries)) throw new Error('a baseline file without an "entries" list')
    const entries = o.entries.map((e, i) => entryOf(e, i))
    return { format: BASELINE_FORMAT, vendor: o.vendor, target: o.target, createdAt: String(o.createdAt), entries }
  }
  if (o.format !== undefined) throw new Error(`unknown baseline format ${JSON.stringify(o.format)}`)
  if (!Array.isArray(o.results)) throw new Error('neither a report.json nor a baseline file (no "results")')
  return fromReport(o as unknown as ConformanceReport)
}

function entryOf(value: unknown, index: number): BaselineEntry {
  const where = `entries[${index}]`
  if (typeof value !== 'object' || value === null) throw new Error(`${where} is not an object`)
  const e = value as Record<string, unknown>
  if (typeof e.id !== 'string' || e.id === '') throw new Error(`${where} has no check "id"`)
  if (e.status !== 'failed' && e.status !== 'warned')
    throw new Error(`${where} (${e.id}): "status" must be "failed" or "warned"`)
  if (e.expires !== undefined && (typeof e.expires !== 'string' || Number.isNaN(expiryInstant(e.expires))))
    throw new Error(`${where} (${e.id}): "expires" must be a date such as 2027-01-31`)
  return {
    id: e.id,
    status: e.status,
    summary: typeof e.summary === 'string' ? e.summary : '',
    ...(e.expires !== undefined ? { expires: e.expires as string } : {}),
  }
}

/** The outcomes a report.json holds, by id, as a baseline: its failures and warnings accepted, with no expiry. */
function fromReport(report: ConformanceReport): Baseline {
  const outcomes = new Map<string, Outcome>()
  const entries: BaselineEntry[] = []
  for (const r of report.results) {
    if (typeof r?.id !== 'string') continue
    outcomes.set(r.id, r.status)
    if (isFinding(r.status)) entries.push({ id: r.id, status: r.status, summary: findingSummary(r) })
  }
  return {
    format: BASELINE_FORMAT,
    vendor: report.vendor,
    target: report.target,
    createdAt: report.startedAt,
    entries,
    outcomes,
  }
}

/** Why a baseline cannot judge this run (another vendor or target), or null. */
export function baselineMismatch(
  baseline: Pick<BaselineFile, 'vendor' | 'target'>,
  run: { vendor: string; target: string | null },
): string | null {
  if (baseline.vendor !== run.vendor)
    return `a baseline of vendor ${baseline.vendor}, not ${run.vendor}: compare runs of the same vendor and target`
  if (run.target !== null && !sameTarget(baseline.target, run.target))
    return `a baseline of target ${baseline.target}, not ${run.target}: compare runs of the same vendor and target`
  return null
}

export interface CompareOptions {
  /** The baseline file as the user named it (recorded as `against`). */
  against: string
  failOn: FailOn
  now: Date
  /** Former check ids → current ones (src/checks/index.ts CHECK_ALIASES): a renamed check stays known. */
  aliases?: Readonly<Record<string, string>>
}

/**
 * The run's findings against the baseline, by check id: new when the baseline does not accept the finding (the
 * check passed, was inconclusive, observed, skipped or absent; warned before and fails now; or its entry expired),
 * known when it does, fixed when a finding of the baseline no longer shows in a check this run ran.
 */
export function compareToBaseline(
  baseline: Baseline,
  report: Pick<ConformanceReport, 'results'>,
  options: CompareOptions,
): BaselineComparison {
  const current = (id: string) => options.aliases?.[id] ?? id
  const outcomes = new Map<string, Outcome>()
  for (const [id, status] of baseline.outcomes ?? []) outcomes.set(current(id), status)
  const accepted = new Map<string, BaselineEntry>()
  for (const e of baseline.entries) accepted.set(current(e.id), { ...e, id: current(e.id) })
  const ran = new Map(report.results.map((r) => [r.id, r]))
  const comparison: BaselineComparison = {
    against: options.against,
    failOn: options.failOn,
    new: [],
    known: [],
    fixed: [],
    notRun: [],
  }
  for (const r of report.results) {
    if (!isFinding(r.status)) continue
    const entry = accepted.get(r.id)
    const before: Outcome | 'absent' = entry?.status ?? outcomes.get(r.id) ?? 'absent'
    const item: BaselineItem = { id: r.id, status: r.status, summary: findingSummary(r), before }
    const expired = entry?.expires !== undefined && options.now.getTime() > expiryInstant(entry.expires)
    if (entry === undefined || (RANK[r.status] ?? 0) > (RANK[entry.status] ?? 0)) comparison.new.push(item)
    else if (expired) comparison.new.push({ ...item, expired: entry.expires })
    else comparison.known.push(entry.expires !== undefined ? { ...item, expires: entry.expires } : item)
  }
  for (const entry of accepted.values()) {
    const now = ran.get(entry.id)
    if (now === undefined) comparison.notRun.push(entry.id)
    else if (!isFinding(now.status))
      comparison.fixed.push({ id: entry.id, status: now.status, summary: entry.summary, before: entry.status })
  }
  return comparison
}

/**
 * The accepted set after this run: its findings (each known one keeps its `expires`; an expired one is accepted
 * anew, without it), and the baseline's entries for checks this run did not run, as they were.
 */
export function updatedBaseline(
  report: Pick<ConformanceReport, 'vendor' | 'target' | 'results'>,
  previous: BaselineFile | null,
  comparison: BaselineComparison | null,
  now: Date,
  aliases: Readonly<Record<string, string>> = {},
): BaselineFile {
  const expires = new Map((comparison?.known ?? []).flatMap((k) => (k.expires ? [[k.id, k.expires]] : [])))
  const entries: BaselineEntry[] = report.results.flatMap((r) =>
    isFinding(r.status)
      ? [
          {
            id: r.id,
            status: r.status,
            summary: findingSummary(r),
            ...(expires.has(r.id) ? { expires: expires.get(r.id) } : {}),
          },
        ]
      : [],
  )
  const notRun = new Set(comparison?.notRun ?? [])
  for (const e of previous?.entries ?? []) if (notRun.has(aliases[e.id] ?? e.id)) entries.push(e)
  entries.sort((a, b) => a.id.localeCompare(b.id))
  return {
    format: BASELINE_FORMAT,
    vendor: report.vendor,
    target: report.target,
    createdAt: now.toISOString(),
    entries,
  }
}
