import type { Capabilities } from '../discovery/index.ts'
import type { ScimClient, SendOptions } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import type { AttributeDefinition } from '../scim/attribute.ts'
import type { Contract } from './types.ts'

/** What the server says about itself, read once before the checks. */
export interface Discovery {
  /** Parsed /ServiceProviderConfig, or null when it is missing or unreadable (then `notes` says why). */
  capabilities: Capabilities | null
  /** Attribute characteristics the server declares in /Schemas (lower-cased paths), or null. */
  declared: Map<string, AttributeDefinition> | null
  notes: string[]
  exchanges: Exchange[]
}

/**
 * The server's input constraints, learned once per run before any check (src/run/learn-constraints.ts)
 * by control experiments on a confirmed test user: its accepted state plus exactly one stress at a time,
 * a 400 with an error body counting as the constraint. RFC-permitted choices of the service provider
 * (RFC 7644 §3.12 `invalidValue`, §3.5.1 "MAY assign a default value"), never findings. The generator
 * keeps every check's payloads within them (src/checks/probes/payloads.ts).
 */
export interface ServerConstraints {
  /** Longest free-text string the server accepted (code points) when a longer one was refused; null: no cap seen. */
  maxLength: number | null
  /** Two values with the same `type` in a multi-valued attribute were refused. */
  oneValuePerType: boolean
  /** An empty complex item `{}` in a multi-valued attribute was refused. */
  noEmptyItems: boolean
  /** Attribute → the value the server assigned when the attribute was omitted (a default, not an old value). */
  defaults: Record<string, unknown>
  /** What was learned as traits (`constraint.maxLength` → `100 (256 refused: 400 invalidValue …)`), for the report. */
  traits: Record<string, string>
  /** Why an experiment told nothing (no test user, a control refused, a 5xx), for the report's notes. */
  notes: string[]
}

/** Nothing learned: the generator's payloads are exactly those of an unconstrained run. */
export const NO_CONSTRAINTS: Readonly<ServerConstraints> = Object.freeze({
  maxLength: null,
  oneValuePerType: false,
  noEmptyItems: false,
  defaults: Object.freeze({}) as Record<string, unknown>,
  traits: Object.freeze({}) as Record<string, string>,
  notes: Object.freeze([]) as unknown as string[],
})

/** What a check knows of the run: the few settings that shape its cases, never a credential. */
export interface CheckRun {
  /** Stamped into every test user's userName (see {@link testUserPrefix}). */
  runId: string
  seed: number
  runs: number
  maxShrinks: number
  /** `--path`: replay exactly the case at this fast-check path (of the check's own seed), or null. */
  path: string | null
  /** `--strict-rfc`: the RFC wins where the vendor's document departs from it. */
  strictRfc: boolean
  /** True when the run sends a credential (the auth checks need one to take away). */
  authenticated: boolean
  /** How it authenticates: a bearer token, HTTP Basic, OAuth client credentials (a fetched bearer token). */
  authScheme?: 'bearer' | 'basic' | 'oauth'
  /** `--user-id`: the existing user the run borrows instead of creating test users (null or absent: none). */
  userId?: string | null
}

/** A POST /Users the pool sent for a check, and the test user it created (null: none). */
export interface PostedUser {
  exchange: Exchange
  id: string | null
}

/** What became of a user the harness deleted. */
export type RemoveOutcome = 'removed' | 'survived' | 'released' | 'unanswered'

/**
 * The harness's own test users, behind one interface: their lifecycle, their ledger and the ownership
 * rules (only users the harness can prove it created are ever written or deleted).
 */
export interface UserPool {
  usersPath(): string
  userPath(id: string): string
  /** Creates `count` confirmed test users for one check (or lends the `--user-id` user). */
  create(count: number, salt: string): Promise<CheckUsers>
  /** Deletes a check's users again, each DELETE verified. */
  remove(users: CheckUsers): Promise<void>
  /** Deletes one user the harness owns; the outcome says whether a GET then answered 404. */
  removeOne(id: string): Promise<RemoveOutcome>
  /**
   * POST /Users of `body`, a new user whose userName carries the run's prefix (e.g. racing a PUT for that
   * userName): in the ledger before it is sent, the user it creates confirmed and claimed as a test user
   * (delete it with `removeOne`; else the end-of-run sweep does), a refusal recorded as creating nothing.
   * `id` is the new test user's, or null when the POST created none. Null when the pool creates no users
   * (`--user-id`, the run stopping).
   */
  postUser(body: Record<string, unknown>, options?: Pick<SendOptions, 'onProgress'>): Promise<PostedUser | null>
  /** Takes a user a request of the harness made (a PUT that created one) as its own, on evidence. */
  adopt(id: string, userName: string): Promise<boolean>
  /** Before a PUT on a made-up id: null when a GET answered 404, else the GET that forbids the PUT. */
  probeAbsent(id: string): Promise<Exchange | null>
  /** True for ids that belong to someone else (listed before the run, another test user, `--user-id`). */
  isKnown(id: string): boolean
}

/**
 * Everything a check may use: the vendor, the target (through a client whose writes are guarded), the
 * server's declarations, the test users and the few run settings it needs. No token, no RunConfig.
 */
export interface CheckContext {
  /** The id of the check in progress, set by the runner: it salts the check's payloads and test users. */
  checkId: string
  run: CheckRun
  profile: VendorProfile
  client: ScimClient
  discovery: Discovery
  users: UserPool
  /** The server's input constraints learned before the checks (read-only; {@link NO_CONSTRAINTS} when none). */
  readonly constraints: Readonly<ServerConstraints>
  /**
   * Characteristics of a User attribute path (`userName`, `name.givenName`, `emails.value`, `<urn>:role`):
   * the server's declaration, else RFC 7643's.
   */
  attribute(path: string): AttributeDefinition | undefined
  /** Which contract judges a check here: its own `contract`, resolved against this context. */
  contractOf(check: { contract?: Contract | ((ctx: CheckContext) => Contract) }): Contract
}

/** The test users a check runs on, created for it and deleted after it. */
export interface CheckUsers {
  ids: string[]
  /** The representations as the server returned them after creation. */
  created: Record<string, unknown>[]
}

/** Prefix of every test user's userName, so leftovers can be found: `scimc-<runId>-`. */
export function testUserPrefix(runId: string): string {
  return `scimc-${runId}-`
}
