import { appendFileSync, closeSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { renameSync } from 'node:fs'
import type { CheckResult } from '../checks/types.ts'
import type { ScimClient } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'
import { boundExchange } from '../http/bounded-json.ts'
import { scrubSecrets, scrubSecretsDeep, type Secret } from '../secrets.ts'
import { caseInProgress, checkInProgress } from '../run/send-gate.ts'

/**
 * `--har FILE`: every exchange of a run as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/). The run's
 * client (in the suites' worker) appends each exchange, bounded (src/http/bounded-json.ts) and scrubbed of every
 * secret, as one line to a spool file; at the end of the run the reporter (main thread) writes the HAR from it,
 * entries sorted by start, one at a time: memory holds an index, never the bodies. Each entry carries `_checkId`:
 * the check that sent it, or null for the run's own requests (discovery, the listing of existing users, learning
 * the server's constraints); and `_case`: the case of that check it belongs to (src/run/run-check.ts: the case's
 * fast-check path, as a result's `path` and `--path` name it; `single` for a check of one case), or null for the
 * check's set-up and clean-up (its test users). Each result links to its entries (CheckResult.har).
 */

/** What report.json says of the HAR: where it is, and how a result's entries are found in it. */
export interface HarLink {
  file: string
  entries: number
  /**
   * A result's entries are those whose `_checkId` is the result's id; those of the case it reports, those whose
   * `_case` is also the result's `case` (their indices: the result's `har.caseEntries`).
   */
  filter: '_checkId'
  /** Entries per check id (the run's own requests under `(run)`). */
  byCheck: Record<string, number>
}

interface HarHeader {
  name: string
  value: string
}

/** One HAR 1.2 entry, with the harness's custom fields. */
export interface HarEntry {
  startedDateTime: string
  time: number
  request: {
    method: string
    url: string
    httpVersion: string
    cookies: []
    headers: HarHeader[]
    queryString: HarHeader[]
    postData?: { mimeType: string; text: string }
    headersSize: -1
    bodySize: number
  }
  response: {
    status: number
    statusText: string
    httpVersion: string
    cookies: []
    headers: HarHeader[]
    content: { size: number; mimeType: string; text?: string; comment?: string }
    redirectURL: string
    headersSize: -1
    bodySize: number
    _error?: { code: string; message: string }
  }
  cache: Record<string, never>
  timings: { send: number; wait: number; receive: number }
  /** The check that sent the request; null for the run's own (discovery, setup). */
  _checkId: string | null
  /** The check's case the request belongs to (its fast-check path, or `single`); null outside any case. */
  _case: string | null
  /** How the request fared against a 429 (src/http/client.ts). */
  _rateLimited?: Exchange['rateLimited']
}

/** Where the run's worker spools the entries for `har`: one file per run and process (worker threads share it). */
export function harSpoolPath(config: { runId: string }): string {
  return join(tmpdir(), `scim-conformance-har-${config.runId.replace(/[^\w.-]/g, '_')}-${process.pid}.jsonl`)
}

/** The HAR file of one vendor's run when a run covers several (`--vendor all`): `run.har` → `run.cube.har`. */
export function harFileFor(file: string, vendor: string): string {
  const name = basename(file)
  const dot = name.lastIndexOf('.')
  const named = dot > 0 ? `${name.slice(0, dot)}.${vendor}${name.slice(dot)}` : `${name}.${vendor}`
  return join(dirname(file), named)
}

/** Why `--har FILE` cannot be written, in one line, or null. Creates nothing. */
export function harFileProblem(file: string): string | null {
  const path = resolve(file)
  const shown = `--har ${file}`
  if (/^\/(proc|sys|dev)(\/|$)/.test(path)) return `${shown}: a kernel file system, not a place for a HAR file`
  const info = statSync(path, { throwIfNoEntry: false })
  if (info?.isDirectory()) return `${shown}: is a folder; name a file, e.g. ${join(file, 'run.har')}`
  const parent = statSync(dirname(path), { throwIfNoEntry: false })
  if (!parent) return `${shown}: the folder ${dirname(path)} does not exist`
  if (!parent.isDirectory()) return `${shown}: ${dirname(path)} is not a folder`
  return null
}

const headerList = (headers: Record<string, string>): HarHeader[] =>
  Object.entries(headers).map(([name, value]) => ({ name, value }))

const headerOf = (headers: Record<string, string>, name: string): string | undefined =>
  Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1]

