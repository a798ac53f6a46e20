import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { startOAuthServer, type OAuthServer } from '../../test/support/oauth-server.ts'
import { CredentialsRefusedError, TransportError } from '../errors.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import type { ServerHooks } from '../reference/hooks.ts'
import { startReferenceServer, type ReferenceServer } from '../reference/server.ts'
import { basicAuth, basicCredential, clientCredentials, fetchToken, type OAuthSettings } from './auth.ts'
import { type ClientOptions, createScimClient, type ScimClient } from './client.ts'
import type { Exchange } from './exchange.ts'
import { toCurl } from './to-curl.ts'

// OAuth 2.0 client credentials (RFC 6749 §4.4) against a real authorization server (oidc-provider), and a SCIM
// target that accepts only the live tokens that server issued; HTTP Basic (RFC 7617); extra headers.

let profile: VendorProfile
const closing: { close(): Promise<void> }[] = []
const clients: ScimClient[] = []

beforeAll(async () => {
  profile = await loadProfile({ vendor: 'generic', validate: false })
})
afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(closing.splice(0).map((s) => s.close()))
})

async function target(authorize: ServerHooks['authorize'], more: ServerHooks = {}): Promise<ReferenceServer> {
  const server = await startReferenceServer({ profile, token: null, hooks: [{ name: 'auth', authorize, ...more }] })
  closing.push(server)
  return server
}

async function oauthServer(ttlSeconds = 3600): Promise<OAuthServer> {
  const server = await startOAuthServer({ ttlSeconds, scopes: ['scim'] })
  closing.push(server)
  return server
}

function settings(oauth: OAuthServer, overrides: Partial<OAuthSettings> = {}): OAuthSettings {
  return {
    tokenUrl: oauth.tokenUrl,
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    scope: 'scim',
    audience: null,
    resource: null,
    ...overrides,
  }
}

function client(server: ReferenceServer, options: Omit<ClientOptions, 'baseUrl'>): ScimClient {
  const made = createScimClient({ ...options, baseUrl: server.origin })
  clients.push(made)
  return made
}

const usersRead = (c: ScimClient) => c.send({ method: 'GET', path: `${profile.basePath}/Users`, query: { count: '1' } })

