import { resolve } from 'node:path'
import type { Exchange, RecordedRequest } from '../http/exchange.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import { builtInVendor } from '../profile/vendors.ts'
import { TOKEN_PLACEHOLDER, withoutUserinfo } from '../secrets.ts'
import { BASIC_CURL_ARGS, isBasicCredential } from '../http/to-curl.ts'
import type { Finding } from '../checks/types.ts'

/**
 * A failure's reproduction (issue 16, item 4): a self-contained bash script of `curl` calls that needs
 * nothing of the run. It creates the case's test users anew with the body the check started from (the run
 * deleted its own), sends every request of the failing case in order with the ids rewritten to the new
 * users' (users the case itself created are captured from their answers, ETags sent back in `If-Match`
 * from the answers that carried them), shows the response that broke the rule, and deletes every user it
 * created. `$SCIM_BASE` is the SCIM base URL (the part before `/Users`, as `serve` prints it),
 * `$SCIM_TOKEN` the bearer token; the token itself is never written.
 */

/** One request of the case as the script sends it. */
export interface ReproductionStep {
  exchange: Exchange
  /** Words for the step's comment (a story's action); else `METHOD /Users/{u1}`. */
  action?: string
  /** Steps fired at the same instant share a number: their curls run in the background, then `wait`. */
  parallel?: number
  /** What the comment says of the answer, instead of the recorded status (e.g. a DELETE the harness's pool sent). */
  note?: string
}

/** What a reproduction is built from. */
export interface ReproductionSource {
  /** `put.replace.values-stored`. */
  checkId: string
  /** `PUT replaces every value (MUST, RFC 7644 §3.5.1)`: the header comment. */
  title: string
  finding?: Finding
  /** The vendor's SCIM base path (`/api/scim/v2`; `''` for a root base): what `$SCIM_BASE` stands for. */
  basePath: string
  /**
   * The users the case ran on, created first: their run ids (rewritten) and the bodies to POST. A `borrowed`
   * one is the run's `--user-id` user: never created or deleted, but saved, put into the state the case
   * started from, and put back as it was at the end (as the run does), from `$SCIM_USER_ID`.
   */
  users: readonly { id: string; body: Record<string, unknown>; version?: string | null; borrowed?: boolean }[]
  /** Content-Type of the POSTs that create them. */
  mediaType: string
  steps: readonly ReproductionStep[]
  /** Index in `steps` of the response that broke the rule. */
  focus: number
  /** The `scim-conformance run …` command that replays the case through the harness, or null. */
  replay: string | null
}

/** Request bodies longer than this (UTF-8 bytes) are left out of the script with a note. */
export const MAX_SCRIPT_BODY_BYTES = 64 * 1024
/** The script sends at most this many requests of a case (a long case is cut, with a note). */
export const MAX_SCRIPT_STEPS = 200
/** Request bodies past this many bytes in all are left out of the script with a note (report.json stays small). */
export const MAX_SCRIPT_BODIES_BYTES = 256 * 1024

/** Headers curl sets itself (or that describe the connection, not the request). */
const NOT_REPLAYED = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'user-agent', 'expect'])

/** POSIX single quoting. */
export const sq = (text: string) => `'${text.replaceAll("'", "'\\''")}'`

// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
const BASIC_CHECK = '"${SCIM_BASIC_USER:?set SCIM_BASIC_USER}" "${SCIM_BASIC_PASSWORD?set SCIM_BASIC_PASSWORD}"'

/** A step's words on one line, safe in a `#` comment. */
const comment = (text: string) => text.replace(/[\r\n]+/g, ' ')

