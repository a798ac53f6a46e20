import { lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { FAKE_TOKEN, failingReport, passingReport } from '../../test/fixtures/reports.ts'
import { writeJsonReport } from './json-report.ts'
import { secretsOf } from '../secrets.ts'
import { scrubToken, scrubTokenDeep, TOKEN_PLACEHOLDER } from './scrub-token.ts'
import type { ConformanceReport } from './types.ts'
import { writeReports } from './write-reports.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scim-report-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The report as JSON would carry it (undefined members dropped). */
function asJson(report: ConformanceReport): unknown {
  return JSON.parse(JSON.stringify(report))
}

describe('writeReports', () => {
  test('writes report.json and report.html into a directory it creates', async () => {
    const target = join(dir, 'nested', 'run-1')
    const written = await writeReports(passingReport(), target, { token: FAKE_TOKEN })
    expect(written).toEqual({ json: join(target, 'report.json'), html: join(target, 'report.html') })
    expect((await readdir(target)).sort()).toEqual(['report.html', 'report.json'])
  })

  test('report.json round-trips a passing report unchanged', async () => {
    const report = passingReport()
    await writeReports(report, dir, { token: FAKE_TOKEN })
    expect(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))).toEqual(asJson(report))
  })

  test('report.json has the documented shape', async () => {
    await writeReports(failingReport(), dir, { token: FAKE_TOKEN })
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
    const required = [
      'tool',
      'vendor',
      'spec',
      'target',
      'seed',
      'runs',
      'startedAt',
      'durationMs',
      'summary',
      'results',
      'specFindings',
      'traits',
      'strictRfc',
    ]
    const optional = ['discoveryNotes', 'harnessErrors', 'interrupted']
    expect(Object.keys(json)).toEqual(expect.arrayContaining(required))
    expect(Object.keys(json).filter((k) => !required.includes(k) && !optional.includes(k))).toEqual([])
    expect(json.discoveryNotes).toEqual(['/Schemas answered 404: mutability taken from the vendor document'])
    expect(json.tool).toEqual({ name: 'scim-conformance', version: '0.1.0' })
    expect(json.summary).toEqual({
      passed: 1,
      failed: 4,
      warned: 1,
      observed: 1,
      inconclusive: 0,
      skipped: 1,
      requests: 87,
    })
    expect(json.traits['omitted.name']).toBe('retained')
    expect(json.specFindings[0]).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        level: expect.any(String),
        source: expect.any(String),
        message: expect.any(String),
      }),
    )
    for (const r of json.results) {
      expect(r).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          title: expect.any(String),
          level: expect.stringMatching(/^(MUST|SHOULD|MAY)$/),
          source: expect.any(String),
          area: expect.any(String),
          contract: expect.stringMatching(/^(rfc|vendor)$/),
          status: expect.stringMatching(/^(passed|failed|warned|observed|skipped)$/),
          message: expect.any(String),
          seed: expect.any(Number),
          numRuns: expect.any(Number),
        }),
      )
      expect(r).toHaveProperty('counterexample')
      expect(r).toHaveProperty('reproduce')
      expect(r).toHaveProperty('path')
    }
    const replace = json.results.find((r: { id: string }) => r.id === 'put.replace.values-stored')
    expect(replace.diff[0]).toEqual({
      attribute: 'name.givenName',
      sent: 'Ada',
      stored: 'Grace',
      note: 'old value kept',
    })
    expect(replace.exchanges).toHaveLength(2)
  })

  test('report.json round-trips the failing report except where the token was', async () => {
    const report = failingReport()
    await writeReports(report, dir, { token: FAKE_TOKEN })
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
    expect(json).toEqual(asJson(scrubTokenDeep(report, FAKE_TOKEN)))
    expect(json).not.toEqual(asJson(report))
  })

  test('the token appears in no written file, in any encoding', async () => {
    const report = failingReport()
    report.target = `https://scim.example.test/scim/v2?access_token=${FAKE_TOKEN}`
    await writeReports(report, dir, { token: FAKE_TOKEN })
    for (const name of await readdir(dir)) {
      const text = await readFile(join(dir, name), 'utf8')
      expect(text, name).not.toContain(FAKE_TOKEN)
      expect(text, name).not.toContain('tok_FAKE')
      expect(text, name).toContain(TOKEN_PLACEHOLDER)
    }
  })

  test('leaves no temporary file behind and replaces an existing report', async () => {
    await writeReports(failingReport(), dir, { token: FAKE_TOKEN })
    await writeReports(passingReport(), dir, { token: FAKE_TOKEN })
    expect((await readdir(dir)).sort()).toEqual(['report.html', 'report.json'])
    expect(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')).summary.failed).toBe(0)
  })

  test('a symlink planted at a report name is replaced, and its target left untouched', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'scim-outside-'))
    try {
      const precious = join(outside, 'precious.txt')
      await writeFile(precious, 'keep\n')
      await symlink(precious, join(dir, 'report.json'))
      // A dangling link would otherwise create its target.
      await symlink(join(outside, 'created.txt'), join(dir, 'report.html'))
      await writeReports(passingReport(), dir)
      expect(await readFile(precious, 'utf8')).toBe('keep\n')
      expect(await readdir(outside)).toEqual(['precious.txt'])
      for (const name of ['report.json', 'report.html'])
        expect((await lstat(join(dir, name))).isFile(), name).toBe(true)
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  test('the target is written without its userinfo, and its password nowhere', async () => {
    const report = failingReport()
    report.target = 'https://me:pa55-w0rd-x@scim.example.test/scim/v2'
    report.harnessErrors = ['cannot reach https://me:pa55-w0rd-x@scim.example.test: PA55-W0RD-X rejected']
    await writeReports(report, dir, { secrets: secretsOf({ token: FAKE_TOKEN, target: report.target }) })
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
    expect(json.target).toBe('https://scim.example.test/scim/v2')
    expect(json.harnessErrors).toEqual(['cannot reach https://scim.example.test: [redacted] rejected'])
    for (const name of await readdir(dir))
      expect((await readFile(join(dir, name), 'utf8')).toLowerCase(), name).not.toContain('pa55-w0rd-x')
  })

  test('writeJsonReport alone writes newline-terminated, indented JSON', async () => {
    const path = await writeJsonReport(passingReport(), dir)
    const text = await readFile(path, 'utf8')
    expect(text.endsWith('}\n')).toBe(true)
    expect(text.startsWith('{\n  "tool": {')).toBe(true)
  })
})

