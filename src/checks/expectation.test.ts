import { describe, expect, test } from 'vitest'
import { INVALID_MUTATIONS } from '../generate/invalid-scim-user.ts'
import { EXPECTATIONS, expectationOf, httpStatusesOk, judgeOutcome } from './expectation.ts'

describe('EXPECTATIONS', () => {
  test('grades every kind of invalid payload except those judged with what was stored', () => {
    const dedicated = ['duplicate-username', 'duplicate-username-case-variant', 'readonly-id-mismatch']
    expect(Object.keys(EXPECTATIONS).sort()).toEqual(
      INVALID_MUTATIONS.map((m) => m.kind)
        .filter((k) => !dedicated.includes(k))
        .sort(),
    )
    expect(() => expectationOf('duplicate-username')).toThrow(/no expectation/)
  })

  test('a MAY kind never earns a violation, every other kind can (a check grades a violation at its own level)', () => {
    for (const [kind, e] of Object.entries(EXPECTATIONS)) {
      const grades = [...e.acceptable.map((o) => o.grade), e.otherwise]
      expect(grades.includes('violated'), kind).toBe(e.level !== 'MAY')
    }
  })

  test('413 and 415 are the statuses outside Table 8 a kind may rightly get', () => {
    expect(httpStatusesOk('oversize-body')).toEqual([413])
    expect(httpStatusesOk('wrong-content-type')).toEqual([415])
    expect(httpStatusesOk('username-missing')).toEqual([])
  })
})

