import { request } from 'undici'
import { CredentialsRefusedError, TransportError } from '../errors.ts'
import { basicCredential, basicSecrets, type Secret, TOKEN_PLACEHOLDER, useFetchedSecret } from '../secrets.ts'
import { BASIC_AUTHORIZATION } from './to-curl.ts'

/** OAuth 2.0 client credentials (RFC 6749 §4.4): plain data, so a RunConfig holding it can go to a worker. */
export interface OAuthSettings {
  /** The authorization server's token endpoint (RFC 6749 §3.2). */
  tokenUrl: string
  clientId: string
  /** From SCIM_CLIENT_SECRET, never a flag. */
  clientSecret: string
  /** `scope` of the token request (RFC 6749 §3.3), or null. */
  scope: string | null
  /** `audience` of the token request (the parameter Auth0, Okta and others read), or null. */
  audience: string | null
  /**
   * `resource` of the token request (RFC 8707 §2: the URI of the API the token is for, which the authorization
   * server may put into the token's audience), or null.
   */
  resource: string | null
}

/** HTTP Basic (RFC 7617): from SCIM_BASIC_USER and SCIM_BASIC_PASSWORD. */
export interface BasicSettings {
  user: string
  password: string
}

/** Where the run's credential comes from: structured-cloneable (a RunConfig carries it to the vitest worker). */
export type AuthSettings =
  | { scheme: 'bearer'; token: string }
  | { scheme: 'basic'; basic: BasicSettings }
  | { scheme: 'oauth'; oauth: OAuthSettings }

export type AuthScheme = AuthSettings['scheme']

/** The wrong credentials the auth checks send (harness-made: recorded verbatim). */
export const WRONG_TOKEN = 'scim-conformance-invalid-token'
export const WRONG_PASSWORD = 'scim-conformance-invalid-password'

/** The `Authorization` value of every request of a run, as the ScimClient asks for it per request. */
export interface AuthProvider {
  readonly scheme: AuthScheme
  /** A static bearer token's value (the recorder redacts it as the client's `token`). */
  readonly staticToken?: string
  /** The header value for the next request; an OAuth provider fetches (or refreshes) its token first. */
  authorization(): Promise<string>
  /** How a request carrying {@link authorization}'s value is recorded: the secret replaced by a variable. */
  readonly recordedAs: string
  /** A wrong credential of the same scheme (the auth checks' negative case). */
  wrong(): string
  /**
   * After a 401 to a request that carried `sent`: true when a new credential is ready to send it once
   * more (an OAuth token fetched again, or already replaced by another request's refresh).
   */
  refused(sent: string): Promise<boolean>
  /** The secrets to scrub from what is recorded; the array is replaced (not mutated) when a token is fetched. */
  secrets(): readonly Secret[]
}

/** The provider for the run's settings; null without any credential. */
export function authProvider(settings: AuthSettings | null, options: OAuthOptions = {}): AuthProvider | null {
  if (settings === null) return null
  if (settings.scheme === 'bearer') return bearerAuth(settings.token)
  if (settings.scheme === 'basic') return basicAuth(settings.basic)
  return clientCredentials(settings.oauth, options)
}

/** A static bearer token (RFC 6750 §2.1), recorded as `Bearer $SCIM_TOKEN`. */
export function bearerAuth(token: string): AuthProvider {
  const secrets: Secret[] = [{ label: 'the token', value: token, placeholder: TOKEN_PLACEHOLDER }]
  return {
    scheme: 'bearer',
    staticToken: token,
    authorization: async () => `Bearer ${token}`,
    recordedAs: `Bearer ${TOKEN_PLACEHOLDER}`,
    wrong: () => `Bearer ${WRONG_TOKEN}`,
    refused: async () => false,
    secrets: () => secrets,
  }
}

export { basicCredential }

/** HTTP Basic (RFC 7617), recorded as `Basic $SCIM_BASIC_CREDENTIALS`; the wrong one has a wrong password. */
export function basicAuth(basic: BasicSettings): AuthProvider {
  const header = `Basic ${basicCredential(basic.user, basic.password)}`
  const secrets = basicSecrets(basic)
  return {
    scheme: 'basic',
    authorization: async () => header,
    recordedAs: BASIC_AUTHORIZATION,
    wrong: () => `Basic ${basicCredential(basic.user, WRONG_PASSWORD)}`,
    refused: async () => false,
    secrets: () => secrets,
  }
}

export interface OAuthOptions {
  /** Clock in epoch milliseconds (tests). @defaultValue Date.now */
  now?: () => number
  /** The token request's timeout. @defaultValue 10000 */
  timeoutMs?: number
}

