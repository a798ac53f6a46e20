import type { Level, SpecFinding } from '../checks/types.ts'
import { ERROR_SCHEMA, topLevelProperties, type VendorProfile } from '../profile/vendor-profile.ts'
import type { JsonSchema } from '../spec/json-schema.ts'
import { isJsonMedia, type MediaSchema } from '../spec/put-user-operation.ts'

/**
 * One static rule about the vendor's OpenAPI document, judged against the RFCs. `level` is the RFC's
 * own keyword for the sentence the rule cites; `check` returns the finding's one-line message when
 * the document departs from that sentence, and `undefined` when it does not.
 */
export interface SpecRule {
  id: string
  level: Level
  source: string
  check(profile: VendorProfile): string | undefined
}

/** RFC 7644 §3.12 Table 9: every detail error keyword. PATCH-only ones are fine in a type shared by all operations. */
const TABLE_9 = ['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive']

/** Common and User attributes that RFC 7643 makes readOnly (§3.1 id, meta; §4.1.2 groups). */
const READ_ONLY_ATTRIBUTES = ['id', 'meta', 'groups']

const SCIM_JSON = /^application\/scim\+json\b/i

/** Status keys of the operation that describe errors: 4xx, 5xx, their `4XX` ranges, and `default`. */
function errorStatuses(profile: VendorProfile): string[] {
  return Object.keys(profile.op.responses).filter((s) => /^[45]/.test(s) || s === 'default')
}

/** True when the document declares `status` itself, its range (`4XX`), or a `default` response. */
function declares(profile: VendorProfile, status: string): boolean {
  return Object.keys(profile.op.responses).some((s) => s === status || s.toUpperCase() === `${status[0]}XX` || s === 'default')
}

function put(profile: VendorProfile): string {
  return `PUT ${profile.op.path}`
}

/** A property by attribute name; RFC 7643 §2.1 makes attribute names case-insensitive. */
function property(schema: JsonSchema, name: string): JsonSchema | undefined {
  const props = topLevelProperties(schema)
  const key = Object.keys(props).find((k) => k.toLowerCase() === name.toLowerCase())
  return key === undefined ? undefined : props[key]
}

function typeNames(schema: JsonSchema): string[] {
  const branches = [schema, ...(schema.allOf ?? [])]
  return branches.flatMap((b) => (Array.isArray(b.type) ? b.type : b.type ? [b.type] : []))
}

function joinStatuses(statuses: string[]): string {
  return statuses.join(', ')
}

/**
 * How one declared error body departs from the §3.12 SCIM Error message, e.g. `as application/problem+json
 * with status typed integer and no schemas attribute`; undefined when it does not (or says too little to tell).
 */
function errorBodyDeparture(media: MediaSchema): string | undefined {
  const shape: string[] = []
  const schema = media.schema
  // A schema with no properties says nothing about the body's shape: not a departure.
  if (schema && Object.keys(topLevelProperties(schema)).length > 0) {
    const status = property(schema, 'status')
    if (!status) shape.push('no status attribute')
    else {
      const types = typeNames(status)
      if (types.length > 0 && !types.includes('string')) shape.push(`status typed ${types.join('|')}`)
    }
    if (!property(schema, 'schemas')) shape.push('no schemas attribute')
  }
  const wrongMedia = /problem\+json/i.test(media.mediaType) || !isJsonMedia(media.mediaType)
  if (!wrongMedia && shape.length === 0) return undefined
  const as = `as ${media.mediaType}${isJsonMedia(media.mediaType) ? '' : ' (not JSON)'}`
  return shape.length === 0 ? as : `${as} with ${shape.join(' and ')}`
}

/**
 * RFC 7644 §3.12 (verified): "implementers MUST return the errors in the body of the response in a
 * JSON format", identified by the Error URN, with `status` the HTTP code as a JSON string (REQUIRED).
 */