describe('OAuth 2.0 client credentials against oidc-provider', () => {
  test('one token for the requests in flight together, sent as Bearer, recorded as $SCIM_TOKEN', async () => {
    const oauth = await oauthServer()
    const server = await target(({ exchange }) => oauth.accepts(exchange.headers.authorization))
    const c = client(server, { auth: clientCredentials(settings(oauth)) })
    const exchanges = await Promise.all(Array.from({ length: 8 }, () => usersRead(c)))
    expect(exchanges.map((e) => e.response?.status)).toEqual(Array(8).fill(200))
    expect(oauth.issued).toHaveLength(1)
    expect(oauth.issued[0].scope).toBe('scim')
    expect(new Set(exchanges.map((e) => e.request.headers.authorization))).toEqual(new Set(['Bearer $SCIM_TOKEN']))
    const recorded = JSON.stringify(exchanges)
    expect(recorded).not.toContain(oauth.issued[0].token)
    expect(recorded).not.toContain(oauth.clientSecret)
  })

  test('refreshed before it expires: a 3 s token is replaced while requests go on, none refused', async () => {
    const oauth = await oauthServer(3)
    const server = await target(({ exchange }) => oauth.accepts(exchange.headers.authorization))
    const seen: Exchange[] = []
    const c = client(server, { auth: clientCredentials(settings(oauth)), onExchange: (e) => seen.push(e) })
    const second = oauth.issuedAtLeast(2)
    let refreshed = false
    void second.then(() => (refreshed = true))
    // Polls the target until the provider issues a second token (the event), at most ~15 s.
    for (let i = 0; i < 150 && !refreshed; i++) {
      expect((await usersRead(c)).response?.status).toBe(200)
      await Promise.race([second, delay(100)])
    }
    expect(refreshed).toBe(true)
    expect((await usersRead(c)).response?.status).toBe(200)
    const [first, next] = oauth.issued
    expect(next.token).not.toBe(first.token)
    // Before the first one expired, and no request met a 401 on the way.
    expect(next.issuedAt).toBeLessThan(first.expiresAt)
    expect(seen.filter((e) => e.response?.status === 401)).toEqual([])
  })

  test('after expiry: an idle client fetches a new token before its next request, which is not refused', async () => {
    const oauth = await oauthServer(2)
    const server = await target(({ exchange }) => oauth.accepts(exchange.headers.authorization))
    const seen: number[] = []
    const c = client(server, {
      auth: clientCredentials(settings(oauth)),
      onExchange: (e) => seen.push(e.response?.status ?? 0),
    })
    expect((await usersRead(c)).response?.status).toBe(200)
    const first = `Bearer ${oauth.issued[0].token}`
    // Polls the target's own judgement until the first token is dead there.
    await vi.waitFor(() => expect(oauth.accepts(first)).toBe(false), { timeout: 10_000, interval: 100 })
    expect((await usersRead(c)).response?.status).toBe(200)
    expect(seen).toEqual([200, 200])
    expect(oauth.issued).toHaveLength(2)
  })

  test('once on a 401: a revoked token is replaced and the request sent again, once', async () => {
    const oauth = await oauthServer()
    let refuseAll = false
    const server = await target(({ exchange }) => !refuseAll && oauth.accepts(exchange.headers.authorization))
    const seen: number[] = []
    const c = client(server, {
      auth: clientCredentials(settings(oauth)),
      onExchange: (e) => seen.push(e.response?.status ?? 0),
    })
    expect((await usersRead(c)).response?.status).toBe(200)
    oauth.revoke(oauth.issued[0].token)
    const again = await usersRead(c)
    expect(again.response?.status).toBe(200)
    expect(seen).toEqual([200, 401, 200])
    expect(oauth.issued).toHaveLength(2)
    // A target that refuses every token: one new token, one resend, then the 401 is the answer (no loop).
    refuseAll = true
    seen.length = 0
    expect((await usersRead(c)).response?.status).toBe(401)
    expect(seen).toEqual([401, 401])
    expect(oauth.issued).toHaveLength(3)
  })

  test('a wrong client secret: one line naming the OAuth error, never the secret', async () => {
    const oauth = await oauthServer()
    const wrong = settings(oauth, { clientSecret: 'not-the-client-secret-at-all' })
    const error = await fetchToken(wrong).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CredentialsRefusedError)
    const message = (error as Error).message
    expect(message).toMatch(/answered 401 invalid_client .*check --client-id, SCIM_CLIENT_SECRET/)
    expect(message).not.toContain('not-the-client-secret-at-all')
    expect(message).not.toMatch(/\n/)
    expect(oauth.issued).toHaveLength(0)
  })

  test('an unreachable token endpoint is a transport error', async () => {
    const gone = createServer()
    gone.listen(0, '127.0.0.1')
    await once(gone, 'listening')
    const port = (gone.address() as AddressInfo).port
    await new Promise((resolve) => gone.close(resolve))
    const oauth = await oauthServer()
    const error = await fetchToken(settings(oauth, { tokenUrl: `http://127.0.0.1:${port}/token` })).catch((e) => e)
    expect(error).toBeInstanceOf(TransportError)
    expect((error as Error).message).toMatch(/^cannot reach the OAuth token endpoint http:\/\/127\.0\.0\.1:\d+\/token/)
  })
})

describe('RFC 8707 resource indicators against oidc-provider', () => {
  test('--resource gets a token for that API, which a target that wants its own audience accepts', async () => {
    const api = 'https://scim.example/scim/v2'
    const oauth = await startOAuthServer({ scopes: ['scim'], resources: [api] })
    closing.push(oauth)
    // A resource server that takes only tokens issued for itself (RFC 8707 §1: audience-restricted tokens).
    const server = await target(({ exchange }) => oauth.accepts(exchange.headers.authorization, api))
    const withResource = client(server, { auth: clientCredentials(settings(oauth, { resource: api })) })
    expect((await usersRead(withResource)).response?.status).toBe(200)
    expect(oauth.issued.map((t) => t.audience)).toEqual([api])
    // Without it the same client's token is for no API, and this target refuses it: the 401 makes the client
    // renew the token once (RFC 6750 §3.1), which is for no API either.
    const without = client(server, { auth: clientCredentials(settings(oauth)) })
    expect((await usersRead(without)).response?.status).toBe(401)
    expect(oauth.issued.map((t) => t.audience)).toEqual([api, undefined, undefined])
  })

  test('a resource the authorization server does not know: one line naming invalid_target and --resource', async () => {
    const oauth = await startOAuthServer({ scopes: ['scim'], resources: ['https://scim.example/scim/v2'] })
    closing.push(oauth)
    const error = await fetchToken(settings(oauth, { resource: 'https://elsewhere.example/' })).catch((e) => e)
    expect(error).toBeInstanceOf(CredentialsRefusedError)
    expect((error as Error).message).toMatch(/answered 400 invalid_target .*--resource/)
    expect(oauth.issued).toEqual([])
  })
})

