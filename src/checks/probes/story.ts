import type { Exchange, RecordedRequest } from '../../http/exchange.ts'
import { TOKEN_PLACEHOLDER } from '../../secrets.ts'
import { BASIC_CURL_ARGS, isBasicCredential } from '../../http/to-curl.ts'
import type { Story, StoryStep } from '../types.ts'

/**
 * A failing sequence (or race) as a story: its numbered steps, and a bash script that replays them with
 * curl against `$SCIM_BASE` (the SCIM base URL, the part before `/Users`) with `$SCIM_TOKEN`. Ids the
 * server assigned are captured from the POSTs that created them (`U1=$(curl … | id_of)`), so the script
 * runs against any server; it deletes the users it created at the end.
 */

/** What a story is built from: steps and their exchanges (same order), and the user label a POST step created. */
export interface StorySource {
  steps: readonly StoryStep[]
  exchanges: readonly Exchange[]
  /** Per step: the label (`u1`) of the user that step's POST created, else null. */
  creates: readonly (string | null)[]
  /** User id → label. */
  labels: ReadonlyMap<string, string>
  /** Steps fired at the same instant (a race) share a number; their curls run in parallel. */
  parallel?: readonly (number | undefined)[]
}

/** POSIX single quoting. */
const sq = (text: string) => `'${text.replaceAll("'", "'\\''")}'`
/** The shell variable of a user label: `u1` → `U1`. */
const variable = (label: string) => label.toUpperCase().replace(/[^A-Z0-9_]/g, '_')

/** The part of a recorded URL from `/Users` on (after `$SCIM_BASE`), known ids as `$U1`, quoted for the shell. */
function target(request: RecordedRequest, labels: ReadonlyMap<string, string>): string {
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return sq(request.url)
  }
  const match = /^.*?\/Users(?:\/([^/]+))?(.*)$/.exec(url.pathname)
  if (!match) return sq(request.url)
  const label = match[1] === undefined ? undefined : labels.get(decodeURIComponent(match[1]))
  if (!label) return `"$SCIM_BASE"${sq(url.pathname.slice(url.pathname.indexOf('/Users')) + url.search)}`
  const rest = match[2] + url.search
  return `"$SCIM_BASE/Users/$${variable(label)}"${rest ? sq(rest) : ''}`
}

/** A header as a curl argument; the token placeholder stays double-quoted for the shell to expand. */
function header(name: string, value: string): string {
  const line = `${name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase())}: ${value}`
  return line
    .split(TOKEN_PLACEHOLDER)
    .map((piece) => (piece === '' ? '' : sq(piece)))
    .join(`"${TOKEN_PLACEHOLDER}"`)
}

const REPLAYED_HEADERS = new Set(['authorization', 'content-type', 'if-match', 'if-none-match', 'accept'])

/** One curl command for a recorded request. */
export function curlOf(request: RecordedRequest, labels: ReadonlyMap<string, string>): string {
  const parts = ['curl', '-sS', '-g', '-X', sq(request.method), target(request, labels)]
  for (const [name, value] of Object.entries(request.headers))
    if (isBasicCredential(name, value)) parts.push(...BASIC_CURL_ARGS)
    else if (REPLAYED_HEADERS.has(name.toLowerCase())) parts.push('-H', header(name.toLowerCase(), value))
  if (request.body !== null) parts.push('--data-raw', sq(request.body))
  return parts.join(' ')
}

/** The replay script of the first `upTo` steps. */
export function replayScript(source: StorySource, upTo: number, title: string): string {
  const basic = source.exchanges
    .slice(0, upTo)
    .some((e) => Object.entries(e.request.headers).some(([n, v]) => isBasicCredential(n, v)))
  const lines = [
    '#!/usr/bin/env bash',
    `# ${title}: the ${upTo} step(s) of the story, replayed with curl.`,
    basic
      ? '# SCIM_BASE is the SCIM base URL (the part before /Users); SCIM_BASIC_USER and SCIM_BASIC_PASSWORD log in.'
      : '# SCIM_BASE is the SCIM base URL (the part before /Users), SCIM_TOKEN the bearer token.',
    'set -u',
    basic
      ? // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        ': "${SCIM_BASE:?set SCIM_BASE}" "${SCIM_BASIC_USER:?set SCIM_BASIC_USER}" "${SCIM_BASIC_PASSWORD?}"'
      : // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        ': "${SCIM_BASE:?set SCIM_BASE}" "${SCIM_TOKEN:?set SCIM_TOKEN}"',
    `id_of() { grep -o '"id" *: *"[^"]*"' | head -n 1 | sed 's/.*"\\([^"]*\\)"$/\\1/'; }`,
  ]
  const created: string[] = []
  let auth: string | null = null
  for (let i = 0; i < upTo; i++) {
    const step = source.steps[i]
    const request = source.exchanges[i].request
    const curl = curlOf(request, source.labels)
    const authorization = Object.entries(request.headers).find(([n]) => n.toLowerCase() === 'authorization')
    auth ??= !authorization
      ? null
      : isBasicCredential(...authorization)
        ? BASIC_CURL_ARGS.join(' ')
        : `-H ${header('authorization', authorization[1])}`
    const together = source.parallel?.[i]
    lines.push('', `# ${step.n}. ${step.action.replace(/\n/g, ' ')}`)
    const label = source.creates[i]
    if (label) {
      lines.push(`${variable(label)}=$(${curl} | id_of)`, `echo "${label}=$${variable(label)}"`)
      created.push(label)
    } else lines.push(`${curl} -w '\\n%{http_code}\\n'${together === undefined ? '' : ' &'}`)
    if (together !== undefined && source.parallel?.[i + 1] !== together) lines.push('wait')
  }
  if (created.length > 0) {
    lines.push('', '# Clean up: delete the users the script created.')
    const credential = auth ? ` ${auth}` : ''
    for (const label of created) {
      const url = `"$SCIM_BASE/Users/$${variable(label)}"`
      lines.push(`curl -sS -g -X DELETE ${url}${credential} -o /dev/null -w '%{http_code}\\n'`)
    }
  }
  return `${lines.join('\n')}\n`
}

/** The story of the first `upTo` steps: the steps, and their replay script. */
export function storyOf(source: StorySource, upTo: number, title: string): Story {
  return { steps: source.steps.slice(0, upTo).map((s) => ({ ...s })), script: replayScript(source, upTo, title) }
}
