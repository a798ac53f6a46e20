import { beforeAll, describe, expect, test } from 'vitest'
import type { InvalidCase } from '../../generate/invalid-scim-user.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import {
  type Answer,
  correctServer,
  fakeContext,
  judgeCase,
  scimError,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import { readingRawBodies } from '../../../test/support/raw-bodies.ts'
import { expectFinding, type WantFinding } from '../../../test/support/expect-finding.ts'
import type { ProbeCase } from '../probes/mixed-cases.ts'
import {
  errorSchemaDeclared,
  responseSchemas,
  responseToInvalidSchemas,
  schemasCaseVariant,
  schemasProblem,
  successSchema,
} from './schema.ts'

const VENDORS = ['generic', 'lightdash'] as const
const profiles: Partial<Record<(typeof VENDORS)[number], VendorProfile>> = {}
beforeAll(async () => {
  for (const vendor of VENDORS) profiles[vendor] = await loadProfile({ vendor, validate: false })
})

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
type Change = (request: SendOptions, correct: Answer) => Answer | undefined
const isPut = (r: SendOptions) => r.method === 'PUT'
const sentSchemas = (r: SendOptions) => (r.json as { schemas?: unknown } | undefined)?.schemas

function run<C>(
  check: Parameters<typeof judgeCase<C>>[0],
  input: C,
  { vendor = 'generic', change }: { vendor?: (typeof VENDORS)[number]; change?: Change } = {},
) {
  const users = {
    u1: storedUser('u1', { name: { givenName: 'Ada', familyName: 'Lovelace' }, active: true }),
    u2: storedUser('u2'),
  }
  const correct = readingRawBodies(correctServer({ ...users }))
  const serve = (r: SendOptions) => change?.(r, correct(r)) ?? correct(r)
  return judgeCase(check, fakeContext({ profile: profiles[vendor]!, serve }), usersOf(users), input)
}

/** Every 200 (the PUT's and the GET's) with `schemas` replaced (undefined: left out). */
const answeredSchemas =
  (schemas: unknown): Change =>
  (_r, c) => {
    if (c.status !== 200) return undefined
    const { schemas: _s, ...rest } = c.body as Record<string, unknown>
    return { ...c, body: schemas === undefined ? rest : { schemas, ...rest } }
  }

describe('schemasProblem (RFC 7643 §3)', () => {
  test.each([
    { body: { schemas: [CORE] }, want: null },
    { body: { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { department: 'x' } }, want: null },
    { body: { schemas: [CORE.toUpperCase()] }, want: null },
    { body: {}, want: 'a non-empty array' },
    { body: { schemas: [] }, want: 'a non-empty array' },
    { body: { schemas: [ENTERPRISE] }, want: 'among them' },
    { body: { schemas: [CORE, CORE] }, want: 'each URI once' },
    { body: { schemas: [CORE], [ENTERPRISE]: { department: 'x' } }, want: 'each extension present' },
  ])('$body → $want', ({ body, want }) => {
    const problem = schemasProblem(body)
    if (want === null) expect(problem).toBeNull()
    else expect(problem?.expected).toContain(want)
  })
})

const VALID = { schemas: [CORE], userName: 'scimc-unit-new@example.com', active: false }

describe('given/want: put.schemas.response (MUST, RFC 7643 §3)', () => {
  test.each<{ name: string; change?: Change; want: string; finding?: WantFinding }>([
    { name: 'a correct server', want: 'passed' },
    {
      name: 'a response without schemas',
      change: answeredSchemas(undefined),
      want: 'failed',
      finding: {
        received: 'PUT response with no schemas',
        expected: `a non-empty array holding ${CORE} (RFC 7643 §3)`,
      },
    },
    {
      name: 'a response listing the core URN twice',
      change: answeredSchemas([CORE, CORE]),
      want: 'failed',
      finding: {
        received: `PUT response with schemas ${JSON.stringify([CORE, CORE])} with a duplicate`,
        expected: 'each URI once (RFC 7643 §3)',
      },
    },
    {
      name: 'the PUT refused',
      change: (r) => (isPut(r) ? scimError(400, 'invalidValue') : undefined),
      want: 'inconclusive',
    },
  ])('$name → $want', async ({ change, want, finding }) => {
    const v = await run(responseSchemas, VALID, { change })
    expect(v.outcome, v.message).toBe(want)
    if (finding) expectFinding(v, finding)
  })
})

/** The test user's accepted state (as `ownState` builds it) with its `schemas` broken as `kind` breaks it. */
function brokenSchemas(kind: string, schemas: unknown): InvalidCase {
  const base = {
    userName: 'scimc-unit-u1@example.com',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    active: true,
  }
  const mutated = schemas === undefined ? base : { schemas, ...base }
  return {
    kind,
    violation: `schemas is ${JSON.stringify(schemas)}`,
    rule: 'RFC 7643 §3',
    body: JSON.stringify(mutated),
    contentType: 'application/scim+json',
    mutated,
  }
}

/** A server that refuses a body whose schemas lacks the core URN (the answer RFC 7643 §3 asks for). */
const refusesBrokenSchemas: Change = (r) => {
  const schemas = sentSchemas(r)
  return isPut(r) && !(Array.isArray(schemas) && schemas.includes(CORE)) ? scimError(400, 'invalidSyntax') : undefined
}

