import { BASIC_PLACEHOLDER, scrubSecrets, TOKEN_PLACEHOLDER, withoutUserinfo, type Secret } from '../secrets.ts'
import type { RecordedRequest } from './exchange.ts'

/** Bodies longer than this (in UTF-8 bytes) are left out of the curl line. */
export const MAX_CURL_BODY_BYTES = 64 * 1024

const TOKEN_VARIABLE = TOKEN_PLACEHOLDER
/** The client's own Basic credential as recorded; replayed as {@link BASIC_CURL_ARGS}. */
export const BASIC_AUTHORIZATION = `Basic ${BASIC_PLACEHOLDER}`
/** curl's Basic auth from the environment (RFC 7617): `-u "$SCIM_BASIC_USER:$SCIM_BASIC_PASSWORD"`. */
export const BASIC_CURL_ARGS = ['-u', '"$SCIM_BASIC_USER:$SCIM_BASIC_PASSWORD"'] as const

/** Whether a recorded header is the client's own Basic credential (replayed with `-u`, not `-H`). */
export function isBasicCredential(name: string, value: string): boolean {
  return name.toLowerCase() === 'authorization' && value === BASIC_AUTHORIZATION
}

/**
 * A copy-paste POSIX-shell curl command that replays `request`. Every argument is single-quoted
 * (so `'`, `$`, `!` and unicode in a body or URL survive), except that `$SCIM_TOKEN` in a header stays
 * double-quoted for the shell to expand. A body over 64 KiB is replaced by `--data-binary @body.json`
 * with a note. NUL bytes cannot be passed as shell arguments, so such a body cannot be replayed verbatim.
 * A URL's userinfo is left out (curl would send it as Basic auth, which the harness never did), and
 * `secrets` are scrubbed from every part before it is quoted (the token becomes `$SCIM_TOKEN`); the recorded
 * Basic credential becomes `-u "$SCIM_BASIC_USER:$SCIM_BASIC_PASSWORD"`.
 */
export function toCurl(request: RecordedRequest, secrets: readonly Secret[] = []): string {
  const scrub = (text: string) => scrubSecrets(text, secrets)
  const url = scrub(withoutUserinfo(request.url))
  const parts = ['curl', '-sS']
  // curl treats [] and {} in URLs as globs.
  if (/[[\]{}]/.test(url)) parts.push('-g')
  parts.push('-X', /^[A-Za-z]+$/.test(request.method) ? request.method : quote(scrub(request.method)), quote(url))
  for (const [name, value] of Object.entries(request.headers))
    if (isBasicCredential(name, value)) parts.push(...BASIC_CURL_ARGS)
    else parts.push('-H', header(displayName(scrub(name)), scrub(value)))
  if (request.body === null) return parts.join(' ')
  // Without this curl would add `Content-Type: application/x-www-form-urlencoded` to a body sent without one.
  if (!Object.keys(request.headers).some((name) => name.toLowerCase() === 'content-type'))
    parts.push('-H', quote('Content-Type:'))
  const bytes = Buffer.byteLength(request.body, 'utf8')
  if (bytes > MAX_CURL_BODY_BYTES) {
    parts.push(
      '--data-binary',
      '@body.json',
      `# body elided (${bytes} bytes > 64 KiB): save the recorded request body as body.json`,
    )
  } else {
    parts.push('--data-raw', quote(scrub(request.body)))
  }
  return parts.join(' ')
}

function header(name: string, value: string): string {
  // `-H 'Name:'` would remove the header; `Name;` sends it empty.
  if (value === '') return quote(`${name};`)
  const pieces = `${name}: ${value}`.split(TOKEN_VARIABLE)
  if (pieces.length === 1) return quote(pieces[0])
  if (pieces.every((piece) => /^[\w .:/,;=+-]*$/.test(piece))) return `"${pieces.join(TOKEN_VARIABLE)}"`
  return pieces.map((piece) => (piece === '' ? '' : quote(piece))).join(`"${TOKEN_VARIABLE}"`)
}

/** POSIX single quoting: nothing inside is special except `'`, written as `'\''`. */
function quote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}

function displayName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase())
}