/** One exchange as a HAR entry: bounded like every recorded exchange, with the secrets scrubbed from every string. */
export function harEntry(
  exchange: Exchange,
  checkId: string | null,
  secrets: readonly Secret[],
  caseTag: string | null = null,
): HarEntry {
  const scrub = (text: string) => scrubSecrets(text, secrets)
  const { request, response, error } = boundExchange(exchange, scrub)
  let queryString: HarHeader[] = []
  try {
    queryString = [...new URL(request.url).searchParams].map(([name, value]) => ({ name, value }))
  } catch {
    // Not a URL (never from the client): no query.
  }
  const sentBytes = exchange.request.body === null ? 0 : Buffer.byteLength(exchange.request.body)
  const receivedBytes = exchange.response ? Buffer.byteLength(exchange.response.bodyText) : 0
  const entry: HarEntry = {
    startedDateTime: exchange.startedAt,
    time: exchange.durationMs,
    request: {
      method: request.method,
      url: request.url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headerList(request.headers),
      queryString,
      ...(request.body !== null && {
        postData: { mimeType: headerOf(request.headers, 'content-type') ?? '', text: request.body },
      }),
      headersSize: -1,
      bodySize: sentBytes,
    },
    response: response
      ? {
          status: response.status,
          statusText: STATUS_CODES[response.status] ?? '',
          httpVersion: 'HTTP/1.1',
          cookies: [],
          headers: headerList(response.headers),
          content: {
            size: receivedBytes,
            mimeType: headerOf(response.headers, 'content-type') ?? '',
            text: response.bodyText,
            ...(response.truncated && { comment: 'the body was longer than the client keeps: cut' }),
          },
          redirectURL: '',
          headersSize: -1,
          bodySize: receivedBytes,
        }
      : {
          // No response (the transport failed): HAR's convention for a request that got none.
          status: 0,
          statusText: '',
          httpVersion: 'HTTP/1.1',
          cookies: [],
          headers: [],
          content: { size: 0, mimeType: '' },
          redirectURL: '',
          headersSize: -1,
          bodySize: -1,
          ...(error && { _error: error }),
        },
    cache: {},
    timings: { send: 0, wait: exchange.durationMs, receive: 0 },
    _checkId: checkId,
    _case: checkId === null ? null : caseTag,
    ...(exchange.rateLimited && { _rateLimited: exchange.rateLimited }),
  }
  return scrubSecretsDeep(entry, secrets)
}

/**
 * The run's client, each exchange also appended to the spool as a HAR entry tagged with the check and case in
 * progress (src/run/send-gate.ts). Synchronous appends: every exchange answered is on disk before its check goes on.
 */
export function harRecorded(client: ScimClient, spool: string, secrets: readonly Secret[]): ScimClient {
  return {
    get exchangeCount() {
      return client.exchangeCount
    },
    get rateLimit() {
      return client.rateLimit
    },
    async send(options) {
      const exchange = await client.send(options)
      appendFileSync(spool, spoolLine(harEntry(exchange, checkInProgress(), secrets, caseInProgress())))
      return exchange
    },
    close: () => client.close(),
  }
}

/** Where a spooled entry is: its start (the sort key), its check and case, and its JSON's bytes in the spool. */
interface Spooled {
  started: string
  checkId: string | null
  caseTag: string | null
  offset: number
  length: number
}

/** A spool line: `[startedDateTime, checkId, case]`, a tab (JSON text never holds a raw one), the entry's JSON. */
export const spoolLine = (entry: HarEntry) =>
  `${JSON.stringify([entry.startedDateTime, entry._checkId, entry._case])}\t${JSON.stringify(entry)}\n`

/** The key of a check's case in {@link HarWritten.cases}. */
export const caseKey = (checkId: string, caseTag: string) => `${checkId}\t${caseTag}`

