import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, violation, type Verdict } from '../define-check.ts'
import { describeRefusal, refusedByConstraint, refusedValidPut, sendControl } from '../probes/attribution.ts'
import { findCreated, unknownIdOccupied, unknownIds, type CreatedSearch } from '../probes/created.ts'
import { everyKindCases, mixedCases, sendCase } from '../probes/mixed-cases.ts'
import { ownState, ownStateControl, ownStateRefused } from '../probes/own-state.ts'
import { validPayloads } from '../probes/payloads.ts'
import { bodyObject, describeStatus, is2xx, noResponse, putUser, scimTypeOf, statusOf } from '../probes/requests.ts'

type Body = Record<string, unknown>

/** Most single-attribute steps {@link pinRefusal} sends for one refused payload. */
const MAX_STEPS = 24

/** What the steps from the accepted state towards a refused payload found. */
type Pinned =
  | { attribute: string; how: 'value' | 'omitted'; refused: Exchange; steps: Exchange[] }
  /** No step refused; `complete` is false when the steps were cut at {@link MAX_STEPS}. */
  | { attribute: null; steps: Exchange[]; complete: boolean }

/**
 * Learns which attribute of a refused payload the server refuses: from the test user's accepted state
 * (`base`, accepted just before), one step per attribute the payload changes (the base with that
 * attribute's value from the payload) and per attribute it omits (the base without it), stopping at the
 * first step refused with a 4xx.
 */
async function pinRefusal(ctx: CheckContext, id: string, base: Body, payload: Body): Promise<Pinned> {
  const lower = (k: string) => k.toLowerCase()
  const withSchemas = (body: Body, key: string): Body =>
    /^urn:/i.test(key) && Array.isArray(body.schemas) && !body.schemas.includes(key)
      ? { ...body, schemas: [...body.schemas, key] }
      : body
  const without = (body: Body, key: string): Body =>
    Object.fromEntries(Object.entries(body).filter(([k]) => lower(k) !== lower(key)))
  const changed = Object.keys(payload).filter(
    (k) => !isDeepStrictEqual(payload[k], base[Object.keys(base).find((b) => lower(b) === lower(k)) ?? k]),
  )
  const omitted = Object.keys(base).filter(
    (k) => lower(k) !== 'schemas' && !Object.keys(payload).some((p) => lower(p) === lower(k)),
  )
  const plan: { attribute: string; how: 'value' | 'omitted'; body: Body }[] = [
    ...changed.map((k) => ({
      attribute: k,
      how: 'value' as const,
      body: withSchemas({ ...without(base, k), [k]: payload[k] }, k),
    })),
    ...omitted.map((k) => ({ attribute: k, how: 'omitted' as const, body: without(base, k) })),
  ]
  const steps: Exchange[] = []
  for (const step of plan.slice(0, MAX_STEPS)) {
    const e = await putUser(ctx, id, step.body)
    noResponse([e])
    steps.push(e)
    const status = statusOf(e)!
    if (status >= 400 && status < 500) return { attribute: step.attribute, how: step.how, refused: e, steps }
  }
  return { attribute: null, steps, complete: plan.length <= MAX_STEPS }
}

/**
 * RFC 7644 §3.5.1 (verified): "Any values provided SHALL replace the existing attribute values"; §3.5:
 * "Implementers MUST support HTTP PUT". A valid replace is accepted.
 */
