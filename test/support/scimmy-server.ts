import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import SCIMMY from 'scimmy'
import SCIMMYRouters from 'scimmy-routers'

/** A running SCIMMY server. */
export interface ScimmyServer {
  /** `http://127.0.0.1:PORT/scim/v2` */
  baseUrl: string
  /** Deep copies of the users in the in-memory store, as the handlers keep them. */
  users(): unknown[]
  /** Closes the server and every keep-alive socket. */
  close(): Promise<void>
}

/** What the in-memory "database" keeps: the coerced User the ingress handler received, plus id and timestamps. */
type UserData = Omit<SCIMMY.Schemas.User, 'schemas' | 'meta'>
type StoredUser = UserData & { id: string; meta: { created: string; lastModified: string } }

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

// SCIMMY is a singleton: declared resources and their handlers are process-wide, so one server at a time.
let running = false

/**
 * Starts an in-memory SCIM server built with `scimmy` and `scimmy-routers` as their documentation shows,
 * nothing added: `SCIMMY.Resources.declare(SCIMMY.Resources.User)` with the ingress/egress/degress
 * handlers of the `SCIMMY.Types.Resource~IngressHandler` (etc.) examples over a Map, and
 * `new SCIMMYRouters({ type: "bearer", handler })` mounted with express. The point is a server nobody
 * in this project wrote: its behaviour is scimmy's, not tuned to the harness.
 * @see https://scimmyjs.github.io
 * @see https://github.com/scimmyjs/scimmy-routers#readme
 */
export async function startScimmyServer(options: { token: string }): Promise<ScimmyServer> {
  if (running)
    throw new Error(
      'startScimmyServer: a SCIMMY server is already running in this process ' +
        '(SCIMMY keeps declared resources in a singleton); close it first.',
    )
  running = true
  const store = new Map<string, StoredUser>()
  // Their examples pass `null` for "no scimType"; their .d.ts types the parameter `string`.
  const notFound = (id: string | undefined) =>
    new SCIMMY.Types.Error(404, null as unknown as string, `Resource ${id} not found`)

  // The README's "Basic usage with provided resource type implementations"; the handler bodies follow
  // the IngressHandler / EgressHandler / DegressHandler @example blocks, with the Map as the database.
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress((resource, instance) => {
      const data: UserData = copy(instance)
      // The IngressHandler example: "a SCIM 409 error if a database unique constraint wasn't met".
      // userName is the User's unique attribute (scimmy's schema: uniqueness "server", caseExact false).
      const userName = String(data.userName ?? '').toLowerCase()
      for (const [id, user] of store) {
        if (id !== resource.id && String(user.userName).toLowerCase() === userName) {
          throw new SCIMMY.Types.Error(409, 'uniqueness', `userName ${String(data.userName)} is not unique`)
        }
      }
      const now = new Date().toISOString()
      if (resource.id) {
        // "Call some external controller to update the resource in your database..."
        const existing = store.get(resource.id)
        if (!existing) throw notFound(resource.id)
        const updated: StoredUser = {
          ...data,
          id: resource.id,
          meta: { created: existing.meta.created, lastModified: now },
        }
        store.set(resource.id, updated)
        return copy(updated)
      }
      // "...or if a resource ID wasn't specified, to create the resource in your database"
      const id = randomUUID()
      const created: StoredUser = { ...data, id, meta: { created: now, lastModified: now } }
      store.set(id, created)
      return copy(created)
    })
    .egress((resource) => {
      if (resource.id) {
        const user = store.get(resource.id)
        if (!user) throw notFound(resource.id)
        return copy(user)
      }
      // The Filter class docs: `resource.filter` narrows a list to the matching resources.
      const all = [...store.values()].map(copy)
      return resource.filter ? resource.filter.match(all) : all
    })
    .degress((resource) => {
      if (!resource.id || !store.delete(resource.id)) throw notFound(resource.id)
    })

  const app = express()
  // The scimmy-routers README: bearer scheme, a handler that throws when the request is not
  // authenticated (answered 401) and returns the authenticated user's id otherwise.
  app.use(
    '/scim/v2',
    new SCIMMYRouters({
      type: 'bearer',
      handler: (request) => {
        if (request.header('Authorization') !== `Bearer ${options.token}`)
          throw new Error('Authorization not detected!')
        return 'scim-conformance'
      },
    }),
  )

  let server: Server
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)))
    })
  } catch (error) {
    running = false
    throw error
  }
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    baseUrl: `http://127.0.0.1:${port}/scim/v2`,
    users: () => [...store.values()].map(copy),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => {
          running = false
          if (error) reject(error)
          else resolve()
        })
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections()
      })
      return closing
    },
  }
}