/** What {@link writeHar} wrote: report.json's link, and the entries of each case (indices in `log.entries`). */
export interface HarWritten {
  link: HarLink
  /** By {@link caseKey}: the indices of a check's case's entries, in order. */
  cases: Map<string, number[]>
}

/** Each result linked to its entries (CheckResult.har): its check's count, and the indices of its case's. */
export function linkResults(results: readonly CheckResult[], written: HarWritten): void {
  for (const r of results) {
    const caseEntries = r.case ? (written.cases.get(caseKey(r.id, r.case)) ?? []) : []
    r.har = { entries: written.link.byCheck[r.id] ?? 0, caseEntries }
  }
}

/**
 * Writes the HAR file from the spool (then removed), entries in the order they started, atomically (a temporary
 * file renamed over `file`). With no spool (no exchange was recorded) the HAR has no entries.
 */
export function writeHar(spool: string, file: string, creator: { name: string; version: string }): HarWritten {
  const index = spoolIndex(spool)
  index.sort((a, b) => (a.started < b.started ? -1 : a.started > b.started ? 1 : a.offset - b.offset))
  const temp = join(dirname(resolve(file)), `.${basename(file)}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`)
  const out = openSync(temp, 'wx', 0o644)
  const byCheck: Record<string, number> = {}
  const cases = new Map<string, number[]>()
  try {
    const head = { version: '1.2', creator, pages: [] }
    writeSync(out, `{"log":${JSON.stringify(head).slice(0, -1)},"entries":[\n`)
    if (index.length > 0) {
      const input = openSync(spool, 'r')
      try {
        index.forEach((at, i) => {
          const bytes = Buffer.alloc(at.length)
          readSync(input, bytes, 0, at.length, at.offset)
          writeSync(out, i === 0 ? bytes : Buffer.concat([Buffer.from(',\n'), bytes]))
          const key = at.checkId ?? '(run)'
          byCheck[key] = (byCheck[key] ?? 0) + 1
          if (at.checkId !== null && at.caseTag !== null) {
            const of = caseKey(at.checkId, at.caseTag)
            const list = cases.get(of)
            if (list) list.push(i)
            else cases.set(of, [i])
          }
        })
      } finally {
        closeSync(input)
      }
    }
    writeSync(out, '\n]}}\n')
  } catch (error) {
    closeSync(out)
    rmSync(temp, { force: true })
    throw error
  }
  closeSync(out)
  renameSync(temp, file)
  rmSync(spool, { force: true })
  return { link: { file, entries: index.length, filter: '_checkId', byCheck }, cases }
}

/** Each line of the spool: its key and where its entry is, read in chunks (never the whole file at once). */
function spoolIndex(spool: string): Spooled[] {
  if (!statSync(spool, { throwIfNoEntry: false })) return []
  const fd = openSync(spool, 'r')
  const out: Spooled[] = []
  try {
    const chunk = Buffer.alloc(1 << 20)
    // The start of the line in progress (its key is in its first bytes), and where that line starts.
    let head = Buffer.alloc(0)
    let lineStart = 0
    let position = 0
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, position)
      if (n === 0) break
      let from = 0
      for (;;) {
        const nl = chunk.subarray(0, n).indexOf(10, from)
        const part = chunk.subarray(from, nl === -1 ? n : nl)
        if (head.length < KEY_BYTES) head = Buffer.concat([head, part.subarray(0, KEY_BYTES - head.length)])
        if (nl === -1) break
        const end = position + nl
        const tab = head.indexOf(9)
        if (tab !== -1) {
          const [started, checkId, caseTag = null] = JSON.parse(head.toString('utf8', 0, tab)) as [
            string,
            string | null,
            (string | null)?,
          ]
          out.push({ started, checkId, caseTag, offset: lineStart + tab + 1, length: end - (lineStart + tab + 1) })
        }
        head = Buffer.alloc(0)
        lineStart = end + 1
        from = nl + 1
      }
      position += n
    }
  } finally {
    closeSync(fd)
  }
  return out
}

/** Bytes of a spool line's head that hold its key (a check id and a timestamp: far fewer). */
const KEY_BYTES = 4096