export const errorsNotScimFormat: SpecRule = {
  id: 'spec.errors.not-scim-format',
  level: 'MUST',
  source: 'RFC 7644 §3.12',
  check(profile) {
    const byReasons = new Map<string, string[]>()
    for (const status of errorStatuses(profile)) {
      for (const media of profile.op.responses[status]) {
        const departure = errorBodyDeparture(media)
        if (departure !== undefined) byReasons.set(departure, [...new Set([...(byReasons.get(departure) ?? []), status])])
      }
    }
    if (byReasons.size === 0) return undefined
    const says = [...byReasons].map(([departure, statuses]) => `${joinStatuses(statuses)} ${departure}`).join('; ')
    return `${put(profile)} declares its error responses ${says}; RFC 7644 §3.12 requires a JSON body with "schemas": ["${ERROR_SCHEMA}"] and "status" as a JSON string`
  },
}

/** RFC 7644 §3.12 (verified): "implementers MUST return the errors in the body of the response". */
export const errorsNoBody: SpecRule = {
  id: 'spec.errors.no-body',
  level: 'MUST',
  source: 'RFC 7644 §3.12',
  check(profile) {
    const bodiless = errorStatuses(profile).filter((s) => profile.op.responses[s].length === 0)
    if (bodiless.length === 0) return undefined
    return `${put(profile)} declares ${joinStatuses(bodiless)} with no body; RFC 7644 §3.12 says implementers MUST return the errors in the body of the response, as a SCIM Error JSON object`
  },
}

/**
 * RFC 7644 §3.12 Table 8 lists the error statuses a PUT can get, each with a SCIM Error body. A document
 * that declares none leaves the error contract to discovery; the per-status rules stay quiet then.
 */
export const errorsNoneDeclared: SpecRule = {
  id: 'spec.errors.none-declared',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12',
  check(profile) {
    if (errorStatuses(profile).length > 0) return undefined
    const declared = Object.keys(profile.op.responses)
    return `${put(profile)} declares only ${joinStatuses(declared)} and no error response; RFC 7644 §3.12 (Table 8) lists the error statuses of a PUT (400, 401, 403, 404, 409, 412, 500), each with a SCIM Error body`
  },
}

/** RFC 7644 §3.12: `scimType` is a keyword of Table 9. Listing PATCH-only keywords in a shared type is no departure. */
export const errorsScimTypeOutsideTable9: SpecRule = {
  id: 'spec.errors.scimtype-not-in-table-9',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 (Table 9)',
  check(profile) {
    const unknown = new Set<string>()
    for (const status of errorStatuses(profile)) {
      for (const media of profile.op.responses[status]) {
        const scimType = media.schema ? property(media.schema, 'scimType') : undefined
        for (const value of scimType?.enum ?? []) if (typeof value === 'string' && !TABLE_9.includes(value)) unknown.add(value)
      }
    }
    if (unknown.size === 0) return undefined
    return `${put(profile)} declares scimType values ${[...unknown].join(', ')}; RFC 7644 §3.12 Table 9 defines the keywords (${TABLE_9.join(', ')})`
  },
}

/**
 * RFC 7644 §3.5.1 (verified), readOnly: "Any values provided SHALL be ignored." RFC 7643 §3.1 `meta`
 * (verified): "This attribute SHALL be ignored when provided by clients." A body that must carry an
 * ignored attribute rejects clients that omit it. `readOnly: true` plus `required` is OpenAPI's way of
 * saying "required in responses only", so such properties are not flagged.
 */
export const requestReadOnlyRequired: SpecRule = {
  id: 'spec.request.readonly-required',
  level: 'MUST',
  source: 'RFC 7643 §3.1; RFC 7644 §3.5.1',
  check(profile) {
    const required = profile.requiredFields.filter((f) => READ_ONLY_ATTRIBUTES.includes(f.toLowerCase()))
    const flagged = required.filter((f) => property(profile.requestSchema, f)?.readOnly !== true)
    if (flagged.length === 0) return undefined
    return `${put(profile)} requires ${flagged.join(', ')} in the request body; RFC 7643 makes ${flagged.length > 1 ? 'them' : 'it'} readOnly and RFC 7644 §3.5.1 says values provided SHALL be ignored, so a client may omit ${flagged.length > 1 ? 'them' : 'it'}`
  },
}

/**
 * RFC 7643 §4.1.1: userName is REQUIRED. RFC 7644 §3.5.1 (verified): "If an attribute is "required",
 * clients MUST specify the attribute in the PUT request."
 */
