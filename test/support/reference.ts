import { request } from 'undici'
import { CORE_USER_URN } from '../../src/scim/core-schema.ts'
import type { ReferenceServer } from '../../src/reference/server.ts'

/** The built-in vendors the reference server is tested in. */
export const FLAVORS = ['lightdash', 'maia', 'cube'] as const
export type FlavorName = (typeof FLAVORS)[number]

export const LIGHTDASH_EXTENSION = 'urn:lightdash:params:scim:schemas:extension:2.0:User'
export const TOKEN = 'test-token-123'

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  contentType: string
  text: string
  // The body is whatever the server sent; tests index into it freely.
  // biome-ignore lint/suspicious/noExplicitAny: tests index into the body freely
  json: any
}

export interface CallOptions {
  body?: unknown
  /** Sent as is, instead of `JSON.stringify(body)`. */
  raw?: string | Buffer
  contentType?: string | null
  token?: string | null
  headers?: Record<string, string>
  query?: Record<string, string>
}

/** One plain HTTP request to a reference server; the path is relative to its base URL. */
export async function call(
  server: ReferenceServer,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const url = new URL(server.baseUrl + path)
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v)
  const headers: Record<string, string> = { accept: 'application/scim+json, application/json', ...options.headers }
  const token = options.token === undefined ? TOKEN : options.token
  if (token !== null) headers.authorization = `Bearer ${token}`
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  const contentType = options.contentType === undefined ? 'application/scim+json' : options.contentType
  if (body !== undefined && contentType !== null) headers['content-type'] = contentType
  const response = await request(url, { method: method as 'GET', headers, body })
  const text = await response.body.text()
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return {
    status: response.statusCode,
    headers: response.headers,
    contentType: String(response.headers['content-type'] ?? ''),
    text,
    json,
  }
}

let counter = 0
/** A fresh, unique email-shaped userName. */
export function uniqueUserName(prefix = 'user'): string {
  counter += 1
  return `${prefix}.${process.pid}.${counter}@example.com`
}

/** A body every flavor accepts, with the attributes each vendor's request schema lists. */
export function validBody(flavor: FlavorName, userName: string = uniqueUserName()): Record<string, unknown> {
  const body: Record<string, unknown> = {
    schemas: [CORE_USER_URN],
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: userName, primary: true }],
    active: true,
  }
  if (flavor === 'maia') Object.assign(body, { displayName: 'Ada Lovelace', meta: { resourceType: 'User' } })
  if (flavor === 'cube') body.externalId = `ext-${userName}`
  if (flavor === 'lightdash')
    Object.assign(body, {
      title: 'Engineer',
      schemas: [CORE_USER_URN, LIGHTDASH_EXTENSION],
      [LIGHTDASH_EXTENSION]: { role: 'member' },
    })
  return body
}

/** Creates a user with POST and returns its resource. */
export async function createUser(
  server: ReferenceServer,
  flavor: FlavorName,
  body: Record<string, unknown> = validBody(flavor),
  // biome-ignore lint/suspicious/noExplicitAny: tests index into the created user freely
): Promise<Record<string, any>> {
  // eslint-disable-line @typescript-eslint/no-explicit-any
  const reply = await call(server, 'POST', '/Users', { body })
  if (reply.status !== 201) throw new Error(`POST /Users answered ${reply.status}: ${reply.text}`)
  return reply.json
}
