import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { errors } from 'oidc-provider'

/** A token the authorization server issued. */
export interface Issued {
  token: string
  scope: string | undefined
  /** The token's audience: the resource (RFC 8707) it was asked for, or undefined. */
  audience: string | undefined
  /** Epoch milliseconds. */
  issuedAt: number
  expiresAt: number
}

/** A real OAuth 2.0 authorization server (oidc-provider) that grants client credentials to one client. */
export interface OAuthServer {
  issuer: string
  /** The token endpoint (RFC 6749 §3.2). */
  tokenUrl: string
  clientId: string
  clientSecret: string
  /** Every access token issued so far, in order. */
  issued: Issued[]
  /** Resolves once `count` tokens have been issued in all. */
  issuedAtLeast(count: number): Promise<void>
  /**
   * Whether an `Authorization` header carries a live token this server issued and did not revoke (RFC 6750 §2.1):
   * what a resource server that trusts it accepts. With `audience`, only a token issued for that resource
   * (RFC 8707) counts: a resource server that takes only tokens meant for itself.
   */
  accepts(header: string | undefined, audience?: string): boolean
  /** The token is refused by {@link accepts} from now on (as a resource server that was told it was revoked). */
  revoke(token: string): void
  close(): Promise<void>
}

/** oidc-provider's storage, in memory (its own quick-start one warns on every start). */
class MemoryAdapter {
  static readonly store = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>()
  constructor(readonly model: string) {}
  #key = (id: string) => `${this.model}:${id}`
  async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
    MemoryAdapter.store.set(this.#key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 })
  }
  async find(id: string) {
    const hit = MemoryAdapter.store.get(this.#key(id))
    return hit && hit.expiresAt > Date.now() ? hit.payload : undefined
  }
  async findByUserCode() {
    return undefined
  }
  async findByUid() {
    return undefined
  }
  async consume(id: string) {
    const hit = MemoryAdapter.store.get(this.#key(id))
    if (hit) hit.payload.consumed = Math.floor(Date.now() / 1000)
  }
  async destroy(id: string) {
    MemoryAdapter.store.delete(this.#key(id))
  }
  async revokeByGrantId() {}
}

/**
 * Starts oidc-provider on 127.0.0.1:0 with the `client_credentials` grant for one confidential client
 * (client_secret_basic), opaque access tokens living `ttlSeconds`, and the scopes given. `resources` are the
 * resource indicators (RFC 8707) it issues tokens for; any other is refused with `invalid_target` (§2).
 */
export async function startOAuthServer(
  options: { ttlSeconds?: number; scopes?: string[]; resources?: string[] } = {},
): Promise<OAuthServer> {
  const scopes = options.scopes ?? ['scim']
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const clientId = 'scim-conformance-tests'
  const clientSecret = `client-secret-${randomBytes(12).toString('hex')}`
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo(_ctx: unknown, resource: string) {
          if (!(options.resources ?? []).includes(resource)) throw new errors.InvalidTarget()
          return { scope: scopes.join(' '), audience: resource, accessTokenFormat: 'opaque' }
        },
      },
    },
    scopes,
    ttl: { ClientCredentials: options.ttlSeconds ?? 3600 },
    adapter: MemoryAdapter,
    cookies: { keys: [randomBytes(16).toString('hex')] },
    jwks: { keys: [{ ...signing, use: 'sig', alg: 'RS256' }] },
  })
  const issued: Issued[] = []
  const revoked = new Set<string>()
  const events = new EventEmitter()
  provider.on('client_credentials.saved', (token) => {
    const now = Date.now()
    issued.push({
      token: token.jti,
      scope: token.scope,
      audience: token.aud,
      issuedAt: now,
      expiresAt: now + token.expiresIn * 1000,
    })
    events.emit('issued')
  })
  server.on('request', provider.callback())
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    clientId,
    clientSecret,
    issued,
    async issuedAtLeast(count) {
      while (issued.length < count) await once(events, 'issued')
    },
    accepts(header, audience) {
      const match = /^Bearer ([\w~+/.=-]+)$/i.exec(header ?? '')
      if (!match || revoked.has(match[1])) return false
      const token = issued.find((t) => t.token === match[1])
      return (
        token !== undefined && token.expiresAt > Date.now() && (audience === undefined || token.audience === audience)
      )
    },
    revoke: (token) => void revoked.add(token),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