describe('the token request on the wire (RFC 6749 §4.4.2, §2.3.1)', () => {
  test('grant_type, scope, audience and resource in the form; the client in Basic, form-encoded first', async () => {
    let seen: { headers: IncomingHttpHeaders; body: string } | null = null
    const endpoint = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8').on('data', (c: string) => (body += c))
      req.on('end', () => {
        seen = { headers: req.headers, body }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ access_token: 'tok-123456789', token_type: 'bearer', expires_in: 60 }))
      })
    })
    endpoint.listen(0, '127.0.0.1')
    await once(endpoint, 'listening')
    closing.push({ close: () => new Promise((resolve) => endpoint.close(() => resolve())) })
    const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/oauth/token`
    const got = await fetchToken({
      tokenUrl: url,
      clientId: 'id with:colon',
      clientSecret: 's3cret/+',
      scope: 'scim.read scim.write',
      audience: 'https://scim.example/api',
      resource: 'https://scim.example/scim/v2',
    })
    expect(got).toEqual({ token: 'tok-123456789', expiresInS: 60 })
    expect(seen!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(seen!.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'scim.read scim.write',
      audience: 'https://scim.example/api',
      resource: 'https://scim.example/scim/v2',
    })
    const basic = Buffer.from(seen!.headers.authorization!.replace(/^Basic /, ''), 'base64').toString()
    expect(basic).toBe('id+with%3Acolon:s3cret%2F%2B')
  })
})

describe('HTTP Basic (RFC 7617) and extra headers', () => {
  const basic = { user: 'scim-admin', password: 'correct horse battery staple' }

  test('sent, recorded as $SCIM_BASIC_CREDENTIALS, replayed with -u; the wrong password refused', async () => {
    const expected = `Basic ${basicCredential(basic.user, basic.password)}`
    const tenants: (string | string[] | undefined)[] = []
    const server = await target(({ exchange }) => exchange.headers.authorization === expected, {
      request(exchange) {
        tenants.push(exchange.headers['x-tenant'])
        return undefined
      },
    })
    const c = client(server, { auth: basicAuth(basic), headers: { 'X-Tenant': 'acme' } })
    const ok = await usersRead(c)
    expect(ok.response?.status).toBe(200)
    expect(tenants).toEqual(['acme'])
    expect(ok.request.headers.authorization).toBe('Basic $SCIM_BASIC_CREDENTIALS')
    expect(toCurl(ok.request)).toContain(`-u "$SCIM_BASIC_USER:$SCIM_BASIC_PASSWORD"`)
    expect(toCurl(ok.request)).toContain(`-H 'X-Tenant: acme'`)
    const wrong = await c.send({ method: 'GET', path: `${profile.basePath}/Users`, auth: 'wrong' })
    expect(wrong.response?.status).toBe(401)
    expect(wrong.request.headers.authorization).toBe(
      `Basic ${basicCredential(basic.user, 'scim-conformance-invalid-password')}`,
    )
    const none = await c.send({ method: 'GET', path: `${profile.basePath}/Users`, auth: 'none' })
    expect(none.response?.status).toBe(401)
    expect(none.request.headers.authorization).toBeUndefined()
    const recorded = JSON.stringify([ok, wrong, none])
    expect(recorded).not.toContain(basic.password)
    expect(recorded).not.toContain(basicCredential(basic.user, basic.password))
  })
})
