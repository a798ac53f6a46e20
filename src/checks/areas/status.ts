import fc from 'fast-check'
import { defineCheck, verdict } from '../define-check.ts'
import { findCreated, unknownIdOccupied } from '../probes/created.ts'
import { bodyObject, describeStatus, is2xx, noResponse, putUser, statusOf } from '../probes/requests.ts'
import { validPayloads } from '../probes/payloads.ts'
import { mixedCases, sendCase } from '../probes/mixed-cases.ts'

/**
 * RFC 7644 §3.5.1: "Unless otherwise specified, a successful PUT operation returns a 200 OK response
 * code and the entire resource within the response body".
 */
export const successReturns200 = defineCheck({
  id: 'put.status.success-200',
  title: 'A valid replace answers 200 OK with the entire resource',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'status',
  rule: 'Any values provided SHALL replace the existing attribute values. Unless otherwise specified, a successful PUT operation returns a 200 OK response code and the entire resource within the response body.',
  users: 1,
  cases: (ctx) => validPayloads(ctx, 'put.status.success-200'),
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body)
    const broken = noResponse([put])
    if (broken) return broken
    const status = statusOf(put)!
    if (status === 200 && bodyObject(put)) return verdict('passed', '200 with the resource', [put])
    // §3.5.1's sentence carries no RFC 2119 keyword, and SCIM-PUT-RULES 10 grades a 2xx without the resource a warning:
    // a body that is not JSON is one more way of not returning it.
    if (status >= 200 && status < 300 && put.response!.bodyText.trim() !== '' && !bodyObject(put)) {
      return verdict(
        'warned',
        `Received: ${status} with a body that is not a JSON resource: ${JSON.stringify(put.response!.bodyText.slice(0, 120))}\nExpected: 200 OK with the entire resource as JSON\n\nReturn the stored resource as the response body`,
        [put],
      )
    }
    if (status >= 200 && status < 300) {
      return verdict(
        'warned',
        `Received: ${status}${bodyObject(put) ? '' : ' without a resource body'}\nExpected: 200 OK with the entire resource in the body\n\nAnswer a successful PUT with 200 and the resource as a GET would return it`,
        [put],
      )
    }
    return verdict(
      'failed',
      `Received: ${describeStatus(put)} for a payload valid under the vendor's request schema\nExpected: 200 OK (the values provided SHALL replace the existing ones)\n\nAccept every payload the published schema allows`,
      [put],
    )
  },
})

/** RFC 7644 §3.5.1 (verified): "HTTP PUT MUST NOT be used to create new resources." */
export const unknownIdIs404 = defineCheck({
  id: 'put.status.unknown-id-404',
  title: 'PUT on an unknown id answers 404 and creates nothing',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'status',
  rule: 'HTTP PUT MUST NOT be used to create new resources. (Table 8: 404 when the specified resource does not exist.)',
  maxRuns: 5,
  cases: (ctx) => fc.tuple(fc.uuid({ version: 4 }), validPayloads(ctx, 'put.status.unknown-id-404')),
  async run(ctx, _users, [id, body]) {
    // A server that maps unknown ids to an existing user would have this PUT overwrite it: not sent.
    const occupied = await ctx.users.probeAbsent(id)
    if (occupied) return unknownIdOccupied(id, occupied)
    const put = await putUser(ctx, id, body)
    const broken = noResponse([put])
    if (broken) return broken
    const search = await findCreated(ctx, id, put, String((body as { userName?: unknown }).userName))
    if (search.created) {
      return verdict(
        'failed',
        `Received: ${describeStatus(put)}, and the user now exists (${search.created.how})\nExpected: 404 Not Found, nothing created\n\nAnswer 404 for an id that does not exist; never upsert on PUT`,
        [put, ...search.exchanges],
      )
    }
    const status = statusOf(put)!
    if (status === 404) return verdict('passed', '404, nothing created', [put])
    if (is2xx(put) && !search.ruledOut) {
      // The MUST NOT may have been broken: a success for a resource that did not exist, and no way to see whether it exists now.
      return verdict(
        'failed',
        `Received: ${status} for an id that does not exist; a created user cannot be ruled out (${search.why})\nExpected: 404 Not Found, nothing created\n\nAnswer 404 for an unknown id`,
        [put, ...search.exchanges],
      )
    }
    // Nothing was created, so "PUT MUST NOT be used to create" holds; Table 8's 404 is under §3.12's
    // "Implementers SHOULD handle the identified HTTP status codes as described below".
    if (is2xx(put))
      return verdict(
        'warned',
        `Received: ${status} for an id that does not exist (nothing was created: neither a GET of the id nor a search for the userName shows a new user)\nExpected: 404 Not Found (RFC 7644 Table 8)\n\nAnswer 404 for an unknown id`,
        [put, ...search.exchanges],
      )
    return verdict(
      'warned',
      `Received: ${describeStatus(put)} for an id that does not exist (nothing was created)\nExpected: 404 Not Found (RFC 7644 Table 8)`,
      [put],
    )
  },
})