export const successReturns200 = defineCheck({
  id: 'put.status.success-200',
  title: 'A valid replace is accepted',
  level: 'MUST',
  source: 'RFC 7644 §3.5, §3.5.1; §3.12',
  area: 'status',
  rule:
    'Implementers MUST support HTTP PUT. Any values provided SHALL replace the existing attribute values. (A ' +
    'service provider may refuse a value it cannot store: §3.12, 400 invalidValue.)',
  users: 1,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body)
    noResponse([put])
    const status = statusOf(put)!
    if (is2xx(put)) return verdict('passed', `${status}: the valid payload was accepted`, [put])
    if (status === 405 || status === 501)
      return violation(
        {
          received: `${describeRefusal(put)} for PUT /Users/{id}`,
          expected: 'PUT supported (RFC 7644 §3.5: "Implementers MUST support HTTP PUT")',
          fix: 'Implement PUT on the User resource',
        },
        [put],
      )
    if (status < 400 || status >= 500)
      return verdict(
        'inconclusive',
        `the PUT of a valid payload answered ${describeStatus(put)}: neither accepted nor refused`,
        [put],
      )
    // Attribution by control. A refusal is evidence against this rule only when the server refuses a
    // payload within every constraint it declared (/Schemas, the vendor's schema, which the payload meets
    // by construction) or that the harness learned (ctx.constraints, and the steps below). RFC 7644 §3.12
    // lets a server answer 400 invalidValue for a value "not compatible with the ... resource schema", and
    // a SCIM schema cannot declare a length, a format or a value set; §3.5.1's "Unless otherwise specified"
    // leaves such limits to the service provider. So: the user's own accepted state PUT back must be
    // accepted (else the server refuses even what it stored: not this rule), then single-attribute steps
    // from that state learn which value or omission the server refuses. A refusal pinned to one attribute
    // is a constraint (inconclusive, recorded as a trait), except where the server contradicts its own
    // declaration: 400 `mutability` for an attribute it declares readWrite, or a single-valued boolean it
    // declares readWrite (both values are declared acceptable). A refusal no single step explains (each
    // value accepted on its own, the payload refused) is a refused valid replace: violated.
    const control = await ownStateControl(ctx, users)
    if (!control.accepted) return ownStateRefused('the PUT of a valid payload', put, control.control, [put])
    const pinned = await pinRefusal(ctx, users.ids[0], ownState(ctx, users), body)
    const exchanges = [put, control.control, ...pinned.steps]
    if (pinned.attribute === null && !pinned.complete)
      return verdict(
        'inconclusive',
        `the PUT of a valid payload answered ${describeRefusal(put)}; the first ${MAX_STEPS} single-attribute ` +
          "steps from the user's accepted state were accepted, the rest not tried",
        exchanges,
      )
    if (pinned.attribute === null)
      return violation(
        {
          received:
            `${describeRefusal(put)} for a payload valid under the vendor's request schema; the user's accepted ` +
            `state with each of the payload's values in turn (${pinned.steps.length} PUTs) was accepted`,
          expected:
            '2xx: the values provided SHALL replace the existing ones, and no single value is refused ' +
            '(RFC 7644 §3.5.1)',
          fix: 'Accept every payload whose values the service accepts one by one',
        },
        exchanges,
      )
    const { attribute, how, refused } = pinned
    const declared = ctx.attribute(attribute)
    const readWrite = declared !== undefined && (declared.mutability ?? 'readWrite') === 'readWrite'
    const contradicts =
      how === 'value' &&
      readWrite &&
      statusOf(refused) === 400 &&
      (scimTypeOf(refused) === 'mutability' || (declared.type === 'boolean' && !declared.multiValued))
    if (contradicts)
      return violation(
        {
          received:
            `${describeRefusal(refused)} for the user's accepted state with only ${attribute} changed to ` +
            JSON.stringify(body[attribute]),
          expected:
            `2xx: ${attribute} is declared readWrite ${declared.type}` +
            `${declared.type === 'boolean' ? ' (both values are declared acceptable)' : ''}, so a new value SHALL ` +
            'replace the old one (RFC 7644 §3.5.1; RFC 7643 §7 mutability)',
          fix: `Accept the change, or declare ${attribute}'s real mutability in /Schemas`,
        },
        exchanges,
        { focus: exchanges.indexOf(refused) },
      )
    return verdict(
      'inconclusive',
      `the PUT of a valid payload answered ${describeRefusal(put)}; the user's accepted state ` +
        `${how === 'value' ? `with only ${attribute} from the payload` : `without ${attribute}`} was refused too ` +
        `(${describeRefusal(refused)}): an input constraint of the server's own on ${attribute}, not this rule`,
      exchanges,
      {
        traits: { [`constraint.${attribute}`]: `${how === 'omitted' ? 'required: ' : ''}${describeRefusal(refused)}` },
      },
    )
  },
})

/**
 * RFC 7644 §3.5.1: "Unless otherwise specified, a successful PUT operation returns a 200 OK response
 * code and the entire resource within the response body". No RFC 2119 keyword: a deviation from the intent warns.
 */
export const successResource = defineCheck({
  id: 'put.status.success-resource',
  title: 'A successful replace answers 200 OK with the entire resource',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1',
  area: 'status',
  rule:
    'Unless otherwise specified, a successful PUT operation returns a 200 OK response code and the entire resource ' +
    'within the response body.',
  users: 1,
  cases: (ctx) => validPayloads(ctx),
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body)
    noResponse([put])
    if (!is2xx(put)) return refusedValidPut(put, [put])
    const status = statusOf(put)!
    if (status === 200 && bodyObject(put)) return verdict('passed', '200 with the resource', [put])
    const text = put.response!.bodyText
    const shape =
      text.trim() === ''
        ? ' without a body'
        : bodyObject(put)
          ? ''
          : ` with a body that is not a JSON resource: ${JSON.stringify(text.slice(0, 120))}`
    return violation(
      {
        received: `${status}${shape}`,
        expected: '200 OK with the entire resource as JSON (RFC 7644 §3.5.1)',
        fix: 'Answer a successful PUT with 200 and the resource as a GET would return it',
      },
      [put],
    )
  },
})

