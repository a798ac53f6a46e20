import { UsageError } from '../errors.ts'
import type { Finding, Level } from './types.ts'

/**
 * The grading model of the invalid payloads (src/generate/invalid-scim-user.ts builds them): for each
 * kind, the answers RFC 7644 allows and what each earns. A grade is in the rule's own terms: `violated`
 * takes the level of the check that judges it (MUST fails, SHOULD warns, MAY observes), so one kind never grades
 * harder or softer than its rule's words.
 */

/** RFC 7644 §3.12 Table 9: every scimType keyword. */
export const TABLE_9: readonly string[] = [
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
]

/** The Table 9 keywords whose applicability (RFC 7644 §3.12 Table 9) includes PUT. */
export const PUT_SCIM_TYPES: readonly string[] = [
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidValue',
  'invalidVers',
]

/** The other Table 9 keywords, with the operations Table 9 gives them. */
export const OTHER_SCIM_TYPES: Readonly<Record<string, string>> = {
  invalidFilter: 'GET, POST Search and PATCH',
  tooMany: 'GET and POST Search',
  sensitive: 'GET',
  invalidPath: 'PATCH',
  noTarget: 'PATCH',
}

/** What one answer earns: the rule held, a permitted behaviour (recorded), or the rule broken. */
export type Grade = 'pass' | 'observe' | 'violated'

/** One answer the RFC anticipates for a kind of invalid request, and its grade. */
export interface ExpectedOutcome {
  /** Status codes, or `'2xx'` for any success. */
  status: readonly number[] | '2xx'
  /**
   * The Table 9 keyword(s) that fit this answer best. `scimType` is OPTIONAL (RFC 7644 §3.12), so another
   * keyword or none earns the same grade, with a note; whether a keyword is one Table 9 gives PUT is
   * put.errors.scim-type's rule (RFC 7644 §3.12 Table 9), judged once there.
   */
  fits?: readonly string[]
  grade: Grade
}

/** What the RFC lets a server answer to one kind of invalid request; the first matching outcome wins. */
export interface Expectation {
  /** RFC 2119 level of the sentence that decides it: the level of the put.invalid check of this kind. */
  level: Level
  source: string
  acceptable: readonly ExpectedOutcome[]
  /**
   * Any other answer. A 5xx is put.status.no-5xx's finding alone (the runner makes such a case
   * inconclusive everywhere else); another 4xx departs from RFC 7644 Table 8, whose statuses §3.12 says
   * implementers SHOULD use.
   */
  otherwise: Grade
  /** Said with any grade other than pass: what another check judges about the same answer. */
  note?: string
  /** What to change in the server when its answer departs (the `fix` of the finding). */
  fix?: string
}

const TWO_XX = '2xx' as const

/** RFC 7643 §4.1.1: the 400 (SHOULD, Table 8); a user left without a userName is put.invalid.username-kept's. */
const USERNAME_REQUIRED: Expectation = {
  level: 'SHOULD',
  source:
    'RFC 7644 §3.5.1 ("If an attribute is "required", clients MUST specify the attribute in the PUT request"); ' +
    'RFC 7643 §4.1.1; RFC 7644 §3.12 Table 8 (400)',
  acceptable: [
    { status: [400], fits: ['invalidValue'], grade: 'pass' },
    { status: TWO_XX, grade: 'violated' },
  ],
  otherwise: 'violated',
  note: 'put.invalid.username-kept judges whether the user kept a userName (RFC 7643 §4.1.1, MUST).',
  fix: 'Refuse a PUT without a non-empty userName with 400 invalidValue.',
}

/**
 * RFC 7643 §3: 400 (invalidSyntax fits best); a 2xx warns, and its `schemas` are
 * put.schemas.response-to-invalid's (RFC 7643 §3).
 */
const SCHEMAS_REQUIRED: Expectation = {
  level: 'SHOULD',
  source:
    'RFC 7643 §3 (schemas is REQUIRED and lists the core User); RFC 7644 §3.12 Table 8 (400), Table 9 invalidSyntax',
  acceptable: [
    { status: [400], fits: ['invalidSyntax'], grade: 'pass' },
    { status: TWO_XX, grade: 'violated' },
  ],
  otherwise: 'violated',
  note: 'put.schemas.response-to-invalid judges the schemas of a 2xx answer (RFC 7643 §3, MUST).',
  fix: 'Refuse a body whose schemas does not list the core User URN with 400 invalidSyntax.',
}

