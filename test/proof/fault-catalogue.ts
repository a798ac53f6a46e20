import type { Outcome } from '../../src/checks/types.ts'
import type { FaultName } from '../support/faults/index.ts'

/** The vendors the reference server can imitate. */
export const MATRIX_VENDORS = ['lightdash', 'maia', 'cube', 'generic'] as const
export type MatrixVendor = (typeof MATRIX_VENDORS)[number]

/** Vendors whose request schema has `password` (RFC 7643 §4.1.1): cube's documentation page has none. */
const WITH_PASSWORD: readonly MatrixVendor[] = ['lightdash', 'maia', 'generic']
/** Vendors with an extension schema (lightdash's `urn:lightdash:…:User`, generic's enterprise extension). */
const WITH_EXTENSION: readonly MatrixVendor[] = ['lightdash', 'generic']
/**
 * Vendors whose errors are SCIM Error bodies: maia declares RFC 9457 problem details (integer `status`, no
 * `scimType`).
 */
const SCIM_ERRORS: readonly MatrixVendor[] = ['lightdash', 'cube', 'generic']
/** Vendors with an OpenAPI document that declares response schemas (cube publishes a documentation page only). */
const DECLARED_SCHEMAS: readonly MatrixVendor[] = ['lightdash', 'generic']

/**
 * Every check that grades the `scimType` of a 4xx: RFC 7644 §3.12's 409 `uniqueness`. A server whose error
 * bodies carry none earns a warning from each. (RFC 7644 §3.12 makes the keyword OPTIONAL: a 400 without one
 * is an observation there.)
 */
const SCIMTYPE_GRADED = ['put.uniqueness.username-conflict-409', 'put.uniqueness.case-variant-conflict-409'] as const

/** The put.invalid checks whose rule answers 400 (RFC 7644 Table 8, a SHOULD): another 4xx warns each. */
const ANSWERED_400 = [
  'put.invalid.username-missing',
  'put.invalid.username-empty',
  'put.invalid.username-null',
  'put.invalid.schemas-missing',
  'put.invalid.schemas-empty',
  'put.invalid.schemas-without-core',
  'put.invalid.wrong-type',
  'put.invalid.two-primaries',
  'put.invalid.not-json',
  'put.invalid.truncated-json',
  'put.invalid.json-array-body',
  'put.invalid.json-scalar-body',
  'put.invalid.empty-body',
  'put.invalid.deeply-nested',
] as const

/** A status a fault must produce in a check. */
export type ExpectedOutcome = Exclude<Outcome, 'passed'>

/** What one fault must do to the checks, on the vendors where it applies. */
export interface FaultExpectation {
  fault: FaultName
  /**
   * The vendors where the fault applies (a fault may appear in several entries, one per group of vendors).
   * @defaultValue every vendor in MATRIX_VENDORS
   */
  vendors?: readonly MatrixVendor[]
  /** The intended check(s) and the status each must show. */
  expect: Readonly<Record<string, ExpectedOutcome>>
  /**
   * Other checks that may fail or warn as a consequence of the same bug (each justified where it is listed);
   * `'any'` where the fault strikes whichever check's request it lands on.
   * @defaultValue none
   */
  alsoAffected?: readonly string[] | 'any'
}

/**
 * For each reference-server fault (test/support/faults/), the check that must catch it and the
 * checks it may legitimately drag along. The fault matrix runs every check against the server with one
 * fault on and holds the results to this: the intended checks show their status, nothing else fails or warns.
 */
/**
 * The auth checks judge the refusal's body as an error like any other (RFC 7644 §3.12): a fault in every error body
 * fails them too.
 */
const AUTH_REFUSAL_BODY = { 'put.auth.missing-token': 'failed', 'put.auth.invalid-token': 'failed' } as const

