import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import { ERROR_SCHEMA } from '../../profile/vendor-profile.ts'
import type { CheckContext } from '../context.ts'
import { isJsonMedia } from '../../openapi/put-user-operation.ts'
import { validateAgainst } from '../../validate/ajv.ts'
import { getAttr } from '../compare.ts'
import { defineCheck, verdict, type CheckUsers, type Verdict } from '../define-check.ts'
import { invalidCases, type ProbeCase } from '../probes/mixed-cases.ts'
import { INVALID_MUTATIONS } from '../../generate/invalid-scim-user.ts'
import { validPayloads } from '../probes/payloads.ts'
import { bodyObject, is2xx, noResponse, putRaw, statusOf } from '../probes/requests.ts'
import { findCreated, unknownIdOccupied } from '../probes/created.ts'
import { declaredSchemaFor, mediaTypeOf } from '../probes/declared.ts'

/** RFC 7644 Table 9: the scimType keywords that apply to PUT (SCIM-PUT-RULES 18). */
const PUT_SCIM_TYPES = new Set(['uniqueness', 'mutability', 'invalidSyntax', 'invalidValue', 'invalidVers'])
/** The other Table 9 keywords, with the operations Table 9 lists for them. */
const OTHER_SCIM_TYPES: Record<string, string> = {
  invalidFilter: 'GET, POST Search and PATCH',
  tooMany: 'GET and POST Search',
  sensitive: 'GET',
  invalidPath: 'PATCH',
  noTarget: 'PATCH',
}

/** Error cases: every invalid payload kind, plus a PUT on an unknown id (404). */
function errorCases(
  ctx: CheckContext,
  users: Parameters<typeof invalidCases>[1],
  id: string,
): fc.Arbitrary<ProbeCase & { unknownId?: string }> {
  const unknown = fc.tuple(fc.uuid({ version: 4 }), validPayloads(ctx, id)).map(([uuid, body]) => ({
    label: 'a PUT on an unknown id',
    kind: 'unknown-id',
    body: JSON.stringify(body),
    contentType: ctx.profile.requestMediaType,
    expect: null,
    unknownId: uuid,
  }))
  return fc.oneof(
    { arbitrary: invalidCases(ctx, users, id, INVALID_MUTATIONS), weight: 4 },
    { arbitrary: unknown, weight: 1 },
  )
}

/** Sends an error case; a PUT on an unknown id that created a user is cleaned up (put.status.unknown-id-404 judges that). */
async function sendErrorCase(
  ctx: CheckContext,
  users: CheckUsers,
  input: ProbeCase & { unknownId?: string },
): Promise<Exchange | Verdict> {
  if (input.unknownId) {
    // Never a PUT on a made-up id that a GET shows taken: the server would apply it to an existing user.
    const occupied = await ctx.users.probeAbsent(input.unknownId)
    if (occupied) return unknownIdOccupied(input.unknownId, occupied)
  }
  const e = await putRaw(ctx, input.unknownId ?? users.ids[0], input.body, input.contentType)
  if (input.unknownId && is2xx(e))
    await findCreated(ctx, input.unknownId, e, String((JSON.parse(input.body) as { userName?: unknown }).userName))
  return e
}

/** Judges one error response against RFC 7644 §3.12 (verified: "implementers MUST return the errors in the body of the response in a JSON format"). */
export function judgeScimError(e: Exchange): Verdict {
  const status = statusOf(e)!
  const body = bodyObject(e)
  const head = `Received: ${status} with body ${JSON.stringify(e.response!.bodyText.slice(0, 200))}`
  if (!body)
    return verdict(
      'failed',
      `${head}\nExpected: a JSON SCIM Error ({"schemas":["${ERROR_SCHEMA}"],"status":"${status}",...})\n\nAnswer errors with the SCIM Error JSON body`,
      [e],
    )
  const schemas = getAttr(body, 'schemas')
  if (!Array.isArray(schemas) || !schemas.some((s) => String(s).toLowerCase() === ERROR_SCHEMA.toLowerCase())) {
    return verdict('failed', `${head}\nExpected: schemas containing "${ERROR_SCHEMA}"`, [e])
  }
  const st = getAttr(body, 'status')
  if (typeof st !== 'string')
    return verdict('failed', `${head}\nExpected: "status" as a JSON string ("${status}"), REQUIRED`, [e])
  if (st !== String(status))
    return verdict('failed', `${head}\nExpected: "status" equal to the HTTP status "${status}"`, [e])
  const scimType = getAttr(body, 'scimType')
  if (scimType !== undefined && scimType !== null) {
    // §3.12: scimType is "A SCIM detail error keyword. See Table 9. OPTIONAL." No MUST governs its value,
    // so a keyword outside Table 9, or one Table 9 gives to other operations, is a deviation: warn.
    const keyword = String(scimType)
    if (Object.hasOwn(OTHER_SCIM_TYPES, keyword))
      return verdict(
        'warned',
        `${head}\nExpected: a scimType that applies to PUT (Table 9 gives ${keyword} to ${OTHER_SCIM_TYPES[keyword]})`,
        [e],
      )
    if (!PUT_SCIM_TYPES.has(keyword))
      return verdict(
        'warned',
        `${head}\nExpected: scimType, when present, one of the RFC 7644 Table 9 keywords for PUT (${[...PUT_SCIM_TYPES].join(', ')})`,
        [e],
      )
  }
  return verdict('passed', `${status} SCIM Error`, [e])
}

