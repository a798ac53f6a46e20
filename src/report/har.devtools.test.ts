import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  closeServers,
  killStrayChildren,
  removeTempDirs,
  runCli,
  secretToken,
  startCube,
  tempDir,
  TEST_TIMEOUT_MS,
} from '../../test/support/cli.ts'
import type { Exchange } from '../http/exchange.ts'
import { secretsOf } from '../secrets.ts'
import { type HarEntry, harEntry, spoolLine } from '../run/har-spool.ts'
import { writeHar } from './har.ts'

/**
 * "It opens in a browser's network panel importer" (issue 17 item 2), proved with the importer itself: the HAR
 * module of Chrome DevTools (front_end/models/har: HARFormat.HARRoot, Importer.requestsFromHARLog), as the system
 * Chromium bundles it (devtools://devtools/bundled/models/har/har.js). A page of that origin imports it and
 * parses our file the way the Network panel's "Import HAR file" does (panels/network/NetworkLogView.ts:
 * `new HARRoot(JSON.parse(text))`, then `Importer.requestsFromHARLog(root.log)`); the requests it builds are read
 * back from DevTools' own NetworkRequest objects. The npm package chrome-devtools-frontend ships that module as
 * TypeScript sources only (a build of DevTools would be needed): the browser's own build is the real thing.
 */

const CHROMIUM = '/usr/bin/chromium'
const HAVE_CHROMIUM = existsSync(CHROMIUM)
const MISSING =
  `${CHROMIUM} is missing: the HAR file is opened in its DevTools importer. ` +
  "Run .ci/run (it installs Debian's chromium), or apt-get install -y chromium."
const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0'

test('a headless Chromium is available for the DevTools HAR import test', (ctx) => {
  if (HAVE_CHROMIUM) return
  // In CI a missing browser is a broken environment, not a reason to skip.
  if (IN_CI) throw new Error(MISSING)
  ctx.skip(MISSING)
})

interface Har {
  log: { entries: HarEntry[] }
}

/** A request as DevTools' Network panel holds it after the import. */
interface Imported {
  id: string
  method: string
  url: string
  status: number
  statusText: string
  requestHeaders: { name: string; value: string }[]
  responseHeaders: { name: string; value: string }[]
  postData: string | null
  content: string
  finished: boolean
}

/** What the test uses of DevTools' HAR module (front_end/models/har) and of the NetworkRequest it builds. */
interface DevToolsHar {
  HARFormat: { HARRoot: new (data: unknown) => { log: unknown } }
  Importer: { Importer: { requestsFromHARLog(log: unknown): DevToolsRequest[] } }
}

interface DevToolsRequest {
  requestId(): string
  requestMethod: string
  url(): string
  statusCode: number
  statusText: string
  requestHeaders(): { name: string; value: string }[]
  responseHeaders: { name: string; value: string }[]
  requestFormData(): Promise<string | null>
  /** The response's body (DevTools' name). */
  requestContentData(): Promise<{ text: string }>
  finished: boolean
}

/** DevTools' HAR module as the browser bundles it: the page that imports it is of its origin. */
const HAR_MODULE = 'devtools://devtools/bundled/models/har/har.js'

/** Parses a HAR file's text with the browser's DevTools importer, as the Network panel imports a file. */
function importInDevTools(page: Page, text: string): Promise<Imported[]> {
  return page.evaluate(
    async ({ har, module }) => {
      // The DevTools module as this Chromium bundles it (its sources: front_end/models/har of
      // chrome-devtools-frontend), imported through a function made in the page: vitest rewrites an import() here.
      const load = new Function('url', 'return import(url)') as (url: string) => Promise<DevToolsHar>
      const HAR = await load(module)
      const root = new HAR.HARFormat.HARRoot(JSON.parse(har))
      const requests = HAR.Importer.Importer.requestsFromHARLog(root.log)
      return Promise.all(
        requests.map(async (r) => ({
          id: r.requestId(),
          method: r.requestMethod,
          url: r.url(),
          status: r.statusCode,
          statusText: r.statusText,
          requestHeaders: r.requestHeaders().map(({ name, value }) => ({ name, value })),
          responseHeaders: r.responseHeaders.map(({ name, value }) => ({ name, value })),
          postData: await r.requestFormData(),
          content: (await r.requestContentData()).text,
          finished: r.finished,
        })),
      )
    },
    { har: text, module: HAR_MODULE },
  )
}

