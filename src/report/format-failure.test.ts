import { describe, expect, test } from 'vitest'
import { FAKE_TOKEN, failingReport } from '../../test/fixtures/reports.ts'
import { formatFailure } from './format-failure.ts'

function result(id: string) {
  const found = failingReport().results.find((r) => r.id === id)
  if (!found) throw new Error(`fixture has no ${id}`)
  return found
}

describe('formatFailure', () => {
  test('prints the schemathesis block: title, message, response, request, reproduce', () => {
    // Arrange
    const r = result('put.status.unknown-id-404')
    // Act
    const text = formatFailure(r)
    // Assert
    const lines = text.split('\n')
    expect(lines[0]).toBe('- PUT on an unknown id created a user [put.status.unknown-id-404] (MUST, RFC 7644 §3.5.1)')
    expect(text).toContain('\n    Received: 201 Created with a new user')
    expect(text).toContain('\n    Expected: 404 with a SCIM Error body')
    expect(text).toContain('\n[201] Created:\n\n    {\n      "schemas": [')
    expect(text).toContain(
      '\nRequest:\n\n    PUT https://scim.example.test/scim/v2/Users/00000000-0000-4000-8000-000000000000\n',
    )
    expect(text).toContain(`\nReproduce with:\n\n    ${r.reproduce}\n\n    seed=1234567`)
    expect(text.indexOf('Received:')).toBeLessThan(text.indexOf('[201]'))
    expect(text.indexOf('[201]')).toBeLessThan(text.indexOf('Request:'))
    expect(text.indexOf('Request:')).toBeLessThan(text.indexOf('Reproduce with:'))
    expect(text).not.toMatch(/\u001b/)
    expect(text).not.toMatch(/[ \t]+$/m)
  })

  test('replace failures get the attribute / sent / stored / note table and the shrink path', async () => {
    const text = formatFailure(result('put.replace.values-stored'))
    expect(text).toContain('    attribute       sent      stored      note\n')
    expect(text).toContain('    name.givenName  "Ada"     "Grace"     old value kept\n')
    expect(text).toContain('    title           (absent)  "Engineer"  omitted: retained (observe)\n')
    expect(text).toContain('    seed=1234567 path=7:0:1')
    await expect(text).toMatchFileSnapshot('__snapshots__/format-failure.replace.txt')
  })

  test('cuts a long body at about 4 KiB and says how much was left out', () => {
    const r = result('put.status.unknown-id-404')
    const bodyText = JSON.stringify({ detail: 'x'.repeat(10_000) })
    const text = formatFailure({
      ...r,
      counterexample: {
        request: r.counterexample!.request,
        response: { ...r.counterexample!.response!, bodyText, body: JSON.parse(bodyText) },
      },
    })
    expect(text).toMatch(/… \[cut: \d+ more characters\]/)
    expect(text.length).toBeLessThan(6_000)
  })

  test('escapes terminal control characters from the server and scrubs the token when given', () => {
    const text = formatFailure(result('put.status.no-5xx'), { token: FAKE_TOKEN })
    expect(text).toContain('[500] Internal Server Error:')
    expect(text).toContain('\\u001b[31mred')
    expect(text).not.toMatch(/\u001b/)
    expect(text).not.toContain(FAKE_TOKEN)
    expect(text).toContain('Bearer $SCIM_TOKEN')
  })

  test('a transport failure prints the error instead of a status', () => {
    const text = formatFailure(result('put.stability.repeatable'))
    expect(text).toContain('\n[no response] UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error\n')
  })

  test('an empty body and a missing counterexample still give a complete block', () => {
    const r = result('put.status.unknown-id-404')
    const empty = formatFailure({
      ...r,
      counterexample: {
        request: r.counterexample!.request,
        response: { status: 204, headers: {}, bodyText: '', body: undefined, truncated: false },
      },
    })
    expect(empty).toContain('[204] No Content:\n\n    (empty body)')
    const bare = formatFailure({ ...r, counterexample: null, reproduce: null, message: 'Received: x\nExpected: y' })
    expect(bare).toBe(
      '- PUT on an unknown id created a user [put.status.unknown-id-404] (MUST, RFC 7644 §3.5.1)\n\n' +
        '    Received: x\n    Expected: y\n\nReproduce with:\n\n    seed=1234567',
    )
  })

  test('with a reproduction script, the script replaces the curl line of a user the run deleted', () => {
    const r = result('put.status.unknown-id-404')
    const script = '#!/usr/bin/env bash\ncurl -sS -X PUT "$SCIM_BASE/Users/$id"\n'
    const replay = 'scim-conformance run --vendor cube --seed 1234567 --only put.status.unknown-id-404'
    const text = formatFailure({ ...r, reproduction: { script, replay } })
    expect(text).not.toContain(r.reproduce!)
    expect(text).toContain('\nReproduce with:\n\nReproduction script (creates its own test users')
    expect(text).toContain('    curl -sS -X PUT "$SCIM_BASE/Users/$id"\n')
    expect(text).toContain(`    replay: ${replay}`)
  })
})
