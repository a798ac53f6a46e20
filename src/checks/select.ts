import { CHECK_ALIASES } from './aliases.ts'
import { CHECK_IDS } from './ids.ts'

/** The catalog as far as selection sees it: ids alone. */
const CATALOG_IDS = CHECK_IDS.map((id) => ({ id }))

/** Applies `--only` and `--skip` (exact ids or former ids, or a prefix ending in `*` such as `put.etag.*`). */
export function selectChecks<T extends { id: string }>(checks: readonly T[], only: string[], skip: string[]): T[] {
  const matches = (id: string, pattern: string) =>
    pattern.endsWith('*') ? id.startsWith(pattern.slice(0, -1)) : id === (CHECK_ALIASES[pattern] ?? pattern)
  return checks.filter(
    (c) => (only.length === 0 || only.some((p) => matches(c.id, p))) && !skip.some((p) => matches(c.id, p)),
  )
}

/** Unknown ids in `--only`/`--skip` are a usage error (a typo would silently run nothing). */
export function unknownCheckIds(patterns: string[]): string[] {
  return patterns.filter((p) => selectChecks(CATALOG_IDS, [p], []).length === 0)
}

/** How many checks `--only` and `--skip` select, counted without loading the checks. */
export function selectedCount(only: string[], skip: string[]): number {
  return selectChecks(CATALOG_IDS, only, skip).length
}