describe.skipIf(!HAVE_CHROMIUM)("a --har file in the browser's own DevTools HAR importer", () => {
  let browser: Browser | null = null
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    page = await browser.newPage()
    page.on('pageerror', (error) => pageErrors.push(error.message))
    // A document of the DevTools origin (the module's own source, shown as text): it may import the module.
    const shown = await page.goto(HAR_MODULE)
    expect(shown?.status()).toBe(200)
  })

  afterAll(async () => {
    await browser?.close()
    killStrayChildren()
    await closeServers()
    await removeTempDirs()
  })

  test(
    "a run's HAR: every entry becomes a request with its method, URL and status; no token anywhere",
    async () => {
      // Arrange: a whole run against the reference server (every area: GET, PUT, POST, DELETE; 2xx and 4xx)
      const token = secretToken()
      const server = await startCube({ token })
      const dir = await tempDir()
      const file = join(dir, 'run.har')
      const run = await runCli(
        ['run', '--vendor', 'cube', '--target', server.origin, '--runs', '2', '--report-dir', dir, '--har', file],
        { env: { SCIM_TOKEN: token } },
      )
      expect(run.code, run.stderr + run.stdout).toBe(0)
      const text = readFileSync(file, 'utf8')
      const entries = (JSON.parse(text) as Har).log.entries
      // Act
      const imported = await importInDevTools(page, text)
      // Assert: one request per entry, in order, as DevTools made it ("har-<n>": an imported request)
      expect(entries.length).toBeGreaterThan(100)
      expect(imported).toHaveLength(entries.length)
      imported.forEach((r, i) => {
        const e = entries[i]
        expect(r, `entry ${i}`).toMatchObject({
          id: `har-${i}`,
          method: e.request.method,
          url: e.request.url,
          status: e.response.status,
          statusText: e.response.statusText,
          responseHeaders: e.response.headers,
          finished: true,
        })
        if (e.request.postData) expect(r.postData).toBe(e.request.postData.text)
        expect(r.content).toBe(e.response.content.text ?? '')
      })
      expect(new Set(imported.map((r) => r.method))).toEqual(new Set(['GET', 'PUT', 'POST', 'DELETE']))
      expect(imported.some((r) => r.status >= 400 && r.status < 500)).toBe(true)
      // The token is nowhere DevTools shows; the run's credential reads as the placeholder.
      expect(JSON.stringify(imported)).not.toContain(token)
      const auth = imported.flatMap((r) => r.requestHeaders.filter((h) => h.name.toLowerCase() === 'authorization'))
      expect(auth.map((h) => h.value)).toContain('Bearer $SCIM_TOKEN')
      expect(pageErrors).toEqual([])
    },
    TEST_TIMEOUT_MS,
  )

  test('edge entries: no response (status 0), a query string, non-ASCII and cut bodies, a 204', async () => {
    // Arrange: entries as the run's client writes them, through the spool and writeHar
    const token = 'devtools-import-secret-0123456789'
    const at = (second: number) => `2026-12-03T08:00:0${second}.000Z`
    const exchange = (second: number, overrides: Partial<Exchange>): Exchange => ({
      request: {
        method: 'PUT',
        url: 'http://127.0.0.1:9/scim/v2/Users/abc',
        headers: { 'content-type': 'application/scim+json', authorization: `Bearer ${token}` },
        body: '{"displayName":"Zoë 日本 ✓"}',
      },
      response: {
        status: 200,
        headers: { 'content-type': 'application/scim+json' },
        bodyText: `{"displayName":"Zoë 日本 ✓","echo":"${token}"}`,
        body: null,
        truncated: false,
      },
      error: null,
      startedAt: at(second),
      durationMs: 3,
      ...overrides,
    })
    const secrets = secretsOf({ token })
    const exchanges = [
      exchange(0, {}),
      exchange(1, { response: null, error: { code: 'ECONNRESET', message: 'socket hang up' } }),
      exchange(2, {
        request: {
          method: 'GET',
          url: 'http://127.0.0.1:9/scim/v2/Users?filter=userName%20eq%20%22a%22&count=1',
          headers: { authorization: `Bearer ${token}` },
          body: null,
        },
      }),
      exchange(3, {
        response: { status: 200, headers: {}, bodyText: '{"a":"xxxx', body: null, truncated: true },
      }),
      exchange(4, {
        request: { method: 'DELETE', url: 'http://127.0.0.1:9/scim/v2/Users/abc', headers: {}, body: null },
        response: { status: 204, headers: {}, bodyText: '', body: null, truncated: false },
      }),
    ]
    const dir = mkdtempSync(join(tmpdir(), 'scimc-devtools-har-'))
    try {
      const spool = join(dir, 'spool.jsonl')
      for (const [i, e] of exchanges.entries()) appendFileSync(spool, spoolLine(harEntry(e, 'put.a', secrets, `${i}`)))
      writeHar(spool, join(dir, 'edge.har'), { name: 'scim-conformance', version: '0.0.0' })
      const text = readFileSync(join(dir, 'edge.har'), 'utf8')
      // Act
      const imported = await importInDevTools(page, text)
      // Assert
      expect(imported.map((r) => [r.method, r.status])).toEqual([
        ['PUT', 200],
        ['PUT', 0],
        ['GET', 200],
        ['PUT', 200],
        ['DELETE', 204],
      ])
      expect(imported[0].postData).toBe('{"displayName":"Zoë 日本 ✓"}')
      expect(imported[0].content).toBe('{"displayName":"Zoë 日本 ✓","echo":"$SCIM_TOKEN"}')
      expect(imported[2].url).toBe(exchanges[2].request.url)
      expect(imported[2].postData).toBeNull()
      expect(imported[3].content).toBe('{"a":"xxxx')
      expect(imported[4].content).toBe('')
      expect(JSON.stringify(imported)).not.toContain(token)
      expect(pageErrors).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
