import { describe, expect, test } from 'vitest'
import type { CheckResult, Outcome } from '../checks/types.ts'
import {
  BASELINE_FORMAT,
  type BaselineEntry,
  baselineMismatch,
  compareToBaseline,
  type FailOn,
  gatingNew,
  parseBaseline,
  updatedBaseline,
} from './baseline.ts'

const NOW = new Date('2026-12-03T08:30:00Z')

function result(id: string, status: Outcome, received = `${id} broke`): CheckResult {
  return {
    id,
    title: id,
    level: status === 'warned' ? 'SHOULD' : 'MUST',
    source: 'RFC 7644 §3.5.1',
    area: 'status',
    contract: 'rfc',
    status,
    message: `Received: ${received}`,
    ...(status === 'failed' || status === 'warned' ? { finding: { received, expected: 'the rule' } } : {}),
    counterexample: null,
    reproduce: null,
    seed: 1,
    path: null,
    numRuns: 1,
  }
}

const report = (results: CheckResult[]) => ({ vendor: 'cube', target: 'http://127.0.0.1:4000/scim/v2', results })
const accepted = (entries: BaselineEntry[]) =>
  parseBaseline({ format: BASELINE_FORMAT, vendor: 'cube', target: 'http://127.0.0.1:4000/scim/v2', entries })

type Row = {
  given: string
  before: Record<string, Outcome> | BaselineEntry[]
  now: Record<string, Outcome>
  failOn?: FailOn
  want: { new: string[]; known: string[]; fixed: string[]; notRun?: string[]; gating: string[] }
}

const TABLE: Row[] = [
  {
    given: 'the same findings twice',
    before: { a: 'failed', b: 'warned', c: 'passed' },
    now: { a: 'failed', b: 'warned', c: 'passed' },
    want: { new: [], known: ['a', 'b'], fixed: [], gating: [] },
  },
  {
    given: 'a check that passed before fails now',
    before: { a: 'failed', c: 'passed' },
    now: { a: 'failed', c: 'failed' },
    want: { new: ['c'], known: ['a'], fixed: [], gating: ['c'] },
  },
  {
    given: 'an inconclusive check and a check absent before fail now',
    before: { a: 'inconclusive' },
    now: { a: 'failed', z: 'failed' },
    want: { new: ['a', 'z'], known: [], fixed: [], gating: ['a', 'z'] },
  },
  {
    given: 'a new warning: new, but it gates only with --fail-on should',
    before: { b: 'passed' },
    now: { b: 'warned' },
    want: { new: ['b'], known: [], fixed: [], gating: [] },
  },
  {
    given: 'the same new warning with --fail-on should',
    before: { b: 'passed' },
    now: { b: 'warned' },
    failOn: 'should',
    want: { new: ['b'], known: [], fixed: [], gating: ['b'] },
  },
  {
    given: 'a warning that became a failure is new',
    before: { b: 'warned' },
    now: { b: 'failed' },
    want: { new: ['b'], known: [], fixed: [], gating: ['b'] },
  },
  {
    given: 'a failure that became a warning stays known',
    before: { b: 'failed' },
    now: { b: 'warned' },
    want: { new: [], known: ['b'], fixed: [], gating: [] },
  },
  {
    given: 'a finding that passes, is inconclusive or is observed now is fixed; one not run is neither',
    before: { a: 'failed', b: 'warned', c: 'failed', d: 'failed' },
    now: { a: 'passed', b: 'inconclusive', c: 'observed' },
    want: { new: [], known: [], fixed: ['a', 'b', 'c'], notRun: ['d'], gating: [] },
  },
  {
    given: 'an accepted entry not yet expired is known; an expired one is new again',
    before: [
      { id: 'a', status: 'failed', summary: 'x', expires: '2026-12-03' },
      { id: 'b', status: 'failed', summary: 'x', expires: '2026-12-02' },
      { id: 'c', status: 'failed', summary: 'x', expires: '2026-12-03T08:00:00Z' },
    ],
    now: { a: 'failed', b: 'failed', c: 'failed' },
    want: { new: ['b', 'c'], known: ['a'], fixed: [], gating: ['b', 'c'] },
  },
]

