import type { Exchange, RecordedRequest, RecordedResponse } from '../http/exchange.ts'

/** RFC 2119 level of the rule a check enforces. */
export type Level = 'MUST' | 'SHOULD' | 'MAY'

/**
 * Outcome of a check, graded by its rule's RFC 2119 level (MUST fails, SHOULD warns, MAY observes). `inconclusive`: no
 * case reached the rule's judgement (every PUT refused for another reason, the server returns nothing to compare...),
 * so the check neither passes nor fails; the message says why. It never changes the exit code.
 */
export type Outcome = 'passed' | 'failed' | 'warned' | 'observed' | 'inconclusive' | 'skipped'

/** Which contract judged the server: the vendor's document, or the RFCs. */
export type Contract = 'rfc' | 'vendor'

/** Report grouping of checks. */
export type Area =
  | 'status'
  | 'schema'
  | 'replace'
  | 'readonly'
  | 'meta'
  | 'uniqueness'
  | 'errors'
  | 'auth'
  | 'etag'
  | 'media'
  | 'stability'
  | 'invalid'
  | 'declared'
  | 'attributes'
  | 'sequence'
  | 'concurrency'

/** One attribute of a replace-semantics comparison: what was sent and what the server stored. */
export interface AttributeDiff {
  attribute: string
  sent: unknown
  stored: unknown
  note: string
}

/**
 * The facts of a broken rule, as data: what the server did, what the rule asks, and how to fix it. The
 * console, report.json, report.html and junit.xml render these fields (and `message` joins them as text).
 */
export interface Finding {
  /** What the server did, e.g. `status 201 for a PUT that replaced the user`. */
  received: string
  /** What the rule asks, e.g. `200 OK with the resource (RFC 7644 §3.5.1)`. */
  expected: string
  /** What to change in the server, in one sentence; absent when the expectation says it all. */
  fix?: string
}

/** One numbered step of a failing sequence or race: what was sent, what the model expected, what came back. */
export interface StoryStep {
  /** 1-based. Steps of a race that were fired at the same instant share `parallel` (the race's number). */
  n: number
  /** The command in words, e.g. `PUT /Users/{u1} renaming u1 to "alice"`. */
  action: string
  /** What the model of RFC 7643/7644 says the service must answer or hold afterwards. */
  expected: string
  /** What the server answered (status and the relevant part of the body). */
  received: string
  parallel?: number
}

/**
 * A failing sequence or race as a story: its (shrunk) steps in order, and a bash script that replays
 * them with `curl` (`$SCIM_BASE`, `$SCIM_TOKEN`; races fired in parallel with `&` and `wait`).
 */
export interface Story {
  steps: StoryStep[]
  script: string
}

/**
 * How to reproduce a failure or warning without the run (issue 16, item 4): a self-contained bash script of
 * `curl` calls (`$SCIM_BASE`, `$SCIM_TOKEN`) that creates the case's test users anew, sends every request of
 * the failing case in order, shows the response that broke the rule and deletes the users again; and the
 * `scim-conformance run … --seed … --only … --path …` command that replays the case through the harness.
 */
export interface Reproduction {
  script: string
  replay: string
}

/** The result of one check in a run: the report's `results[]` entry. */
/** The case tag of a check without generated cases (its one case): the HAR's `_case` and the result's `case`. */
export const SINGLE_CASE = 'single'

export interface CheckResult {
  id: string
  title: string
  level: Level
  source: string
  area: Area
  contract: Contract
  status: Outcome
  message: string
  /** The facts of a failure or warning as fields (absent for other outcomes). */
  finding?: Finding
  /** A failing sequence or race, step by step, with its replay script. */
  story?: Story
  counterexample: { request: RecordedRequest; response: RecordedResponse | null } | null
  /**
   * The counterexample's request alone as one curl line. It names the run's test user, which the run deleted:
   * `reproduction.script` is what reproduces the failure.
   */
  reproduce: string | null
  /** A failure's or warning's self-contained replay script and harness command (absent for other outcomes). */
  reproduction?: Reproduction
  seed: number
  /** The seed fast-check ran this check with (the run's seed mixed with the check id): what `path` belongs to. */
  checkSeed?: number
  path: string | null
  /**
   * The case the result's verdict came from: its fast-check path (for a failure or warning the same as `path`),
   * {@link SINGLE_CASE} for a check of one case, null when no one case stands for the result. With --har, its
   * entries' `_case`.
   */
  case?: string | null
  /**
   * With --har: how many entries of the HAR file are the check's (`_checkId`), and where its case's are: their
   * indices in `log.entries` (those whose `_case` is also the result's `case`).
   */
  har?: { entries: number; caseEntries: number[] }
  /** How many generated cases ran (1 for example-based checks). */
  numRuns: number
  /** How many of them reached the judgement of the rule (the rest were inconclusive); a pass needs at least one. */
  exercised?: number
  /** Every exchange of the counterexample, in order (e.g. the PUT, then the GET that showed the stored value). */
  exchanges?: Exchange[]
  diff?: AttributeDiff[]
  /** Observed server behaviour worth reporting (e.g. `omitted.name: retained`). */
  traits?: Record<string, string>
  durationMs?: number
  /** HTTP exchanges the check sent. */
  requests?: number
  /** True when the run was stopped before the check finished: `skipped`, never judged. */
  interrupted?: boolean
}

/** A static finding about the vendor's OpenAPI document, judged against the RFC. */
export interface SpecFinding {
  id: string
  level: Level
  source: string
  message: string
}

/** The message of a check the run was stopped before it finished (or started). */
export const INTERRUPTED_MESSAGE = 'Interrupted: the run was stopped before this check finished; not judged.'