/** RFC 7643 §3 is silent on an unknown URN in `schemas`: whatever the server answers is observed. */
const SCHEMAS_UNKNOWN: Expectation = {
  level: 'MAY',
  source: 'RFC 7643 §3 (schemas names the schemas the attributes come from; silent on an unknown URN)',
  acceptable: [
    { status: [400], grade: 'observe' },
    { status: TWO_XX, grade: 'observe' },
  ],
  otherwise: 'observe',
}

const SCHEMA_VIOLATION: Expectation = {
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 (Table 8: 400 "violates schema"; Table 9 invalidValue, invalidSyntax)',
  acceptable: [
    { status: [400], fits: ['invalidValue', 'invalidSyntax'], grade: 'pass' },
    { status: TWO_XX, grade: 'violated' },
  ],
  otherwise: 'violated',
  fix: 'Validate the body against the User schema and refuse a violation with 400 invalidValue.',
}

/** RFC 7643 §2.4: 400 or normalised to one primary; what a 2xx stored is put.replace.primary-once's (MUST). */
const TWO_PRIMARIES: Expectation = {
  level: 'SHOULD',
  source:
    'RFC 7643 §2.4 ("The primary attribute value "true" MUST appear no more than once"); ' + 'RFC 7644 §3.12 Table 8',
  acceptable: [
    { status: [400], fits: ['invalidValue'], grade: 'pass' },
    { status: TWO_XX, grade: 'observe' },
  ],
  otherwise: 'violated',
  note: 'put.replace.primary-once judges what a 2xx stored.',
  fix: 'Refuse two primary values with 400 invalidValue, or keep one.',
}

/** RFC 7644 §3.12: 400 (invalidSyntax fits best); another Table 9 keyword or none is an observation. */
const MALFORMED: Expectation = {
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 (Table 8: 400 "unparsable, syntactically incorrect"; Table 9 invalidSyntax)',
  acceptable: [
    { status: [400], fits: ['invalidSyntax'], grade: 'pass' },
    // RFC 8259 §9 lets a JSON parser accept non-JSON forms (a trailing comma, single quotes): a lenient
    // server departs from Table 8's 400, no MUST; what it then stored is put.invalid.username-kept's.
    { status: TWO_XX, grade: 'violated' },
  ],
  otherwise: 'violated',
  note: 'put.invalid.username-kept judges whether a 2xx left the user without a userName.',
  fix: 'Refuse a body that is not a JSON object with 400 invalidSyntax.',
}

const OVERSIZE: Expectation = {
  level: 'MAY',
  source: 'RFC 7644 §3.12 (400); RFC 9110 §15.5.14 (413 Content Too Large); the RFC sets no size limit for PUT',
  acceptable: [
    { status: [400, 413], grade: 'pass' },
    { status: TWO_XX, grade: 'observe' },
  ],
  otherwise: 'observe',
}

/** RFC 7644 §8.1, RFC 9110 §15.5.16: wrong request media type → 415 or 400. */
const MEDIA_TYPE: Expectation = {
  level: 'SHOULD',
  source: 'RFC 7644 §3.1, §8.1 (requests are application/scim+json or application/json); RFC 9110 §15.5.16 (415)',
  acceptable: [
    { status: [415, 400], grade: 'pass' },
    { status: TWO_XX, grade: 'violated' },
  ],
  otherwise: 'violated',
  fix: 'Refuse a request body that is not application/scim+json or application/json with 415.',
}

/** RFC 7644 §3.5.1 is silent on unknown attributes in a PUT. */
const UNKNOWN_ATTRIBUTE: Expectation = {
  level: 'MAY',
  source: 'RFC 7644 §3.5.1 (silent on unknown attributes: ignoring them or answering 400 are both fine)',
  acceptable: [
    { status: TWO_XX, grade: 'observe' },
    { status: [400], grade: 'observe' },
  ],
  otherwise: 'observe',
}

/**
 * The expectation of each kind a put.invalid check grades. The uniqueness kinds and `readonly-id-mismatch`
 * are judged by checks that also read what was stored (put.uniqueness.*, put.readonly.id-ignored).
 */