/** The bash script that reproduces a failing case (see the module comment). */
export function reproductionScript(source: ReproductionSource): string {
  const steps = source.steps.slice(0, MAX_SCRIPT_STEPS)
  /** Ids → shell variable (`U1`), labels (`u1`) for the comments. */
  const vars = new Map<string, string>(source.users.map((u, i) => [u.id, `U${i + 1}`]))
  /** ETag values seen in answers so far → the file label of the answer (`u1`, `3`). */
  const etags = new Map<string, string>()
  const rewrite = makeRewriter(source.basePath, vars)
  const budget = { left: MAX_SCRIPT_BODIES_BYTES }
  const focus = Math.min(source.focus, steps.length - 1)
  // A run with HTTP Basic (RFC 7617) logs in with curl -u from SCIM_BASIC_USER and SCIM_BASIC_PASSWORD.
  const basic = steps.some((step) =>
    Object.entries(step.exchange.request.headers).some(([name, value]) => isBasicCredential(name, value)),
  )
  const auth = basic ? BASIC_CURL_ARGS.join(' ') : `-H "Authorization: Bearer ${TOKEN_PLACEHOLDER}"`
  const borrows = source.users.some((u) => u.borrowed)
  const created = source.users.filter((u) => !u.borrowed).length
  const contentType = `-H ${sq(`Content-Type: ${source.mediaType}`)}`
  const lines = [
    '#!/usr/bin/env bash',
    `# ${comment(source.title)}`,
    ...(source.finding
      ? [`# Received: ${comment(source.finding.received)}`, `# Expected: ${comment(source.finding.expected)}`]
      : []),
    ...(borrows
      ? [
          "# Reproduces the failing case with curl on the user given as SCIM_USER_ID (the run's --user-id): saves it,",
          "# puts it into the state the check started from, sends the case's " +
            `${plural(steps.length, 'request')} in order, shows the response`,
        ]
      : created > 0
        ? [
            `# Reproduces the failing case with curl: creates ${plural(created, 'test user')} with the body`,
            `# the check started from, sends the case's ${plural(steps.length, 'request')} in order, ` +
              'shows the response',
          ]
        : [
            `# Reproduces the failing case with curl: sends its ${plural(steps.length, 'request')} in order, ` +
              'shows the response',
          ]),
    `# that broke the rule (step ${focus + 1}), then deletes every user it created` +
      (borrows ? ' and puts SCIM_USER_ID back as it was.' : '.'),
    ...(steps.some((step) => step.parallel !== undefined)
      ? ['# Requests fired at the same instant run in parallel (&, wait): a race may take a few runs to lose again.']
      : []),
    '# SCIM_BASE: the SCIM base URL (the part before /Users, as `scim-conformance serve` prints it);',
    basic ? '# SCIM_BASIC_USER, SCIM_BASIC_PASSWORD: the Basic credentials.' : '# SCIM_TOKEN: the bearer token.',
    ...(borrows ? ['# SCIM_USER_ID: the id of an existing user the script may change and puts back.'] : []),
    ...(source.replay ? ['# The same case through the harness:', `#   ${comment(source.replay)}`] : []),
    ...(source.steps.length > steps.length
      ? [`# (The case sent ${source.steps.length} requests: the first ${steps.length} are replayed.)`]
      : []),
    'set -u',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    `: "\${SCIM_BASE:?set SCIM_BASE to the SCIM base URL}" ${basic ? BASIC_CHECK : '"${SCIM_TOKEN:?set SCIM_TOKEN}"'}` +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      (borrows ? ' "${SCIM_USER_ID:?set SCIM_USER_ID to the user given as --user-id}"' : ''),
    'T=$(mktemp -d)',
    // The id of a created user: JSON.parse where node is, else the first "id" member of the body.
    'id_of() {',
    '  if command -v node >/dev/null 2>&1; then',
    `    node -e 'try{const b=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));` +
      `process.stdout.write(typeof b.id==="string"?b.id:"")}catch{}' "$T/b$1"`,
    `  else grep -o '"id" *: *"[^"]*"' "$T/b$1" | head -n 1 | sed 's/.*"\\([^"]*\\)"$/\\1/'; fi`,
    '}',
    `etag_of() { sed -n 's/^[Ee][Tt][Aa][Gg]:[[:space:]]*//p' "$T/h$1" | tr -d '\\r' | head -n 1; }`,
    'status_of() { cat "$T/s$1" 2>/dev/null; }',
    'cleanup() {',
    // The borrowed user first, while its saved state is still in $T: the whole representation, as the run restores it.
    '  for v in $BORROWED; do',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell indirect expansion, not a template
    '    id=${!v:-}',
    `    code=$(curl -sS -g -X PUT "$SCIM_BASE/Users/$id" ${auth} ${contentType} --data-binary @"$T/saved$v" ` +
      `-o /dev/null -w '%{http_code}')`,
    '    echo "restored $v=$id: HTTP $code"',
    '  done',
    '  for v in $CREATED; do',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell indirect expansion, not a template
    '    id=${!v:-}',
    '    [ -n "$id" ] || continue',
    `    code=$(curl -sS -g -X DELETE "$SCIM_BASE/Users/$id" ${auth} -o /dev/null -w '%{http_code}')`,
    '    echo "deleted $v=$id: HTTP $code"',
    '  done',
    '  rm -rf "$T"',
    '}',
    'CREATED=""',
    'BORROWED=""',
    'trap cleanup EXIT',
    // Ctrl-C and kill end the script through its EXIT trap: the users it created are deleted all the same.
    "trap 'exit 130' INT TERM",
  ]
  source.users.forEach((user, i) => {
    const label = `u${i + 1}`
    const variable = `U${i + 1}`
    const body = JSON.stringify(user.body)
    if (user.borrowed) {
      lines.push(
        '',
        `# Test user ${label}: the user given as SCIM_USER_ID, saved as it is now, then put into the state the check`,
        '# started from (the user as the run read it, less its readOnly attributes).',
        `${variable}="$SCIM_USER_ID"`,
        `code=$(curl -sS -g "$SCIM_BASE/Users/$${variable}" ${auth} -o "$T/saved${variable}" -w '%{http_code}')`,
        `[ "$code" = 200 ] || { echo "could not read the user SCIM_USER_ID=$${variable}: HTTP $code"; exit 1; }`,
        `BORROWED="$BORROWED ${variable}"`,
        `curl -sS -g -X PUT "$SCIM_BASE/Users/$${variable}" ${auth} ${contentType} --data-raw ${sq(body)} ` +
          `-D "$T/h${label}" -o "$T/b${label}" -w '%{http_code}' > "$T/s${label}"`,
        `echo "${label}=$${variable} (HTTP $(status_of ${label}))"`,
      )
      if (user.version) etags.set(user.version, label)
      return
    }
    lines.push(
      '',
      `# Test user ${label}: the body the check started from (the user as created, less its readOnly attributes).`,
      `curl -sS -g -X POST "$SCIM_BASE/Users" ${auth} -H ${sq(`Content-Type: ${source.mediaType}`)} ` +
        `--data-raw ${sq(body)} -D "$T/h${label}" -o "$T/b${label}" -w '%{http_code}' > "$T/s${label}"`,
      `${variable}=$(id_of ${label})`,
      `[ -n "$${variable}" ] || { echo "could not create test user ${label}: HTTP $(status_of ${label})"; ` +
        `cat "$T/b${label}"; echo; exit 1; }`,
      `CREATED="$CREATED ${variable}"`,
      `echo "${label}=$${variable} (HTTP $(status_of ${label}))"`,
    )
    if (user.version) etags.set(user.version, label)
  })
  let nextUser = source.users.length + 1
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]
    const { request, response } = step.exchange
    const n = String(i + 1)
    const together = step.parallel !== undefined
    const lost = `no answer${step.exchange.error ? ` (${step.exchange.error.code})` : ''}`
    const answer = step.note ?? `recorded: ${response ? `HTTP ${response.status}` : lost}`
    lines.push('', `# ${n}. ${comment(step.action ?? rewrite.describe(request))} (${answer})`)
    if (i === focus) lines.push('# ^ the response that broke the rule.')
    const files = `-D "$T/h${n}" -o "$T/b${n}" -w '%{http_code}' > "$T/s${n}"`
    lines.push(`${curlOf(request, rewrite, etags, budget)} ${files}${together ? ' &' : ''}`)
    const groupEnds = together && steps[i + 1]?.parallel !== step.parallel
    if (groupEnds) lines.push('wait')
    // Shown once the step (or its group) is done.
    const shown = together ? (groupEnds ? groupOf(steps, i) : []) : [i]
    for (const k of shown) lines.push(...showStep(k, focus, steps[k]))
    for (const k of shown) {
      const e = steps[k].exchange
      const etag = e.response?.headers.etag
      if (etag) etags.set(etag, String(k + 1))
      const id = createdId(e, vars)
      if (id === null) continue
      const variable = `U${nextUser}`
      vars.set(id, variable)
      lines.push(
        `${variable}=$(id_of ${k + 1})`,
        `[ -n "$${variable}" ] && CREATED="$CREATED ${variable}" && echo "u${nextUser}=$${variable}"`,
      )
      nextUser++
    }
  }
  return `${lines.join('\n')}\n`
}