/** A PUT on a made-up id, what it created, and (for a refusal other than 404) the same body on an existing user. */
interface UnknownIdProbe {
  put: Exchange
  search: CreatedSearch
  /** The same body PUT on the check's test user: sent only when the unknown id was refused with a 4xx but 404. */
  control: { control: Exchange; accepted: boolean } | null
}

async function putUnknownId(
  ctx: CheckContext,
  users: CheckUsers,
  id: string,
  body: Body,
): Promise<UnknownIdProbe | Verdict> {
  // A server that maps unknown ids to an existing user would have this PUT overwrite it: not sent.
  const occupied = await ctx.users.probeAbsent(id)
  if (occupied) return unknownIdOccupied(id, occupied)
  const put = await putUser(ctx, id, body)
  noResponse([put])
  const search = await findCreated(ctx, id, put, String(body.userName))
  const status = statusOf(put)!
  // The control of a refusal: the same body on a user that exists. Accepted there → the refusal is about the id.
  const control =
    status >= 400 && status < 500 && status !== 404 ? await sendControl(() => putUser(ctx, users.ids[0], body)) : null
  return { put, search, control }
}

const unknownIdCases = (ctx: CheckContext) => fc.tuple(unknownIds(), validPayloads(ctx))

/** RFC 7644 §3.5.1 (verified): "HTTP PUT MUST NOT be used to create new resources." */
export const unknownIdNotCreated = defineCheck({
  id: 'put.status.unknown-id-not-created',
  title: 'PUT on an unknown id creates nothing',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'status',
  rule: 'HTTP PUT MUST NOT be used to create new resources.',
  users: 1,
  maxRuns: 5,
  cases: (ctx) => unknownIdCases(ctx),
  async run(ctx, users, [id, body]) {
    const probe = await putUnknownId(ctx, users, id, body)
    if ('outcome' in probe) return probe
    const { put, search, control } = probe
    const exchanges = [put, ...search.exchanges, ...(control ? [control.control] : [])]
    if (search.created)
      return violation(
        {
          received: `${describeStatus(put)}, and the user now exists (${search.created.how})`,
          expected: '404 Not Found, nothing created (RFC 7644 §3.5.1: PUT MUST NOT be used to create new resources)',
          fix: 'Answer 404 for an id that does not exist; never upsert on PUT',
        },
        exchanges,
      )
    if (is2xx(put) && !search.ruledOut)
      return violation(
        {
          received:
            `${statusOf(put)} for an id that does not exist; ` + `a created user cannot be ruled out (${search.why})`,
          expected: '404 Not Found, nothing created (RFC 7644 §3.5.1: PUT MUST NOT be used to create new resources)',
          fix: 'Answer 404 for an unknown id',
        },
        exchanges,
      )
    if (control && !control.accepted)
      return refusedByConstraint({
        what: 'the PUT on an unknown id',
        without: 'the same body on an existing test user',
        refused: put,
        control: control.control,
        exchanges,
        key: 'body',
      })
    if (!is2xx(put) && (statusOf(put)! < 400 || statusOf(put)! >= 500))
      return verdict('inconclusive', `the PUT on an unknown id answered ${describeStatus(put)}`, exchanges)
    return verdict('passed', `${describeStatus(put)}, nothing created`, exchanges)
  },
})

/**
 * RFC 7644 §3.12 Table 8: 404 "Specified resource (e.g., User) or endpoint does not exist", under
 * "Implementers SHOULD handle the identified HTTP status codes as described below".
 */
export const unknownIdIs404 = defineCheck({
  id: 'put.status.unknown-id-404',
  title: 'PUT on an unknown id answers 404',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 Table 8; §3.5.1',
  area: 'status',
  rule: 'Table 8: 404 Not Found, "Specified resource (e.g., User) or endpoint does not exist".',
  users: 1,
  maxRuns: 5,
  cases: (ctx) => unknownIdCases(ctx),
  async run(ctx, users, [id, body]) {
    const probe = await putUnknownId(ctx, users, id, body)
    if ('outcome' in probe) return probe
    const { put, search, control } = probe
    const exchanges = [put, ...search.exchanges, ...(control ? [control.control] : [])]
    if (statusOf(put) === 404) return verdict('passed', '404 for an unknown id', exchanges)
    if (control && !control.accepted)
      return refusedByConstraint({
        what: 'the PUT on an unknown id',
        without: 'the same body on an existing test user',
        refused: put,
        control: control.control,
        exchanges,
        key: 'body',
      })
    const created = search.created
      ? `(the user now exists: ${search.created.how})`
      : search.ruledOut
        ? '(nothing was created: neither a GET of the id nor a search for the userName shows a new user)'
        : `(a created user cannot be ruled out: ${search.why})`
    const aboutTheId = control
      ? ', while the same body is accepted on an existing user: the refusal is about the id'
      : ''
    const received = is2xx(put)
      ? `${statusOf(put)} for an id that does not exist ${created}`
      : `${describeRefusal(put)} for an id that does not exist${aboutTheId}`
    return violation(
      { received, expected: '404 Not Found (RFC 7644 §3.12 Table 8)', fix: 'Answer 404 for an unknown id' },
      exchanges,
    )
  },
})

