import fc from 'fast-check'
import { mutation } from '../../generate/invalid-scim-user.ts'
import type { Exchange } from '../../http/exchange.ts'
import { CORE_USER_SCHEMA } from '../../profile/vendor-profile.ts'
import { validateAgainst } from '../../validate/ajv.ts'
import { getAttr, isObject } from '../compare.ts'
import { defineCheck, verdict, violation, type Verdict } from '../define-check.ts'
import { describeRefusal, refusedValidPut } from '../probes/attribution.ts'
import { declaredSchemaFor, mediaTypeOf } from '../probes/declared.ts'
import { errorCases, sendErrorCase } from '../probes/error-cases.ts'
import { ownState, ownStateControl, ownStateRefused } from '../probes/own-state.ts'
import { validPayloads } from '../probes/payloads.ts'
import { judgedReplace } from '../probes/replace-judged.ts'
import { bodyObject, getUser, is2xx, noResponse, putRaw, putUser, statusOf } from '../probes/requests.ts'

// Response and request schemas: the vendor's declared response schemas (put.response.*) and RFC 7643 §3
// `schemas` (put.schemas.*).

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
  cases: (ctx, users) => errorCases(ctx, users),
  async run(ctx, users, input) {
    const e = await sendErrorCase(ctx, users, input)
    if ('outcome' in e) return e
    noResponse([e])
    const status = statusOf(e)!
    if (status < 400) return verdict('inconclusive', `no error to judge: ${input.label} answered ${status}`, [e])
    const declared = declaredSchemaFor(ctx.profile, status, mediaTypeOf(e))
    if (!declared?.media.schema)
      return verdict('inconclusive', `the vendor document declares no schema for ${status}`, [e])
    const result = validateAgainst(declared.media.schema, e.response!.body, 'Response body')
    if (result.valid) return verdict('passed', `${status} body matches the declared schema`, [e])
    return violation(
      {
        received: `${status} body ${JSON.stringify(e.response!.bodyText.slice(0, 200))} (case: ${input.label})`,
        expected: `valid under the declared schema: ${result.errors.slice(0, 5).join('; ')}`,
      },
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
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const e = await putRaw(ctx, users.ids[0], JSON.stringify(body), ctx.profile.requestMediaType)
    noResponse([e])
    if (!is2xx(e)) return refusedValidPut(e, [e])
    const status = statusOf(e)!
    const declared = declaredSchemaFor(ctx.profile, status, mediaTypeOf(e))
    if (!declared?.media.schema)
      return verdict('inconclusive', `the vendor document declares no schema for ${status}`, [e])
    const result = validateAgainst(declared.media.schema, e.response!.body, 'Response body')
    if (result.valid) return verdict('passed', `${status} body matches the declared schema`, [e])
    return violation(
      {
        received: `${status} body that does not match the declared schema: ${result.errors.slice(0, 5).join('; ')}`,
        expected: `a body valid under the vendor's ${status} response schema`,
      },
      [e],
    )
  },
})

/**
 * RFC 7643 §3: the `schemas` of a User representation holds the core URN and each
 * extension URN whose attributes are present, each once. Null when they do; the problem otherwise.
 */
export function schemasProblem(body: Record<string, unknown>): { received: string; expected: string } | null {
  const schemas = getAttr(body, 'schemas')
  if (!Array.isArray(schemas) || schemas.length === 0)
    return {
      received: schemas === undefined ? 'no schemas' : `schemas ${JSON.stringify(schemas)}`,
      expected: `a non-empty array holding ${CORE_USER_SCHEMA}`,
    }
  const lower = schemas.map((s) => String(s).toLowerCase())
  if (!lower.includes(CORE_USER_SCHEMA.toLowerCase()))
    return { received: `schemas ${JSON.stringify(schemas)}`, expected: `${CORE_USER_SCHEMA} among them` }
  if (new Set(lower).size !== lower.length)
    return { received: `schemas ${JSON.stringify(schemas)} with a duplicate`, expected: 'each URI once' }
  const missing = Object.keys(body).filter(
    (k) => /^urn:/i.test(k) && isObject(body[k]) && !lower.includes(k.toLowerCase()),
  )
  if (missing.length > 0)
    return {
      received: `${missing.join(', ')} present but schemas ${JSON.stringify(schemas)} does not list it`,
      expected: 'each extension present listed in schemas',
    }
  return null
}

/** Judges `schemas` in the PUT response and the GET after it (RFC 7643 §3); the first to break it is the finding. */
function judgeSchemasOf(put: Exchange, get: Exchange, context = ''): Verdict {
  for (const [e, where, focus] of [
    [put, 'PUT response', 0],
    [get, 'GET after the PUT', 1],
  ] as const) {
    const body = bodyObject(e)
    if (!body) continue
    const problem = schemasProblem(body)
    if (problem)
      return violation(
        { received: `${where} with ${problem.received}${context}`, expected: `${problem.expected} (RFC 7643 §3)` },
        [put, get],
        { focus },
      )
  }
  if (!bodyObject(put) && !bodyObject(get))
    return verdict('inconclusive', 'neither the PUT response nor the GET after it has a JSON body', [put, get])
  return verdict('passed', 'schemas lists the core URN and each extension present', [put, get])
}

