import type { Level, SpecFinding } from '../checks/types.ts'
import { ERROR_SCHEMA, topLevelProperties, type VendorProfile } from '../profile/vendor-profile.ts'
import type { JsonSchema } from '../openapi/json-schema.ts'
import { isJsonMedia, type MediaSchema } from '../openapi/put-user-operation.ts'

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
const TABLE_9 = [
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

/** Common and User attributes that RFC 7643 makes readOnly (§3.1 id, meta; §4.1.2 groups). */
const READ_ONLY_ATTRIBUTES = ['id', 'meta', 'groups']

const SCIM_JSON = /^application\/scim\+json\b/i

/** Status keys of the operation that describe errors: 4xx, 5xx, their `4XX` ranges, and `default`. */
function errorStatuses(profile: VendorProfile): string[] {
  return Object.keys(profile.op.responses).filter((s) => /^[45]/.test(s) || s === 'default')
}

/** True when the document declares `status` itself, its range (`4XX`), or a `default` response. */
function declares(profile: VendorProfile, status: string): boolean {
  return Object.keys(profile.op.responses).some(
    (s) => s === status || s.toUpperCase() === `${status[0]}XX` || s === 'default',
  )
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
  // §3.12's MUST is about a JSON body of that shape; its JSON media type is §8.1's SHOULD (errorsMediaNotScimJson).
  const notJson = !isJsonMedia(media.mediaType)
  if (!notJson && shape.length === 0) return undefined
  const as = `as ${media.mediaType}${notJson ? ' (not JSON)' : ''}`
  return shape.length === 0 ? as : `${as} with ${shape.join(' and ')}`
}

/**
 * RFC 7644 §3.12 (verified): "implementers MUST return the errors in the body of the response in a
 * JSON format, using the attributes described below. Error responses are identified using the
 * following "schema" URI: "urn:ietf:params:scim:api:messages:2.0:Error"", and `status` is "The HTTP
 * status code ... expressed as a JSON string. REQUIRED." §3.12 names no media type: a SCIM Error declared
 * under another JSON media type (application/problem+json) is errorsMediaNotScimJson's SHOULD, not this MUST.
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
        if (departure !== undefined)
          byReasons.set(departure, [...new Set([...(byReasons.get(departure) ?? []), status])])
      }
    }
    if (byReasons.size === 0) return undefined
    const says = [...byReasons].map(([departure, statuses]) => `${joinStatuses(statuses)} ${departure}`).join('; ')
    return (
      `${put(profile)} declares its error responses ${says}; RFC 7644 §3.12 requires a JSON body with ` +
      `"schemas": ["${ERROR_SCHEMA}"] and "status" as a JSON string`
    )
  },
}

/** RFC 7644 §3.12 (verified): "implementers MUST return the errors in the body of the response in a JSON format". */
export const errorsNoBody: SpecRule = {
  id: 'spec.errors.no-body',
  level: 'MUST',
  source: 'RFC 7644 §3.12',
  check(profile) {
    const bodiless = errorStatuses(profile).filter((s) => profile.op.responses[s].length === 0)
    if (bodiless.length === 0) return undefined
    return (
      `${put(profile)} declares ${joinStatuses(bodiless)} with no body; RFC 7644 §3.12 says implementers ` +
      'MUST return the errors in the body of the response, as a SCIM Error JSON object'
    )
  },
}

/**
 * RFC 7644 §3.12 (verified): "Implementers SHOULD handle the identified HTTP status codes as described
 * below." Table 8 lists the statuses a PUT can get (errors: 400, 401, 403, 404, 409, 412, 500, 501), and
 * §3.12's MUST gives each error a SCIM Error body. A document that declares none leaves the error
 * contract to discovery; the per-status rules stay quiet then.
 */
export const errorsNoneDeclared: SpecRule = {
  id: 'spec.errors.none-declared',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12',
  check(profile) {
    if (errorStatuses(profile).length > 0) return undefined
    const declared = Object.keys(profile.op.responses)
    return (
      `${put(profile)} declares only ${joinStatuses(declared)} and no error response; RFC 7644 §3.12 (Table 8) ` +
      'lists the error statuses of a PUT (400, 401, 403, 404, 409, 412, 500, 501), each with a SCIM Error body'
    )
  },
}

/**
 * RFC 7644 §3.12 (verified): scimType is "A SCIM detail error keyword.  See Table 9.  OPTIONAL." The RFC
 * puts no 2119 keyword on the values, so a value outside Table 9 is a departure from what the RFC
 * clearly intends (graded as a warning), hence SHOULD. Listing PATCH-only keywords in a shared
 * type is no departure.
 */
export const errorsScimTypeOutsideTable9: SpecRule = {
  id: 'spec.errors.scimtype-not-in-table-9',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 (Table 9)',
  check(profile) {
    const unknown = new Set<string>()
    for (const status of errorStatuses(profile)) {
      for (const media of profile.op.responses[status]) {
        const scimType = media.schema ? property(media.schema, 'scimType') : undefined
        for (const value of scimType?.enum ?? [])
          if (typeof value === 'string' && !TABLE_9.includes(value)) unknown.add(value)
      }
    }
    if (unknown.size === 0) return undefined
    return (
      `${put(profile)} declares scimType values ${[...unknown].join(', ')}; ` +
      `RFC 7644 §3.12 Table 9 defines the keywords (${TABLE_9.join(', ')})`
    )
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
    const them = flagged.length > 1 ? 'them' : 'it'
    return (
      `${put(profile)} requires ${flagged.join(', ')} in the request body; RFC 7643 makes ${them} readOnly ` +
      `and RFC 7644 §3.5.1 says values provided SHALL be ignored, so a client may omit ${them}`
    )
  },
}

/**
 * RFC 7643 §4.1.1 (verified): "Each User MUST include a non-empty userName value. ... This attribute is
 * REQUIRED and is case insensitive." RFC 7644 §3.5.1 (verified): "If an attribute is "required", clients
 * MUST specify the attribute in the PUT request."
 */
export const requestUserNameNotRequired: SpecRule = {
  id: 'spec.request.username-not-required',
  level: 'MUST',
  source: 'RFC 7643 §4.1.1; RFC 7644 §3.5.1',
  check(profile) {
    if (profile.requiredFields.some((f) => f.toLowerCase() === 'username')) return undefined
    return (
      `${put(profile)} does not require userName in the request body; userName is REQUIRED (RFC 7643 §4.1.1) ` +
      'and clients MUST specify required attributes in a PUT (RFC 7644 §3.5.1)'
    )
  },
}

/**
 * RFC 7643 §3 (verified): "The "schemas" attribute is a REQUIRED attribute" and "All representations of
 * SCIM schemas MUST include a non-empty array with value(s) of the URIs supported by that representation."
 * REQUIRED is a MUST in RFC 2119 terms; this rule deliberately grades lower: a server that accepts a body
 * without it is lenient rather than broken (put.invalid.schemas-* warn on that), so this
 * departure of the document is a SHOULD.
 */
export const requestSchemasNotRequired: SpecRule = {
  id: 'spec.request.schemas-not-required',
  level: 'SHOULD',
  source: 'RFC 7643 §3',
  check(profile) {
    if (profile.requiredFields.some((f) => f.toLowerCase() === 'schemas')) return undefined
    return (
      `${put(profile)} does not require schemas in the request body; ` +
      'RFC 7643 §3 makes "schemas" a REQUIRED attribute of every resource representation'
    )
  },
}

/**
 * RFC 7643 §4.1.1 (verified): "The cleartext value or the hashed value of a password SHALL NOT be returnable by a
 * service provider."
 */
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
    const types = media.map((m) => m.mediaType).join(', ')
    return (
      `${put(profile)} lists password in its success response schema (${types}) without writeOnly; ` +
      'RFC 7643 §4.1.1 says a password SHALL NOT be returnable by a service provider (returned "never")'
    )
  },
}

