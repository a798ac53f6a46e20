import type { Exchange } from '../../http/exchange.ts'
import { ERROR_SCHEMA } from '../../profile/vendor-profile.ts'
import { validateAgainst } from '../../validate/ajv.ts'
import { getAttr } from '../compare.ts'
import type { CheckContext } from '../context.ts'
import { defineCheck, verdict, violation, type Verdict } from '../define-check.ts'
import { OTHER_SCIM_TYPES, PUT_SCIM_TYPES } from '../expectation.ts'
import { declaredSchemaFor, mediaTypeOf } from '../probes/declared.ts'
import { errorCases, inCase, sendErrorCase } from '../probes/error-cases.ts'
import type { ProbeCase } from '../probes/mixed-cases.ts'
import { bodyObject, noResponse, statusOf } from '../probes/requests.ts'

/** `400 with body "…"`: the status and the start of the body, as received. */
const withBody = (e: Exchange) => `${statusOf(e)} with body ${JSON.stringify(e.response!.bodyText.slice(0, 200))}`

/**
 * Judges one error response against RFC 7644 §3.12 (verified: "implementers MUST return the errors in
 * the body of the response in a JSON format"): a JSON object, the Error URN in `schemas`, and `status`
 * the HTTP code as a JSON string (REQUIRED). The optional `scimType` is put.errors.scim-type's.
 */
export function judgeScimError(e: Exchange): Verdict {
  const status = statusOf(e)!
  const body = bodyObject(e)
  if (!body)
    return violation(
      {
        received: withBody(e),
        expected: `a JSON SCIM Error ({"schemas":["${ERROR_SCHEMA}"],"status":"${status}",...}) (RFC 7644 §3.12)`,
        fix: 'Answer errors with the SCIM Error JSON body.',
      },
      [e],
    )
  const schemas = getAttr(body, 'schemas')
  if (!Array.isArray(schemas) || !schemas.some((s) => String(s).toLowerCase() === ERROR_SCHEMA.toLowerCase()))
    return violation({ received: withBody(e), expected: `schemas containing "${ERROR_SCHEMA}" (RFC 7644 §3.12)` }, [e])
  const st = getAttr(body, 'status')
  if (typeof st !== 'string')
    return violation(
      { received: withBody(e), expected: `"status" as a JSON string ("${status}"), REQUIRED (RFC 7644 §3.12)` },
      [e],
    )
  if (st !== String(status))
    return violation(
      { received: withBody(e), expected: `"status" equal to the HTTP status, "${status}" (RFC 7644 §3.12)` },
      [e],
    )
  return verdict('passed', `${status} SCIM Error`, [e])
}

/**
 * RFC 7644 §3.12: scimType is "A SCIM detail error keyword. See Table 9. OPTIONAL." A keyword outside
 * Table 9, or one Table 9 gives only to other operations (noTarget, invalidPath are PATCH's), departs from the
 * table: a warning. An error without one keeps to the rule (the keyword is OPTIONAL): a missing keyword is a
 * pass with an observation (the trait `scimType.<status>`: none).
 */
export function judgeScimType(e: Exchange): Verdict {
  const scimType = getAttr(bodyObject(e), 'scimType')
  if (scimType === undefined || scimType === null)
    return verdict('passed', `the ${statusOf(e)} error carries no scimType (it is OPTIONAL)`, [e], {
      traits: { [`scimType.${statusOf(e)}`]: 'none' },
    })
  const keyword = String(scimType)
  if (PUT_SCIM_TYPES.includes(keyword)) return verdict('passed', `scimType ${keyword}`, [e])
  const why = Object.hasOwn(OTHER_SCIM_TYPES, keyword)
    ? `Table 9 gives ${keyword} to ${OTHER_SCIM_TYPES[keyword]}`
    : 'not a Table 9 keyword'
  return violation(
    {
      received: `${statusOf(e)} with scimType ${JSON.stringify(keyword)} (${why})`,
      expected: `scimType, when present, one of the RFC 7644 Table 9 keywords for PUT (${PUT_SCIM_TYPES.join(', ')})`,
    },
    [e],
  )
}

function anyErrorDeclaration(ctx: CheckContext, media: string | null) {
  const first = Object.keys(ctx.profile.op.responses).find((s) => /^[45]/.test(s))
  return first ? declaredSchemaFor(ctx.profile, Number(first), media) : null
}

/** Whether the run judges errors by the vendor's declared error format (problem details) rather than §3.12. */
export function judgesDeclaredErrors(ctx: CheckContext): boolean {
  return ctx.profile.error.format === 'problem' && !ctx.run.strictRfc
}