export const EXPECTATIONS: Readonly<Record<string, Expectation>> = {
  'username-missing': USERNAME_REQUIRED,
  'username-empty': USERNAME_REQUIRED,
  'username-null': USERNAME_REQUIRED,
  'schemas-missing': SCHEMAS_REQUIRED,
  'schemas-empty': SCHEMAS_REQUIRED,
  'schemas-without-core': SCHEMAS_REQUIRED,
  'schemas-unknown-urn': SCHEMAS_UNKNOWN,
  'wrong-type': SCHEMA_VIOLATION,
  'deeply-nested': SCHEMA_VIOLATION,
  'two-primaries': TWO_PRIMARIES,
  'not-json': MALFORMED,
  'truncated-json': MALFORMED,
  'json-array-body': MALFORMED,
  'json-scalar-body': MALFORMED,
  'empty-body': MALFORMED,
  'oversize-body': OVERSIZE,
  'wrong-content-type': MEDIA_TYPE,
  'unknown-attribute': UNKNOWN_ATTRIBUTE,
}

/** The expectation of a kind; a `UsageError` naming the graded kinds otherwise. */
export function expectationOf(kind: string): Expectation {
  const found = EXPECTATIONS[kind]
  if (!found)
    throw new UsageError(`no expectation for "${kind}". Graded kinds: ${Object.keys(EXPECTATIONS).join(', ')}.`)
  return found
}

/** HTTP statuses outside RFC 7644 Table 8 that a kind may rightly get (413 oversize, 415 media type). */
export function httpStatusesOk(kind: string): number[] {
  return (EXPECTATIONS[kind]?.acceptable ?? [])
    .flatMap((o) => (Array.isArray(o.status) ? o.status : []))
    .filter((s) => s === 413 || s === 415)
}

/** What {@link judgeOutcome} concluded: the grade, its reason as text, and its facts as a finding's fields. */
export interface Judged {
  grade: Grade
  /** The whole judgement in words (received, grade, level and source, what fits best, the note). */
  reason: string
  /**
   * The facts: `received` (status and scimType), `expected` (the acceptable answers, with the level and the
   * RFC section) and the kind's `fix`. A caller builds `violation(finding, …)` from them when `grade` is
   * `violated`.
   */
  finding: Finding
  /** What another check judges about the same answer (with any grade other than pass). */
  note?: string
}

/**
 * Grades a server's answer to an invalid request: the first acceptable outcome whose status matches
 * decides, else `otherwise`. The `scimType` never changes the grade (it is OPTIONAL, §3.12): the reason
 * says whether it is the keyword that fits best. Pass `scimType: undefined` where the vendor's declared
 * error format (problem details) has none.
 */
export function judgeOutcome(expect: Expectation, observed: { status: number; scimType?: string | null }): Judged {
  const { status } = observed
  const scimType = observed.scimType ?? undefined
  const received = `${status}${scimType ? ` scimType ${scimType}` : ''}`
  const finding: Finding = {
    received,
    expected: `${describeAcceptable(expect)} (${expect.level}, ${expect.source})`,
    ...(expect.fix ? { fix: expect.fix } : {}),
  }
  const noted = (grade: Grade) => (grade !== 'pass' && expect.note ? { note: expect.note } : {})
  const noteFor = (grade: Grade) => (grade !== 'pass' && expect.note ? ` ${expect.note}` : '')
  for (const outcome of expect.acceptable) {
    const matches = outcome.status === TWO_XX ? status >= 200 && status < 300 : outcome.status.includes(status)
    if (!matches) continue
    const fit =
      outcome.fits && !(scimType !== undefined && outcome.fits.includes(scimType))
        ? ` (${outcome.fits.join(' or ')} fits best; scimType is OPTIONAL, RFC 7644 §3.12, ` +
          `so ${scimType === undefined ? 'none' : scimType} is noted, not graded)`
        : ''
    const expected = outcome.grade === 'violated' ? ` Expected ${describeAcceptable(expect)}.` : ''
    const graded = `${WORD[outcome.grade]} (${expect.level}, ${expect.source}).`
    return {
      grade: outcome.grade,
      reason: `Received ${received}: ${graded}${expected}${fit}${noteFor(outcome.grade)}`,
      finding,
      ...noted(outcome.grade),
    }
  }
  return {
    grade: expect.otherwise,
    reason: `Received ${received}. Expected ${finding.expected}.${noteFor(expect.otherwise)}`,
    finding,
    ...noted(expect.otherwise),
  }
}

const WORD: Record<Grade, string> = { pass: 'pass', observe: 'observe', violated: 'a departure' }

function describeAcceptable(expect: Expectation): string {
  const wanted = expect.acceptable.filter((o) => o.grade !== 'violated')
  return [
    ...new Set(
      wanted.map((o) => {
        const status = o.status === TWO_XX ? '2xx' : o.status.join(' or ')
        return o.fits ? `${status} (scimType ${o.fits.join(' or ')} fits best)` : status
      }),
    ),
  ].join(', or ')
}
