import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import { userAttributeCharacteristics } from '../../discovery/index.ts'
import type { Exchange } from '../../http/exchange.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import type { CheckContext } from '../context.ts'
import type { AttributeDefinition } from '../../scim/attribute.ts'
import { CORE_USER_SCHEMA_DEF, CORE_USER_URN, ENTERPRISE_USER_SCHEMA_DEF } from '../../scim/core-schema.ts'
import type { CheckUsers } from '../define-check.ts'
import { idempotent, responseMatchesGet, unicodeExact, wholeBodyEcho } from './replace.ts'

type Answer = { status: number; body?: unknown }
/** A fake target: answers each request from what the test scripts (the method and the JSON sent). */
type Serve = (method: string, json: unknown) => Answer

const RFC = userAttributeCharacteristics([CORE_USER_SCHEMA_DEF, ENTERPRISE_USER_SCHEMA_DEF])
const USERS: CheckUsers = { ids: ['u1'], created: [] }
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

function exchange(options: SendOptions, { status, body }: Answer): Exchange {
  const bodyText = body === undefined ? '' : JSON.stringify(body)
  return {
    request: {
      method: options.method,
      url: `http://127.0.0.1:1${options.path}`,
      headers: {},
      body: options.json === undefined ? null : JSON.stringify(options.json),
    },
    response: { status, headers: { 'content-type': 'application/scim+json' }, bodyText, body, truncated: false },
    error: null,
    startedAt: new Date(0).toISOString(),
    durationMs: 1,
  }
}

/** The context a check sees, in front of `serve`; `declared` stands for the server's /Schemas (null: none published). */
function fakeContext(serve: Serve, declared: Map<string, AttributeDefinition> | null = null): CheckContext {
  return {
    run: { runId: 'unit', seed: 1, runs: 5, maxShrinks: 10, strictRfc: false, authenticated: true },
    profile: generic,
    client: {
      send: async (o: SendOptions) => exchange(o, serve(o.method, o.json)),
      exchangeCount: 0,
      close: async () => {},
    },
    discovery: { capabilities: null, declared, notes: [], exchanges: [] },
    users: { userPath: (id: string) => `/Users/${id}` },
    attribute: (path: string) => declared?.get(path.toLowerCase()) ?? RFC.get(path.toLowerCase()),
    contractOf: () => 'rfc',
  } as unknown as CheckContext
}

/** A store that keeps what a PUT sends (as `transform` stores it) and shows it, with server-kept id and meta. */
function store(
  transform: (body: Record<string, unknown>) => Record<string, unknown> = (b) => b,
  putResponse?: (stored: Record<string, unknown>, sent: Record<string, unknown>) => unknown,
): Serve {
  let user: Record<string, unknown> = {
    schemas: [CORE_USER_URN],
    id: 'u1',
    userName: 'before@example.com',
    meta: { resourceType: 'User', created: '2024-01-01T00:00:00Z', lastModified: '2024-01-01T00:00:00Z' },
  }
  return (method, json) => {
    if (method === 'GET') return { status: 200, body: user }
    const sent = json as Record<string, unknown>
    user = { ...transform(sent), id: 'u1', meta: user.meta }
    return { status: 200, body: putResponse ? putResponse(user, sent) : user }
  }
}

const BODY = { schemas: [CORE_USER_URN], userName: 'scimc-unit-a@example.com', displayName: 'Ada' }

describe('put.replace.response-matches-get (RFC 7644 §3.5.1, SCIM-PUT-RULES 10)', () => {
  const secret: AttributeDefinition = {
    name: 'secretCode',
    type: 'string',
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'request',
    uniqueness: 'none',
  }
  const withSecret = new Map([...RFC, ['secretcode', secret]])
  test.each([
    { given: 'the PUT response is the stored user', serve: () => store(), declared: null, want: 'passed' },
    {
      given: 'the PUT response is not what a GET shows',
      serve: () =>
        store(
          (b) => b,
          (stored) => ({ ...stored, displayName: 'Old' }),
        ),
      declared: null,
      want: 'warned',
    },
    // RFC 7643 §7: "request" is returned in the response to the PUT that set it, not by a GET.
    {
      given: 'a returned "request" attribute only in the PUT response',
      serve: () =>
        store(
          ({ secretCode, ...rest }) => rest,
          (stored, sent) => ({ ...stored, secretCode: sent.secretCode }),
        ),
      declared: withSecret,
      want: 'passed',
    },
    {
      given: 'password (returned "never") only in the PUT response',
      serve: () =>
        store(
          ({ password, ...rest }) => rest,
          (stored, sent) => ({ ...stored, password: sent.password }),
        ),
      declared: null,
      want: 'passed',
    },
  ])('$given → $want', async ({ serve, declared, want }) => {
    const v = await responseMatchesGet.run(fakeContext(serve(), declared), USERS, {
      ...BODY,
      secretCode: 'x1',
      password: 'Pw1!secret',
    })
    expect(v.outcome).toBe(want)
    if (want === 'warned') expect(v.message).toMatch(/^Received: .*displayName[\s\S]*\nExpected: /)
  })
})

