import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { FAKE_TOKEN, failingReport, passingReport } from '../../test/fixtures/reports.ts'
import { REPORT_CSP } from './html-report.ts'
import { writeReports } from './write-reports.ts'

const CHROMIUM = '/usr/bin/chromium'
const HAVE_CHROMIUM = existsSync(CHROMIUM)
const MISSING =
  `${CHROMIUM} is missing: the HTML report is tested in a real browser. ` +
  "Run .ci/run (it installs Debian's chromium), or apt-get install -y chromium."

const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0'
if (!HAVE_CHROMIUM && !IN_CI) console.warn(`Skipping the HTML report browser tests: ${MISSING}`)

test('a headless Chromium is available for the HTML report tests', (ctx) => {
  if (HAVE_CHROMIUM) return
  // In CI a missing browser is a broken environment, not a reason to skip the report's only real-browser test.
  if (IN_CI) throw new Error(MISSING)
  ctx.skip(MISSING)
})

interface Loaded {
  page: Page
  requests: string[]
  errors: string[]
  url: string
}

describe.skipIf(!HAVE_CHROMIUM)('report.html in headless Chromium', () => {
  let browser: Browser
  let dir: string

  async function load(which: 'failing' | 'passing'): Promise<Loaded> {
    const out = join(dir, which)
    const { html } = await writeReports(which === 'failing' ? failingReport() : passingReport(), out, {
      token: FAKE_TOKEN,
    })
    const url = pathToFileURL(html).href
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const requests: string[] = []
    const errors: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    await page.goto(url, { waitUntil: 'load' })
    return { page, requests, errors, url }
  }

  let failing: Loaded
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scim-html-'))
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    failing = await load('failing')
  })
  afterAll(async () => {
    await browser?.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('makes no request but the file:// document itself, and logs no error', async () => {
    await failing.page.waitForTimeout(300) // let late loads (images, favicon) show up if there were any
    expect(failing.requests).toEqual([failing.url])
    expect(failing.errors).toEqual([])
  })

  test('the summary shows the counts per outcome and per level', async () => {
    const { page } = failing
    const summary = page.locator('#summary')
    await expect.poll(() => summary.isVisible()).toBe(true)
    const card = (outcome: string) => summary.locator(`.card[data-outcome="${outcome}"]`)
    expect(await card('passed').innerText()).toMatch(/^1\s+Passed$/)
    expect(await card('failed').innerText()).toMatch(/^4\s+Failed$/)
    expect(await card('warned').innerText()).toMatch(/^1\s+Warned$/)
    expect(await card('observed').innerText()).toMatch(/^1\s+Observed$/)
    expect(await card('skipped').innerText()).toMatch(/^1\s+Skipped$/)
    const levels = page.locator('#summary-by-level')
    expect(await levels.locator('tr[data-level="MUST"] td[data-outcome="failed"]').innerText()).toBe('4')
    expect(await levels.locator('tr[data-level="SHOULD"] td[data-outcome="warned"]').innerText()).toBe('1')
    expect(await levels.locator('tr[data-level="MAY"] td[data-outcome="observed"]').innerText()).toBe('1')
    expect(await summary.locator('.verdict').innerText()).toContain('Not conformant')
  })

  test('the header names vendor, spec, target, seed, runs and the strict-rfc flag', async () => {
    const header = await failing.page.locator('#report-header').innerText()
    for (const text of [
      'lightdash',
      'specs/lightdash.yaml',
      'https://scim.example.test/scim/v2',
      '1234567',
      '25',
      '12.3 s',
      'scim-conformance 0.1.0',
      '2025-11-23 20:30:00 UTC',
    ]) {
      expect(header).toContain(text)
    }
    expect(await failing.page.locator('[data-field="strict-rfc"] dd').innerText()).toMatch(/^off/)
  })

  test('every check has a visible row with its status badge', async () => {
    const { page } = failing
    for (const r of failingReport().results) {
      const row = page.locator(`tr.check-row[data-check-id="${r.id}"]`)
      await expect.poll(() => row.isVisible(), { message: r.id }).toBe(true)
      expect(await row.getAttribute('data-status')).toBe(r.status)
      expect(await row.locator('.badge').innerText()).toBe(
        {
          passed: 'PASS',
          failed: 'FAIL',
          warned: 'WARN',
          observed: 'OBSERVE',
          inconclusive: 'INCONCLUSIVE',
          skipped: 'SKIP',
        }[r.status],
      )
      expect(await row.innerText()).toContain(r.title)
    }
    expect(await page.locator('section.area[data-area="replace"] tr.check-row').count()).toBe(2)
  })

  test('failure details show the counterexample, the diff and the curl command', async () => {
    const { page } = failing
    const detail = page.locator('article.detail[data-check-id="put.replace.values-stored"]')
    const text = await detail.innerText()
    expect(text).toContain('PUT https://scim.example.test/scim/v2/Users/2819c223-7f76-453a-919d-413861904646')
    expect(text).toContain('"givenName": "Ada"')
    expect(text).toContain('200 OK')
    expect(text).toContain('"givenName": "Grace"')
    const curl = await detail.locator('pre.curl').innerText()
    expect(curl).toBe(failingReport().results.find((r) => r.id === 'put.replace.values-stored')!.reproduce)
    expect(await detail.locator('button[data-copy-for]').isVisible()).toBe(true)
    const diffRows = detail.locator('table.diff tbody tr')
    expect(await diffRows.count()).toBe(3)
    expect(await diffRows.first().innerText()).toMatch(/name\.givenName\s+"Ada"\s+"Grace"\s+old value kept/)
    expect(await detail.locator('details.exchanges .exchange').count()).toBe(2)
    expect(await page.locator('article.detail').count()).toBe(5)
    expect(await page.locator('article.detail[data-status="warned"]').count()).toBe(1)
  })

  test('the hostile body is shown as text and injects nothing', async () => {
    const { page } = failing
    const body = await page
      .locator('article.detail[data-check-id="put.status.no-5xx"] .counterexample .response pre.body')
      .innerText()
    expect(body).toContain('</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>')
    expect(body).toContain('Bearer $SCIM_TOKEN')
    expect(await page.locator('img, iframe, object, embed, b').count()).toBe(0)
    expect(await page.locator('script').count()).toBe(1)
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
    expect(await page.content()).not.toContain(FAKE_TOKEN)
  })

  test('a counterexample without a response shows the transport error', async () => {
    const detail = failing.page.locator(
      'article.detail[data-check-id="put.stability.repeatable"] .counterexample .response',
    )
    expect(await detail.innerText()).toMatch(/No response\s+UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error/)
  })

  test('controls: the request log sees a page load, and the CSP stops injected handlers', async () => {
    // Proves the request assertion above can fail: a page without the CSP loading an image is seen.
    const open = join(dir, 'control-open.html')
    await writeFile(open, '<!doctype html><img src="pixel.png">')
    const openPage = await browser.newPage()
    const seen: string[] = []
    openPage.on('request', (request) => seen.push(request.url()))
    await openPage.goto(pathToFileURL(open).href)
    expect(seen).toContain(pathToFileURL(join(dir, 'pixel.png')).href)
    await openPage.close()
    // Markup that slipped past escaping would still run no handler and fetch nothing under REPORT_CSP.
    const guarded = join(dir, 'control-csp.html')
    const csp = REPORT_CSP.replace(/'/g, '&#39;')
    await writeFile(
      guarded,
      `<!doctype html><meta http-equiv="Content-Security-Policy" content="${csp}">` +
        '<img src="x" onerror="window.__pwned=1"><script>window.__pwned=2</script>',
    )
    const guardedPage = await browser.newPage()
    const finished: string[] = []
    const failed: string[] = []
    guardedPage.on('requestfinished', (request) => finished.push(request.url()))
    guardedPage.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText}`))
    await guardedPage.goto(pathToFileURL(guarded).href)
    await guardedPage.waitForTimeout(200)
    expect(await guardedPage.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
    // Chromium reports the attempt as a request (so the report test above would catch it) and blocks it.
    expect(finished).toEqual([pathToFileURL(guarded).href])
    expect(failed).toEqual([`${pathToFileURL(join(dir, 'x')).href} csp`])
    await guardedPage.close()
  })

  test('traits and spec findings are visible', async () => {
    const { page } = failing
    const traits = page.locator('#traits')
    expect(await traits.locator('tr[data-trait="omitted.name"]').innerText()).toMatch(/omitted\.name\s+retained/)
    expect(await traits.innerText()).toContain('schemas.case-variant')
    expect(await page.locator('#discovery-notes').innerText()).toContain('/Schemas answered 404')
    const findings = page.locator('#spec-findings .finding-row')
    expect(await findings.count()).toBe(2)
    const noTarget = page.locator('#spec-findings [data-finding-id="spec.errors.scimtype-not-in-table-9"]')
    expect(await noTarget.innerText()).toContain('MUST')
    expect(await noTarget.innerText()).toContain('RFC 7644 §3.12')
    expect(await noTarget.innerText()).toContain('for <PUT> errors')
  })

  test('the status filters hide rows without JavaScript', async () => {
    const { page } = failing
    await page.locator('#show-passed').uncheck()
    expect(await page.locator('tr.check-row[data-status="passed"]').first().isVisible()).toBe(false)
    expect(await page.locator('tr.check-row[data-status="failed"]').first().isVisible()).toBe(true)
    await page.locator('#show-passed').check()
  })

  test('renders without JavaScript: content present, copy buttons hidden', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(failing.url)
    expect(await page.locator('article.detail[data-check-id="put.status.unknown-id-404"] pre.curl').isVisible()).toBe(
      true,
    )
    expect(await page.locator('button[data-copy-for]').first().isVisible()).toBe(false)
    await context.close()
  })

  test('a passing report renders a passing verdict and no failure section', async () => {
    const passing = await load('passing')
    expect(await passing.page.locator('.verdict').innerText()).toContain('Conformant')
    expect(await passing.page.locator('#failures').count()).toBe(0)
    expect(passing.requests).toEqual([passing.url])
    await passing.page.close()
  })

  test.each([
    ['a failing run', failingReport()],
    [
      'one with 56 harness errors',
      { ...failingReport(), harnessErrors: Array.from({ length: 56 }, (_, i) => `put.check-${i}: no answer`) },
    ],
  ])('%s opens at 1280x800 on the summary and its first failure, linked to its detail', async (name, report) => {
    const out = join(dir, `first-screen-${name.replace(/\W+/g, '-')}`)
    const { html } = await writeReports(report, out, { token: FAKE_TOKEN })
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    try {
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' })
      expect(await page.evaluate(() => (globalThis as unknown as { scrollY: number }).scrollY)).toBe(0)
      const screenshot = join(process.env.SCIM_SCREENSHOT_DIR ?? out, `first-screen-${name.replace(/\W+/g, '-')}.png`)
      await page.screenshot({ path: screenshot })
      expect((await readFile(screenshot)).subarray(1, 4).toString()).toBe('PNG')
      // The first failure: failed before warned, MUST first (the fixture's first failed MUST check).
      const firstId = report.results.find((r) => r.status === 'failed' && r.level === 'MUST')!.id
      const first = page.locator('#failure-list li.finding-item').first()
      expect(await first.getAttribute('data-check-id')).toBe(firstId)
      const box = (await first.boundingBox())!
      expect(box, 'the first failure is in the first screen').not.toBeNull()
      expect(box.x).toBeGreaterThanOrEqual(0)
      expect(box.y).toBeGreaterThanOrEqual(0)
      expect(box.x + box.width).toBeLessThanOrEqual(1280)
      expect(box.y + box.height).toBeLessThanOrEqual(800)
      // Every failure and warning is listed; observations and passes come after them.
      const listed = await page.locator('#failure-list li.finding-item').count()
      expect(listed).toBe(report.results.filter((r) => r.status === 'failed' || r.status === 'warned').length)
      const passedRow = (await page.locator('tr.check-row[data-status="passed"]').first().boundingBox())!
      expect(passedRow.y).toBeGreaterThan(box.y + box.height)
      // Its link scrolls to its detail.
      await first.locator('a').click()
      await expect
        .poll(() => page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash))
        .toBe(`#detail-${firstId}`)
      const detail = (await page.locator(`article.detail[data-check-id="${firstId}"]`).boundingBox())!
      expect(Math.abs(detail.y)).toBeLessThan(2)
    } finally {
      await page.close()
    }
  })

  test('screenshot for review', async () => {
    await failing.page.screenshot({ path: join(tmpdir(), 'scim-report.png'), fullPage: true })
    await failing.page.emulateMedia({ media: 'print' })
    await failing.page.screenshot({ path: join(tmpdir(), 'scim-report-print.png'), fullPage: true })
    await failing.page.emulateMedia({ media: 'screen' })
  })
})
