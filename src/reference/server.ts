import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import { resolveConstraints, type ServerConstraints } from './constraints.ts'
import type { ServerContext } from './context.ts'
import { flavorOf } from './flavor.ts'
import type { ServerHooks } from './hooks.ts'
import { sendError } from './responders.ts'
import { exchangeOf, handleRequest } from './routes.ts'
import { UserStore } from './store.ts'
import { storedUsers } from './users-routes.ts'

/** How to start the reference server. */
export interface ReferenceServerOptions {
  /** The vendor whose flavor (attributes, base path, error format, media types) the server imitates. */
  profile: VendorProfile
  /**
   * When set, every request needs `Authorization: Bearer <token>`.
   * @defaultValue null
   */
  token?: string | null
  /**
   * ETag / If-Match support, announced in `/ServiceProviderConfig`.
   * @defaultValue false
   */
  etag?: boolean
  /** @defaultValue 0 (the OS picks a free port) */
  port?: number
  /** @defaultValue '127.0.0.1' */
  host?: string
  /**
   * Hooks that see and change what the server does at each stage of a request (see ServerHooks): the extension
   * point through which tests make the server misbehave. A correct server has none.
   * @defaultValue []
   */
  hooks?: readonly ServerHooks[]
  /**
   * Behave like a strict but RFC-conformant server (not a fault): `true` for DEFAULT_CONSTRAINTS (strings of
   * at most 100 characters, one value per `type`, no `{}` values, `emails` defaulted from an email-shaped
   * userName), or some of ServerConstraints to change those defaults. Refusals are 400 `invalidValue`
   * (RFC 7644 §3.12); the default is RFC 7644 §3.5.1's "MAY assign a default value". Everything else is as
   * without it.
   * @defaultValue false
   */
  constrained?: boolean | Partial<ServerConstraints>
}

/** A running reference server. */
export interface ReferenceServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  /** origin + the profile's base path */
  baseUrl: string
  /** Deep copies of the stored users as a GET without hooks shows them (password excluded), for tests. */
  users(): Record<string, unknown>[]
  /** Closes the server and every keep-alive socket. */
  close(): Promise<void>
}

/**
 * Starts the embedded RFC 7643/7644 SCIM server in the flavor of a vendor profile.
 * @see https://www.rfc-editor.org/rfc/rfc7644
 */
export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
  const ctx: ServerContext = {
    flavor: flavorOf(options.profile),
    store: new UserStore(),
    constraints: resolveConstraints(options.constrained),
    token: options.token ?? null,
    etag: options.etag ?? false,
    baseUrl: '',
    startedAt: new Date().toISOString(),
    hooks: [...(options.hooks ?? [])],
  }
  const server = createServer((req, res) => {
    handleRequest(ctx, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      const detail = `Internal server error: ${error instanceof Error ? error.message : String(error)}`
      sendError(ctx, exchangeOf(ctx, req, res, { kind: 'ok', text: '' }), 500, 'internal', detail)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  const origin = `http://${host}:${port}`
  ctx.baseUrl = `${origin}${ctx.flavor.basePath}`
  let closing: Promise<void> | undefined
  return {
    origin,
    baseUrl: ctx.baseUrl,
    users: () => storedUsers(ctx),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections()
      })
      return closing
    },
  }
}