function anyErrorDeclaration(ctx: CheckContext, media: string | null) {
  const first = Object.keys(ctx.profile.op.responses).find((s) => /^[45]/.test(s))
  return first ? declaredSchemaFor(ctx.profile, Number(first), media) : null
}

function anySuccessDeclaration(ctx: CheckContext, status: number, media: string | null) {
  const first = Object.keys(ctx.profile.op.responses).find((s) => /^2/.test(s))
  return first && /^2/.test(String(status)) ? declaredSchemaFor(ctx.profile, Number(first), media) : null
}

/**
 * Judges an error response by the run's contract: the error format the vendor document declares (e.g.
 * problem details) unless --strict-rfc, else the SCIM Error of RFC 7644 §3.12.
 */
export function judgeError(ctx: CheckContext, e: Exchange): Verdict {
  return ctx.profile.error.format === 'problem' && !ctx.run.strictRfc ? judgeDeclaredError(ctx, e) : judgeScimError(e)
}

/** Judges an error against the vendor's declared error format (e.g. RFC 9457 problem details). */
function judgeDeclaredError(ctx: CheckContext, e: Exchange): Verdict {
  const status = statusOf(e)!
  // A status the document does not list is held to the error format it declares for the others.
  const declared = declaredSchemaFor(ctx.profile, status, mediaTypeOf(e)) ?? anyErrorDeclaration(ctx, mediaTypeOf(e))
  const body = e.response!.body
  const head = `Received: ${status} ${mediaTypeOf(e) ?? 'without Content-Type'} body ${JSON.stringify(e.response!.bodyText.slice(0, 200))}`
  if (!declared) return judgeScimError(e)
  if (declared.media.schema) {
    const result = validateAgainst(declared.media.schema, body, 'Response body')
    if (!result.valid)
      return verdict(
        'failed',
        `${head}\nExpected: a body valid under the declared ${status} schema: ${result.errors.slice(0, 5).join('; ')}`,
        [e],
      )
  }
  const numeric = getAttr(body, 'status')
  if (typeof numeric === 'number' && numeric !== status)
    return verdict('failed', `${head}\nExpected: "status" equal to the HTTP status ${status}`, [e])
  // The body is what the MUST governs; another JSON media type than the declared one is SCIM-PUT-RULES 26's warning.
  if (!declared.mediaMatches)
    return verdict(
      'warned',
      `${head}\nExpected: Content-Type ${declared.media.mediaType} as the vendor document declares for ${status}`,
      [e],
    )
  return verdict('passed', `${status} in the declared error format`, [e])
}

export const errorFormat = defineCheck({
  id: 'put.errors.format',
  title: 'Error responses carry the SCIM Error body (or the format the vendor declares)',
  level: 'MUST',
  source: 'RFC 7644 §3.12',
  area: 'errors',
  rule: 'Implementers MUST return the errors in the body of the response in a JSON format, using the attributes described below (schemas urn:ietf:params:scim:api:messages:2.0:Error, status as a string, optional scimType, detail).',
  // Where the vendor document declares another error format (problem+json), the server is judged by it unless --strict-rfc.
  contract: (ctx) => (ctx.profile.error.format === 'problem' && !ctx.run.strictRfc ? 'vendor' : 'rfc'),
  users: 2,
  cases: (ctx, users) => errorCases(ctx, users, 'put.errors.format'),
  async run(ctx, users, input) {
    const e = await sendErrorCase(ctx, users, input)
    if ('outcome' in e) return e
    const broken = noResponse([e])
    if (broken) return broken
    if ((statusOf(e) ?? 0) < 400) return verdict('passed', `no error to judge (${statusOf(e)})`, [e])
    const v = judgeError(ctx, e)
    return { ...v, message: `${v.message}${v.outcome === 'passed' ? '' : `\n(case: ${input.label})`}` }
  },
})