describe('given/want: put.schemas.response-to-invalid (MUST, RFC 7643 §3; gap c)', () => {
  test.each<{ name: string; input: InvalidCase; change?: Change; want: string; received?: RegExp }>([
    // Accepted (put.invalid.schemas-* warn on that), but the answer and the stored user still list the core URN.
    {
      name: 'accepted, answered with schemas [core]',
      input: brokenSchemas('schemas-missing', undefined),
      change: answeredSchemas([CORE]),
      want: 'passed',
    },
    // The fake stores the request's schemas as sent: the response has none.
    {
      name: 'accepted, answered without schemas',
      input: brokenSchemas('schemas-missing', undefined),
      want: 'failed',
      received: /^PUT response with no schemas \(case: the request's schemas is undefined, and the server/,
    },
    {
      name: 'accepted, answered with schemas []',
      input: brokenSchemas('schemas-empty', []),
      want: 'failed',
      received: /^PUT response with schemas \[\] \(case: /,
    },
    {
      name: 'accepted, answered with the enterprise URN only',
      input: brokenSchemas('schemas-without-core', [ENTERPRISE]),
      want: 'failed',
      received: /^PUT response with schemas \["urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User"\] \(case/,
    },
    {
      name: 'refused with 400, the accepted state accepted (the RFC 7643 §3 refusal: the rule does not apply)',
      input: brokenSchemas('schemas-missing', undefined),
      change: refusesBrokenSchemas,
      want: 'skipped',
    },
    {
      name: 'every PUT refused, the accepted state too',
      input: brokenSchemas('schemas-empty', []),
      change: (r) => (isPut(r) ? scimError(400, 'invalidValue') : undefined),
      want: 'inconclusive',
    },
  ])('$name → $want', async ({ input, change, want, received }) => {
    const v = await run(responseToInvalidSchemas, input, { change })
    expect(v.outcome, v.message).toBe(want)
    if (received) expectFinding(v, { received, expected: /\(RFC 7643 §3\)$/ })
  })
})

describe('given/want: put.schemas.case-variant (MAY, RFC 7644 §3.10 silent on schemas values)', () => {
  test.each<{ name: string; change?: Change; want: string; trait?: string }>([
    { name: 'the upper-case URN accepted', want: 'observed', trait: 'accepted' },
    {
      name: 'the upper-case URN refused, the exact URN accepted',
      change: (r) =>
        isPut(r) && Array.isArray(sentSchemas(r)) && !(sentSchemas(r) as string[]).includes(CORE)
          ? scimError(400, 'invalidSyntax')
          : undefined,
      want: 'observed',
      trait: 'rejected (400 invalidSyntax)',
    },
    {
      name: 'every PUT refused',
      change: (r) => (isPut(r) ? scimError(400, 'invalidValue') : undefined),
      want: 'inconclusive',
    },
  ])('$name → $want', async ({ change, want, trait }) => {
    const v = await run(schemasCaseVariant, undefined, { change })
    expect(v.outcome, v.message).toBe(want)
    if (trait) expect(v.traits?.['schemas.coreUrnCaseVariant']).toBe(trait)
  })
})

const MISSING: ProbeCase = {
  label: 'userName missing',
  kind: 'username-missing',
  body: JSON.stringify({ schemas: [CORE] }),
  contentType: 'application/json',
}

describe('given/want: put.response.* (MUST, the vendor document: lightdash declares its schemas)', () => {
  test.each<{ name: string; change?: Change; want: string; finding?: WantFinding }>([
    {
      name: 'a SCIM Error as declared',
      change: (r, c) =>
        isPut(r) && c.status === 400 ? scimError(400, 'invalidValue', 'userName is required.') : undefined,
      want: 'passed',
    },
    {
      name: 'a body outside the declared schema',
      change: (r) => (isPut(r) ? { status: 400, body: { error: 'no' } } : undefined),
      want: 'failed',
      finding: {
        received: '400 body "{\\"error\\":\\"no\\"}" (case: userName missing)',
        expected: /^valid under the declared schema: /,
      },
    },
    {
      name: 'no error to judge',
      change: (r) => (isPut(r) ? { status: 200, body: storedUser('u1') } : undefined),
      want: 'inconclusive',
    },
  ])('error-schema: $name → $want', async ({ change, want, finding }) => {
    const v = await run(errorSchemaDeclared, MISSING, { vendor: 'lightdash', change })
    expect(v.outcome, v.message).toBe(want)
    if (finding) expectFinding(v, finding)
  })

  test.each<{ name: string; change?: Change; want: string; finding?: WantFinding }>([
    { name: 'a resource as declared', want: 'passed' },
    {
      name: 'a response without schemas',
      change: answeredSchemas(undefined),
      want: 'failed',
      finding: {
        received: /^200 body that does not match the declared schema: .*schemas/,
        expected: "a body valid under the vendor's 200 response schema",
      },
    },
    {
      name: 'the PUT refused',
      change: (r) => (isPut(r) ? scimError(400, 'invalidValue') : undefined),
      want: 'inconclusive',
    },
  ])('schema-200: $name → $want', async ({ change, want, finding }) => {
    const v = await run(successSchema, VALID, { vendor: 'lightdash', change })
    expect(v.outcome, v.message).toBe(want)
    if (finding) expectFinding(v, finding)
  })
})