describe('judgeOutcome (RFC 7644 §3.12 Tables 8 and 9, per kind)', () => {
  test.each([
    // userName required (RFC 7643 §4.1.1): a 400, whatever its optional scimType (the keyword's validity is
    // put.errors.scim-type's rule)
    { kind: 'username-missing', status: 400, scimType: 'invalidValue', want: 'pass' },
    { kind: 'username-missing', status: 400, scimType: 'invalidSyntax', want: 'pass' },
    { kind: 'username-empty', status: 400, scimType: undefined, want: 'pass' },
    { kind: 'username-empty', status: 400, scimType: 'badRequest', want: 'pass' },
    { kind: 'username-null', status: 200, scimType: undefined, want: 'violated' },
    { kind: 'username-null', status: 404, scimType: 'noTarget', want: 'violated' },
    { kind: 'username-missing', status: 422, scimType: undefined, want: 'violated' },
    // schemas (RFC 7643 §3)
    { kind: 'schemas-missing', status: 400, scimType: 'invalidSyntax', want: 'pass' },
    { kind: 'schemas-empty', status: 400, scimType: 'invalidValue', want: 'pass' },
    { kind: 'schemas-without-core', status: 400, scimType: 'mutability', want: 'pass' },
    { kind: 'schemas-without-core', status: 200, scimType: undefined, want: 'violated' },
    { kind: 'schemas-unknown-urn', status: 200, scimType: undefined, want: 'observe' },
    { kind: 'schemas-unknown-urn', status: 400, scimType: 'invalidValue', want: 'observe' },
    { kind: 'schemas-unknown-urn', status: 409, scimType: undefined, want: 'observe' },
    // schema violations
    { kind: 'wrong-type', status: 400, scimType: 'invalidValue', want: 'pass' },
    { kind: 'wrong-type', status: 204, scimType: undefined, want: 'violated' },
    { kind: 'wrong-type', status: 422, scimType: undefined, want: 'violated' },
    { kind: 'deeply-nested', status: 400, scimType: 'invalidSyntax', want: 'pass' },
    // primary (RFC 7643 §2.4)
    { kind: 'two-primaries', status: 400, scimType: 'invalidValue', want: 'pass' },
    { kind: 'two-primaries', status: 200, scimType: undefined, want: 'observe' },
    { kind: 'two-primaries', status: 409, scimType: undefined, want: 'violated' },
    // malformed bodies (Table 8 400, Table 9 invalidSyntax); invalidSyntax fits best, another keyword or none is noted
    { kind: 'not-json', status: 400, scimType: 'invalidSyntax', want: 'pass' },
    { kind: 'not-json', status: 400, scimType: 'invalidValue', want: 'pass' },
    { kind: 'truncated-json', status: 400, scimType: undefined, want: 'pass' },
    { kind: 'json-array-body', status: 200, scimType: undefined, want: 'violated' },
    { kind: 'json-array-body', status: 302, scimType: undefined, want: 'violated' },
    { kind: 'json-scalar-body', status: 415, scimType: undefined, want: 'violated' },
    { kind: 'not-json', status: 403, scimType: undefined, want: 'violated' },
    { kind: 'empty-body', status: 400, scimType: 'invalidSyntax', want: 'pass' },
    // size (RFC 9110 §15.5.14), media type (RFC 7644 §8.1, RFC 9110 §15.5.16)
    { kind: 'oversize-body', status: 413, scimType: undefined, want: 'pass' },
    { kind: 'oversize-body', status: 400, scimType: 'invalidValue', want: 'pass' },
    { kind: 'oversize-body', status: 200, scimType: undefined, want: 'observe' },
    { kind: 'oversize-body', status: 431, scimType: undefined, want: 'observe' },
    { kind: 'wrong-content-type', status: 415, scimType: undefined, want: 'pass' },
    { kind: 'wrong-content-type', status: 400, scimType: 'invalidSyntax', want: 'pass' },
    { kind: 'wrong-content-type', status: 200, scimType: undefined, want: 'violated' },
    { kind: 'wrong-content-type', status: 422, scimType: undefined, want: 'violated' },
    // unknown attributes (RFC 7644 §3.5.1 is silent: observed)
    { kind: 'unknown-attribute', status: 200, scimType: undefined, want: 'observe' },
    { kind: 'unknown-attribute', status: 400, scimType: 'invalidSyntax', want: 'observe' },
    { kind: 'unknown-attribute', status: 409, scimType: undefined, want: 'observe' },
  ])('$kind: $status $scimType → $want', ({ kind, status, scimType, want }) => {
    expect(judgeOutcome(expectationOf(kind), { status, scimType }).grade).toBe(want)
  })

  test('the reason names what was received, what fits best, and what another check judges', () => {
    const pass = judgeOutcome(expectationOf('not-json'), { status: 400, scimType: 'invalidValue' }).reason
    expect(pass).toContain('Received 400 scimType invalidValue: pass')
    expect(pass).toContain('invalidSyntax fits best')
    expect(pass).toContain('OPTIONAL')
    const accepted = judgeOutcome(expectationOf('username-missing'), { status: 200 }).reason
    expect(accepted).toContain('Expected 400 (scimType invalidValue fits best)')
    expect(accepted).toContain('put.invalid.username-kept')
    expect(
      judgeOutcome(expectationOf('username-missing'), { status: 400, scimType: 'invalidValue' }).reason,
    ).not.toMatch(/fits best|username-kept/)
  })

  test.each([
    {
      kind: 'username-missing',
      status: 200,
      scimType: undefined,
      received: '200',
      expected: /^400 \(scimType invalidValue fits best\) \(SHOULD, RFC 7644 §3\.5\.1 .*Table 8 \(400\)\)$/,
      fix: /400 invalidValue/,
    },
    {
      kind: 'wrong-content-type',
      status: 422,
      scimType: 'invalidValue',
      received: '422 scimType invalidValue',
      expected: /^415 or 400 \(SHOULD, RFC 7644 §3\.1, §8\.1 /,
      fix: /415/,
    },
    {
      kind: 'two-primaries',
      status: 409,
      scimType: 'uniqueness',
      received: '409 scimType uniqueness',
      expected: /^400 \(scimType invalidValue fits best\), or 2xx \(SHOULD, RFC 7643 §2\.4 /,
      fix: /one/,
    },
  ])('a violation carries its facts as fields: $kind, $received', ({ kind, status, scimType, ...want }) => {
    const judged = judgeOutcome(expectationOf(kind), { status, scimType })
    expect(judged.grade).toBe('violated')
    expect(judged.finding.received).toBe(want.received)
    expect(judged.finding.expected).toMatch(want.expected)
    expect(judged.finding.fix).toMatch(want.fix)
  })

  test('every kind that can be violated says how to fix it; the note travels beside the finding', () => {
    for (const [kind, e] of Object.entries(EXPECTATIONS)) if (e.level !== 'MAY') expect(e.fix, kind).toMatch(/\S/)
    expect(judgeOutcome(expectationOf('username-null'), { status: 200 }).note).toMatch(/username-kept/)
    expect(judgeOutcome(expectationOf('username-null'), { status: 400 }).note).toBeUndefined()
  })
})