/**
 * Judges an error body by the run's contract: the error format the vendor document declares (e.g.
 * problem details) unless --strict-rfc, else the SCIM Error of RFC 7644 §3.12. Its media type is
 * put.media.error-content-type's.
 */
export function judgeError(ctx: CheckContext, e: Exchange): Verdict {
  return judgesDeclaredErrors(ctx) ? judgeDeclaredError(ctx, e) : judgeScimError(e)
}

/** Judges an error against the vendor's declared error format (e.g. RFC 9457 problem details). */
function judgeDeclaredError(ctx: CheckContext, e: Exchange): Verdict {
  const status = statusOf(e)!
  // A status the document does not list is held to the error format it declares for the others.
  const declared = declaredSchemaFor(ctx.profile, status, mediaTypeOf(e)) ?? anyErrorDeclaration(ctx, mediaTypeOf(e))
  if (!declared) return judgeScimError(e)
  const body = e.response!.body
  const received =
    `${status} ${mediaTypeOf(e) ?? 'without Content-Type'} ` +
    `body ${JSON.stringify(e.response!.bodyText.slice(0, 200))}`
  if (declared.media.schema) {
    const result = validateAgainst(declared.media.schema, body, 'Response body')
    if (!result.valid)
      return violation(
        {
          received: `${received}: ${result.errors.slice(0, 5).join('; ')}`,
          expected: `a body valid under the ${status} schema the vendor document declares`,
        },
        [e],
      )
  }
  const numeric = getAttr(body, 'status')
  if (typeof numeric === 'number' && numeric !== status)
    return violation({ received, expected: `"status" equal to the HTTP status, ${status}` }, [e])
  return verdict('passed', `${status} in the declared error format`, [e])
}

type ErrorCase = ProbeCase & { unknownId?: string }

/** Sends an error case: the 4xx it got, or the verdict of a case that met no error to judge. */
async function errorOf(ctx: CheckContext, users: Parameters<typeof sendErrorCase>[1], input: ErrorCase) {
  const e = await sendErrorCase(ctx, users, input)
  if ('outcome' in e) return e
  noResponse([e])
  const status = statusOf(e)!
  if (status < 400) return verdict('inconclusive', `no error to judge: ${input.label} answered ${status}`, [e])
  return e
}

export const errorFormat = defineCheck({
  id: 'put.errors.format',
  title: 'Error responses carry the SCIM Error body (or the format the vendor declares)',
  level: 'MUST',
  source: 'RFC 7644 §3.12',
  area: 'errors',
  rule:
    'Implementers MUST return the errors in the body of the response in a JSON format, using the attributes ' +
    'described below (schemas urn:ietf:params:scim:api:messages:2.0:Error, status as a string, optional scimType, ' +
    'detail).',
  // Where the vendor document declares another error format (problem+json), it judges the server unless --strict-rfc.
  contract: (ctx) => (judgesDeclaredErrors(ctx) ? 'vendor' : 'rfc'),
  users: 2,
  cases: (ctx, users) => errorCases(ctx, users),
  async run(ctx, users, input) {
    const e = await errorOf(ctx, users, input)
    return 'outcome' in e ? e : inCase(judgeError(ctx, e), input.label)
  },
})

export const errorScimType = defineCheck({
  id: 'put.errors.scim-type',
  title: 'An error scimType, when present, is a RFC 7644 Table 9 keyword for PUT',
  level: 'SHOULD',
  source: 'RFC 7644 §3.12 Table 9',
  area: 'errors',
  rule:
    'scimType: "A SCIM detail error keyword. See Table 9. OPTIONAL." Table 9 gives PUT uniqueness, mutability, ' +
    "invalidSyntax, invalidValue and invalidVers; noTarget and invalidPath are PATCH's.",
  skipIf: (ctx) =>
    judgesDeclaredErrors(ctx)
      ? 'the vendor document declares problem details (RFC 9457) for errors, which carry no scimType ' +
        '(--strict-rfc judges the SCIM Error)'
      : null,
  users: 2,
  // The unknown-id case weighs as much as all invalid payloads: a 404's keyword is as often wrong (noTarget).
  cases: (ctx, users) => errorCases(ctx, users, 4),
  async run(ctx, users, input) {
    const e = await errorOf(ctx, users, input)
    return 'outcome' in e ? e : inCase(judgeScimType(e), input.label)
  },
})