/**
 * RFC 7644 §3.5.1 (verified): "Unless otherwise specified, a successful PUT operation returns a 200 OK
 * response code and the entire resource within the response body". The sentence has no 2119 keyword and
 * "Unless otherwise specified" admits other answers, so this is graded a SHOULD.
 */
export const successNot200WithResource: SpecRule = {
  id: 'spec.success.not-200-with-resource',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1',
  check(profile) {
    const ok = profile.op.responses['200']
    if (ok === undefined) {
      const success = Object.keys(profile.op.responses).filter((s) => /^2/.test(s))
      return (
        `${put(profile)} declares ${joinStatuses(success)} but no 200 for success; ` +
        'RFC 7644 §3.5.1 says a successful PUT returns 200 OK and the entire resource in the body'
      )
    }
    if (ok.some((m) => m.schema !== null)) return undefined
    return (
      `${put(profile)} declares 200 with no body schema; ` +
      'RFC 7644 §3.5.1 says a successful PUT returns the entire resource in the body'
    )
  },
}

/**
 * A rule for one Table 8 status the document leaves out; quiet when no error response is declared at all.
 * RFC 7644 §3.12 (verified): "Implementers SHOULD handle the identified HTTP status codes as described below."
 */
function statusUndeclared(
  status: string,
  level: Level,
  source: string,
  rfcSays: string,
  skip?: (profile: VendorProfile) => boolean,
): SpecRule {
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
  '400',
  'SHOULD',
  'RFC 7644 §3.12 (Table 8)',
  'RFC 7644 Table 8 answers a request that "is unparsable, syntactically incorrect, or violates schema" with 400 ' +
    '(Table 9 scimTypes for PUT: uniqueness, mutability, invalidSyntax, invalidValue, invalidVers)',
)