/** RFC 7644 §3.12 Table 8 (client errors are 4xx; 500 is an internal error): no 5xx for any client input. */
export const no5xx = defineCheck({
  id: 'put.status.no-5xx',
  title: 'No generated input, valid or invalid, makes the server answer 5xx',
  level: 'MUST',
  source: 'RFC 7644 §3.12',
  area: 'status',
  rule:
    'Client errors are 4xx (Table 8: 400 schema violation, 409, 412...); 500 is an internal error, never the ' +
    'answer to a request the client can correct.',
  users: 2,
  // Every case sends a valid payload and one of each kind of invalid one (a megabyte among them).
  maxRuns: 2,
  judgesServerErrors: true,
  cases: (ctx, users) => everyKindCases(ctx, users),
  async run(ctx, users, inputs) {
    const sent: Exchange[] = []
    for (const input of inputs) {
      const exchange = await sendCase(ctx, users, input)
      noResponse([exchange])
      sent.push(exchange)
      if ((statusOf(exchange) ?? 0) >= 500)
        return violation(
          {
            received: `${describeStatus(exchange)} for ${input.label}`,
            expected: 'a 2xx, or a 4xx that tells the client what to fix (RFC 7644 §3.12 Table 8)',
            fix: 'Validate the input and answer 400 instead of failing internally',
          },
          sent,
          { focus: sent.length - 1 },
        )
    }
    return verdict('passed', `no 5xx for ${inputs.length} inputs (${inputs.map((i) => i.kind).join(', ')})`, sent)
  },
})

/** HTTP's statuses for request-size and media-type errors, which Table 8 does not list (RFC 9110 §15.5.14, .16). */
const HTTP_CLIENT_STATUSES: Record<number, string> = { 413: 'oversize body', 415: 'unsupported media type' }
/**
 * RFC 7644 Table 8's statuses for PUT (307 and 308 included: "The client is directed to repeat the same
 * HTTP request"), and the 200 of §3.5.1.
 */
const TABLE_8 = new Set([200, 307, 308, 400, 401, 403, 404, 409, 412, 500, 501])

/**
 * The vendor's document declares the operation's responses; RFC 7644 Table 8 lists the codes SCIM
 * uses, under §3.12's "Implementers SHOULD handle the identified HTTP status codes as described below":
 * a status that neither names departs from a SHOULD (a 5xx for client input is put.status.no-5xx's).
 */
export const statusDeclared = defineCheck({
  id: 'put.status.declared',
  title: 'Every response status is declared by the vendor document or allowed by RFC 7644 Table 8',
  level: 'SHOULD',
  source: 'vendor OpenAPI responses; RFC 7644 §3.12 Table 8',
  area: 'status',
  contract: 'vendor',
  rule: "The response's status code is one the operation declares, or one RFC 7644 Table 8 defines for PUT.",
  users: 2,
  cases: (ctx, users) => mixedCases(ctx, users),
  async run(ctx, users, input) {
    const exchange = await sendCase(ctx, users, input)
    noResponse([exchange])
    const status = statusOf(exchange)!
    const declared = Object.keys(ctx.profile.op.responses)
    const isDeclared =
      declared.includes(String(status)) || declared.includes(`${String(status)[0]}XX`) || declared.includes('default')
    if (isDeclared || TABLE_8.has(status)) return verdict('passed', `${status} is declared or in Table 8`, [exchange])
    if (HTTP_CLIENT_STATUSES[status] && input.httpStatusOk?.includes(status))
      return verdict('passed', `${status} (${HTTP_CLIENT_STATUSES[status]}) for ${input.label}`, [exchange])
    const allowed = [...new Set([...declared, ...TABLE_8].map(String))].join(', ')
    return violation(
      {
        received: `${status} for ${input.label}`,
        expected: `one of ${allowed} (the vendor document's responses; RFC 7644 §3.12 Table 8)`,
        fix: 'Answer with a status the API document declares (or declare this one)',
      },
      [exchange],
    )
  },
})

export const STATUS_CHECKS = [
  successReturns200,
  successResource,
  unknownIdNotCreated,
  unknownIdIs404,
  no5xx,
  statusDeclared,
]
