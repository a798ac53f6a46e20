import type {
  CheckContext,
  CheckRun,
  CheckUsers,
  Discovery,
  RemoveOutcome,
  ServerConstraints,
  UserPool,
} from '../../src/checks/context.ts'
import { NO_CONSTRAINTS } from '../../src/checks/context.ts'
import type { CheckDefinition, Verdict } from '../../src/checks/define-check.ts'
import type { Outcome } from '../../src/checks/types.ts'
import { parseServiceProviderConfig, userAttributeCharacteristics } from '../../src/discovery/index.ts'
import type { ScimClient, SendOptions } from '../../src/http/client.ts'
import type { Exchange } from '../../src/http/exchange.ts'
import type { VendorProfile } from '../../src/profile/vendor-profile.ts'
import { graded } from '../../src/run/run-check.ts'
import type { AttributeDefinition } from '../../src/scim/attribute.ts'
import { CORE_USER_SCHEMA_DEF, CORE_USER_URN, ENTERPRISE_USER_SCHEMA_DEF } from '../../src/scim/core-schema.ts'

/**
 * Given/want tables for checks: a fake target answers each request from a script, a check runs one
 * case against it, and the graded verdict comes out (the same grading the runner applies: `violated`
 * takes the check's level, a case that met a 5xx is inconclusive outside put.status.no-5xx). No HTTP,
 * no type casts: the context is a complete `CheckContext`.
 */

/** What the fake target answers: a status, a JSON body (or text), and headers. */
export interface Answer {
  status: number
  body?: unknown
  /** A body that is not JSON (sent as is). */
  text?: string
  headers?: Record<string, string>
}

/** The script of a fake target: the request as the check sent it → the answer. */
export type Serve = (request: SendOptions) => Answer

/** RFC 7643's characteristics of the core and enterprise User attributes (lower-cased paths). */
export const RFC_ATTRIBUTES: Map<string, AttributeDefinition> = userAttributeCharacteristics([
  CORE_USER_SCHEMA_DEF,
  ENTERPRISE_USER_SCHEMA_DEF,
])

export const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** A SCIM error answer (`status` as a JSON string, RFC 7644 §3.12). */
export function scimError(status: number, scimType?: string, detail?: string): Answer {
  return { status, body: { schemas: [ERROR_URN], status: String(status), ...(scimType ? { scimType } : {}), detail } }
}

/** The exchange the fake records for a request and its answer. */
export function exchangeOf(request: SendOptions, answer: Answer): Exchange {
  const bodyText = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body))
  let body: unknown
  try {
    body = bodyText === '' ? undefined : JSON.parse(bodyText)
  } catch {
    body = undefined
  }
  const url = request.path.startsWith('http') ? request.path : `http://127.0.0.1:1${request.path}`
  return {
    request: {
      method: request.method,
      url,
      headers: { ...(request.headers ?? {}) },
      body:
        typeof request.rawBody === 'string'
          ? request.rawBody
          : request.rawBody
            ? new TextDecoder().decode(request.rawBody)
            : request.json === undefined
              ? null
              : JSON.stringify(request.json),
    },
    response: {
      status: answer.status,
      headers: { 'content-type': 'application/scim+json', ...(answer.headers ?? {}) },
      bodyText,
      body,
      truncated: false,
    },
    error: null,
    startedAt: new Date(0).toISOString(),
    durationMs: 1,
  }
}

export interface FakeOptions {
  profile: VendorProfile
  /**
   * The check in progress (the runner sets it; judgeCase sets it to the judged check).
   * @defaultValue 'put.unit.check'
   */
  checkId?: string
  serve: Serve
  /** The server's /Schemas declarations (lower-cased paths), or null when it publishes none. @defaultValue null */
  declared?: Map<string, AttributeDefinition> | null
  /** The server's /ServiceProviderConfig body, or null when it has none. @defaultValue null */
  serviceProviderConfig?: unknown
  run?: Partial<CheckRun>
  /** Ids the pool reports as someone else's. @defaultValue none */
  known?: readonly string[]
  /** The input constraints learned of the server (e.g. `{ maxLength: 100 }`). @defaultValue none learned */
  constraints?: Partial<ServerConstraints>
}