/** RFC 7644 §3.12 Table 8 and SCIM-PUT-RULES 19: no 5xx for any client input. */
export const no5xx = defineCheck({
  id: 'put.status.no-5xx',
  title: 'No generated input, valid or invalid, makes the server answer 5xx',
  level: 'MUST',
  source: 'RFC 7644 §3.12',
  area: 'status',
  rule: 'Client errors are 4xx (Table 8: 400 schema violation, 409, 412...); 500 is an internal error, never the answer to a request the client can correct.',
  users: 2,
  judgesServerErrors: true,
  cases: (ctx, users) => mixedCases(ctx, users, 'put.status.no-5xx'),
  async run(ctx, users, input) {
    const exchange = await sendCase(ctx, users, input)
    const broken = noResponse([exchange])
    if (broken) return broken
    if ((statusOf(exchange) ?? 0) >= 500) {
      return verdict(
        'failed',
        `Received: ${describeStatus(exchange)} for ${input.label}\nExpected: a 2xx, or a 4xx that tells the client what to fix\n\nValidate the input and answer 400 instead of failing internally`,
        [exchange],
      )
    }
    return verdict('passed', `${statusOf(exchange)} for ${input.label}`, [exchange])
  },
})

/** Statuses HTTP defines for request-size and media-type errors, which Table 8 does not list but rule 26 expects. */
const HTTP_CLIENT_STATUSES: Record<number, string> = { 413: 'oversize body', 415: 'unsupported media type' }
/** RFC 7644 Table 8's statuses for PUT (307 and 308 included: "The client is directed to repeat the same HTTP request"), and the 200 of §3.5.1. */
const TABLE_8 = new Set([200, 307, 308, 400, 401, 403, 404, 409, 412, 500, 501])

/**
 * The vendor's document declares the operation's responses; RFC 7644 Table 8 lists the codes SCIM
 * uses. A status that neither names is one no client is written to handle.
 */
export const statusDeclared = defineCheck({
  id: 'put.status.declared',
  title: 'Every response status is declared by the vendor document or allowed by RFC 7644 Table 8',
  level: 'MUST',
  source: 'vendor OpenAPI responses; RFC 7644 §3.12 Table 8',
  area: 'status',
  contract: 'vendor',
  rule: "The response's status code is one the operation declares, or one RFC 7644 Table 8 defines for PUT.",
  users: 2,
  cases: (ctx, users) => mixedCases(ctx, users, 'put.status.declared'),
  async run(ctx, users, input) {
    const exchange = await sendCase(ctx, users, input)
    const broken = noResponse([exchange])
    if (broken) return broken
    const status = statusOf(exchange)!
    const declared = Object.keys(ctx.profile.op.responses)
    const isDeclared =
      declared.includes(String(status)) || declared.includes(`${String(status)[0]}XX`) || declared.includes('default')
    if (isDeclared || TABLE_8.has(status)) return verdict('passed', `${status} is declared or in Table 8`, [exchange])
    if (HTTP_CLIENT_STATUSES[status] && input.httpStatusOk?.includes(status))
      return verdict('passed', `${status} (${HTTP_CLIENT_STATUSES[status]}) for ${input.label}`, [exchange])
    // §3.12: "Implementers SHOULD handle the identified HTTP status codes as described below" (Table 8): a SHOULD, so a
    // status outside it is a warning; a 5xx for client input fails put.status.no-5xx.
    return verdict(
      'warned',
      `Received: ${status} for ${input.label}\nExpected: one of ${[...new Set([...declared, ...TABLE_8].map(String))].join(', ')}\n\nAnswer with a status the API document declares (or declare this one)`,
      [exchange],
    )
  },
})

export const STATUS_CHECKS = [successReturns200, unknownIdIs404, no5xx, statusDeclared]
