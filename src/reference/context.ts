import type { ServerConstraints } from './constraints.ts'
import type { Flavor } from './flavor.ts'
import type { ServerHooks, ServerView } from './hooks.ts'
import type { UserStore } from './store.ts'

/** Everything a request handler needs: the flavor, the store, the settings, and the hooks of a caller. */
export interface ServerContext extends ServerView {
  readonly flavor: Flavor
  readonly store: UserStore
  /** The input limits of a constrained server (RFC-permitted, not faults); null for the unconstrained server. */
  readonly constraints: ServerConstraints | null
  readonly token: string | null
  readonly etag: boolean
  /** Origin + base path, set once the server listens. */
  baseUrl: string
  /** When the server started: `meta.created` of the discovery resources. */
  readonly startedAt: string
  /** The caller's hooks (see ServerHooks); none on a correct server. */
  readonly hooks: readonly ServerHooks[]
}
