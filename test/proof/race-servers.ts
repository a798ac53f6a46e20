import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * Small SCIM Users endpoints (the generic flavour: no base path) for the race proofs, each with a
 * check-then-write window: an `await` of one event-loop tick between the check a write depends on and
 * the write itself, the shape of a real race (a uniqueness query, then an INSERT). Without a window, or
 * with the window behind a lock, the server is correct: writers are serialised.
 */

/** Where the server yields between a check and its write. */
export type RaceWindow =
  /** Between the userName uniqueness check and the write, for PUT and POST. */
  | 'uniqueness'
  /** Between the userName uniqueness check and the insert of a POST only (its PUT is atomic). */
  | 'post-uniqueness'
  /** Between the If-Match comparison and the write. */
  | 'if-match'
  /** Between the attributes of a replace, written one at a time. */
  | 'replace'

export interface RaceServerOptions {
  token: string
  /** Windows the server opens. @defaultValue none: a correct server */
  windows?: readonly RaceWindow[]
  /** A lock around every write's check and write: the windows are there, but no request gets into one. */
  locked?: boolean
  /** ETags declared in /ServiceProviderConfig and sent as `W/"n"`. @defaultValue false */
  etag?: boolean
  /** How long a window stays open. @defaultValue one tick (setImmediate) */
  tick?: () => Promise<void>
}

export interface RaceServer {
  origin: string
  /** Stored users (for assertions). */
  users(): Record<string, unknown>[]
  close(): Promise<void>
}

interface Stored {
  id: string
  data: Record<string, unknown>
  version: number
  created: string
  modified: string
}

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const immediate = () => new Promise<void>((resolve) => setImmediate(resolve))

export async function startRaceServer(options: RaceServerOptions): Promise<RaceServer> {
  const windows = new Set(options.windows ?? [])
  const tick = options.tick ?? immediate
  const store = new Map<string, Stored>()
  let origin = ''
  let queue: Promise<void> = Promise.resolve()
  /** Runs `write` alone when the server is locked (a mutex), else as it comes. */
  const exclusive = <T>(write: () => Promise<T>): Promise<T> => {
    if (!options.locked) return write()
    const run = queue.then(write)
    queue = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }
  const taken = (userName: unknown, except?: string) =>
    typeof userName === 'string' &&
    [...store.values()].some((u) => u.id !== except && String(u.data.userName).toLowerCase() === userName.toLowerCase())
  const tag = (u: Stored) => `W/"${u.version}"`
  const resource = (u: Stored) => ({
    schemas: [USER],
    ...u.data,
    id: u.id,
    meta: {
      resourceType: 'User',
      created: u.created,
      lastModified: u.modified,
      location: `${origin}/Users/${u.id}`,
      ...(options.etag ? { version: tag(u) } : {}),
    },
  })
  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/scim+json', ...headers })
    res.end(body === undefined ? '' : JSON.stringify(body))
  }
  const error = (res: ServerResponse, status: number, detail: string, scimType?: string) =>
    send(res, status, { schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail })
  const user = (res: ServerResponse, status: number, u: Stored, headers: Record<string, string> = {}) =>
    send(res, status, resource(u), { ...(options.etag ? { etag: tag(u) } : {}), ...headers })
  const dataOf = (body: Record<string, unknown>) => {
    const { id: _id, meta: _meta, groups: _groups, schemas: _schemas, password: _password, ...data } = body
    return data
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (req.headers.authorization !== `Bearer ${options.token}`) return error(res, 401, 'Unauthorized.')
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/ServiceProviderConfig')
      return send(res, 200, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: false },
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
        filter: { supported: false, maxResults: 0 },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: options.etag ?? false },
        authenticationSchemes: [],
      })
    let body: Record<string, unknown> = {}
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return error(res, 400, 'The body is not JSON.', 'invalidSyntax')
      }
    }
    if (url.pathname === '/Users') {
      if (req.method === 'GET')
        return send(res, 200, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
          totalResults: store.size,
          Resources: [...store.values()].map(resource),
        })
      if (req.method !== 'POST') return error(res, 405, 'Method not allowed.')
      if (typeof body.userName !== 'string' || body.userName === '')
        return error(res, 400, 'userName is required.', 'invalidValue')
      return exclusive(async () => {
        if (taken(body.userName)) return error(res, 409, 'userName is taken.', 'uniqueness')
        if (windows.has('uniqueness') || windows.has('post-uniqueness')) await tick()
        const now = new Date().toISOString()
        const u: Stored = { id: randomUUID(), data: dataOf(body), version: 1, created: now, modified: now }
        store.set(u.id, u)
        user(res, 201, u, { location: `${origin}/Users/${u.id}` })
      })
    }
    const id = /^\/Users\/([^/]+)$/.exec(url.pathname)?.[1]
    const found = id === undefined ? undefined : store.get(decodeURIComponent(id))
    if (!found) return error(res, 404, 'No such user.')
    if (req.method === 'GET') return user(res, 200, found)
    if (req.method === 'DELETE') {
      store.delete(found.id)
      return send(res, 204)
    }
    if (req.method !== 'PUT') return error(res, 405, 'Method not allowed.')
    if (typeof body.userName !== 'string' || body.userName === '')
      return error(res, 400, 'userName is required.', 'invalidValue')
    return exclusive(async () => {
      if (taken(body.userName, found.id)) return error(res, 409, 'userName is taken.', 'uniqueness')
      if (windows.has('uniqueness')) await tick()
      const current = store.get(found.id)
      if (!current) return error(res, 404, 'No such user.')
      const ifMatch = req.headers['if-match']
      if (options.etag && ifMatch !== undefined) {
        if (ifMatch.replace(/^W\//, '') !== tag(current).replace(/^W\//, ''))
          return error(res, 412, `If-Match ${ifMatch} does not match ${tag(current)}.`)
        if (windows.has('if-match')) await tick()
      }
      // Each window is the only one open between its check and its write: the version moves on with the write.
      const data = dataOf(body)
      if (!windows.has('replace')) {
        current.data = data
        current.version++
        current.modified = new Date().toISOString()
        return user(res, 200, current)
      }
      // Written attribute by attribute into the stored object: a concurrent replace interleaves with this one.
      current.version++
      current.modified = new Date().toISOString()
      for (const key of Object.keys(current.data)) if (!(key in data)) delete current.data[key]
      for (const [key, value] of Object.entries(data)) {
        current.data[key] = value
        await tick()
      }
      user(res, 200, current)
    })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) error(res, 500, String(e))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    users: () => [...store.values()].map(resource),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()))
        server.closeAllConnections()
      }),
  }
}