/** The steps of the parallel group that ends at `end`. */
function groupOf(steps: readonly ReproductionStep[], end: number): number[] {
  let start = end
  while (start > 0 && steps[start - 1].parallel === steps[end].parallel) start--
  return Array.from({ length: end - start + 1 }, (_, k) => start + k)
}

/** What the script prints for a step: its status; for the focus, its headers and body too. */
function showStep(k: number, focus: number, step: ReproductionStep): string[] {
  const n = k + 1
  if (k !== focus) return [`echo "step ${n}: HTTP $(status_of ${n})"`]
  const recorded = step.exchange.response ? `HTTP ${step.exchange.response.status}` : 'no answer'
  return [
    `echo "step ${n}: HTTP $(status_of ${n}) <- the response that broke the rule (recorded: ${recorded})"`,
    `cat "$T/h${n}" "$T/b${n}" 2>/dev/null; echo`,
    'echo "-- end of response"',
  ]
}

/** The id of a user a step created (a 2xx POST /Users, a PUT answered 201) when its answer names a new one. */
function createdId(e: Exchange, known: ReadonlyMap<string, string>): string | null {
  const status = e.response?.status ?? 0
  const method = e.request.method.toUpperCase()
  if (!((method === 'POST' && status >= 200 && status < 300) || (method === 'PUT' && status === 201))) return null
  const body = e.response?.body
  const id = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).id : undefined
  return typeof id === 'string' && id !== '' && !known.has(id) ? id : null
}

