import { isDeepStrictEqual } from 'node:util'
import type { CheckResult } from '../../checks/types.ts'
import type { Exchange } from '../../http/exchange.ts'

/**
 * The transport error behind a counterexample without a response. Matched by value, not identity:
 * a report read back from JSON (or scrubbed) holds copies of the request.
 */
export function counterexampleError(result: CheckResult): Exchange['error'] {
  const request = result.counterexample?.request
  const exchanges = result.exchanges ?? []
  const same = exchanges.find((e) => e.response === null && e.error && isDeepStrictEqual(e.request, request))
  return same?.error ?? exchanges.find((e) => e.response === null && e.error)?.error ?? null
}
