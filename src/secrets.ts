/**
 * Every secret the run was configured with, and the one scrubber that removes them from whatever
 * leaves the process (console lines, report files, JUnit, the ledger, curl lines). A leaf module: the
 * http, run, report and cli layers all import it, so it imports nothing of theirs.
 *
 * A server may echo a credential in any form: raw, inside JSON with `\uXXXX` escapes (the parsed
 * body then holds it raw again), percent-encoded, HTML/XML-escaped, or as a header name that the
 * client lower-cases. Each secret is matched with one case-insensitive pattern that accepts every
 * character in any of those forms, mixed freely, so the order in which layers escape text does not matter.
 */

/** One configured secret. */
export interface Secret {
  /** What it is, for messages (never the value): "the token", "the --target password". */
  label: string
  value: string
  /** What a scrubbed occurrence reads as. */
  placeholder: string
  /**
   * Match only where the value stands as the whole userinfo of a URL (`//VALUE@`), removing the `@`
   * too: `https://u:p@host` becomes `https://host`.
   */
  userinfo?: boolean
  /**
   * Where a value shorter than {@link MIN_SECRET_LENGTH} is matched: `'standalone'` (default) after
   * `Bearer `/`Basic `, as a whole quoted string, or as a URL's user name or password; `'userinfo'`
   * only in a URL (a short user name such as "admin" is ordinary text everywhere else).
   */
  short?: 'standalone' | 'userinfo'
}

/** Shorter secrets cannot be told from plain text ("abc" would hit every "abc"): scrubbed only where standing alone. */
export const MIN_SECRET_LENGTH = 8
/** What the token reads as: the environment variable the curl lines use. */
export const TOKEN_PLACEHOLDER = '$SCIM_TOKEN'
/** What any other secret reads as. */
export const REDACTED = '[redacted]'
/** What the base64 Basic credential reads as (the reproduction sends `-u "$SCIM_BASIC_USER:$SCIM_BASIC_PASSWORD"`). */
export const BASIC_PLACEHOLDER = '$SCIM_BASIC_CREDENTIALS'

const FETCHED = Symbol.for('scim-conformance.fetched-secrets')

/**
 * Adds a credential the process obtained (an OAuth access token) to every {@link secretsOf} list from now on, and
 * to the process's own ({@link activeSecrets}: the console guard, the error line).
 */
export function useFetchedSecret(secret: Secret): void {
  const state = globalThis as { [FETCHED]?: Secret[] }
  state[FETCHED] = [...(state[FETCHED] ?? []), secret]
  useSecrets([secret])
}

function fetchedSecrets(): Secret[] {
  return (globalThis as { [FETCHED]?: Secret[] })[FETCHED] ?? []
}

/** The configuration fields that hold secrets (structural, so this module imports no config type). */
export interface SecretSources {
  token?: string | null | undefined
  /** A target URL; its userinfo (`https://user:password@host`) is secret. */
  target?: string | null | undefined
  /** OAuth client credentials (`oauth.clientSecret`: SCIM_CLIENT_SECRET). */
  oauth?: { clientSecret: string } | null | undefined
  /** HTTP Basic (SCIM_BASIC_USER, SCIM_BASIC_PASSWORD): the password and the base64 credential are secret. */
  basic?: { user: string; password: string } | null | undefined
}

/**
 * The run's secrets: the token, and the user name and password of `--target`'s userinfo (the
 * client never sends them: it connects to the URL's origin), the OAuth client secret and every access
 * token this process fetched, the Basic password and its base64 credential.
 */
export function secretsOf(config: SecretSources): Secret[] {
  const out: Secret[] = []
  if (config.token) out.push({ label: 'the token', value: config.token, placeholder: TOKEN_PLACEHOLDER })
  const info = userinfoOf(config.target)
  if (info) {
    out.push({ label: 'the --target userinfo', value: info.raw, placeholder: '', userinfo: true })
    if (info.password) out.push({ label: 'the --target password', value: info.password, placeholder: REDACTED })
    if (info.username)
      out.push({ label: 'the --target user name', value: info.username, placeholder: REDACTED, short: 'userinfo' })
  }
  if (config.oauth) out.push({ label: 'the client secret', value: config.oauth.clientSecret, placeholder: REDACTED })
  if (config.basic) out.push(...basicSecrets(config.basic))
  out.push(...fetchedSecrets())
  // Longest first, so a secret containing another is replaced whole before the shorter one could split it.
  return dedupe(out).sort((a, b) => b.value.length - a.value.length)
}

