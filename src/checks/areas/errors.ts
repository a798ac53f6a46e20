import type { Exchange } from '../../http/exchange.ts'
import { ERROR_SCHEMA } from '../../profile/vendor-profile.ts'
import type { CheckContext } from '../context.ts'
import { validateAgainst } from '../../validate/ajv.ts'
import { getAttr } from '../compare.ts'
import { defineCheck, verdict, type Verdict } from '../define-check.ts'
import { bodyObject, noResponse, statusOf } from '../probes/requests.ts'
import { errorCases, sendErrorCase } from '../probes/error-cases.ts'
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

export const ERROR_CHECKS = [errorFormat]