/** A token is fetched again this long before it expires: a quarter of its lifetime, at most 30 s. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(30_000, lifetimeMs / 4)
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): the access token is fetched on first use, kept, fetched again
 * before it expires (`expires_in`, §5.1, minus a margin) and once after a 401, one fetch at a time for every
 * request waiting on it. Tokens are sent as `Bearer` (RFC 6750 §2.1) and recorded as `Bearer $SCIM_TOKEN`; each
 * one fetched is added to the process's secrets, so no writer can print it.
 */
export function clientCredentials(oauth: OAuthSettings, options: OAuthOptions = {}): AuthProvider {
  const now = options.now ?? Date.now
  const timeoutMs = options.timeoutMs ?? 10_000
  let current: { header: string; refreshAt: number } | null = null
  let fetching: Promise<string> | null = null
  let secrets: Secret[] = [{ label: 'the client secret', value: oauth.clientSecret, placeholder: '[redacted]' }]

  function refresh(): Promise<string> {
    fetching ??= fetchToken(oauth, timeoutMs)
      .then(({ token, expiresInS }) => {
        const secret: Secret = { label: 'an OAuth access token', value: token, placeholder: TOKEN_PLACEHOLDER }
        secrets = [secret, ...secrets].sort((a, b) => b.value.length - a.value.length)
        useFetchedSecret(secret)
        const lifetime = expiresInS === null ? Number.POSITIVE_INFINITY : expiresInS * 1000
        current = { header: `Bearer ${token}`, refreshAt: now() + lifetime - refreshMarginMs(lifetime) }
        return current.header
      })
      .finally(() => {
        fetching = null
      })
    return fetching
  }

  return {
    scheme: 'oauth',
    async authorization() {
      if (fetching) return fetching
      if (current !== null && now() < current.refreshAt) return current.header
      return refresh()
    },
    recordedAs: `Bearer ${TOKEN_PLACEHOLDER}`,
    wrong: () => `Bearer ${WRONG_TOKEN}`,
    async refused(sent) {
      // Another request's 401 may have fetched a new token already: that one is sent, no second fetch.
      if (fetching) await fetching.catch(() => undefined)
      else if (current === null || current.header === sent) await refresh().catch(() => undefined)
      return current !== null && current.header !== sent
    },
    secrets: () => secrets,
  }
}

/**
 * One token request (RFC 6749 §4.4.2): `grant_type=client_credentials` with the client authenticated by HTTP
 * Basic (§2.3.1: id and secret form-encoded first). A refusal is {@link CredentialsRefusedError} naming the
 * OAuth error (§5.2); no answer is a {@link TransportError}. The messages never hold the secret or a token.
 */
export async function fetchToken(
  oauth: OAuthSettings,
  timeoutMs = 10_000,
): Promise<{ token: string; expiresInS: number | null }> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' })
  if (oauth.scope !== null) form.set('scope', oauth.scope)
  if (oauth.audience !== null) form.set('audience', oauth.audience)
  if (oauth.resource !== null) form.set('resource', oauth.resource)
  const id = (text: string) => encodeURIComponent(text).replace(/%20/g, '+')
  const where = `the OAuth token endpoint ${oauth.tokenUrl}`
  let status: number
  let text: string
  try {
    const response = await request(oauth.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basicCredential(id(oauth.clientId), id(oauth.clientSecret))}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    status = response.statusCode
    text = await response.body.text()
  } catch (error) {
    throw new TransportError(`cannot reach ${where}: ${error instanceof Error ? error.message : String(error)}`)
  }
  const body = parseObject(text)
  if (status !== 200) {
    const code = typeof body?.error === 'string' ? ` ${body.error}` : ''
    const description =
      typeof body?.error_description === 'string' ? ` (${JSON.stringify(body.error_description.slice(0, 120))})` : ''
    throw new CredentialsRefusedError(
      `${where} answered ${status}${code}${description} to the client credentials grant: ` +
        'check --client-id, SCIM_CLIENT_SECRET, --scope, --audience and --resource',
    )
  }
  const token = body?.access_token
  if (typeof token !== 'string' || token === '')
    throw new CredentialsRefusedError(`${where} answered 200 without an access_token (RFC 6749 §5.1)`)
  const type = body?.token_type
  if (typeof type !== 'string' || type.toLowerCase() !== 'bearer')
    throw new CredentialsRefusedError(
      `${where} issued a token of type ${JSON.stringify(type ?? null)}; the harness sends Bearer tokens (RFC 6750)`,
    )
  const expires = body?.expires_in
  const expiresInS = Number(expires) > 0 ? Number(expires) : null
  return { token, expiresInS }
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}
