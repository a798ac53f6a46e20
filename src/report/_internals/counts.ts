import type { CheckResult, Level, Outcome } from '../../checks/types.ts'
import { LEVELS, OUTCOMES } from './text.ts'

export type OutcomeCounts = Record<Outcome, number>

function emptyCounts(): OutcomeCounts {
  return { passed: 0, failed: 0, warned: 0, observed: 0, inconclusive: 0, skipped: 0 }
}

/** Outcome counts per RFC 2119 level, computed from the results. */
export function countsByLevel(results: readonly CheckResult[]): Record<Level, OutcomeCounts> {
  const counts = Object.fromEntries(LEVELS.map((level) => [level, emptyCounts()])) as Record<Level, OutcomeCounts>
  for (const r of results) counts[r.level][r.status]++
  return counts
}

/** `3 passed, 1 failed` (outcomes with a zero count left out; `none` when all are zero). */
export function describeCounts(counts: OutcomeCounts): string {
  const parts = OUTCOMES.filter((o) => counts[o] > 0).map((o) => `${counts[o]} ${o}`)
  return parts.length > 0 ? parts.join(', ') : 'none'
}