/** A complete CheckContext in front of `serve`; every request the check sends is kept in `sent`. */
export function fakeContext(options: FakeOptions): CheckContext & { sent: Exchange[] } {
  const sent: Exchange[] = []
  const client: ScimClient = {
    async send(request) {
      const exchange = exchangeOf(request, options.serve(request))
      sent.push(exchange)
      return exchange
    },
    get exchangeCount() {
      return sent.length
    },
    close: async () => {},
  }
  const base = options.profile.basePath
  const users: UserPool = {
    usersPath: () => `${base}/Users`,
    userPath: (id) => `${base}/Users/${id}`,
    create: async () => ({ ids: [], created: [] }),
    remove: async () => {},
    removeOne: async (): Promise<RemoveOutcome> => 'removed',
    postUser: async (json, extra) => {
      const exchange = await client.send({ method: 'POST', path: `${base}/Users`, json, ...extra })
      const id = (exchange.response?.body as { id?: unknown } | undefined)?.id
      return { exchange, id: (exchange.response?.status ?? 500) < 300 && typeof id === 'string' ? id : null }
    },
    adopt: async () => true,
    probeAbsent: async (id) => {
      const get = await client.send({ method: 'GET', path: `${base}/Users/${id}` })
      return get.response?.status === 404 ? null : get
    },
    isKnown: (id) => options.known?.includes(id) ?? false,
  }
  const declared = options.declared ?? null
  const discovery: Discovery = {
    capabilities: options.serviceProviderConfig ? parseServiceProviderConfig(options.serviceProviderConfig) : null,
    declared,
    notes: [],
    exchanges: [],
  }
  const context: CheckContext & { sent: Exchange[] } = {
    checkId: options.checkId ?? 'put.unit.check',
    run: {
      runId: 'unit',
      seed: 1,
      runs: 5,
      maxShrinks: 10,
      path: null,
      strictRfc: false,
      authenticated: true,
      ...options.run,
    },
    profile: options.profile,
    client,
    discovery,
    users,
    constraints: { ...NO_CONSTRAINTS, ...options.constraints },
    attribute: (path) => declared?.get(path.toLowerCase()) ?? RFC_ATTRIBUTES.get(path.toLowerCase()),
    contractOf: (check) => (typeof check.contract === 'function' ? check.contract(context) : (check.contract ?? 'rfc')),
    sent,
  }
  return context
}

/** A stored user as a correct server keeps it: the given attributes plus id and meta. */
export function storedUser(id: string, attributes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [CORE_USER_URN],
    id,
    userName: `scimc-unit-${id}@example.com`,
    ...attributes,
    meta: {
      resourceType: 'User',
      created: '2024-01-01T00:00:00Z',
      lastModified: '2024-01-01T00:00:00Z',
      location: `http://127.0.0.1:1/Users/${id}`,
    },
  }
}

/**
 * A correct in-memory Users endpoint for the fake: GET shows the user, PUT replaces it (readOnly `id`,
 * `meta`, `groups` ignored, `lastModified` moved on), unknown ids answer 404. `change` alters an answer
 * (a fault, or a constraint) before it goes out; return undefined to keep the correct one.
 */
export function correctServer(
  users: Record<string, Record<string, unknown>>,
  change: (request: SendOptions, correct: Answer) => Answer | undefined = () => undefined,
): Serve {
  let tick = 1
  return (request) => {
    const id = /\/Users\/([^/?]+)/.exec(request.path)?.[1]
    const correct = ((): Answer => {
      if (!id) return { status: 404, body: { schemas: [ERROR_URN], status: '404' } }
      const user = users[id]
      if (!user) return scimError(404)
      if (request.method === 'GET') return { status: 200, body: user }
      if (request.method === 'PUT') {
        const sent = (request.json ?? {}) as Record<string, unknown>
        if (typeof sent.userName !== 'string' || sent.userName === '') return scimError(400, 'invalidValue')
        const { id: _id, meta: _meta, groups: _groups, ...rest } = sent
        const meta = {
          ...(user.meta as Record<string, unknown>),
          lastModified: `2024-01-0${Math.min(9, ++tick)}T00:00:00Z`,
        }
        users[id] = { ...rest, id, meta }
        return { status: 200, body: users[id] }
      }
      if (request.method === 'DELETE') {
        delete users[id]
        return { status: 204 }
      }
      return scimError(405)
    })()
    return change(request, correct) ?? correct
  }
}

/** The test users a check gets, as the pool hands them over. */
export function usersOf(users: Record<string, Record<string, unknown>>): CheckUsers {
  return { ids: Object.keys(users), created: Object.values(users).map((u) => structuredClone(u)) }
}

/** Runs one case of `check` on the fake and grades it as the runner does. */
export async function judgeCase<C>(
  check: CheckDefinition<C>,
  ctx: CheckContext,
  users: CheckUsers,
  input: C,
): Promise<Verdict & { outcome: Outcome }> {
  const v = graded(check, await check.run({ ...ctx, checkId: check.id }, users, input))
  return { ...v, outcome: v.outcome as Outcome }
}
