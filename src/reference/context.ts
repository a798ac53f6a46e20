import type { ServerConstraints } from './constraints.ts'
import type { Faults } from './faults.ts'
import type { Flavor } from './flavor.ts'
import type { UserStore } from './store.ts'

/** Everything a request handler needs: the flavor, the store, the switches, and per-server counters. */
export interface ServerContext {
  flavor: Flavor
  store: UserStore
  faults: Faults
  /** The input limits of a constrained server (RFC-permitted, not faults); null for the unconstrained server. */
  constraints: ServerConstraints | null
  token: string | null
  etag: boolean
  /** Origin + base path, set once the server listens. */
  baseUrl: string
  /** When the server started: `meta.created` of the discovery resources. */
  startedAt: string
  /** PUT requests seen per user id (the path's id), for fault 'intermittent-500'. */
  putCounts: Map<string, number>
}
