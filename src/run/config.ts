import { randomInt, randomUUID } from 'node:crypto'
import { isAbsolute, relative, resolve } from 'node:path'
import { UsageError } from '../errors.ts'
import { defaultDeadlineMs } from '../http/deadline.ts'
import { harFileProblem } from './har-spool.ts'
import type { BasicSettings, OAuthSettings } from '../http/auth.ts'
import { authConfig } from './auth-config.ts'

/** Everything one conformance run needs, from flags (CLI) or environment variables (plain `vitest run suites`). */
export interface RunConfig {
  vendor: string
  spec: string | null
  /** Target base URL; null = start the embedded reference server. */
  target: string | null
  token: string | null
  /** `--basic`: HTTP Basic (RFC 7617) from SCIM_BASIC_USER / SCIM_BASIC_PASSWORD, or null. */
  basic: BasicSettings | null
  /** `--oauth-token-url`: OAuth 2.0 client credentials (RFC 6749 §4.4), the secret from SCIM_CLIENT_SECRET, or null. */
  oauth: OAuthSettings | null
  /** `--header 'Name: value'`: sent with every request (names lower-cased). */
  headers: Record<string, string>
  seed: number
  runs: number
  /** Cases tried while shrinking a failing case, per check; 0 reports the first failing case as found. */
  maxShrinks: number
  concurrency: number
  /** Starts per second (a hard limit), `'auto'` (start fast, slow down on 429s), or null (unlimited). */
  rate: number | 'auto' | null
  timeoutMs: number
  /** Longest one whole exchange may take (headers and entire body), on top of the idle `timeoutMs`. */
  deadlineMs: number
  only: string[]
  skip: string[]
  failOn: 'must' | 'should'
  reportDir: string
  userId: string | null
  /** fast-check path of one case to replay (`--path`, with `--seed` and `--only` naming one check), or null. */
  path: string | null
  strictRfc: boolean
  /** Let the spec's `$ref`s fetch http(s) URLs (`--allow-remote-refs`); local files stay confined to its folder. */
  allowRemoteRefs: boolean
  /** Short id stamped into every test user's userName so leftovers can be found. */
  runId: string
  /**
   * `--har FILE`: every exchange of the run written there as HAR 1.2 (src/run/har-spool.ts, src/report/har.ts), or
   * null.
   */
  har: string | null
}

/**
 * Environment variable names: what a plain `vitest run --config suites/vitest.config.ts` reads (the CLI takes flags,
 * and the token also from SCIM_TOKEN).
 */
export const ENV = {
  vendor: 'SCIM_VENDOR',
  spec: 'SCIM_SPEC',
  target: 'SCIM_TARGET',
  token: 'SCIM_TOKEN',
  seed: 'SCIM_SEED',
  runs: 'SCIM_RUNS',
  maxShrinks: 'SCIM_MAX_SHRINKS',
  concurrency: 'SCIM_CONCURRENCY',
  rate: 'SCIM_RATE',
  timeoutMs: 'SCIM_TIMEOUT_MS',
  deadlineMs: 'SCIM_DEADLINE_MS',
  only: 'SCIM_ONLY',
  skip: 'SCIM_SKIP',
  failOn: 'SCIM_FAIL_ON',
  reportDir: 'SCIM_REPORT_DIR',
  userId: 'SCIM_USER_ID',
  path: 'SCIM_PATH',
  strictRfc: 'SCIM_STRICT_RFC',
  allowRemoteRefs: 'SCIM_ALLOW_REMOTE_REFS',
  runId: 'SCIM_RUN_ID',
  har: 'SCIM_HAR',
  oauthTokenUrl: 'SCIM_OAUTH_TOKEN_URL',
  clientId: 'SCIM_CLIENT_ID',
  clientSecret: 'SCIM_CLIENT_SECRET',
  scope: 'SCIM_SCOPE',
  audience: 'SCIM_AUDIENCE',
  resource: 'SCIM_RESOURCE',
  basic: 'SCIM_BASIC',
  basicUser: 'SCIM_BASIC_USER',
  basicPassword: 'SCIM_BASIC_PASSWORD',
  /** Extra headers, one `Name: value` a line. */
  headers: 'SCIM_HEADERS',
} as const

export const DEFAULT_RUNS = 50
/** Each shrink try is a request or two to the target: enough to shrink a case to its core, bounded for real servers. */
export const DEFAULT_MAX_SHRINKS = 100

type Raw = Partial<Record<Exclude<keyof typeof ENV, 'headers'>, string | boolean | undefined>> & {
  /** Repeated `--header` flags, or SCIM_HEADERS (one a line). */
  headers?: string | readonly string[]
}

