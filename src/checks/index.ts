import { assertUniqueIds, type CheckDefinition } from './define-check.ts'
import { ATTRIBUTES_CHECKS } from './areas/attributes.ts'
import { AUTH_CHECKS } from './areas/auth.ts'
import { ERROR_CHECKS } from './areas/errors.ts'
import { ETAG_CHECKS } from './areas/etag.ts'
import { INVALID_CHECKS } from './areas/invalid.ts'
import { MEDIA_CHECKS } from './areas/media.ts'
import { META_CHECKS } from './areas/meta.ts'
import { READONLY_CHECKS } from './areas/readonly.ts'
import { REPLACE_CHECKS } from './areas/replace.ts'
import { SCHEMA_CHECKS } from './areas/schema.ts'
import { STABILITY_CHECKS } from './areas/stability.ts'
import { STATUS_CHECKS } from './areas/status.ts'
import { UNIQUENESS_CHECKS } from './areas/uniqueness.ts'
import { DECLARED_CHECKS } from './areas/declared.ts'
import { SEQUENCE_CHECKS } from './areas/sequence.ts'
import { CONCURRENCY_CHECKS } from './areas/concurrency.ts'

/**
 * Every check, in report order. An explicit list: importing a check file registers nothing. The ids are
 * the `--only`/`--skip` values and the JUnit testcase names.
 */
// biome-ignore lint/suspicious/noExplicitAny: each check has its own case type, and the runner treats them all alike.
export const CHECKS: readonly CheckDefinition<any>[] = [
  ...STATUS_CHECKS,
  ...INVALID_CHECKS,
  ...ERROR_CHECKS,
  ...SCHEMA_CHECKS,
  ...REPLACE_CHECKS,
  ...READONLY_CHECKS,
  ...META_CHECKS,
  ...UNIQUENESS_CHECKS,
  ...AUTH_CHECKS,
  ...ETAG_CHECKS,
  ...MEDIA_CHECKS,
  ...STABILITY_CHECKS,
  ...ATTRIBUTES_CHECKS,
  ...DECLARED_CHECKS,
  ...SEQUENCE_CHECKS,
  ...CONCURRENCY_CHECKS,
]
assertUniqueIds(CHECKS)

export { CHECK_ALIASES } from './aliases.ts'
export { selectChecks, unknownCheckIds } from './select.ts'
