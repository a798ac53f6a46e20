import { STATUS_CODES } from 'node:http'
import { CredentialsRefusedError, TargetPathError, TransportError } from '../errors.ts'
import type { ScimClient } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import { withoutUserinfo } from '../secrets.ts'
import type { RunConfig } from './config.ts'
import { clientOf } from './from-config.ts'
import { authSettingsOf } from './auth-config.ts'
import type { AuthScheme } from '../http/auth.ts'

// The run's first request, before any check: one authenticated read of the Users collection (RFC 7644 §3.4.2).
// A refused credential or a wrong --target is the harness's input, not a finding: one line, exit 2, no checks run.
// The put.auth.* checks send their deliberately bad credentials through requests of their own, never through this.

/** The authenticated read: `GET <target><basePath>/Users?count=1` with the run's token (none when it has none). */
export function usersRead(client: ScimClient, profile: VendorProfile): Promise<Exchange> {
  return client.send({ method: 'GET', path: `${profile.basePath}/Users`, query: { count: '1' } })
}

export interface ReadJudgement {
  /** The target the read was sent to (as the harness joins paths to it: see scimTarget). */
  target: string
  profile: VendorProfile
  /** Whether the read carried a token: a refusal then says to check it, else to set it. */
  withToken: boolean
  /** The credential's scheme, for what the refusal says to check. @defaultValue 'bearer' */
  scheme?: AuthScheme
  /** The same read sent to another target: where a 404's Users endpoint may be. */
  readAt(target: string): Promise<Exchange>
}

/**
 * Judges a read of the Users collection (the preflight's, or the run context's listing): a 401 or 403 is a
 * {@link CredentialsRefusedError}; a 404 where another target answers 200 (the same path twice, or a level up)
 * is a {@link TargetPathError} naming that target. Any other answer is left to the checks: a 200 without a
 * token is a server that asks for none; a 404 with no better target may be a server that lists no users.
 */
export async function judgeUsersRead(read: Exchange, judgement: ReadJudgement): Promise<void> {
  const status = read.response?.status
  if (status === 401 || status === 403)
    throw new CredentialsRefusedError(refusedLine(read, judgement.withToken, judgement.scheme))
  if (status !== 404) return
  for (const candidate of targetCandidates(judgement.target, judgement.profile.basePath)) {
    const other = await judgement.readAt(candidate)
    if (other.response?.status !== 200) continue
    throw new TargetPathError(
      `--target is not where the SCIM API is: GET ${shownUrl(read)} answered 404, ` +
        `and GET ${shownUrl(other)} answers 200: pass --target ${withoutUserinfo(candidate)}`,
    )
  }
}

/** What the CLI runs before anything else: an unreachable target, refused credentials or a wrong path stop the run. */
export async function preflightTarget(config: RunConfig, target: string, profile: VendorProfile): Promise<Exchange> {
  const read = await readOnce(config, target, profile)
  if (read.error) throw new TransportError(`cannot reach the target ${target}: ${read.error.message}`)
  await judgeUsersRead(read, {
    target,
    profile,
    withToken: authSettingsOf(config) !== null,
    scheme: authSettingsOf(config)?.scheme,
    readAt: (other) => readOnce(config, other, profile),
  })
  return read
}

/** The read through a client of its own, closed after. */
export async function readOnce(config: RunConfig, target: string, profile: VendorProfile): Promise<Exchange> {
  const client = clientOf(config, target)
  try {
    return await usersRead(client, profile)
  } finally {
    await client.close()
  }
}

/**
 * Where the Users endpoint may be when `<target><basePath>/Users` answers 404: first the URL with a repeated path
 * run said once (`/scim/v2/scim/v2/Users`), then the target one level up at a time, to its origin (at most four).
 */
export function targetCandidates(target: string, basePath: string): string[] {
  const url = new URL(target)
  const own = url.pathname.split('/').filter(Boolean)
  const base = basePath.split('/').filter(Boolean)
  const candidates: string[] = []
  const once = withoutRepeat([...own, ...base])
  if (once !== null && endsWith(once, base)) candidates.push(at(url, once.slice(0, once.length - base.length)))
  for (let n = own.length - 1; n >= 0; n--) candidates.push(at(url, own.slice(0, n)))
  return [...new Set(candidates)].filter((c) => c !== at(url, own)).slice(0, 4)
}

/** The segments with the first repeated run (`a b a b` → `a b`, the longest run first) said once, or null. */
function withoutRepeat(segments: string[]): string[] | null {
  for (let len = Math.floor(segments.length / 2); len >= 1; len--)
    for (let i = 0; i + 2 * len <= segments.length; i++) {
      const first = segments.slice(i, i + len)
      const second = segments.slice(i + len, i + 2 * len)
      if (first.every((s, k) => s === second[k])) return [...segments.slice(0, i + len), ...segments.slice(i + 2 * len)]
    }
  return null
}

function endsWith(segments: string[], tail: string[]): boolean {
  return segments.length >= tail.length && tail.every((s, k) => segments[segments.length - tail.length + k] === s)
}

/** The target URL with these path segments (no trailing slash: the harness appends `<basePath>/Users`). */
function at(url: URL, segments: string[]): string {
  const copy = new URL(url.href)
  copy.pathname = `/${segments.join('/')}`
  return segments.length === 0 ? copy.href.replace(/\/(?=$|[?#])/, '') : copy.href
}

function shownUrl(read: Exchange): string {
  return withoutUserinfo(read.request.url)
}

/** One line: the status, what the server said, and what to do about the token. */
function refusedLine(read: Exchange, withToken: boolean, scheme: AuthScheme = 'bearer'): string {
  const status = read.response!.status
  const detail = errorDetail(read.response!.body)
  const said = `GET ${shownUrl(read)} answered ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd()
  const why = detail === null ? '' : ` (${JSON.stringify(detail)})`
  if (withToken && scheme !== 'bearer')
    return (
      `the target refused the credentials: ${said}${why}; check ` +
      (scheme === 'basic'
        ? 'SCIM_BASIC_USER and SCIM_BASIC_PASSWORD: they must be Basic credentials this server accepts'
        : 'the OAuth client (--oauth-token-url, --client-id, SCIM_CLIENT_SECRET, --scope, --audience, --resource): ' +
          'its tokens must be accepted by this server') +
      (status === 403 ? ', allowed to read and write Users' : '')
    )
  return withToken
    ? `the target refused the credentials: ${said}${why}; check SCIM_TOKEN (or --token): ` +
        `it must be a bearer token this server accepts${status === 403 ? ', allowed to read and write Users' : ''}`
    : `the target refused the credentials: ${said} to a request without a token${why}; ` +
        'set SCIM_TOKEN (or pass --token) to a bearer token this server accepts'
}

/** A SCIM error's `detail` (RFC 7644 §3.12), cut to a readable length; null when there is none. */
function errorDetail(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null
  const detail = (body as Record<string, unknown>).detail
  if (typeof detail !== 'string' || detail.trim() === '') return null
  const flat = detail.replace(/\s+/g, ' ').trim()
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat
}
