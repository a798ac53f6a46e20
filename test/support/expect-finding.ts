import { expect } from 'vitest'
import type { Verdict } from '../../src/checks/define-check.ts'
import { findingText } from '../../src/checks/define-check.ts'

/** What a given/want row expects of a violation's facts: a pattern (or a substring) per field. */
export interface WantFinding {
  received: RegExp | string
  expected: RegExp | string
  fix?: RegExp | string
}

/**
 * A graded violation carries its facts as fields (issue 13 item 4): `received` (what the server did),
 * `expected` (what the rule asks), `fix` when the row names one; the message is their text.
 */
export function expectFinding(v: Verdict, want: WantFinding): void {
  expect(v.finding, `no finding: ${v.message}`).toBeDefined()
  const f = v.finding!
  const match = (actual: string | undefined, w: RegExp | string, field: string) =>
    typeof w === 'string' ? expect(actual, field).toContain(w) : expect(actual, field).toMatch(w)
  match(f.received, want.received, 'finding.received')
  match(f.expected, want.expected, 'finding.expected')
  if (want.fix !== undefined) match(f.fix, want.fix, 'finding.fix')
  expect(v.message).toBe(findingText(f))
}