export const status401Undeclared = statusUndeclared(
  '401',
  'SHOULD',
  'RFC 7644 §3.12 (Table 8)',
  'RFC 7644 Table 8 answers 401 for "Authorization failure. The authorization header is invalid or missing."',
  (profile) => declares(profile, '403'), // spec.auth.403-for-auth-failure owns that case
)

export const status404Undeclared = statusUndeclared(
  '404',
  'SHOULD',
  'RFC 7644 §3.5.1; §3.12 (Table 8)',
  '"HTTP PUT MUST NOT be used to create new resources" (RFC 7644 §3.5.1) and Table 8 answers 404 when the ' +
    '"Specified resource (e.g., User) or endpoint does not exist"',
)

/**
 * RFC 7643 §4.1.1 (verified): userName "MUST be unique across the service provider's entire set of Users".
 * RFC 7644 Table 8 (verified) gives 409 when "a service provider refused to create a new, duplicate
 * resource" (or a version mismatch), and §3.3 (verified) answers a duplicate userName on create with "HTTP
 * status code 409 (Conflict) with a "scimType" error code of "uniqueness"". For PUT the RFC is less direct:
 * Table 9 defines uniqueness (applicable to PUT) under "For HTTP status code 400 (Bad Request) responses".
 */
export const status409Undeclared = statusUndeclared(
  '409',
  'SHOULD',
  'RFC 7644 §3.12 (Table 8); RFC 7643 §4.1.1',
  'userName MUST be unique (RFC 7643 §4.1.1); RFC 7644 Table 8 answers 409 when "a service provider refused to ' +
    'create a new, duplicate resource", and §3.3 answers a duplicate userName with 409 and scimType "uniqueness"',
)

/**
 * RFC 7644 §3.14 (verified): "Service providers MAY support weak ETags"; "If the service provider supports
 * versioning of resources, the client MAY supply an If-Match header ... for PUT and PATCH operations".
 * Table 8: 412 "Failed to update.  Resource has changed on the server."
 */
export const status412Undeclared = statusUndeclared(
  '412',
  'MAY',
  'RFC 7644 §3.14',
  'versioning is optional (RFC 7644 §3.14: service providers MAY support ETags), but a server that supports it ' +
    'answers a stale If-Match with 412, "Failed to update. Resource has changed on the server." (Table 8; informative)',
)

/**
 * RFC 7644 §3.12 Table 8 (verified): 401 "Authorization failure.  The authorization header is invalid or
 * missing."; 403 "Operation is not permitted based on the supplied authorization." Table 8 is under
 * "Implementers SHOULD handle the identified HTTP status codes as described below": a SHOULD.
 */
export const authForbiddenInsteadOfUnauthorized: SpecRule = {
  id: 'spec.auth.403-for-auth-failure',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 (Table 8)',
  check(profile) {
    if (declares(profile, '401') || !profile.op.responses['403']) return undefined
    return (
      `${put(profile)} declares 403 and no 401 for an authorization failure; RFC 7644 Table 8 answers 401 when ` +
      '"The authorization header is invalid or missing" and keeps 403 for an ' +
      '"Operation ... not permitted based on the supplied authorization"'
    )
  },
}

/**
 * RFC 7644 §2 (verified): "SCIM depends on the use of Transport Layer Security (TLS) and/or standard HTTP
 * authentication and authorization schemes as per [RFC7235]", and "the SCIM service provider MUST be able to
 * map the authenticated client to an access control policy". §2 imposes no scheme, and §2.2 (verified) says
 * "In some SCIM deployments, it MAY be acceptable to permit unauthenticated (anonymous) requests" (its example
 * is a self-registration Create), so a document without any security requirement on PUT is a SHOULD-level
 * departure; §2 also has "the service provider SHOULD consider the subject performing the request".
 */
