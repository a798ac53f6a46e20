import { UsageError } from '../errors.ts'
import type { AuthSettings, BasicSettings, OAuthSettings } from '../http/auth.ts'

/** The run's authentication as flags and environment give it (before validation). */
export interface RawAuth {
  token?: string | null | undefined
  /** `--oauth-token-url` */
  oauthTokenUrl?: string | boolean | undefined
  /** `--client-id` */
  clientId?: string | boolean | undefined
  /** SCIM_CLIENT_SECRET (never a flag) */
  clientSecret?: string | undefined
  scope?: string | boolean | undefined
  audience?: string | boolean | undefined
  /** `--resource` (RFC 8707) */
  resource?: string | boolean | undefined
  /** `--basic`: the credential is SCIM_BASIC_USER / SCIM_BASIC_PASSWORD. */
  basic?: string | boolean | undefined
  basicUser?: string | undefined
  basicPassword?: string | undefined
  /** `--header 'Name: value'`, repeatable (or SCIM_HEADERS, one a line). */
  headers?: string | boolean | readonly string[] | undefined
}

export interface AuthConfig {
  basic: BasicSettings | null
  oauth: OAuthSettings | null
  headers: Record<string, string>
}

/** The headers `--header` may not set: the harness's own (credential, media types) and the connection's. */
const RESERVED = new Set([
  'authorization',
  'content-type',
  'accept',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
])
// RFC 9110 §5.1 field-name = token (§5.6.2 tchar).
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * Validates the credential flags: at most one scheme (a bearer token, HTTP Basic, OAuth client credentials);
 * each missing or bad value is one {@link UsageError} line naming the flag or variable. Secrets come from the
 * environment only.
 */
export function authConfig(raw: RawAuth): AuthConfig {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null)
  const flag = (name: string, value: unknown) => {
    if (value === undefined || value === false) return null
    const v = text(value)
    if (v === null) throw new UsageError(`--${name} needs a value.`)
    return v
  }
  const tokenUrl = flag('oauth-token-url', raw.oauthTokenUrl)
  const clientId = flag('client-id', raw.clientId)
  const scope = flag('scope', raw.scope)
  const audience = flag('audience', raw.audience)
  const resource = flag('resource', raw.resource)
  const basic = raw.basic === true || (typeof raw.basic === 'string' && /^(1|true|yes|on)$/i.test(raw.basic.trim()))
  const token = text(raw.token)
  const oauthOnly = Object.entries({ 'client-id': clientId, scope, audience, resource }).find(([, v]) => v !== null)
  if (tokenUrl === null && oauthOnly !== undefined)
    throw new UsageError(`--${oauthOnly[0]} is part of OAuth client credentials: pass --oauth-token-url URL too.`)
  const schemes = [token !== null && '--token/SCIM_TOKEN', basic && '--basic', tokenUrl !== null && '--oauth-token-url']
  const chosen = schemes.filter((s): s is string => s !== false)
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')}: choose one way to authenticate.`)
  return {
    basic: basic ? basicOf(raw) : null,
    oauth: tokenUrl === null ? null : oauthOf(tokenUrl, clientId, raw.clientSecret, scope, audience, resource),
    headers: headersOf(raw.headers),
  }
}

function oauthOf(
  tokenUrl: string,
  clientId: string | null,
  secret: string | undefined,
  scope: string | null,
  audience: string | null,
  resource: string | null,
): OAuthSettings {
  let url: URL
  try {
    url = new URL(tokenUrl)
  } catch {
    throw new UsageError(`--oauth-token-url must be an absolute http(s) URL, got "${tokenUrl}".`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--oauth-token-url must use http or https, got "${url.protocol}".`)
  if (url.username !== '' || url.password !== '' || url.hash !== '')
    throw new UsageError(
      '--oauth-token-url takes no user, password or fragment: the client authenticates with --client-id and ' +
        'SCIM_CLIENT_SECRET.',
    )
  if (clientId === null) throw new UsageError('--oauth-token-url needs --client-id ID (the OAuth client).')
  if (secret === undefined || secret === '')
    throw new UsageError(
      '--oauth-token-url needs the client secret in SCIM_CLIENT_SECRET (never a flag: it would show in the ' +
        'process list).',
    )
  return { tokenUrl: url.href, clientId, clientSecret: secret, scope, audience, resource: resourceOf(resource) }
}

/** RFC 8707 §2: the resource "MUST be an absolute URI" and "MUST NOT include a fragment component". */
function resourceOf(resource: string | null): string | null {
  if (resource === null) return null
  let url: URL
  try {
    url = new URL(resource)
  } catch {
    throw new UsageError(`--resource must be an absolute URI (RFC 8707 §2), got "${resource}".`)
  }
  if (url.hash !== '' || resource.includes('#'))
    throw new UsageError(`--resource must not hold a fragment (RFC 8707 §2), got "${resource}".`)
  // As given: the authorization server compares the URI, so it is not normalised.
  return resource
}

function basicOf(raw: RawAuth): BasicSettings {
  const user = raw.basicUser
  const password = raw.basicPassword
  if (user === undefined || user === '' || password === undefined)
    throw new UsageError(
      `--basic needs ${user === undefined || user === '' ? 'SCIM_BASIC_USER' : 'SCIM_BASIC_PASSWORD'} ` +
        'in the environment (SCIM_BASIC_USER and SCIM_BASIC_PASSWORD: RFC 7617 Basic credentials).',
    )
  // RFC 7617 §2: "a user-id containing a colon character is invalid".
  if (user.includes(':')) throw new UsageError('SCIM_BASIC_USER contains ":", which RFC 7617 §2 does not allow.')
  if (/[\0-\x1f\x7f]/.test(user + password))
    throw new UsageError('SCIM_BASIC_USER or SCIM_BASIC_PASSWORD contains a control character (RFC 7617 §2).')
  return { user, password }
}

/** `Name: value` lines into headers; a bad line or a reserved name is one usage line. */
export function headersOf(raw: RawAuth['headers']): Record<string, string> {
  const lines =
    raw === undefined || raw === false || raw === true
      ? []
      : typeof raw === 'string'
        ? raw.split('\n').filter((l) => l.trim() !== '')
        : raw
  const out: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = colon === -1 ? '' : line.slice(0, colon).trim()
    const value = colon === -1 ? '' : line.slice(colon + 1).trim()
    if (colon === -1 || !FIELD_NAME.test(name))
      throw new UsageError(
        `--header ${JSON.stringify(line)}: write it as 'Name: value' (e.g. --header 'X-Tenant: acme').`,
      )
    // RFC 9110 §5.5: no CR, LF or NUL in a field value.
    if (/[\0\r\n]/.test(value))
      throw new UsageError(`--header ${name}: the value holds a line break or NUL, which no header may carry.`)
    const key = name.toLowerCase()
    if (RESERVED.has(key))
      throw new UsageError(
        `--header ${name}: the harness sets ${name} itself` +
          (key === 'authorization' ? ' (use --token, --basic or --oauth-token-url).' : '; it cannot be overridden.'),
      )
    if (key in out) throw new UsageError(`--header ${name} is given twice.`)
    out[key] = value
  }
  return out
}

/** The settings a client is made from: the bearer token, Basic or OAuth; null without a credential. */
export function authSettingsOf(config: {
  token: string | null
  basic: BasicSettings | null
  oauth: OAuthSettings | null
}): AuthSettings | null {
  if (config.oauth) return { scheme: 'oauth', oauth: config.oauth }
  if (config.basic) return { scheme: 'basic', basic: config.basic }
  if (config.token) return { scheme: 'bearer', token: config.token }
  return null
}
