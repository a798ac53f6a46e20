/**
 * Deliberate faults the reference server can be switched into. Each is one realistic bug of a SCIM
 * PUT implementation; the project's tests switch them on to prove that the intended check catches
 * the bug (and no unrelated check fails). A correct run never sets any of these.
 */
export const FAULTS = {
  'put-returns-201': 'A successful PUT answers 201 Created instead of 200 OK.',
  'put-returns-204': 'A successful PUT answers 204 No Content with no body.',
  'upsert-unknown-id': 'PUT on an unknown id creates the user (201) instead of answering 404.',
  'unknown-id-notarget':
    'PUT on an unknown id answers 404 with scimType noTarget, a PATCH keyword of RFC 7644 Table 9 (as Lightdash is reported to).',
  'malformed-json-500': 'A body that is not JSON crashes the handler (500).',
  'missing-username-accepted': 'A PUT without userName succeeds and keeps the old userName.',
  'username-cleared': 'A PUT without a usable userName (missing, "" or null) succeeds and stores the user without one.',
  'username-immutable':
    'A PUT that changes userName is refused with 400 mutability, although /Schemas declares userName readWrite.',
  'wrong-types-coerced': 'Wrong JSON types are coerced (e.g. "active": "false" stored as false) instead of 400.',
  'duplicate-username-accepted': "Another user's userName is accepted and stored (no uniqueness check on PUT).",
  'duplicate-username-500': "Another user's userName crashes the handler (500, e.g. a database constraint error).",
  'case-variant-duplicate-accepted': 'userName uniqueness is checked case-sensitively, so a case variant is stored.',
  'non-scim-error-bodies':
    'Errors are answered as {"error": "..."} without the SCIM Error schema (or problem details).',
  'numeric-error-status': 'SCIM Error bodies carry `status` as a JSON number instead of a string.',
  'validation-422':
    'Every 400 is answered 422 Unprocessable Entity instead (as many web frameworks answer a validation error).',
  'stack-trace-in-detail': "Every error's `detail` ends with the server's Node.js stack trace (file paths included).",
  'conflict-without-scimtype': 'The uniqueness 409 carries no scimType.',
  'null-not-clearing': 'A null single-valued attribute leaves the old value in place.',
  'empty-array-not-clearing': 'An empty array for a multi-valued attribute leaves the old values in place.',
  'id-from-body': 'An `id` in the body replaces the resource id.',
  'meta-from-body': '`meta.created` from the body is stored.',
  'created-changes': '`meta.created` is reset to now on every PUT.',
  'frozen-last-modified': '`meta.lastModified` never changes after creation.',
  'frozen-version': '`meta.version` (and the ETag) never changes after creation.',
  'password-echoed': 'The password sent is returned in the response and later GETs.',
  'response-not-persisted': 'The PUT response shows the new values but nothing is stored.',
  'stale-response': 'The PUT response shows the representation from before the PUT.',
  'multi-valued-dropped': '`emails` (and other multi-valued attributes) are silently dropped by PUT.',
  'extension-dropped': 'Extension-schema attributes are silently dropped by PUT.',
  'case-sensitive-attribute-names': 'Attribute names are matched case-sensitively (`UserName` is not `userName`).',
  'unicode-mangled': 'Non-ASCII characters are replaced by "?" when stored.',
  'long-strings-truncated': 'String values are truncated to 255 characters when stored.',
  'trim-strings': 'White space at the ends of every stored string is trimmed.',
  'active-ignored': '`active` in a PUT is ignored (the old value is kept).',
  'wrong-content-type': 'Responses are sent as text/html.',
  'responses-scim-json':
    "Every response is application/scim+json (problem details stay problem+json), whatever the vendor document declares: RFC 7644 §8.1's own type, not a bug.",
  'schemas-missing-in-response': 'Responses carry no `schemas` attribute.',
  'wrong-meta-location': '`meta.location` points at the wrong resource.',
  'content-location-collection':
    'User responses carry a Content-Location naming the /Users collection, not the user (so it differs from meta.location).',
  'wrong-resource-type': '`meta.resourceType` is "Users" (the endpoint\'s name) instead of "User".',
  'last-modified-epoch-millis':
    '`meta.lastModified` is the stored epoch milliseconds (a JSON number), not an xsd:dateTime string.',
  'if-match-ignored': 'A stale If-Match is ignored and the PUT succeeds.',
  'if-match-strong':
    'If-Match is compared strongly (RFC 9110 §13.1.1): the current weak ETag never matches, so every conditional PUT answers 412.',
  'if-match-refused':
    'With ETags enabled, any PUT carrying If-Match is answered 409 Conflict, even when the tag is the current one.',
  'etag-header-missing': 'With ETags enabled, responses carry no ETag header.',
  'etag-not-version': 'With ETags enabled, the ETag header is a strong tag ("3") while `meta.version` is weak (W/"3").',
  'auth-ignored': 'Requests without a valid bearer token are served.',
  'www-authenticate-missing': 'A 401 for a missing or wrong token carries no WWW-Authenticate header.',
  'auth-403': 'A missing or wrong token is answered 403 Forbidden instead of 401 Unauthorized.',
  'intermittent-500': 'Every fifth PUT to the same user answers 500.',
  'groups-from-body': "`groups` sent in a PUT body is stored as the user's memberships.",
  'two-primaries-stored': 'Two `primary: true` values in a multi-valued attribute are stored as sent.',
  'schemas-not-validated': 'A PUT without `schemas` (or without the core URN) succeeds.',
  'schemas-echoed':
    "A PUT's `schemas` is not validated and its response lists exactly the `schemas` sent (none, [], or no core URN).",
  'unknown-attribute-500': 'An unknown attribute crashes the handler (500).',
  'scim-json-rejected': 'Requests with Content-Type application/scim+json are rejected with 415.',
  'json-rejected':
    'PUT requests with Content-Type application/json are rejected with 415 (only application/scim+json is accepted).',
  'content-type-ignored':
    'The PUT request Content-Type is never checked: a JSON body sent as text/plain is parsed and applied.',
  'attributes-param-ignored': 'The `attributes` query parameter is ignored on PUT.',
  'null-refused':
    'A PUT carrying `null` for an attribute (top level, sub-attribute or extension), or `[]` for a multi-valued one, is refused with 400 invalidValue, although RFC 7644 §3.5.1 lets the client send them.',
  'omitted-retained': 'Omitted attributes keep their old values (an RFC MAY, not a bug).',
  'no-discovery': '/ServiceProviderConfig, /Schemas and /ResourceTypes answer 404.',
} as const

/**
 * Faults the server can be switched into whose grading by the harness is still being made to follow
 * SCIM-PUT-RULES, so the fault matrix (test/proof/fault-catalogue.ts) leaves them out for now: they are not in
 * FAULT_NAMES. Move one into FAULTS, with its catalogue entry, once the harness grades it as the rules say.
 */
export const PENDING_FAULTS = {} as const

/** A fault of the fault matrix (FAULTS). */
export type FaultName = keyof typeof FAULTS

/** Any fault the server can be switched into: FAULTS and PENDING_FAULTS. */
export type ServerFaultName = FaultName | keyof typeof PENDING_FAULTS

/** Fault switches: a set of names, each on. */
export type Faults = ReadonlySet<ServerFaultName>

/** The faults of the fault matrix (every one in FAULTS; PENDING_FAULTS are left out). */
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[]

/** Every fault the server accepts: FAULTS and PENDING_FAULTS. */
export const ALL_FAULT_NAMES: readonly ServerFaultName[] = [
  ...FAULT_NAMES,
  ...(Object.keys(PENDING_FAULTS) as ServerFaultName[]),
]