export const authNoSecurityScheme: SpecRule = {
  id: 'spec.auth.no-security-scheme',
  level: 'SHOULD',
  source: 'RFC 7644 §2',
  check(profile) {
    if (profile.op.security.kind !== 'none') return undefined
    return (
      `${put(profile)} declares no security requirement; RFC 7644 §2 says SCIM depends on TLS and/or standard ` +
      'HTTP authentication and authorization schemes, and Table 8 answers 401 when ' +
      '"The authorization header is invalid or missing"'
    )
  },
}

/**
 * RFC 7644 §3.8 (verified): "Service providers MUST support the "Accept" header "Accept:
 * application/scim+json" and SHOULD support the header "Accept: application/json", both of which specify
 * JSON documents conforming to [RFC7159].  The format defaults to "application/scim+json" if no format is
 * specified." §8.1 (verified): "Applications intending to use the SCIM protocol SHOULD use the
 * "application/scim+json" media type." A document that declares only application/json responses departs
 * from §8.1's SHOULD and §3.8's default; it does not by itself show a server that refuses
 * "Accept: application/scim+json" (§3.8 calls both JSON, and §8.1 says "it is sufficient to recognize the
 * content as equivalent to "application/json""), so SHOULD.
 */
export const mediaSuccessNotScimJson: SpecRule = {
  id: 'spec.media.success-not-scim-json',
  level: 'SHOULD',
  source: 'RFC 7644 §3.8; §8.1',
  check(profile) {
    const types = profile.successMedia.map((m) => m.mediaType)
    if (types.length === 0 || types.some((t) => SCIM_JSON.test(t))) return undefined
    return (
      `${put(profile)} declares its success response only as ${types.join(', ')}; RFC 7644 §3.8 makes ` +
      'application/scim+json the default response format, and §8.1 says applications intending to use ' +
      'the SCIM protocol SHOULD use the application/scim+json media type'
    )
  },
}

/**
 * RFC 7644 §8.1 (verified): "Applications intending to use the SCIM protocol SHOULD use the
 * "application/scim+json" media type." An error declared only under another JSON media type (e.g.
 * application/problem+json) departs from it, whatever its shape (the shape is errorsNotScimFormat's MUST).
 */
export const errorsMediaNotScimJson: SpecRule = {
  id: 'spec.errors.media-not-scim-json',
  level: 'SHOULD',
  source: 'RFC 7644 §8.1',
  check(profile) {
    const byType = new Map<string, string[]>()
    for (const status of errorStatuses(profile)) {
      const types = profile.op.responses[status].map((m) => m.mediaType)
      if (types.length === 0 || types.some((t) => SCIM_JSON.test(t) || /^application\/json\b/i.test(t))) continue
      for (const t of types.filter(isJsonMedia)) byType.set(t, [...(byType.get(t) ?? []), status])
    }
    if (byType.size === 0) return undefined
    const says = [...byType].map(([type, statuses]) => `${joinStatuses(statuses)} as ${type}`).join('; ')
    return (
      `${put(profile)} declares its error responses ${says}; RFC 7644 §8.1 says applications intending to use ` +
      'the SCIM protocol SHOULD use the application/scim+json media type'
    )
  },
}

/**
 * RFC 7644 §3.1 (verified): "To identify this content, SCIM uses a media type of "application/scim+json"
 * (see Section 8.1)." §8.1 (verified): "Applications intending to use the SCIM protocol SHOULD use the
 * "application/scim+json" media type." (§3.8 is about the Accept header and UTF-8, not the request's
 * Content-Type; its "Servers MUST accept requests and be able to return JSON-structured responses using
 * UTF-8 encoding" is the MUST a server-side request media check rests on.)
 */
export const mediaRequestNotScimJson: SpecRule = {
  id: 'spec.media.request-not-scim-json',
  level: 'SHOULD',
  source: 'RFC 7644 §3.1; §8.1',
  check(profile) {
    const types = profile.op.request.media.map((m) => m.mediaType)
    if (types.some((t) => SCIM_JSON.test(t))) return undefined
    return (
      `${put(profile)} accepts the request body only as ${types.join(', ')}; SCIM identifies its content with ` +
      'the media type application/scim+json (RFC 7644 §3.1), which applications intending to use the SCIM ' +
      'protocol SHOULD use (§8.1)'
    )
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
  errorsMediaNotScimJson,
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