export const requestUserNameNotRequired: SpecRule = {
  id: 'spec.request.username-not-required',
  level: 'MUST',
  source: 'RFC 7643 §4.1.1; RFC 7644 §3.5.1',
  check(profile) {
    if (profile.requiredFields.some((f) => f.toLowerCase() === 'username')) return undefined
    return `${put(profile)} does not require userName in the request body; userName is REQUIRED (RFC 7643 §4.1.1) and clients MUST specify required attributes in a PUT (RFC 7644 §3.5.1)`
  },
}

/**
 * RFC 7643 §3: `schemas` is REQUIRED in a resource's representation. A server that accepts a body
 * without it is lenient rather than broken (SCIM-PUT-RULES.md rule 13 grades that as warn), so this
 * departure of the document is a SHOULD.
 */
export const requestSchemasNotRequired: SpecRule = {
  id: 'spec.request.schemas-not-required',
  level: 'SHOULD',
  source: 'RFC 7643 §3',
  check(profile) {
    if (profile.requiredFields.some((f) => f.toLowerCase() === 'schemas')) return undefined
    return `${put(profile)} does not require schemas in the request body; RFC 7643 §3 makes "schemas" a REQUIRED attribute of every resource representation`
  },
}

/** RFC 7643 §4.1.1 (verified): "The cleartext value or the hashed value of a password SHALL NOT be returnable by a service provider." */
export const responsePasswordReturnable: SpecRule = {
  id: 'spec.response.password-returnable',
  level: 'MUST',
  source: 'RFC 7643 §4.1.1',
  check(profile) {
    const media = profile.successMedia.filter((m) => {
      const password = m.schema ? property(m.schema, 'password') : undefined
      return password !== undefined && password.writeOnly !== true
    })
    if (media.length === 0) return undefined
    return `${put(profile)} lists password in its success response schema (${media.map((m) => m.mediaType).join(', ')}) without writeOnly; RFC 7643 §4.1.1 says a password SHALL NOT be returnable by a service provider (returned "never")`
  },
}

/**
 * RFC 7644 §3.5.1 (verified): "Unless otherwise specified, a successful PUT operation returns a 200 OK
 * response code and the entire resource within the response body". "Unless otherwise specified" makes this a SHOULD.
 */
export const successNot200WithResource: SpecRule = {
  id: 'spec.success.not-200-with-resource',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1',
  check(profile) {
    const ok = profile.op.responses['200']
    if (ok === undefined) {
      const success = Object.keys(profile.op.responses).filter((s) => /^2/.test(s))
      return `${put(profile)} declares ${joinStatuses(success)} but no 200 for success; RFC 7644 §3.5.1 says a successful PUT returns 200 OK and the entire resource in the body`
    }
    if (ok.some((m) => m.schema !== null)) return undefined
    return `${put(profile)} declares 200 with no body schema; RFC 7644 §3.5.1 says a successful PUT returns the entire resource in the body`
  },
}

/** A rule for one Table 8 status the document leaves out; quiet when no error response is declared at all. */
function statusUndeclared(status: string, level: Level, source: string, rfcSays: string, skip?: (profile: VendorProfile) => boolean): SpecRule {
  return {
    id: `spec.status.${status}-undeclared`,
    level,
    source,
    check(profile) {
      if (errorStatuses(profile).length === 0) return undefined // spec.errors.none-declared owns this
      if (declares(profile, status) || skip?.(profile)) return undefined
      return `${put(profile)} declares no ${status} response; ${rfcSays}`
    },
  }
}

export const status400Undeclared = statusUndeclared(
  '400', 'SHOULD', 'RFC 7644 §3.12 (Table 8)',
  'RFC 7644 Table 8 answers a request that violates the schema with 400 (invalidSyntax, invalidValue, mutability)',
)

export const status401Undeclared = statusUndeclared(
  '401', 'SHOULD', 'RFC 7644 §3.12 (Table 8)',
  'RFC 7644 Table 8 answers a missing or invalid authorization header with 401',
  (profile) => declares(profile, '403'), // spec.auth.403-for-auth-failure owns that case
)

export const status404Undeclared = statusUndeclared(
  '404', 'SHOULD', 'RFC 7644 §3.5.1; §3.12 (Table 8)',
  'PUT MUST NOT create resources (RFC 7644 §3.5.1) and Table 8 answers an unknown resource with 404',
)