/** An absolute path under a Unix directory where sources live, or a Windows path (its extension follows). */
const UNIX_SOURCE = String.raw`\/(?:home|usr|var|opt|srv|app|src|tmp|workspace|Users)\/[^\s"':]+`
const WINDOWS_SOURCE = String.raw`[A-Za-z]:\\(?:[^\\\s"]+\\)+[^\\\s"]+`

/** Signs of a server's internals in a response: a stack frame or an absolute source path, with what each is. */
const INTERNALS: readonly { what: string; pattern: RegExp }[] = [
  {
    what: 'a JavaScript stack frame',
    pattern: /\bat (?:async )?[\w$.<>[\] ]*\(?(?:file:\/\/|node:|\/|[A-Za-z]:\\)[^\s)]*:\d+:\d+\)?/,
  },
  { what: 'a Java stack frame', pattern: /\bat [\w$]+(?:\.[\w$<>]+)+\([\w$]+\.(?:java|kt|scala):\d+\)/ },
  { what: 'a Python traceback', pattern: /Traceback \(most recent call last\)|File "[^"]+", line \d+/ },
  { what: 'a .NET stack frame', pattern: /\bat [\w.`<>]+\([^)]*\) in [^\n]+:line \d+/ },
  { what: 'a Go panic trace', pattern: /goroutine \d+ \[[a-z ]+\]:/ },
  { what: 'a PHP or Ruby stack trace', pattern: /Stack trace:\s*#0 |\.rb:\d+:in `/ },
  {
    what: 'an absolute source file path',
    pattern: new RegExp(
      String.raw`(?:^|[\s"'(=:])(?:${UNIX_SOURCE}|${WINDOWS_SOURCE})\.(?:js|mjs|cjs|ts|py|java|kt|rb|php|go|cs)\b`,
    ),
  },
]

/** The first sign of internals in an error body, with the line it is on, or null. */
export function internalsIn(text: string): { what: string; line: string } | null {
  for (const { what, pattern } of INTERNALS) {
    const match = pattern.exec(text)
    if (!match) continue
    const start = text.lastIndexOf('\n', match.index) + 1
    const end = text.indexOf('\n', match.index)
    return {
      what,
      line: text
        .slice(start, end === -1 ? undefined : end)
        .trim()
        .slice(0, 200),
    }
  }
  return null
}

/** Every string of a JSON error body (its `detail` first of all), or the body's text when it is not JSON. */
function textsOf(body: unknown, text: string): string[] {
  if (body === undefined) return [text]
  const out: string[] = []
  const visit = (v: unknown) => {
    if (typeof v === 'string') out.push(v)
    else if (Array.isArray(v)) v.forEach(visit)
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(visit)
  }
  visit(body)
  return out
}

/**
 * No RFC 7644 sentence governs what an error's `detail` ("A detailed human-readable message. OPTIONAL.",
 * §3.12) may disclose, and §7 (Security Considerations) says nothing of error contents (paraphrase: not
 * verified against the stored text). The grade is borrowed from API security practice, hence SHOULD:
 * CWE-209 "Generation of Error Message Containing Sensitive Information"; CodeQL's js/stack-trace-exposure
 * (CWE-209, CWE-497): "Send the user a more generic error message that reveals less information. Either
 * suppress the stack trace entirely, or log it only on the server."
 */
export const errorNoInternals = defineCheck({
  id: 'put.errors.no-internals',
  title: 'Error responses disclose no stack trace or internal file path',
  level: 'SHOULD',
  source: 'CWE-209; CodeQL js/stack-trace-exposure; RFC 7644 §3.12 (detail is a human-readable message)',
  area: 'errors',
  rule:
    "An error body carries a human-readable message, not the server's stack trace or source paths " +
    '(CWE-209: "Generation of Error Message Containing Sensitive Information").',
  users: 2,
  cases: (ctx, users) => errorCases(ctx, users),
  async run(ctx, users, input) {
    const e = await errorOf(ctx, users, input)
    if ('outcome' in e) return e
    const found = textsOf(e.response!.body, e.response!.bodyText)
      .map(internalsIn)
      .find((f) => f !== null)
    if (!found) return verdict('passed', `the ${statusOf(e)} error discloses no internals`, [e])
    const finding = {
      received: `${statusOf(e)} whose body carries ${found.what}: ${JSON.stringify(found.line)}`,
      expected: "a human-readable message without the server's internals (CWE-209)",
      fix: 'Log the stack trace on the server and answer a generic detail.',
    }
    return inCase(violation(finding, [e]), input.label)
  },
})

export const ERROR_CHECKS = [errorFormat, errorScimType, errorNoInternals]