/** Validates raw values (flags or env) into a RunConfig; every bad value is a `UsageError` naming the flag. */
export function buildConfig(raw: Raw): RunConfig {
  const str = (k: keyof typeof ENV): string | null => {
    const v = raw[k]
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : null
  }
  const bool = (k: keyof typeof ENV): boolean => {
    const v = raw[k]
    return v === true || (typeof v === 'string' && /^(1|true|yes|on)$/i.test(v.trim()))
  }
  const int = (k: keyof typeof ENV, fallback: number, min: number, max: number): number => {
    const v = str(k)
    if (v === null) return fallback
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new UsageError(`--${flagName(k)} must be a whole number from ${min} to ${max}, got "${v}".`)
    }
    return Number(v)
  }
  const target = str('target')
  if (target !== null) {
    let url: URL
    try {
      url = new URL(target)
    } catch {
      throw new UsageError(`--target must be an absolute http(s) URL, got "${target}".`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError(`--target must use http or https, got "${url.protocol}".`)
  }
  const failOn = str('failOn') ?? 'must'
  if (failOn !== 'must' && failOn !== 'should')
    throw new UsageError(`--fail-on must be "must" or "should", got "${failOn}".`)
  const list = (k: keyof typeof ENV) =>
    (str(k) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  const rate = str('rate')
  if (rate !== null && rate !== 'auto' && !(Number(rate) > 0 && Number.isFinite(Number(rate))))
    throw new UsageError(`--rate must be a positive number of requests per second or "auto", got "${rate}".`)
  const timeoutMs = int('timeoutMs', 10_000, 1, 600_000)
  const path = str('path')
  if (path !== null) {
    if (!/^\d+(:\d+)*$/.test(path))
      throw new UsageError(`--path must be a fast-check path such as 3:0:1, got "${path}".`)
    const only = list('only')
    if (str('seed') === null || only.length !== 1 || only[0].endsWith('*'))
      throw new UsageError(
        '--path replays one case of one check: pass it with --seed N and --only CHECK-ID, as the failure printed them.',
      )
  }
  const secret = (k: 'clientSecret' | 'basicUser' | 'basicPassword') => {
    const v = raw[k]
    return typeof v === 'string' ? v : undefined
  }
  const auth = authConfig({
    ...raw,
    clientSecret: secret('clientSecret'),
    basicUser: secret('basicUser'),
    basicPassword: secret('basicPassword'),
    token: str('token'),
  })
  if (target === null && (auth.basic !== null || auth.oauth !== null))
    throw new UsageError(
      `${auth.basic ? '--basic' : '--oauth-token-url'} needs --target URL: ` +
        'the embedded reference server takes a bearer token.',
    )
  return {
    vendor: str('vendor') ?? 'lightdash',
    spec: fromWorkingDir(str('spec')),
    target,
    token: str('token'),
    ...auth,
    seed: int('seed', randomInt(0, 2 ** 31 - 1), 0, 2 ** 31 - 1),
    runs: int('runs', DEFAULT_RUNS, 1, 1_000_000),
    maxShrinks: int('maxShrinks', DEFAULT_MAX_SHRINKS, 0, 1_000_000),
    concurrency: int('concurrency', 8, 1, 256),
    rate: rate === null || rate === 'auto' ? rate : Number(rate),
    timeoutMs,
    deadlineMs: int('deadlineMs', defaultDeadlineMs(timeoutMs), 1, 3_600_000),
    only: list('only'),
    skip: list('skip'),
    failOn,
    reportDir: fromWorkingDir(str('reportDir') ?? 'reports'),
    userId: str('userId'),
    path,
    strictRfc: bool('strictRfc'),
    allowRemoteRefs: bool('allowRemoteRefs'),
    runId: str('runId') ?? randomUUID().slice(0, 8),
    har: harOf(str('har')),
  }
}

/** The --har file, absolute; a path no file can be written at is a one-line usage error. */
function harOf(file: string | null): string | null {
  if (file === null) return null
  const problem = harFileProblem(file)
  if (problem) throw new UsageError(problem)
  return fromWorkingDir(file)
}

/**
 * The target as the harness joins paths to it (`<target><basePath>/Users`). The SCIM base URL that `serve` prints
 * (the origin plus the vendor's base path), or that URL with `/Users`, is taken back to what precedes the base path:
 * `--target http://h` and `--target http://h/api/scim/v2` give the same run. Any other path is kept as given.
 */
export function scimTarget(target: string, basePath: string): string {
  const url = new URL(target)
  const path = url.pathname.replace(/\/+$/, '')
  let kept = path.replace(/\/Users$/, '')
  if (basePath !== '' && kept.endsWith(basePath)) kept = kept.slice(0, -basePath.length)
  if (kept === path) return target
  url.pathname = kept === '' ? '/' : kept
  return kept === '' ? url.href.replace(/\/(?=$|[?#])/, '') : url.href
}

/**
 * A relative path taken from the user's working directory, once, here: everything downstream (vitest, whose root
 * is the package's own folder, its workers, the reporters) gets an absolute path. URLs stay as they are.
 */
function fromWorkingDir<T extends string | null>(path: T): T {
  return (path === null || /^[a-z][a-z\d+.-]+:\/\//i.test(path) ? path : resolve(path)) as T
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel
}

export function flagName(key: keyof typeof ENV): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

/** Reads the run's configuration from `SCIM_*` environment variables. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RunConfig {
  const raw: Raw = {}
  for (const [key, name] of Object.entries(ENV) as [keyof typeof ENV, string][]) raw[key] = env[name]
  return buildConfig(raw)
}