export const status409Undeclared = statusUndeclared(
  '409', 'SHOULD', 'RFC 7644 §3.12 (Table 8); RFC 7643 §4.1.1',
  'userName MUST be unique (RFC 7643 §4.1.1) and RFC 7644 Table 8 answers a duplicate with 409 (scimType uniqueness)',
)

export const status412Undeclared = statusUndeclared(
  '412', 'MAY', 'RFC 7644 §3.14',
  'versioning is optional (RFC 7644 §3.14), but a server that supports ETags answers a stale If-Match with 412 (informative)',
)

/** RFC 7644 §3.12 Table 8: 401 for a missing or invalid authorization header; 403 for an operation the credential may not perform. */
export const authForbiddenInsteadOfUnauthorized: SpecRule = {
  id: 'spec.auth.403-for-auth-failure',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 (Table 8)',
  check(profile) {
    if (declares(profile, '401') || !profile.op.responses['403']) return undefined
    return `${put(profile)} declares 403 and no 401 for an authorization failure; RFC 7644 Table 8 answers a missing or invalid authorization header with 401 and keeps 403 for an operation the credential does not permit`
  },
}

/** RFC 7644 §2: SCIM relies on HTTP authentication and authorization; Table 8 has 401 for a missing credential. */
export const authNoSecurityScheme: SpecRule = {
  id: 'spec.auth.no-security-scheme',
  level: 'SHOULD',
  source: 'RFC 7644 §2',
  check(profile) {
    if (profile.op.security.kind !== 'none') return undefined
    return `${put(profile)} declares no security requirement; RFC 7644 §2 relies on HTTP authentication for SCIM requests, and Table 8 answers a missing credential with 401`
  },
}

/** RFC 7644 §3.8: the response format defaults to application/scim+json, which service providers must support. */
export const mediaSuccessNotScimJson: SpecRule = {
  id: 'spec.media.success-not-scim-json',
  level: 'SHOULD',
  source: 'RFC 7644 §3.8',
  check(profile) {
    const types = profile.successMedia.map((m) => m.mediaType)
    if (types.length === 0 || types.some((t) => SCIM_JSON.test(t))) return undefined
    return `${put(profile)} declares its success response only as ${types.join(', ')}; RFC 7644 §3.8 makes application/scim+json the default response format`
  },
}

/** RFC 7644 §8.1 registers application/scim+json, the media type SCIM clients send bodies with (§3.8). */
export const mediaRequestNotScimJson: SpecRule = {
  id: 'spec.media.request-not-scim-json',
  level: 'SHOULD',
  source: 'RFC 7644 §3.8; §8.1',
  check(profile) {
    const types = profile.op.request.media.map((m) => m.mediaType)
    if (types.some((t) => SCIM_JSON.test(t))) return undefined
    return `${put(profile)} accepts the request body only as ${types.join(', ')}; application/scim+json is the SCIM media type (RFC 7644 §8.1) that SCIM clients send`
  },
}

/** Every rule, in report order. An explicit list: importing a rule registers nothing. */
export const SPEC_RULES: readonly SpecRule[] = [
  errorsNotScimFormat,
  errorsNoBody,
  errorsNoneDeclared,
  errorsScimTypeOutsideTable9,
  requestReadOnlyRequired,
  requestUserNameNotRequired,
  requestSchemasNotRequired,
  responsePasswordReturnable,
  successNot200WithResource,
  status400Undeclared,
  status401Undeclared,
  status404Undeclared,
  status409Undeclared,
  status412Undeclared,
  authForbiddenInsteadOfUnauthorized,
  authNoSecurityScheme,
  mediaSuccessNotScimJson,
  mediaRequestNotScimJson,
]

/**
 * Static audit of a vendor's OpenAPI document against RFC 7643/7644: each finding is a departure of
 * the document (never a verdict on a server), graded with the RFC's own keyword for the cited sentence.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.5.1
 */
export function auditSpec(profile: VendorProfile, rules: readonly SpecRule[] = SPEC_RULES): SpecFinding[] {
  const findings: SpecFinding[] = []
  for (const rule of rules) {
    const message = rule.check(profile)
    if (message !== undefined) findings.push({ id: rule.id, level: rule.level, source: rule.source, message })
  }
  return findings
}