/** The `Basic` credential of RFC 7617 §2: base64 of `user:password` (UTF-8). */
export function basicCredential(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`, 'utf8').toString('base64')
}

/** HTTP Basic's secrets: the base64 credential (read as {@link BASIC_PLACEHOLDER}) and the password. */
export function basicSecrets(basic: { user: string; password: string }): Secret[] {
  return [
    {
      label: 'the Basic credential',
      value: basicCredential(basic.user, basic.password),
      placeholder: BASIC_PLACEHOLDER,
    },
    { label: 'the Basic password', value: basic.password, placeholder: REDACTED },
  ]
}

/** The userinfo of an absolute URL as typed, and its decoded parts; null when it has none. */
function userinfoOf(target: string | null | undefined): { raw: string; username: string; password: string } | null {
  if (!target) return null
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(target)
  if (!match) return null
  const raw = match[1]
  const colon = raw.indexOf(':')
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }
  return {
    raw,
    username: decode(colon === -1 ? raw : raw.slice(0, colon)),
    password: colon === -1 ? '' : decode(raw.slice(colon + 1)),
  }
}

function dedupe(secrets: Secret[]): Secret[] {
  const seen = new Set<string>()
  return secrets.filter((s) => {
    const key = `${s.userinfo ? 'u' : 's'}\0${s.value}\0${s.placeholder}`
    if (s.value === '' || seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** A URL as it may be shown: without its userinfo (`https://u:p@host/x` → `https://host/x`). */
export function withoutUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1')
}

/** Secrets too short to scrub everywhere. */
export function shortSecrets(secrets: readonly Secret[]): Secret[] {
  return secrets.filter((s) => !s.userinfo && s.value.length < MIN_SECRET_LENGTH)
}

// Shared by every copy of this module in the process (the CLI's and the one vitest loads for the reporters).
const WARNED = Symbol.for('scim-conformance.short-secret-warned')

/**
 * Writes, once per process, that short secrets are hidden only where they stand alone. Returns
 * whether it wrote. The message names the secrets, never their values.
 */
export function warnShortSecrets(
  secrets: readonly Secret[],
  write: (line: string) => void = (l) => process.stderr.write(l),
): boolean {
  const short = shortSecrets(secrets)
  const state = globalThis as { [WARNED]?: boolean }
  if (short.length === 0 || state[WARNED]) return false
  state[WARNED] = true
  const names = short.map((s) => s.label)
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
  write(
    `scim-conformance: warning: ${list} ${short.length === 1 ? 'is' : 'are'} shorter than ${MIN_SECRET_LENGTH} ` +
      'characters and cannot be hidden everywhere: ' +
      `${short.length === 1 ? 'it is' : 'they are'} scrubbed from output only where ` +
      `${short.length === 1 ? 'it stands' : 'they stand'} alone ` +
      `(after "Bearer "/"Basic ", as a whole quoted string, in a URL's userinfo).\n`,
  )
  return true
}

// ---------------------------------------------------------------------------------------------
// Matching

const NAMED_ENTITIES: Record<string, string[]> = {
  '&': ['amp'],
  '<': ['lt'],
  '>': ['gt'],
  '"': ['quot'],
  "'": ['apos'],
}
const JSON_SHORT_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  '\b': 'b',
  '\f': 'f',
  '\n': 'n',
  '\r': 'r',
  '\t': 't',
}
const UTF8 = new TextEncoder()

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
}

/** A character as is or as an HTML/XML character reference (named, decimal, hex). */
function markupForms(ch: string): string[] {
  const cp = ch.codePointAt(0)!
  return [
    escapeRegExp(ch),
    ...(NAMED_ENTITIES[ch] ?? []).map((n) => `&${n};`),
    `&#0*${cp};`,
    `&#x0*${cp.toString(16)};`,
  ]
}

/**
 * One character in any form a layer may give it: raw, a JSON `\uXXXX` (or short) escape with any
 * number of backslashes (JSON inside a JSON string doubles them), percent-encoded UTF-8, or an
 * HTML/XML reference. Hex digits match in either case through the pattern's `i` flag.
 */
