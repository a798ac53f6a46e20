import { describe, expect, test } from 'vitest'
import { HOSTILE_TEXT, failingReport, passingReport } from '../../test/fixtures/reports.ts'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CheckResult } from '../checks/types.ts'
import { REPORT_CSP, renderHtml, writeHtmlReport } from './html-report.ts'

describe('renderHtml (markup)', () => {
  test('is one self-contained document with a CSP that forbids every request', () => {
    const page = renderHtml(failingReport())
    expect(page.startsWith('<!doctype html>')).toBe(true)
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP.replace(/'/g, '&#39;')}">`)
    expect(
      REPORT_CSP.startsWith("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline' 'sha256-"),
    ).toBe(true)
    expect(page).not.toMatch(/<(link|img|iframe|object|embed)\b/i)
    expect(page).not.toMatch(/\b(src|href)="(https?:)?\/\//i)
    expect(page).not.toMatch(/@import|url\(/i)
    expect(page.match(/<script>/g)).toHaveLength(1)
  })

  test('escapes the hostile body and message everywhere', () => {
    const page = renderHtml(failingReport())
    expect(page).not.toContain(HOSTILE_TEXT)
    expect(page).not.toContain('<img')
    expect(page).not.toContain('onerror="')
    expect(page).toContain('&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;')
    expect(page).toContain('&lt;b&gt;bold&lt;/b&gt;')
  })

  test('carries stable hooks for every check and outcome', () => {
    const report = failingReport()
    const page = renderHtml(report)
    for (const r of report.results) expect(page).toContain(`data-check-id="${r.id}" data-status="${r.status}"`)
    expect(page).toContain('id="summary"')
    expect(page).toContain('data-outcome="failed" data-count="4"')
  })

  test('an interrupted run, harness errors and discovery notes are shown (escaped)', () => {
    const page = renderHtml({ ...failingReport(), interrupted: true, harnessErrors: ['check <x> crashed'] })
    expect(page).toContain('id="interrupted"')
    expect(page).toContain('<li>check &lt;x&gt; crashed</li>')
    expect(page).toContain('id="discovery-notes"')
    expect(renderHtml(passingReport())).not.toMatch(/id="(interrupted|harness-errors|discovery-notes)"/)
  })

  test('with --har: each result counts its HAR entries, lists its case by index and links the file', async () => {
    // Arrange: the first failure's case had entries 5 and 7 of the file; a passing single-case check, entry 2
    const report = failingReport()
    const failed = report.results.find((r) => r.status === 'failed')!
    const passed = report.results.find((r) => r.status === 'passed')!
    Object.assign(failed, { case: '3:1', har: { entries: 4, caseEntries: [5, 7] } })
    Object.assign(passed, { case: 'single', har: { entries: 1, caseEntries: [2] } })
    const dir = await mkdtemp(join(tmpdir(), 'scim-html-har-'))
    try {
      report.har = { file: join(dir, 'run.har'), entries: 9, filter: '_checkId', byCheck: {} }
      // Act
      const page = await readFile(await writeHtmlReport(report, join(dir, 'report')), 'utf8')
      // Assert: linked from the page's folder; the indices are those of log.entries
      const note = (r: CheckResult) =>
        page.match(new RegExp(`<p class="har muted" data-har-entries="${r.har!.entries}"[^]*?</p>`, 'g')) ?? []
      expect(note(failed)[0]).toContain('data-har-case="3:1" data-har-case-entries="5 7"')
      expect(note(failed)[0]).toContain('4 entries of this check in <a href="../run.har" data-har-file>run.har</a>')
      expect(note(failed)[0]).toContain('its case <code>3:1</code>: entries #5, #7 of <code>log.entries</code>')
      // In the failure's detail and in its row of all checks; the passing check in its row.
      expect(note(failed)).toHaveLength(2)
      expect(note(passed)[0]).toContain('1 entry of this check')
      expect(note(passed)[0]).toContain('its one case: entries #2')
      expect(renderHtml(failingReport())).not.toContain('class="har')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('learned input constraints are listed (escaped) with the traits; none learned, no list', () => {
    const page = renderHtml({ ...passingReport(), constraints: { 'constraint.maxLength': '100 (<b>256</b> refused)' } })
    expect(page).toContain('id="constraints"')
    expect(page).toContain(
      '<li data-constraint="constraint.maxLength"><span class="mono">constraint.maxLength</span>: ' +
        '100 (&lt;b&gt;256&lt;/b&gt; refused)</li>',
    )
    expect(renderHtml(passingReport())).not.toContain('id="constraints"')
  })

  test('summary, then failures and warnings linked to their details; all checks, traits, findings below', () => {
    const report = failingReport()
    const page = renderHtml(report)
    const at = (marker: string) => {
      const i = page.indexOf(marker)
      expect(i, marker).toBeGreaterThan(-1)
      return i
    }
    const order = ['id="summary"', 'id="failure-list"', 'class="details"', 'id="checks"', 'id="traits"']
    const positions = [...order, 'id="spec-findings"'].map(at)
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
    const links = [...page.matchAll(/<li class="finding-item"[^>]*>[\s\S]*?<a href="#([^"]+)">/g)].map((m) => m[1])
    expect(links).toHaveLength(report.results.filter((r) => r.status === 'failed' || r.status === 'warned').length)
    for (const id of links) expect(page).toContain(`<article class="detail" id="${id}"`)
  })

  test('with a reproduction script, the script replaces the curl line of a user the run deleted', () => {
    const report = failingReport()
    const r = report.results.find((x) => x.id === 'put.replace.values-stored')!
    const curl = r.reproduce!
    const script = '#!/usr/bin/env bash\ncurl -sS -X PUT "$SCIM_BASE/Users/$user1"\n'
    const replay = 'scim-conformance run --vendor cube --seed 1 --only put.replace.values-stored --path 0'
    const before = renderHtml(report)
    r.reproduction = { script, replay }
    const page = renderHtml(report)
    const detail = (html: string) =>
      html.match(/<article class="detail"[^>]*data-check-id="put\.replace\.values-stored"[\s\S]*?<\/article>/)![0]
    expect(detail(before)).toContain('<pre class="curl" id="curl-')
    expect(detail(page)).not.toContain('<pre class="curl" id="curl-')
    expect(detail(page)).toContain('curl -sS -X PUT &quot;$SCIM_BASE/Users/$user1&quot;')
    expect(curl.length).toBeGreaterThan(0)
  })

  test('a passing run has no failure section and a passing verdict', () => {
    const page = renderHtml(passingReport())
    expect(page).not.toContain('id="failures"')
    expect(page).toContain('data-verdict="passed"')
  })
})