export const FAULT_CATALOGUE: readonly FaultExpectation[] = [
  {
    fault: 'put-returns-201',
    // RFC 7644 §3.5.1 "returns a 200 OK": another 2xx is graded a warning (no RFC 2119 keyword there). 201 is neither
    // in any vendor document nor in Table 8 (whose statuses §3.12 says implementers SHOULD use), so
    // put.status.declared warns on every vendor.
    expect: { 'put.status.success-resource': 'warned', 'put.status.declared': 'warned' },
  },
  {
    fault: 'put-returns-204',
    expect: { 'put.status.success-resource': 'warned' },
    // No vendor document declares 204 for PUT (Table 8 does not list it either).
    alsoAffected: ['put.status.declared'],
  },
  // PUT MUST NOT create (§3.5.1); the 201 is also not Table 8's 404 (a SHOULD).
  {
    fault: 'upsert-unknown-id',
    expect: { 'put.status.unknown-id-not-created': 'failed', 'put.status.unknown-id-404': 'warned' },
  },
  // noTarget is a PATCH keyword of RFC 7644 Table 9; maia's problem details carry no scimType.
  { fault: 'unknown-id-notarget', vendors: SCIM_ERRORS, expect: { 'put.errors.scim-type': 'warned' } },
  // A 5xx is put.status.no-5xx's finding alone (every case of every other check that meets it is inconclusive);
  // no-5xx sends one body of every kind in each case, not-JSON ones among them.
  { fault: 'malformed-json-500', expect: { 'put.status.no-5xx': 'failed' } },
  {
    fault: 'missing-username-accepted',
    // The fault accepts any userName that is not a non-blank string and keeps the old one (RFC 7643 §4.1.1: warn).
    expect: {
      'put.invalid.username-missing': 'warned',
      'put.invalid.username-empty': 'warned',
      'put.invalid.username-null': 'warned',
    },
  },
  {
    fault: 'username-cleared',
    // RFC 7643 §4.1.1: the user left without a userName (MUST); the 2xx itself is not Table 8's 400 (SHOULD).
    expect: {
      'put.invalid.username-kept': 'failed',
      'put.invalid.username-missing': 'warned',
      'put.invalid.username-empty': 'warned',
      'put.invalid.username-null': 'warned',
    },
  },
  // The server refuses a change of userName with 400 mutability while its /Schemas declares userName readWrite.
  // maia's problem details carry no scimType: its 400 cannot be told from a value it cannot store (inconclusive).
  { fault: 'username-immutable', vendors: SCIM_ERRORS, expect: { 'put.status.success-200': 'failed' } },
  // Table 8 names 400 for a schema violation or an unparsable body (a SHOULD): every put.invalid check that wants 400
  // warns.
  {
    fault: 'validation-422',
    expect: Object.fromEntries(ANSWERED_400.map((id) => [id, 'warned' as const])),
    // 422 is in no vendor document and not in Table 8; no-5xx's and declared's mixes meet it.
    alsoAffected: ['put.status.declared'],
  },
  {
    fault: 'wrong-types-coerced',
    expect: { 'put.invalid.wrong-type': 'warned' },
    // A nested object where a string is declared is a wrong type too, coerced to a string.
    alsoAffected: ['put.invalid.deeply-nested'],
  },
  {
    fault: 'duplicate-username-accepted',
    // A case variant of another user's userName is a duplicate as well (RFC 7643 §4.1.1: case insensitive).
    // Stored (MUST), and answered 2xx instead of 409 (SHOULD).
    expect: {
      'put.uniqueness.username-conflict': 'failed',
      'put.uniqueness.case-variant-conflict': 'failed',
      'put.uniqueness.username-conflict-409': 'warned',
      'put.uniqueness.case-variant-conflict-409': 'warned',
    },
  },
  // no-5xx sends another user's userName, exact and as a case variant, in each case.
  { fault: 'duplicate-username-500', expect: { 'put.status.no-5xx': 'failed' } },
  {
    fault: 'case-variant-duplicate-accepted',
    expect: {
      'put.uniqueness.case-variant-conflict': 'failed',
      'put.uniqueness.case-variant-conflict-409': 'warned',
    },
  },
  {
    fault: 'non-scim-error-bodies',
    vendors: SCIM_ERRORS,
    // Without the Error schema there is no scimType either: every check that grades one warns (RFC 7644 §3.12).
    expect: {
      'put.errors.format': 'failed',
      ...AUTH_REFUSAL_BODY,
      ...Object.fromEntries(SCIMTYPE_GRADED.map((id) => [id, 'warned' as const])),
    },
    // Where the vendor document declares an error schema (SCIM Error), the body breaks it. The bodies are sent as
    // application/json, which only lightdash declares for errors (RFC 7644 §8.1).
    alsoAffected: ['put.response.error-schema', 'put.media.error-content-type'],
  },
  {
    fault: 'non-scim-error-bodies',
    // maia declares problem details, which carry no scimType: only the format is judged.
    vendors: ['maia'],
    // RFC 9457 makes every problem member optional, so {"error": ...} is valid problem details; only its
    // media type (application/json, not the declared problem+json) departs: RFC 7644 §8.1, a warning.
    expect: { 'put.media.error-content-type': 'warned' },
    alsoAffected: ['put.response.error-schema'],
  },
  { fault: 'stack-trace-in-detail', expect: { 'put.errors.no-internals': 'warned' } },
  {
    fault: 'numeric-error-status',
    // maia's declared problem details have an integer status already: the fault changes nothing there.
    vendors: SCIM_ERRORS,
    expect: { 'put.errors.format': 'failed', ...AUTH_REFUSAL_BODY },
  },
  // lightdash and generic declare the SCIM Error schema, with `status` a string.
  { fault: 'numeric-error-status', vendors: DECLARED_SCHEMAS, expect: { 'put.response.error-schema': 'failed' } },
  {
    fault: 'conflict-without-scimtype',
    // maia's problem details have no scimType to leave out.
    vendors: SCIM_ERRORS,
    expect: {
      'put.uniqueness.username-conflict-409': 'warned',
      'put.uniqueness.case-variant-conflict-409': 'warned',
    },
  },
  // What becomes of a null or [] in any other check's payload is left to these two (RFC 7644 §3.5.1),
  // never a lost value.
  { fault: 'null-not-clearing', expect: { 'put.replace.null-clears': 'warned' } },
  { fault: 'empty-array-not-clearing', expect: { 'put.replace.empty-array-clears': 'warned' } },
  // RFC 7644 §3.5.1: null and [] refused with 400 where the same PUT without them is accepted → warn. Any other
  // check whose payload carries a null or [] sees its PUT refused, and so does the control: inconclusive there.
  {
    fault: 'null-refused',
    expect: { 'put.replace.null-clears': 'warned', 'put.replace.empty-array-clears': 'warned' },
  },
  { fault: 'id-from-body', expect: { 'put.readonly.id-ignored': 'failed' } },
  {
    fault: 'meta-from-body',
    expect: { 'put.readonly.meta-ignored': 'failed' },
    // Where a vendor requires meta in the request (maia), every PUT carries a meta.created, which the fault stores.
    alsoAffected: ['put.meta.created-stable'],
  },
  {
    fault: 'created-changes',
    expect: { 'put.meta.created-stable': 'failed' },
    // meta-ignored compares meta.created before and after a PUT that carries a different one.
    alsoAffected: ['put.readonly.meta-ignored'],
  },
  { fault: 'frozen-last-modified', expect: { 'put.meta.last-modified-advances': 'warned' } },
  {
    fault: 'frozen-version',
    // The ETag is the version: a PUT that changes the user returns the same ETag again.
    expect: { 'put.meta.version-changes': 'warned', 'put.etag.changes': 'warned' },
  },
  {
    fault: 'password-echoed',
    vendors: WITH_PASSWORD,
    // The server's own /Schemas declares password returned "never" (RFC 7643 §7).
    expect: { 'put.replace.password-not-returned': 'failed', 'put.declared.returned-never': 'failed' },
  },
  {
    fault: 'response-not-persisted',
    // The response differing from the GET after it is a warning (§3.5.1's sentence has no 2119 keyword).
    expect: { 'put.replace.values-stored': 'failed', 'put.replace.response-matches-get': 'warned' },
    // Nothing a PUT sends is stored: every check that reads the result back with GET sees the old user.
    alsoAffected: [
      'put.replace.null-clears',
      'put.replace.empty-array-clears',
      'put.replace.unicode-exact',
      'put.replace.long-strings-exact',
      'put.meta.last-modified-advances',
      'put.meta.version-changes',
    ],
  },
  {
    fault: 'stale-response',
    // The second of two identical PUTs shows what the first stored, the first shows the user before it.
    expect: { 'put.replace.response-matches-get': 'warned', 'put.replace.idempotent': 'failed' },
    // The response carries the old version, so the ETag of the PUT response does not change.
    alsoAffected: ['put.etag.changes'],
  },
  { fault: 'multi-valued-dropped', expect: { 'put.replace.values-stored': 'failed' } },
  { fault: 'extension-dropped', vendors: WITH_EXTENSION, expect: { 'put.replace.values-stored': 'failed' } },
  { fault: 'case-sensitive-attribute-names', expect: { 'put.replace.case-insensitive-names': 'warned' } },
  {
    fault: 'unicode-mangled',
    expect: { 'put.replace.unicode-exact': 'failed' },
    // Generated payloads carry non-ASCII text too.
    alsoAffected: ['put.replace.values-stored'],
  },
  {
    fault: 'long-strings-truncated',
    expect: { 'put.replace.long-strings-exact': 'failed' },
    // Generated payloads may carry strings over 255 characters (not a lost value when the cut falls on trailing white
    // space).
    alsoAffected: ['put.replace.values-stored'],
  },
  // RFC 7644 §3.5.1 (values stored as sent): a string stored with its ends trimmed is a warning,
  // wherever it sits (top level,
  // sub-attribute, multi-valued item), never a lost value in put.replace.values-stored.
  { fault: 'trim-strings', expect: { 'put.replace.whitespace-kept': 'warned' } },
  {
    fault: 'active-ignored',
    expect: { 'put.replace.values-stored': 'failed' },
    // `active: null` keeps the old value as well.
    alsoAffected: ['put.replace.null-clears'],
  },
  {
    fault: 'wrong-content-type',
    // RFC 7644 §8.1: success and error responses alike.
    expect: { 'put.media.response-content-type': 'warned', 'put.media.error-content-type': 'warned' },
  },
  // SCIM's own media type where the document declares application/json: an observation, never a
  // deviation (RFC 7644 §8.1).
  {
    fault: 'responses-scim-json',
    vendors: ['lightdash'],
    expect: { 'put.media.response-content-type': 'observed', 'put.media.error-content-type': 'observed' },
  },
  // maia's errors stay problem+json, as it declares.
  { fault: 'responses-scim-json', vendors: ['maia'], expect: { 'put.media.response-content-type': 'observed' } },
  {
    fault: 'schemas-missing-in-response',
    // Echoing the GET body back sends a PUT without schemas, which the server rightly refuses, without its
    // readOnly attributes too: put.replace.whole-body-echo is inconclusive (not a refusal of readOnly values).
    expect: { 'put.schemas.response': 'failed' },
  },
  { fault: 'schemas-missing-in-response', vendors: DECLARED_SCHEMAS, expect: { 'put.response.schema-200': 'failed' } },
  { fault: 'wrong-meta-location', expect: { 'put.meta.location': 'warned' } },
  { fault: 'content-location-collection', expect: { 'put.meta.content-location': 'failed' } },
  { fault: 'wrong-resource-type', expect: { 'put.meta.resource-type': 'warned' } },
  {
    fault: 'last-modified-epoch-millis',
    // Every vendor document declares meta.lastModified a string (format date-time): the number breaks the 200 schema
    // too.
    expect: { 'put.meta.timestamps-format': 'failed', 'put.response.schema-200': 'failed' },
  },
  { fault: 'if-match-ignored', expect: { 'put.etag.stale-if-match-412': 'failed' } },
  // HTTP-correct, but RFC 7644 §3.14's examples match a weak ETag in If-Match: a warning.
  { fault: 'if-match-strong', expect: { 'put.etag.weak-if-match': 'warned' } },
  // RFC 9110 §13.1.1: a matching If-Match means the method is performed; a 409 for the current tag is a broken
  // precondition (a stale tag's 409 is Table 8's version conflict, so put.etag.stale-if-match-412 stays clean).
  {
    fault: 'if-match-refused',
    expect: { 'put.etag.current-if-match': 'failed', 'put.etag.weak-if-match': 'warned' },
  },
  // The If-Match checks have no ETag to send back: inconclusive, the missing header is put.etag.header's.
  { fault: 'etag-header-missing', expect: { 'put.etag.header': 'failed' } },
  // If-Match compares weakly (RFC 9110 §13.1.1), so the strong header still works as a precondition: only the
  // mismatch shows.
  { fault: 'etag-not-version', expect: { 'put.etag.version-matches': 'warned' } },
  { fault: 'auth-ignored', expect: { 'put.auth.missing-token': 'failed', 'put.auth.invalid-token': 'failed' } },
  // Table 8's 401 (a SHOULD); maia declares 403 already, so the fault changes nothing there.
  {
    fault: 'auth-403',
    vendors: ['lightdash', 'cube', 'generic'],
    expect: { 'put.auth.missing-token-401': 'warned', 'put.auth.invalid-token-401': 'warned' },
  },
  // maia refuses with 403 (its document declares it), which carries no challenge: the fault changes nothing there.
  {
    fault: 'www-authenticate-missing',
    vendors: ['lightdash', 'cube', 'generic'],
    expect: { 'put.auth.www-authenticate': 'failed' },
  },
  {
    fault: 'intermittent-500',
    // repeatable sends the same PUT five or six times in a row to its own user: the fifth answers 500.
    expect: { 'put.stability.repeatable': 'failed' },
    // Every fifth PUT to a user answers 500, whichever check sent it: any check that PUTs its user five times or more.
    alsoAffected: 'any',
  },
  { fault: 'groups-from-body', expect: { 'put.readonly.groups-ignored': 'failed' } },
  { fault: 'two-primaries-stored', expect: { 'put.replace.primary-once': 'failed' } },
  {
    fault: 'schemas-not-validated',
    expect: {
      'put.invalid.schemas-missing': 'warned',
      'put.invalid.schemas-empty': 'warned',
      'put.invalid.schemas-without-core': 'warned',
    },
    // wrong-type may pick `schemas` as the attribute to break (a string instead of an array).
    alsoAffected: ['put.invalid.wrong-type'],
  },
  {
    fault: 'schemas-echoed',
    // Accepted (RFC 7643 §3, a SHOULD) and answered with the schemas sent, without the core URN (RFC 7643 §3, a MUST).
    expect: {
      'put.schemas.response-to-invalid': 'failed',
      'put.invalid.schemas-missing': 'warned',
      'put.invalid.schemas-empty': 'warned',
      'put.invalid.schemas-without-core': 'warned',
    },
    // wrong-type may pick `schemas` as the attribute to break (a string instead of an array). A valid payload
    // may list an extension URN without its attributes: the response echoes it, the GET after it does not.
    alsoAffected: ['put.invalid.wrong-type', 'put.replace.response-matches-get'],
  },
  { fault: 'unknown-attribute-500', expect: { 'put.status.no-5xx': 'failed' } },
  {
    fault: 'scim-json-rejected',
    vendors: ['lightdash', 'maia', 'cube'],
    expect: { 'put.media.request-scim-json': 'failed' },
  },
  {
    fault: 'scim-json-rejected',
    vendors: ['generic'],
    expect: { 'put.media.request-scim-json': 'failed' },
    // generic declares application/scim+json, the harness's media type for every PUT: each one is refused with 415.
    alsoAffected: 'any',
  },
  // generic declares application/scim+json for its requests: only the application/json probe is refused.
  { fault: 'json-rejected', vendors: ['generic'], expect: { 'put.media.request-json': 'warned' } },
  {
    fault: 'json-rejected',
    vendors: ['lightdash', 'maia', 'cube'],
    expect: { 'put.media.request-json': 'warned' },
    // These vendors declare application/json, the harness's media type for every PUT: each one is refused with 415.
    alsoAffected: 'any',
  },
  // text/plain parsed as JSON and applied: a 2xx where 415 or 400 is expected (RFC 7644 §8.1: warn).
  { fault: 'content-type-ignored', expect: { 'put.invalid.wrong-content-type': 'warned' } },
  { fault: 'attributes-param-ignored', expect: { 'put.attributes.param': 'warned' } },
  // An RFC MAY: observed as a trait, never failed or warned.
  { fault: 'omitted-retained', expect: { 'put.replace.omitted-attributes': 'observed' } },
  {
    fault: 'no-discovery',
    // etag.supported is never declared, so the ETag checks skip (RFC 7644 §3.14: "when supported").
    expect: {
      'put.etag.header': 'skipped',
      'put.etag.version-matches': 'skipped',
      'put.etag.stale-if-match-412': 'skipped',
      'put.etag.current-if-match': 'skipped',
      'put.etag.weak-if-match': 'skipped',
      'put.etag.changes': 'skipped',
    },
  },
  // The history checks (put.sequence.*, put.concurrency.*) meet the faults above along their sequences: each
  // failure below is the same bug seen over a user's history (RFC 7644 §3.6, §3.14; RFC 7643 §3.1, §4.1.1).
  // A PUT on a deleted id recreates the user.
  { fault: 'upsert-unknown-id', expect: {}, alsoAffected: ['put.sequence.deleted-stays-gone'] },
  // A PUT takes another user's userName, also against a POST racing for it (the PUT side never checks).
  {
    fault: 'duplicate-username-accepted',
    expect: {},
    alsoAffected: ['put.sequence.username-taken', 'put.concurrency.username-race-post'],
  },
  { fault: 'case-variant-duplicate-accepted', expect: {}, alsoAffected: ['put.sequence.username-taken'] },
  // meta.created moves: on every PUT, or (maia, whose requests carry meta) to the body's.
  { fault: 'created-changes', expect: {}, alsoAffected: ['put.sequence.created-fixed'] },
  { fault: 'meta-from-body', expect: {}, alsoAffected: ['put.sequence.created-fixed'] },
  // An If-Match from before the last change is accepted: ignored, or still current because the version froze.
  { fault: 'if-match-ignored', expect: {}, alsoAffected: ['put.sequence.old-etag-refused'] },
  { fault: 'frozen-version', expect: {}, alsoAffected: ['put.sequence.old-etag-refused'] },
  // The GET after a PUT shows the state before it, and an older lastModified than the PUT's response.
  {
    fault: 'response-not-persisted',
    expect: {},
    alsoAffected: ['put.sequence.get-shows-last-write', 'put.sequence.last-modified-monotonic'],
  },
  // History faults (test/support/faults/history-faults.ts). A refused PUT changes nothing (RFC 7644 §3.12): the
  // refusal guard judges every check's refused PUT, so the write before validation strikes any of them.
  { fault: 'partial-write-on-refusal', expect: { 'put.invalid.refusal-unchanged': 'failed' }, alsoAffected: 'any' },
  // A 409 that has stored the body: the refusal guard fails whichever check's refused PUT met it, too.
  {
    fault: 'partial-write-on-conflict',
    expect: { 'put.sequence.refused-put-changes-nothing': 'failed' },
    alsoAffected: 'any',
  },
  // The old userName stays blocked after a rename: taken (MUST) by no one, and never freed (MAY: observed).
  {
    fault: 'uniqueness-index-not-renamed',
    expect: { 'put.sequence.username-taken': 'failed', 'put.sequence.username-freed': 'observed' },
  },
  { fault: 'filter-keeps-former-names', expect: { 'put.sequence.filter-current': 'failed' } },
  // The first version names a new content after two changes: a stale If-Match passes (MUST), a version reused (SHOULD).
  {
    fault: 'version-alternates',
    expect: { 'put.sequence.old-etag-refused': 'failed', 'put.sequence.version-not-reused': 'warned' },
  },
  // Race faults: a window of one tick, found by the put.concurrency.* check racing through it (RFC 7644 §3.14).
  {
    fault: 'race-username',
    expect: { 'put.concurrency.username-race': 'failed', 'put.concurrency.username-race-post': 'failed' },
  },
  { fault: 'race-username-post', expect: { 'put.concurrency.username-race-post': 'failed' } },
  { fault: 'race-if-match', expect: { 'put.concurrency.if-match-race': 'failed' } },
  { fault: 'race-replace-interleaved', expect: { 'put.concurrency.whole-body': 'failed' } },
]