function charPattern(ch: string): string {
  const units = Array.from({ length: ch.length }, (_, i) => ch.charCodeAt(i).toString(16).padStart(4, '0'))
  const forms = [
    ...markupForms(ch),
    units.map((u) => `\\\\+u${u}`).join(''),
    [...UTF8.encode(ch)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
  ]
  const short = JSON_SHORT_ESCAPES[ch]
  if (short !== undefined) forms.push(`\\\\+(?:${markupForms(short).join('|')})`)
  if (ch === ' ') forms.push('\\+')
  return `(?:${forms.join('|')})`
}

function valuePattern(value: string): string {
  return [...value].map(charPattern).join('')
}

const QUOTE = `(?:${[...markupForms('"'), ...markupForms("'")].join('|')})`
const SCHEME_SPACE = `\\b(?:Bearer|Basic|Token)(?:\\s|&#0*32;|&#x0*20;|%20|\\+)+`
// Characters a bearer token (RFC 6750 b64token) or a query value may continue with.
const TOKEN_CHAR = '[A-Za-z0-9._~+/=-]'

/**
 * The patterns of one secret as [context, value] pairs: the context is matched and written back,
 * the value replaced. Every pattern starts with something to consume (no leading lookbehind): a
 * lookbehind tried at every position of a 1 MiB body costs ~100 times more.
 */
function secretPatterns(secret: Secret): [string, string][] {
  const value = valuePattern(secret.value)
  if (secret.userinfo) return [['\\/\\/', `${value}@`]]
  if (secret.value.length >= MIN_SECRET_LENGTH) return [['', value]]
  // A short secret only where it stands alone: a URL's user name or password, and for a
  // credential also after its scheme and as a whole quoted string (a JSON value, or a header name
  // as a JSON key).
  const userinfo: [string, string][] = [
    ['\\/\\/', `${value}(?=(?::|%3a)[^/?#@\\s]*@|@)`],
    ['\\/\\/[^/?#@\\s:]*:', `${value}(?=@)`],
  ]
  if (secret.short === 'userinfo') return userinfo
  return [[SCHEME_SPACE, `${value}(?!${TOKEN_CHAR})`], [QUOTE, `${value}(?=${QUOTE})`], ...userinfo]
}

interface Compiled {
  regex: RegExp
  /** The placeholder of each alternative, in order; alternative i owns groups 2i+1 (all) and 2i+2 (context). */
  placeholders: string[]
}

// Compiled scrubbers by their secrets; a run has one or two lists, so the cache stays tiny. The
// WeakMap spares the key's JSON when one list scrubs every string of a report.
const compiled = new Map<string, Compiled | null>()
const byList = new WeakMap<readonly Secret[], Compiled | null>()

function compile(secrets: readonly Secret[]): Compiled | null {
  const known = byList.get(secrets)
  if (known !== undefined) return known
  const hit = compileKeyed(secrets)
  byList.set(secrets, hit)
  return hit
}

function compileKeyed(secrets: readonly Secret[]): Compiled | null {
  const key = JSON.stringify(secrets.map((s) => [s.value, s.placeholder, s.userinfo === true, s.short ?? '']))
  let hit = compiled.get(key)
  if (hit !== undefined) return hit
  const alternatives: string[] = []
  const placeholders: string[] = []
  // One alternation for all secrets: a single pass over the text; earlier (longer) secrets win at a position.
  for (const s of secrets) {
    if (s.value === '') continue
    for (const [context, value] of secretPatterns(s)) {
      alternatives.push(`((${context})${value})`)
      placeholders.push(s.placeholder)
    }
  }
  hit = alternatives.length === 0 ? null : { regex: new RegExp(alternatives.join('|'), 'gi'), placeholders }
  if (compiled.size > 64) compiled.clear()
  compiled.set(key, hit)
  return hit
}

/**
 * `text` with every occurrence of every secret replaced by its placeholder, in any of the forms
 * above. Secrets shorter than {@link MIN_SECRET_LENGTH} are replaced only where they stand alone.
 */
export function scrubSecrets(text: string, secrets: readonly Secret[]): string {
  const c = compile(secrets)
  if (c === null || text === '') return text
  c.regex.lastIndex = 0
  return text.replace(c.regex, (...args: unknown[]) => {
    for (let i = 0; i < c.placeholders.length; i++) {
      if (args[2 * i + 1] !== undefined) return `${args[2 * i + 2] as string}${c.placeholders[i]}`
    }
    return ''
  })
}

/**
 * A scrubber for one run's configuration, for a writer that takes a `(text) => text` hook (the
 * ledger: `scrubberOf(config)` scrubs each JSONL line, which stays valid JSON).
 */
export function scrubberOf(config: SecretSources): (text: string) => string {
  const secrets = secretsOf(config)
  return (text) => scrubSecrets(text, secrets)
}

/** A deep copy of a JSON-like value with the secrets scrubbed from every string, keys included. */
export function scrubSecretsDeep<T>(value: T, secrets: readonly Secret[]): T {
  if (compile(secrets) === null) return value
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubSecrets(v, secrets)
    if (Array.isArray(v)) return v.map(walk)
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [scrubSecrets(k, secrets), walk(inner)]))
    }
    return v
  }
  return walk(value) as T
}

/** True when `text` holds a secret in any form the scrubber knows. */
export function containsSecret(text: string, secrets: readonly Secret[]): boolean {
  const c = compile(secrets)
  if (c === null) return false
  c.regex.lastIndex = 0
  return c.regex.test(text)
}

// ---------------------------------------------------------------------------------------------
// The process's secrets: what the CLI's console guard and error line scrub with.

const ACTIVE = Symbol.for('scim-conformance.active-secrets')

/** Adds secrets to the process-wide list (shared by every copy of this module in the process). */
export function useSecrets(secrets: readonly Secret[]): void {
  const state = globalThis as { [ACTIVE]?: Secret[] }
  const all = [...(state[ACTIVE] ?? []), ...secrets]
  state[ACTIVE] = dedupe(all).sort((a, b) => b.value.length - a.value.length)
}

/** The process-wide secrets registered with {@link useSecrets}. */
export function activeSecrets(): readonly Secret[] {
  return (globalThis as { [ACTIVE]?: Secret[] })[ACTIVE] ?? []
}

/** Clears the process-wide list (tests). */
export function clearActiveSecrets(): void {
  delete (globalThis as { [ACTIVE]?: Secret[] })[ACTIVE]
  delete (globalThis as { [WARNED]?: boolean })[WARNED]
  delete (globalThis as { [FETCHED]?: Secret[] })[FETCHED]
}