describe('scrubToken', () => {
  test('replaces the token as is, JSON-escaped, HTML-escaped and percent-encoded', () => {
    const token = 'a"b\\c&d<e>/f+g=='
    const text = [
      token,
      JSON.stringify(token),
      '&quot;',
      'a&quot;b\\c&amp;d&lt;e&gt;/f+g==',
      encodeURIComponent(token),
    ].join(' | ')
    const out = scrubToken(text, token)
    expect(out).not.toContain(token)
    expect(out).not.toContain(JSON.stringify(token).slice(1, -1))
    expect(out).not.toContain(encodeURIComponent(token))
    expect(out).not.toContain('a&quot;b')
    expect(out.split(TOKEN_PLACEHOLDER).length - 1).toBe(4)
  })

  test('no token, or one too short to tell from text, no change but where it stands alone', () => {
    expect(scrubToken('Bearer abc', undefined)).toBe('Bearer abc')
    expect(scrubToken('Bearer abc', '')).toBe('Bearer abc')
    expect(scrubToken('{"level":"MUST","status":"failed"}', 'T')).toBe('{"level":"MUST","status":"failed"}')
    expect(scrubToken('Bearer abc, abcd', 'abc')).toBe('Bearer $SCIM_TOKEN, abcd')
  })

  test('scrubTokenDeep reaches nested strings and keys without touching the input', () => {
    const input = { a: [`x ${FAKE_TOKEN}`], [FAKE_TOKEN]: { n: 1, ok: true, nil: null } }
    const out = scrubTokenDeep(input, FAKE_TOKEN)
    expect(out).toEqual({ a: ['x $SCIM_TOKEN'], $SCIM_TOKEN: { n: 1, ok: true, nil: null } })
    expect(input.a[0]).toContain(FAKE_TOKEN)
  })
})