describe('put.replace.unicode-exact (RFC 7643 §2.3.1)', () => {
  test.each([
    { given: 'stored as sent', transform: (s: string) => s, want: 'passed', trait: undefined },
    { given: 'stored in NFC', transform: (s: string) => s.normalize('NFC'), want: 'passed', trait: 'NFC' },
    { given: 'stored in NFD', transform: (s: string) => s.normalize('NFD'), want: 'passed', trait: 'NFD' },
    {
      given: 'non-ASCII replaced by ?',
      transform: (s: string) => s.replace(/[^\x00-\x7F]/gu, '?'),
      want: 'failed',
      trait: undefined,
    },
  ])('$given → $want', async ({ transform, want, trait }) => {
    const serve = store((b) => ({ ...b, displayName: transform(b.displayName as string) }))
    const v = await unicodeExact.run(fakeContext(serve), USERS, [BODY, ['displayName'], 'Zoë e\u0301 \u00e9'])
    expect(v.outcome).toBe(want)
    expect(v.traits?.['strings.normalisation']).toBe(trait)
  })

  test('only slots the server declares, accepts from clients and returns are probed (SCIM-PUT-RULES 14)', () => {
    // A server whose /Schemas declares nickName as its only free-text attribute, and name as readOnly.
    const declared = new Map(
      [...RFC].filter(([path]) => !['displayname', 'title', 'name'].includes(path.split('.')[0])),
    )
    declared.set('name', { ...RFC.get('name')!, mutability: 'readOnly' })
    const ctx = fakeContext(store(), declared)
    expect(unicodeExact.skipIf!(ctx)).toBeNull()
    const slots = fc.sample(unicodeExact.cases!(ctx, USERS), { numRuns: 30, seed: 1 }).map(([, slot]) => slot.join('.'))
    expect(new Set(slots)).toEqual(new Set(['nickName']))
    declared.delete('nickname')
    expect(unicodeExact.skipIf!(fakeContext(store(), declared))).toMatch(/no free-text string attribute/)
  })
})

describe('put.replace.idempotent (RFC 9110 §9.2.2, SCIM-PUT-RULES 25)', () => {
  const updatedAt: AttributeDefinition = {
    name: 'updatedAt',
    type: 'dateTime',
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readOnly',
    returned: 'default',
    uniqueness: 'none',
  }
  const withUpdatedAt = new Map([...RFC, ['updatedat', updatedAt]])
  const counting = (answer: (n: number, sent: Record<string, unknown>) => Answer): Serve => {
    let n = 0
    return (_method, json) => answer(++n, json as Record<string, unknown>)
  }
  test.each([
    {
      given: 'the same representation twice',
      serve: () => counting((_n, sent) => ({ status: 200, body: { ...sent, id: 'u1' } })),
      declared: null,
      want: 'passed',
    },
    {
      given: '200 then 409',
      serve: () =>
        counting((n, sent) =>
          n === 1
            ? { status: 200, body: { ...sent, id: 'u1' } }
            : { status: 409, body: { schemas: [ERROR], status: '409' } },
        ),
      declared: null,
      want: 'warned',
    },
    {
      given: 'a readOnly updatedAt that moves',
      serve: () =>
        counting((n, sent) => ({ status: 200, body: { ...sent, id: 'u1', updatedAt: `2024-01-0${n}T00:00:00Z` } })),
      declared: withUpdatedAt,
      want: 'passed',
    },
    {
      given: 'a different displayName the second time',
      serve: () => counting((n, sent) => ({ status: 200, body: { ...sent, id: 'u1', displayName: `v${n}` } })),
      declared: null,
      want: 'failed',
    },
  ])('$given → $want', async ({ serve, declared, want }) => {
    expect((await idempotent.run(fakeContext(serve(), declared), USERS, BODY)).outcome).toBe(want)
  })
})

describe('put.replace.whole-body-echo (RFC 7644 §3.5.1, SCIM-PUT-RULES 3 and 8)', () => {
  const user = { schemas: [CORE_USER_URN], id: 'u1', userName: 'a@example.com', meta: { resourceType: 'User' } }
  const refusing =
    (status: number, scimType?: string): Serve =>
    (method) =>
      method === 'GET'
        ? { status: 200, body: user }
        : { status, body: { schemas: [ERROR], status: String(status), scimType } }
  test.each([
    { given: 'the echo accepted', serve: store(), want: 'passed' },
    { given: 'the echo refused with 400 mutability', serve: refusing(400, 'mutability'), want: 'warned' },
    { given: 'the echo refused with 400 invalidSyntax', serve: refusing(400, 'invalidSyntax'), want: 'failed' },
    {
      given: 'a GET without a JSON resource',
      serve: ((method) => (method === 'GET' ? { status: 200 } : { status: 200, body: user })) as Serve,
      want: 'skipped',
    },
  ])('$given → $want', async ({ serve, want }) => {
    expect((await wholeBodyEcho.run(fakeContext(serve), USERS, undefined)).outcome).toBe(want)
  })
})
