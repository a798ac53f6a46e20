import { appendFileSync, statSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import type { ScimClient } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'
import { boundExchange } from '../http/bounded-json.ts'
import { scrubSecrets, scrubSecretsDeep, type Secret } from '../secrets.ts'
import { caseInProgress, checkInProgress } from './send-gate.ts'

/**
 * `--har FILE`, the recording side: the run's client (in the suites' worker) appends each exchange as a HAR 1.2
 * entry (http://www.softwareishard.com/blog/har-12-spec/), bounded (src/http/bounded-json.ts) and scrubbed of every
 * secret, as one line to a spool file; at the end of the run the reporter writes the HAR from it
 * (src/report/har.ts). Each entry carries `_checkId`: the check that sent it, or null for the run's own requests
 * (discovery, the listing of existing users, learning the server's constraints); and `_case`: the case of that check
 * it belongs to (src/run/run-check.ts: the case's fast-check path, as a result's `path` and `--path` name it;
 * `single` for a check of one case), or null for the check's set-up and clean-up (its test users).
 */

export interface HarHeader {
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

/** A spool line: `[startedDateTime, checkId, case]`, a tab (JSON text never holds a raw one), the entry's JSON. */
export const spoolLine = (entry: HarEntry) =>
  `${JSON.stringify([entry.startedDateTime, entry._checkId, entry._case])}\t${JSON.stringify(entry)}\n`

/** The key of a check's case in {@link HarWritten.cases}. */
export const caseKey = (checkId: string, caseTag: string) => `${checkId}\t${caseTag}`