const RESPONSE_SCHEMAS_RULE =
  'schemas: ... Each String value must be a unique URI. All representations of SCIM schemas MUST include a ' +
  'non-empty array with value(s) of the URIs supported by that representation.'

/** RFC 7643 §3: schemas lists the core URN and each extension present, once. */
export const responseSchemas = defineCheck({
  id: 'put.schemas.response',
  title: 'The response schemas lists the core User URN and each extension present, once',
  level: 'MUST',
  source: 'RFC 7643 §3',
  area: 'schema',
  rule: RESPONSE_SCHEMAS_RULE,
  users: 1,
  maxRuns: 10,
  cases: (ctx) => validPayloads(ctx),
  run: judgedReplace((_ctx, _users, { put, get }) => judgeSchemasOf(put, get)),
})

/** Request `schemas` the server should refuse (RFC 7643 §3: REQUIRED, with the core URN; accepted, still judged). */
const BAD_REQUEST_SCHEMAS = ['schemas-missing', 'schemas-empty', 'schemas-without-core']

/**
 * RFC 7643 §3 (`schemas` is REQUIRED and lists the core URN): a server that accepts a body whose `schemas` is
 * missing, empty or lacks the core URN (a warning of put.invalid.schemas-*) still answers, and stores, a User
 * whose `schemas` obeys §3. The probe is the test user's own accepted state with only its `schemas` broken.
 */
export const responseToInvalidSchemas = defineCheck({
  id: 'put.schemas.response-to-invalid',
  title: 'A 2xx answer to a body with broken schemas still lists the core User URN',
  level: 'MUST',
  source: 'RFC 7643 §3',
  area: 'schema',
  rule: RESPONSE_SCHEMAS_RULE,
  users: 1,
  maxRuns: 5,
  cases: (ctx, users) =>
    fc.oneof(
      ...BAD_REQUEST_SCHEMAS.map((kind) =>
        mutation(kind).arbitrary(ctx.profile, { base: fc.constant(ownState(ctx, users)) }),
      ),
    ),
  async run(ctx, users, c) {
    const put = await putRaw(ctx, users.ids[0], c.body, c.contentType)
    noResponse([put])
    if (!is2xx(put)) {
      // A refusal is the answer RFC 7643 §3 asks for (put.invalid.schemas-* judge it): this rule, about a 2xx,
      // does not apply.
      const control = await ownStateControl(ctx, users)
      if (!control.accepted) return ownStateRefused(`the PUT (${c.violation})`, put, control.control, [put])
      return verdict(
        'skipped',
        `Does not apply: the server refused the PUT (${c.violation}) with ${describeRefusal(put)}, as ` +
          `RFC 7643 §3 wants (put.invalid.${c.kind} judges it), so there is no 2xx answer whose schemas this ` +
          'rule judges',
        [put, control.control],
      )
    }
    const get = await getUser(ctx, users.ids[0])
    noResponse([get])
    return judgeSchemasOf(put, get, ` (case: the request's ${c.violation}, and the server accepted it)`)
  },
})

/** RFC 7644 §3.10 covers attribute names, not `schemas` values: a case variant of the core URN is observed. */
export const schemasCaseVariant = defineCheck({
  id: 'put.schemas.case-variant',
  title: 'A case variant of the core schema URN in the request (accepted or rejected)',
  level: 'MAY',
  source: 'RFC 7644 §3.10',
  area: 'schema',
  rule:
    'The facets of a fully encoded attribute name are case-insensitive; the RFC says nothing of the `schemas` ' +
    'values themselves.',
  users: 1,
  async run(ctx, users) {
    // The test user's own accepted state, with only the core URN in upper case.
    const base = ownState(ctx, users)
    const schemas = (Array.isArray(base.schemas) ? base.schemas : [CORE_USER_SCHEMA]).map((s) =>
      String(s).toLowerCase() === CORE_USER_SCHEMA.toLowerCase() ? CORE_USER_SCHEMA.toUpperCase() : s,
    )
    const put = await putUser(ctx, users.ids[0], { ...base, schemas })
    noResponse([put])
    if (is2xx(put))
      return verdict('observed', 'upper-case core schema URN accepted', [put], {
        traits: { 'schemas.coreUrnCaseVariant': 'accepted' },
      })
    const control = await ownStateControl(ctx, users)
    if (!control.accepted) return ownStateRefused('the PUT with an upper-case core URN', put, control.control, [put])
    const trait = `rejected (${describeRefusal(put)})`
    return verdict('observed', `upper-case core schema URN ${trait}`, [put, control.control], {
      traits: { 'schemas.coreUrnCaseVariant': trait },
    })
  },
})

export const SCHEMA_CHECKS = [
  errorSchemaDeclared,
  successSchema,
  responseSchemas,
  responseToInvalidSchemas,
  schemasCaseVariant,
]