interface Rewriter {
  /** The URL as a shell word: `"$SCIM_BASE"'/Users/'"$U1"`; a URL outside the SCIM base stays literal. */
  url(url: string): string
  /** A body as a shell word, the ids of the case's users as `"$U1"`. */
  body(body: string): string
  /** `PUT /Users/{u1}` */
  describe(request: RecordedRequest): string
}

function makeRewriter(basePath: string, vars: ReadonlyMap<string, string>): Rewriter {
  const pieces = (text: string, minLength: number, wrap: (id: string) => string): (string | { v: string })[] => {
    let out: (string | { v: string })[] = [text]
    // Longer ids first: an id that contains another is replaced whole.
    for (const id of [...vars.keys()].sort((a, b) => b.length - a.length)) {
      if (id.length < minLength) continue
      const needle = wrap(id)
      out = out.flatMap((p) => {
        if (typeof p !== 'string') return [p]
        const parts = p.split(needle)
        return parts.flatMap((part, k) => (k === 0 ? [part] : [{ v: vars.get(id)! }, part]))
      })
    }
    return out
  }
  /** Literal text single-quoted (adjacent pieces as one), each id as `"$U1"` between the literals `around` gives. */
  const word = (parts: (string | { v: string })[], around: [string, string]) => {
    const tokens: (string | { v: string })[] = []
    const literal = (text: string) => {
      if (typeof tokens.at(-1) === 'string') tokens[tokens.length - 1] += text
      else tokens.push(text)
    }
    for (const p of parts) {
      if (typeof p === 'string') literal(p)
      else {
        literal(around[0])
        tokens.push(p)
        literal(around[1])
      }
    }
    return tokens.map((t) => (typeof t === 'string' ? (t === '' ? '' : sq(t)) : `"$${t.v}"`)).join('') || "''"
  }
  const relative = (url: string): string | null => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return null
    }
    const at = basePath === '' ? 0 : parsed.pathname.indexOf(`${basePath}/`)
    if (at === -1) return null
    return parsed.pathname.slice(at + basePath.length) + parsed.search
  }
  return {
    url(url) {
      const rest = relative(url)
      if (rest === null) return sq(withoutUserinfo(url))
      // Ids in a path segment: percent-encoded as the harness sent them.
      const parts = pieces(rest, 1, (id) => `/Users/${encodeURIComponent(id)}`)
      return `"$SCIM_BASE"${rest === '' ? '' : word(parts, ['/Users/', ''])}`
    },
    body(body) {
      // Ids as whole JSON strings only (and not too short to be told from other values).
      return word(
        pieces(body, 6, (id) => JSON.stringify(id)),
        ['"', '"'],
      )
    },
    describe(request) {
      const rest = relative(request.url)
      if (rest === null) return `${request.method} ${withoutUserinfo(request.url)}`
      const parts = pieces(rest, 1, (id) => `/Users/${encodeURIComponent(id)}`)
      const path = parts.map((p) => (typeof p === 'string' ? p : `/Users/{${p.v.toLowerCase()}}`)).join('')
      return `${request.method} ${path}`
    },
  }
}

