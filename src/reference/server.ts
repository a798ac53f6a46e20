import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import type { ServerContext } from './context.ts'
import { FAULTS, type FaultName } from './faults.ts'
import { flavorOf } from './flavor.ts'
import { sendError } from './responders.ts'
import { handleRequest } from './routes.ts'
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
  /** Deliberate bugs to switch on (see FAULTS); none by default. */
  faults?: Iterable<FaultName>
}

/** A running reference server. */
export interface ReferenceServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  /** origin + the profile's base path */
  baseUrl: string
  /** Deep copies of the stored users as a fault-free GET shows them (password excluded), for tests. */
  users(): Record<string, unknown>[]
  /** Closes the server and every keep-alive socket. */
  close(): Promise<void>
}

/**
 * Starts the embedded RFC 7643/7644 SCIM server in the flavor of a vendor profile.
 * @see https://www.rfc-editor.org/rfc/rfc7644
 */
export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
  const faults = new Set<FaultName>()
  for (const fault of options.faults ?? []) {
    if (!(fault in FAULTS)) throw new TypeError(`unknown reference-server fault "${String(fault)}". Choose from: ${Object.keys(FAULTS).join(', ')}.`)
    faults.add(fault)
  }
  const ctx: ServerContext = {
    flavor: flavorOf(options.profile),
    store: new UserStore(),
    faults,
    token: options.token ?? null,
    etag: options.etag ?? false,
    baseUrl: '',
    startedAt: new Date().toISOString(),
    putCounts: new Map(),
  }
  const server = createServer((req, res) => {
    handleRequest(ctx, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      sendError(ctx, res, 500, `Internal server error: ${error instanceof Error ? error.message : String(error)}`)
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
