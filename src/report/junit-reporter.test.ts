import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { childrenNamed, parseXml, type XmlElement } from '../../test/fixtures/reports-xml.ts'
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

// junit.xml as a CI dashboard reads it: parsed (so it is XML), named by vendor, area and check id.

const FAILED = 'put.status.unknown-id-not-created'
const WARNED = ['put.status.unknown-id-404', 'put.meta.last-modified-advances']
const PASSED = 'put.status.success-200'
const SELECTED = [FAILED, ...WARNED, PASSED]

afterAll(async () => {
  killStrayChildren()
  await closeServers()
  await removeTempDirs()
})

let origin: string
let token: string
type Run = Awaited<ReturnType<typeof junitOf>>
// The two runs go together: each is a CLI process of its own.
let plain: Promise<Run>
let failOnShould: Promise<Run>
beforeAll(async () => {
  token = secretToken()
  // RFC 7644 §3.5.1: a PUT to an unknown id creates it (MUST: fails; no 404: SHOULD, warns); meta.lastModified
  // never moves (SHOULD, RFC 7643 §3.1: warns).
  const server = await startCube({ token, faults: ['upsert-unknown-id', 'frozen-last-modified'] })
  origin = server.origin
  plain = junitOf([])
  failOnShould = junitOf(['--fail-on', 'should'])
  // Neither left unhandled should the other fail first.
  plain.catch(() => {})
  failOnShould.catch(() => {})
})

async function junitOf(extra: string[]): Promise<{ code: number | null; stderr: string; root: XmlElement }> {
  const dir = await tempDir()
  const args = ['run', '--target', origin, '--vendor', 'cube', '--token', token, '--runs', '3']
  const run = await runCli([...args, '--only', SELECTED.join(','), '--report-dir', dir, ...extra])
  return { code: run.code, stderr: run.stderr, root: parseXml(await readFile(join(dir, 'junit.xml'), 'utf8')) }
}

const suitesOf = (root: XmlElement) => childrenNamed(root, 'testsuite')
const casesOf = (root: XmlElement) => suitesOf(root).flatMap((s) => childrenNamed(s, 'testcase'))
const caseOf = (root: XmlElement, id: string) => casesOf(root).find((c) => c.attrs.name === id)!

describe('junit.xml of a run with a failure and warnings', () => {
  let root: XmlElement
  beforeAll(async () => {
    const run = await plain
    expect(run.code, run.stderr).toBe(1)
    root = run.root
  }, TEST_TIMEOUT_MS)

  test('suites and classnames carry the vendor and the area; testcases are the selected check ids, no more', () => {
    expect(root.name).toBe('testsuites')
    expect(root.attrs.name).toBe('scim-conformance.cube')
    // Only the areas of the selected checks: no placeholder suite or testcase for the others.
    expect(suitesOf(root).map((s) => s.attrs.name)).toEqual([
      'scim-conformance.cube.meta',
      'scim-conformance.cube.status',
    ])
    for (const suite of suitesOf(root)) {
      const cases = childrenNamed(suite, 'testcase')
      expect(suite.attrs.tests).toBe(String(cases.length))
      for (const c of cases) expect(c.attrs.classname).toBe(suite.attrs.name)
    }
    expect(
      casesOf(root)
        .map((c) => c.attrs.name)
        .sort(),
    ).toEqual([...SELECTED].sort())
  })

  test('the MUST violation is a <failure> (not an <error>); counts agree with the elements', () => {
    const failures = childrenNamed(caseOf(root, FAILED), 'failure')
    expect(failures).toHaveLength(1)
    expect(failures[0]?.attrs.type).toBe('ConformanceError')
    expect(failures[0]?.text).toContain(`[${FAILED}]`)
    const count = (suite: XmlElement, name: string) =>
      childrenNamed(suite, 'testcase').filter((c) => childrenNamed(c, name).length > 0).length
    for (const suite of suitesOf(root)) {
      expect(suite.attrs.failures, suite.attrs.name).toBe(String(count(suite, 'failure')))
      expect(suite.attrs.errors, suite.attrs.name).toBe(String(count(suite, 'error')))
    }
    expect(root.attrs.failures).toBe('1')
    expect(root.attrs.errors).toBe('0')
    expect(root.attrs.tests).toBe(String(SELECTED.length))
  })

  test.each(WARNED)('the warning %s passes, its finding as <system-out> text', (id) => {
    const testcase = caseOf(root, id)
    expect(childrenNamed(testcase, 'failure')).toEqual([])
    const out = childrenNamed(testcase, 'system-out')
    expect(out).toHaveLength(1)
    expect(out[0]?.text.trim()).toMatch(new RegExp(`^WARN - .* \\[${id.replace(/\./g, '\\.')}\\] \\(SHOULD, `))
    expect(out[0]?.text).toContain('Received:')
    expect(out[0]?.text).not.toContain(token)
  })

  test('a passing check has neither failure nor output', () => {
    const testcase = caseOf(root, PASSED)
    expect(testcase.children.map((c) => c.name)).not.toContain('failure')
    expect(testcase.children.map((c) => c.name)).not.toContain('system-out')
  })
})

describe('junit.xml under --fail-on should', () => {
  test(
    'warnings are <failure>s too',
    async () => {
      const { code, stderr, root } = await failOnShould
      expect(code, stderr).toBe(1)
      for (const id of [FAILED, ...WARNED]) {
        const failures = childrenNamed(caseOf(root, id), 'failure')
        expect(failures, id).toHaveLength(1)
        expect(failures[0]?.attrs.type).toBe('ConformanceError')
      }
      expect(root.attrs.failures).toBe(String(1 + WARNED.length))
      expect(childrenNamed(caseOf(root, PASSED), 'failure')).toEqual([])
    },
    TEST_TIMEOUT_MS,
  )
})

describe('parseXml', () => {
  test('rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow(/closes/)
    expect(() => parseXml('<a>x & y</a>')).toThrow(/unescaped &/)
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow(/repeats/)
    expect(() => parseXml('<a>')).toThrow(/never closed/)
    expect(parseXml('<?xml version="1.0" ?>\n<a n="&lt;b&gt;">t &amp; u<c/></a>\n')).toEqual({
      name: 'a',
      attrs: { n: '<b>' },
      children: [{ name: 'c', attrs: {}, children: [], text: '' }],
      text: 't & u',
    })
  })
})
