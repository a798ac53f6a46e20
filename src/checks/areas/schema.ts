import { CORE_USER_SCHEMA } from '../../profile/vendor-profile.ts'
import { validateAgainst } from '../../validate/ajv.ts'
import { getAttr, isObject } from '../compare.ts'
import { defineCheck, verdict } from '../define-check.ts'
import { declaredSchemaFor, mediaTypeOf } from '../probes/declared.ts'
import { errorCases, sendErrorCase } from '../probes/error-cases.ts'
import { validPayloads } from '../probes/payloads.ts'
import { replaceJudged } from '../probes/replace-judged.ts'
import { bodyObject, describeStatus, is2xx, noResponse, putRaw, putUser, statusOf } from '../probes/requests.ts'

// Response and request schemas: the vendor's declared response schemas (put.response.*) and RFC 7643 §3 `schemas` (put.schemas.*).

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

/** SCIM-PUT-RULES 12, RFC 7643 §3: schemas lists the core URN and each extension present, once. */
export const responseSchemas = replaceJudged({
  id: 'put.schemas.response',
  title: 'The response schemas lists the core User URN and each extension present, once',
  level: 'MUST',
  source: 'RFC 7643 §3',
  area: 'schema',
  rule: 'schemas: ... Each String value must be a unique URI. All representations of SCIM schemas MUST include a non-empty array with value(s) of the URIs supported by that representation.',
  judge(_ctx, _users, { put, get }) {
    for (const e of [put, get]) {
      const body = bodyObject(e)
      if (!body) continue
      const schemas = getAttr(body, 'schemas')
      const where = e === put ? 'PUT response' : 'GET after the PUT'
      const focus = e === put ? 0 : 1
      if (!Array.isArray(schemas) || schemas.length === 0)
        return verdict(
          'failed',
          `Received: ${where} with schemas ${JSON.stringify(schemas)}\nExpected: a non-empty array holding ${CORE_USER_SCHEMA}`,
          [put, get],
          { focus },
        )
      const lower = schemas.map((s) => String(s).toLowerCase())
      if (!lower.includes(CORE_USER_SCHEMA.toLowerCase()))
        return verdict(
          'failed',
          `Received: ${where} schemas ${JSON.stringify(schemas)}\nExpected: ${CORE_USER_SCHEMA} among them`,
          [put, get],
          { focus },
        )
      if (new Set(lower).size !== lower.length)
        return verdict(
          'failed',
          `Received: ${where} schemas ${JSON.stringify(schemas)} with a duplicate\nExpected: each URI once`,
          [put, get],
          { focus },
        )
      const missing = Object.keys(body).filter(
        (k) => /^urn:/i.test(k) && isObject(body[k]) && !lower.includes(k.toLowerCase()),
      )
      if (missing.length > 0)
        return verdict(
          'failed',
          `Received: ${where} carries ${missing.join(', ')} but schemas ${JSON.stringify(schemas)} does not list it\nExpected: each extension present listed in schemas`,
          [put, get],
          { focus },
        )
    }
    return verdict('passed', 'schemas lists the core URN and each extension present', [put, get])
  },
})

/** SCIM-PUT-RULES 13: a case variant of the core URN — the RFC is silent on `schemas` values, so this is observed. */
export const schemasCaseVariant = defineCheck({
  id: 'put.schemas.case-variant',
  title: 'A case variant of the core schema URN in the request (accepted or rejected)',
  level: 'MAY',
  source: 'RFC 7644 §3.10',
  area: 'schema',
  rule: 'The facets of a fully encoded attribute name are case-insensitive; the RFC says nothing of the `schemas` values themselves.',
  users: 1,
  maxRuns: 3,
  cases: (ctx) => validPayloads(ctx, 'put.schemas.case-variant'),
  async run(ctx, users, body) {
    const schemas = (Array.isArray(body.schemas) ? body.schemas : [CORE_USER_SCHEMA]).map((s) =>
      String(s).toLowerCase() === CORE_USER_SCHEMA.toLowerCase() ? CORE_USER_SCHEMA.toUpperCase() : s,
    )
    const put = await putUser(ctx, users.ids[0], { ...body, schemas })
    const broken = noResponse([put])
    if (broken) return broken
    if ((put.response?.status ?? 0) >= 500)
      return verdict(
        'failed',
        `Received: ${describeStatus(put)} for an upper-case core URN\nExpected: acceptance or a 400`,
        [put],
      )
    const trait = is2xx(put) ? 'accepted' : `rejected (${describeStatus(put)})`
    return verdict('observed', `upper-case core schema URN ${trait}`, [put], {
      traits: { 'schemas.coreUrnCaseVariant': trait },
    })
  },
})

export const SCHEMA_CHECKS = [errorSchemaDeclared, successSchema, responseSchemas, schemasCaseVariant]
