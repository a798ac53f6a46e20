import type { CheckUsers } from '../define-check.ts'

const seen = new WeakMap<CheckUsers, Map<string, unknown>>()

/**
 * A value as the check first found it on its test users, before any of its own PUTs: the baseline for
 * "a PUT never changes this". Comparing with the state just before each case is too weak: once a faulty
 * server has stored a decoy, the same decoy sent again (shrinking converges on one) looks ignored.
 */
export function firstSeen(users: CheckUsers, key: string, current: unknown): unknown {
  let values = seen.get(users)
  if (!values) seen.set(users, (values = new Map()))
  if (!values.has(key)) values.set(key, structuredClone(current))
  return values.get(key)
}