/** One curl command for a recorded request: ids rewritten, ETags taken from the answers that carried them. */
function curlOf(
  request: RecordedRequest,
  rewrite: Rewriter,
  etags: ReadonlyMap<string, string>,
  budget: { left: number },
): string {
  const method = /^[A-Za-z]+$/.test(request.method) ? request.method : request.method.replace(/[^\x21-\x7e]/g, '')
  const parts = ['curl', '-sS', '-g', '-X', sq(method), rewrite.url(request.url)]
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase()
    if (NOT_REPLAYED.has(lower)) continue
    if (isBasicCredential(name, value)) {
      parts.push(...BASIC_CURL_ARGS)
      continue
    }
    const display = name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase())
    if ((lower === 'if-match' || lower === 'if-none-match') && etags.has(value)) {
      parts.push('-H', `${sq(`${display}: `)}"$(etag_of ${etags.get(value)})"`)
      continue
    }
    parts.push('-H', header(display, value))
  }
  if (request.body === null) return parts.join(' ')
  if (!Object.keys(request.headers).some((name) => name.toLowerCase() === 'content-type'))
    parts.push('-H', sq('Content-Type:'))
  const bytes = Buffer.byteLength(request.body, 'utf8')
  if (bytes > MAX_SCRIPT_BODY_BYTES || bytes > budget.left || request.body.includes('\0')) {
    const why = request.body.includes('\0')
      ? 'it holds NUL bytes'
      : bytes > MAX_SCRIPT_BODY_BYTES
        ? `${bytes} bytes > 64 KiB`
        : `${bytes} bytes past the script's 256 KiB of bodies`
    return `${parts.join(' ')} --data-binary @body.json  # body left out (${why}): save the recorded body as body.json`
  }
  budget.left -= bytes
  parts.push('--data-raw', rewrite.body(request.body))
  return parts.join(' ')
}

/** A header as one curl argument; the token placeholder stays double-quoted for the shell to expand. */
function header(name: string, value: string): string {
  // `-H 'Name:'` would remove the header; `Name;` sends it empty.
  if (value === '') return sq(`${name};`)
  return `${name}: ${value}`
    .split(TOKEN_PLACEHOLDER)
    .map((piece) => (piece === '' ? '' : sq(piece)))
    .join(`"${TOKEN_PLACEHOLDER}"`)
}

const plural = (n: number, word: string) => `${n === 0 ? 'no' : n} ${word}${n === 1 ? '' : 's'}`

/**
 * `scim-conformance run --target … --vendor … --seed … --only … --path …`: the command that replays the
 * case through the harness (the token from `SCIM_TOKEN`). `target` is the run's `--target` (the URL before
 * the vendor's base path, userinfo left out).
 */
export function replayCommand(options: {
  target: string | null
  profile: Pick<VendorProfile, 'name' | 'specPath'>
  seed: number
  runs: number
  defaultRuns: number
  strictRfc: boolean
  checkId: string
  path: string | null
  /** `--user-id` of the run: the replay borrows the same user. @defaultValue null */
  userId?: string | null
}): string {
  const { profile } = options
  const builtIn = builtInVendor(profile.name)
  const vendor = builtIn ? ['--vendor', profile.name] : []
  const spec =
    builtIn && resolve(builtIn.specPath) === resolve(profile.specPath) ? [] : ['--spec', sq(profile.specPath)]
  return [
    'scim-conformance run',
    ...(options.target ? ['--target', sq(withoutUserinfo(options.target))] : []),
    ...vendor,
    ...spec,
    '--seed',
    String(options.seed),
    ...(options.runs === options.defaultRuns ? [] : ['--runs', String(options.runs)]),
    ...(options.strictRfc ? ['--strict-rfc'] : []),
    ...(options.userId ? ['--user-id', sq(options.userId)] : []),
    '--only',
    options.checkId,
    ...(options.path === null ? [] : ['--path', options.path]),
  ].join(' ')
}

/** The `--target` of a recorded request: its URL up to the vendor's base path (or up to `/Users`), or null. */
export function targetOf(url: string, basePath: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  const at = parsed.pathname.indexOf(basePath === '' ? '/Users' : `${basePath}/`)
  return at === -1 ? null : `${parsed.protocol}//${parsed.host}${parsed.pathname.slice(0, at)}`
}