/** Why a check appears in no entry's `expect` with `failed` or `warned`. */
export interface Unexercised {
  kind: 'observation-only' | 'skip-only' | 'no-fault-yet'
  reason: string
}

/**
 * Checks that no fault is meant to make fail or warn. `observation-only` and `skip-only` are by design;
 * `no-fault-yet` names a check the reference server has no switch for (the fault it would need is in the reason).
 */
export const UNEXERCISED: Readonly<Record<string, Unexercised>> = {
  'put.invalid.schemas-unknown-urn': {
    kind: 'observation-only',
    reason: 'MAY (RFC 7643 §3 is silent on an unknown URN): accepted or 400 are both observed; only a 5xx fails.',
  },
  'put.invalid.unknown-attribute': {
    kind: 'observation-only',
    reason:
      "MAY (RFC 7644 is silent): an unknown attribute ignored or refused is observed; a 5xx is put.status.no-5xx's.",
  },
  'put.invalid.oversize-body': {
    kind: 'observation-only',
    reason: 'MAY (RFC 9110 §15.5.14): a server may accept a 1 MiB body or answer 413/400; only a 5xx fails.',
  },
  'put.schemas.case-variant': {
    kind: 'observation-only',
    reason: 'MAY (RFC 7643 §3): a case variant of the core URN accepted or refused is observed; only a 5xx fails.',
  },
  'put.meta.present': {
    kind: 'no-fault-yet',
    reason:
      'SHOULD (RFC 7643 §3.1): needs a fault that returns User resources without meta (or without ' +
      'meta.created/lastModified).',
  },
  'put.readonly.refusal-mutability': {
    kind: 'no-fault-yet',
    reason:
      'SHOULD (RFC 7644 §3.12): needs a fault that refuses a PUT carrying id, meta or groups with 400 ' +
      'invalidValue (not mutability).',
  },
  'put.stability.same-status': {
    kind: 'no-fault-yet',
    reason:
      'SHOULD (RFC 9110 §9.2.2): needs a fault that answers an identical PUT with a varying non-5xx status (e.g. ' +
      'an occasional 429).',
  },
  'put.readonly.immutable-mutability': {
    kind: 'skip-only',
    reason:
      'The core User schema declares no immutable attribute, and no vendor profile adds one, so the check skips ' +
      '(RFC 7643 §2.2).',
  },
  'put.replace.whole-body-echo': {
    kind: 'no-fault-yet',
    reason:
      'Needs a fault refusing a PUT that carries its own unchanged id/meta/groups with 400 (not mutability), ' +
      'while the same body without them is accepted.',
  },
  'put.replace.whole-body-echo-mutability': {
    kind: 'no-fault-yet',
    reason:
      'Needs a fault answering 400 mutability to a PUT that carries its own unchanged id/meta/groups, while the ' +
      'same body without them is accepted.',
  },
  'put.replace.idempotent-status': {
    kind: 'no-fault-yet',
    reason:
      'Needs a fault answering a repeated identical PUT otherwise than the first (e.g. 409 the second time); ' +
      'intermittent-500 is a 5xx, judged by put.status.no-5xx alone.',
  },
  'put.readonly.immutable-unchanged': {
    kind: 'skip-only',
    reason:
      'The core User schema declares no immutable attribute, and no vendor profile adds one, so the check skips ' +
      '(RFC 7643 §2.2).',
  },
}

/** The entries for a fault that apply to a vendor (their expectations and allowances are merged). */
export function expectationsFor(fault: FaultName, vendor: string): FaultExpectation[] {
  return FAULT_CATALOGUE.filter(
    (e) => e.fault === fault && (e.vendors ?? MATRIX_VENDORS).includes(vendor as MatrixVendor),
  )
}