/** The vendor's document declares response schemas for error statuses: the bodies must match them. */
export const errorSchemaDeclared = defineCheck({
  id: 'put.response.error-schema',
  title: 'Error bodies validate against the schema the vendor declares for that status',
  level: 'MUST',
  source: 'vendor OpenAPI responses',
  area: 'schema',
  contract: 'vendor',
  rule: 'Each error response body matches the schema the operation declares for its status and media type.',
  users: 2,
  skipIf: (ctx) =>
    Object.entries(ctx.profile.op.responses).some(([s, m]) => /^[45]/.test(s) && m.some((x) => x.schema))
      ? null
      : 'the vendor document declares no error response schema',
  cases: (ctx, users) => errorCases(ctx, users, 'put.response.error-schema'),
  async run(ctx, users, input) {
    const e = await sendErrorCase(ctx, users, input)
    if ('outcome' in e) return e
    const broken = noResponse([e])
    if (broken) return broken
    const status = statusOf(e)!
    if (status < 400) return verdict('passed', `no error to judge (${status})`, [e])
    const declared = declaredSchemaFor(ctx.profile, status, mediaTypeOf(e))
    if (!declared?.media.schema) return verdict('passed', `no schema declared for ${status}`, [e])
    const result = validateAgainst(declared.media.schema, e.response!.body, 'Response body')
    if (result.valid) return verdict('passed', `${status} body matches the declared schema`, [e])
    return verdict(
      'failed',
      `Received: ${status} body ${JSON.stringify(e.response!.bodyText.slice(0, 200))}\nExpected: valid under the declared schema: ${result.errors.slice(0, 5).join('; ')}\n(case: ${input.label})`,
      [e],
    )
  },
})

/** The 200 body must match the vendor's declared response schema. */
export const successSchema = defineCheck({
  id: 'put.response.schema-200',
  title: 'The 200 body validates against the schema the vendor declares',
  level: 'MUST',
  source: 'vendor OpenAPI responses',
  area: 'schema',
  contract: 'vendor',
  rule: 'The response body matches the schema the operation declares for 200 and its media type.',
  users: 1,
  cases: (ctx) => validPayloads(ctx, 'put.response.schema-200'),
  async run(ctx, users, body) {
    const e = await putRaw(ctx, users.ids[0], JSON.stringify(body), ctx.profile.requestMediaType)
    const broken = noResponse([e])
    if (broken) return broken
    const status = statusOf(e)!
    if (status < 200 || status >= 300)
      return verdict('passed', `PUT answered ${status}; put.status.success-200 judges that`, [e])
    const declared = declaredSchemaFor(ctx.profile, status, mediaTypeOf(e))
    if (!declared?.media.schema) return verdict('passed', `no schema declared for ${status}`, [e])
    const result = validateAgainst(declared.media.schema, e.response!.body, 'Response body')
    if (result.valid) return verdict('passed', `${status} body matches the declared schema`, [e])
    return verdict(
      'failed',
      `Received: ${status} body that does not match the declared schema: ${result.errors.slice(0, 5).join('; ')}\nExpected: a body valid under the vendor's ${status} response schema`,
      [e],
    )
  },
})

/** RFC 7644 §3.1/§8.1 and SCIM-PUT-RULES 26: responses are JSON of the declared media type. */
export const responseContentType = defineCheck({
  id: 'put.media.response-content-type',
  title: 'Response Content-Type is a JSON type the vendor declares (application/scim+json per the RFC)',
  level: 'SHOULD',
  source: 'RFC 7644 §8.1, §3.8; vendor OpenAPI responses',
  area: 'media',
  rule: 'SCIM responses use the media type application/scim+json; the operation declares the media types it returns.',
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx, 'put.media.response-content-type'),
  async run(ctx, users, body) {
    const e = await putRaw(ctx, users.ids[0], JSON.stringify(body), ctx.profile.requestMediaType)
    const broken = noResponse([e])
    if (broken) return broken
    const status = statusOf(e)!
    if (status === 204 || !e.response!.bodyText) return verdict('passed', 'no body', [e])
    const media = mediaTypeOf(e)
    // SCIM-PUT-RULES 26 grades any other response media type a warning; a body that is not JSON fails elsewhere (success-200, errors.format).
    if (!media || !isJsonMedia(media))
      return verdict(
        'warned',
        `Received: ${status} with Content-Type ${JSON.stringify(e.response!.headers['content-type'] ?? null)}\nExpected: application/scim+json (or the JSON type the vendor declares)\n\nSend JSON responses with a JSON media type`,
        [e],
      )
    // A success status the document does not list (put.status.declared judges that) is held to the media type it declares for the others.
    const declared = declaredSchemaFor(ctx.profile, status, media) ?? anySuccessDeclaration(ctx, status, media)
    if (declared && !declared.mediaMatches)
      return verdict(
        'warned',
        `Received: Content-Type ${media}\nExpected: ${declared.media.mediaType} as the vendor document declares for ${status}`,
        [e],
      )
    if (!declared && media !== 'application/scim+json')
      return verdict('warned', `Received: Content-Type ${media}\nExpected: application/scim+json`, [e])
    return verdict('passed', `Content-Type ${media}`, [e])
  },
})

export const ERROR_CHECKS = [errorFormat, errorSchemaDeclared, successSchema, responseContentType]
