import { describe, expect, test } from 'vitest'
import { FAKE_TOKEN, failingReport, passingReport } from '../../test/fixtures/reports.ts'
import { secretsOf } from '../secrets.ts'
import { consoleSummary } from './console-summary.ts'

describe('consoleSummary', () => {
  test('counts by outcome and by level, one line per failure and warning, report paths and the seed', () => {
    const text = consoleSummary(failingReport(), { reportDir: 'reports/run-1' })
    const lines = text.split('\n')
    expect(text).toContain(
      '8 checks: 1 passed, 4 failed, 1 warned, 1 observed, 0 inconclusive, 1 skipped (87 requests, 12.3 s)',
    )
    expect(lines).toContain('  MUST    4 failed, 1 passed, 1 skipped')
    expect(lines).toContain('  SHOULD  1 warned')
    expect(lines).toContain('  MAY     1 observed')
    const outcomeLines = lines.filter((l) => /^(FAIL|WARN) /.test(l))
    expect(outcomeLines).toHaveLength(5)
    expect(outcomeLines[0]).toMatch(
      /^FAIL put\.status\.unknown-id-404 +PUT on an unknown id created a user: 201 Created/,
    )
    expect(outcomeLines.at(-1)).toMatch(
      /^WARN put\.uniqueness\.username-conflict +Uniqueness conflict .*: 409 scimType "noTarget"$/,
    )
    expect(lines).toContain('Reports: reports/run-1/report.html')
    expect(lines).toContain('         reports/run-1/report.json')
    expect(lines.at(-1)).toBe('Replay with: --seed 1234567')
  })

  test('learned input constraints are one line; none learned, no line', () => {
    const constraints = { 'constraint.maxLength': '100 (256 refused in name.givenName: 400 invalidValue)' }
    const lines = consoleSummary({ ...passingReport(), constraints }, { reportDir: 'r' }).split('\n')
    expect(lines).toContain(
      'constraints learned: constraint.maxLength: 100 (256 refused in name.givenName: 400 invalidValue)',
    )
    expect(consoleSummary(passingReport(), { reportDir: 'r' })).not.toContain('constraints learned')
  })

  test('an interrupted run, harness errors and discovery notes are called out', () => {
    const report = {
      ...failingReport(),
      interrupted: true,
      harnessErrors: ['check put.meta.created crashed: TypeError: x is undefined'],
    }
    const lines = consoleSummary(report, { reportDir: 'r' }).split('\n')
    expect(lines).toContain('INTERRUPTED: the run was cut short; these results are partial')
    expect(lines).toContain('ERROR check put.meta.created crashed: TypeError: x is undefined')
    expect(lines).toContain('note: /Schemas answered 404: mutability taken from the vendor document')
  })

  test('checks that ended in a harness error count among the checks that ran; one check, one request', () => {
    const report = failingReport()
    const errored = { ...report, summary: { ...report.summary, errored: 57 } }
    expect(consoleSummary(errored, { reportDir: 'r' })).toContain(
      '65 checks: 1 passed, 4 failed, 1 warned, 1 observed, 0 inconclusive, 1 skipped, 57 ended in a harness error ' +
        '(87 requests, 12.3 s)',
    )
    const one = passingReport()
    one.results = one.results.slice(0, 1)
    one.summary = { ...one.summary, passed: 1, requests: 1 }
    one.specFindings = one.specFindings.slice(0, 1)
    const text = consoleSummary(one, { reportDir: 'r' })
    expect(text).toContain('1 check: 1 passed, 0 failed, 0 warned, 0 observed, 0 inconclusive, 0 skipped (1 request, ')
    expect(text).not.toContain('(s)')
  })

  test('no ANSI codes unless color is on', () => {
    expect(consoleSummary(failingReport(), { reportDir: 'r' })).not.toMatch(/\u001b/)
    const colored = consoleSummary(failingReport(), { reportDir: 'r', color: true })
    expect(colored).toContain('\u001b[31mFAIL\u001b[0m put.status.unknown-id-404')
    expect(colored).toContain('\u001b[33mWARN\u001b[0m put.uniqueness.username-conflict')
  })

  test('a passing run lists no failures', () => {
    const text = consoleSummary(passingReport(), { reportDir: 'r' })
    expect(text).not.toMatch(/^(FAIL|WARN) /m)
    expect(text).toContain('3 checks: 3 passed, 0 failed, 0 warned, 0 observed, 0 inconclusive, 0 skipped')
  })

  test('server text cannot reach the terminal raw, and the token is scrubbed', () => {
    const report = failingReport()
    const first = report.results.find((r) => r.status === 'failed')!
    first.message = `Received: \u001b]0;pwned\u0007 ${FAKE_TOKEN}\nExpected: 404`
    const text = consoleSummary(report, { reportDir: 'r', token: FAKE_TOKEN })
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/)
    expect(text).not.toContain(FAKE_TOKEN)
    expect(text).toContain('$SCIM_TOKEN')
  })

  test('colours stay, target text is escaped inside them, and the target shows no userinfo', () => {
    const report = failingReport()
    report.target = 'https://me:pa55-w0rd-x@scim.example.test/v2'
    report.harnessErrors = ['POST /Users answered 500 \u001b[2J\u009b31m']
    const text = consoleSummary(report, { reportDir: 'r', color: true, secrets: secretsOf({ target: report.target }) })
    expect(text).toContain('at https://scim.example.test/v2')
    expect(text).not.toContain('pa55-w0rd-x')
    expect(text).toContain('\u001b[31mFAIL\u001b[0m')
    // Only the tool's own SGR colour codes remain raw.
    expect(text.replace(/\u001b\[\d+m/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    expect(text).toContain('500 \\u001b[2J\\u009b31m')
  })
})