describe('compareToBaseline', () => {
  test.each(TABLE)('$given', ({ before, now, failOn = 'must', want }) => {
    const baseline = Array.isArray(before)
      ? accepted(before)
      : parseBaseline(report(Object.entries(before).map(([id, s]) => result(id, s))))
    const run = report(Object.entries(now).map(([id, s]) => result(id, s)))
    const got = compareToBaseline(baseline, run, { against: 'b.json', failOn, now: NOW })
    const ids = (items: { id: string }[]) => items.map((i) => i.id)
    expect({
      new: ids(got.new),
      known: ids(got.known),
      fixed: ids(got.fixed),
      notRun: got.notRun,
      gating: ids(gatingNew(got)),
    }).toEqual({ notRun: [], ...want })
  })

  test('a new finding says what the check was before, an expired one when it expired', () => {
    const baseline = accepted([{ id: 'b', status: 'failed', summary: 'x', expires: '2026-01-01' }])
    const got = compareToBaseline(baseline, report([result('a', 'failed'), result('b', 'failed')]), {
      against: 'b.json',
      failOn: 'must',
      now: NOW,
    })
    expect(got.new).toEqual([
      { id: 'a', status: 'failed', summary: 'a broke', before: 'absent' },
      { id: 'b', status: 'failed', summary: 'b broke', before: 'failed', expired: '2026-01-01' },
    ])
  })

  test('a renamed check (an alias) stays known', () => {
    const baseline = accepted([{ id: 'old.id', status: 'failed', summary: 'x' }])
    const got = compareToBaseline(baseline, report([result('new.id', 'failed')]), {
      against: 'b.json',
      failOn: 'must',
      now: NOW,
      aliases: { 'old.id': 'new.id' },
    })
    expect(got.known.map((k) => k.id)).toEqual(['new.id'])
  })
})

describe('updatedBaseline', () => {
  test("this run's findings, known expiries kept, expired ones accepted anew, entries of checks not run kept", () => {
    const previous = accepted([
      { id: 'a', status: 'failed', summary: 'x', expires: '2027-01-01' },
      { id: 'b', status: 'failed', summary: 'x', expires: '2026-01-01' },
      { id: 'd', status: 'warned', summary: 'not run' },
    ])
    const run = report([result('a', 'failed'), result('b', 'failed'), result('c', 'warned'), result('e', 'passed')])
    const comparison = compareToBaseline(previous, run, { against: 'b.json', failOn: 'must', now: NOW })
    const file = updatedBaseline(run, previous, comparison, NOW)
    expect(file).toEqual({
      format: BASELINE_FORMAT,
      vendor: 'cube',
      target: 'http://127.0.0.1:4000/scim/v2',
      createdAt: NOW.toISOString(),
      entries: [
        { id: 'a', status: 'failed', summary: 'a broke', expires: '2027-01-01' },
        { id: 'b', status: 'failed', summary: 'b broke' },
        { id: 'c', status: 'warned', summary: 'c broke' },
        { id: 'd', status: 'warned', summary: 'not run' },
      ],
    })
    // What it writes, it reads back.
    expect(parseBaseline(JSON.parse(JSON.stringify(file))).entries).toEqual(file.entries)
  })
})

describe('parseBaseline and baselineMismatch', () => {
  test.each([
    ['an array', [], /not a JSON object/],
    ['no vendor', { target: 't', results: [] }, /no vendor and target/],
    ['neither results nor format', { vendor: 'cube', target: 't' }, /no "results"/],
    ['an unknown format', { vendor: 'cube', target: 't', format: 'x/9' }, /unknown baseline format "x\/9"/],
    ['a bad status', { format: BASELINE_FORMAT, vendor: 'cube', target: 't', entries: [{ id: 'a' }] }, /status/],
    [
      'a bad expiry',
      {
        format: BASELINE_FORMAT,
        vendor: 'cube',
        target: 't',
        entries: [{ id: 'a', status: 'failed', expires: 'soon' }],
      },
      /"expires" must be a date/,
    ],
  ])('refuses %s with one line', (_, json, message) => {
    expect(() => parseBaseline(json)).toThrow(message)
  })

  test('another vendor or target is refused; a trailing slash is no other target; embedded: vendor only', () => {
    const base = { vendor: 'cube', target: 'http://127.0.0.1:4000/scim/v2' }
    expect(baselineMismatch(base, { vendor: 'generic', target: base.target })).toMatch(/vendor cube, not generic/)
    expect(baselineMismatch(base, { vendor: 'cube', target: 'http://127.0.0.1:4001/scim/v2' })).toMatch(
      /target http:\/\/127\.0\.0\.1:4000\/scim\/v2, not/,
    )
    expect(baselineMismatch(base, { vendor: 'cube', target: 'http://127.0.0.1:4000/scim/v2/' })).toBeNull()
    expect(baselineMismatch(base, { vendor: 'cube', target: null })).toBeNull()
  })
})
