import type { IncomingHttpHeaders } from 'node:http'
import type { RequestBody } from './body.ts'
import type { ServerConstraints } from './constraints.ts'
import type { Flavor } from './flavor.ts'
import type { StoredUser, UserStore } from './store.ts'
import type { RefusalRule, UserInput } from './validate-user.ts'

/**
 * The extension point of the reference server: typed hooks through which a caller (the project's tests) sees
 * and changes what the server does at one stage of a request. The server itself never needs one: without
 * hooks it is the correct RFC 7643/7644 server. Each hook is optional; a server takes a list of hook objects
 * and consults them in order. Decision hooks get the server's own answer as `correct`: the first hook that
 * returns a value (not `undefined`) decides. Hooks that alter (`request`, `body`, `write`, `resource`,
 * `error`, `response`) all run, in order, on the same mutable object; the first early answer wins.
 *
 * The stages of a request, in order: `authorize` → `request` → (on /Users/{id}) `target` → `ifMatch` →
 * `body` → (validation) `value`, `refusal` → `uniqueness` → `write` → `resource` → `error` (errors only) →
 * `response`.
 * `request`, `target`, `ifMatch`, `body` and `write` may be async: the server awaits them. Without an
 * awaited hook the server checks and writes in one turn of the event loop (uniqueness and If-Match hold
 * under concurrency); a hook that awaits real time between them opens that window on purpose.
 */
export interface ServerHooks {
  /** A name for messages (the project's faults use theirs). */
  readonly name?: string
  /** Whether the request is authenticated (`correct`: it carries the right bearer token, or none is needed). */
  authorize?(call: DecisionCall<boolean>): boolean | undefined
  /** Sees an authenticated request before it is routed; may alter `headers`, `query`, `body`, or answer it. */
  request?(exchange: Exchange): Awaitable<Answer | undefined>
  /** The stored user a request on /Users/{id} addresses (`correct`: the store's; null: none, 404). */
  target?(call: TargetCall): Awaitable<StoredUser | null | undefined>
  /** Whether an If-Match header holds for the addressed user (`correct`: RFC 9110 §13.1.1 weak comparison). */
  ifMatch?(call: IfMatchCall): Awaitable<boolean | undefined>
  /** Sees (and may replace) the parsed JSON body of a PUT or POST before validation, or answers the request. */
  body?(call: BodyCall): Awaitable<Answer | undefined>
  /** A rule the validator is about to refuse the body for: return false to waive it (validation goes on). */
  refusal?(call: RefusalCall): boolean | undefined
  /** An attribute value the validator reads, as sent: return a detail to refuse the body (400 invalidValue). */
  value?(call: ValueCall): string | undefined
  /** Whether a stored user's userName clashes with the one requested (`correct`: equal ignoring case). */
  uniqueness?(call: UniquenessCall): boolean | undefined
  /** A change about to be stored (create, replace, delete): may alter `next`, skip the save, pick `shown`. */
  write?(call: WriteCall): Awaitable<void>
  /** A User resource rendered for a response (before `attributes`/`excludedAttributes`): may alter it. */
  resource?(call: ResourceCall): void
  /** An error about to be formatted (status, scimType, detail, headers): may alter it. */
  error?(call: ErrorCall): void
  /** A response about to be sent (status, headers, JSON body, media type): may alter it. */
  response?(call: ResponseCall): void
}

export type Awaitable<T> = T | Promise<T>

/** What hooks may read of the server: its flavor, its store (live: hooks may read and write it) and settings. */
export interface ServerView {
  readonly flavor: Flavor
  readonly store: UserStore
  readonly etag: boolean
  readonly token: string | null
  readonly constraints: ServerConstraints | null
  /** Origin + base path. */
  readonly baseUrl: string
}

/** Where a request goes: /Users, /Users/{id}, a discovery endpoint, or anything else. */
export type Route = 'users' | 'user' | 'discovery' | 'other'

/** The request being served. `headers`, `query` and `body` are the server's working copies: hooks may alter them. */
export interface Exchange {
  readonly method: string
  /** The URL path, as sent. */
  readonly path: string
  readonly route: Route
  /** The decoded id of /Users/{id}, or the resource id of a discovery endpoint. */
  readonly id: string | undefined
  headers: IncomingHttpHeaders
  query: URLSearchParams
  body: RequestBody
  readonly server: ServerView
}

/** An early answer from a hook: an error (formatted in the flavor's error format) or a success. */
export type Answer =
  | { status: number; error: string; scimType?: ScimType; reason?: ErrorReason; headers?: Record<string, string> }
  | { status: number; body?: unknown; headers?: Record<string, string>; error?: undefined }

/** RFC 7644 §3.12 Table 9 keywords the server uses. */
export type ScimType = 'invalidSyntax' | 'invalidValue' | 'uniqueness' | 'invalidFilter' | 'mutability' | 'noTarget'

/** Why the server answers an error: lets hooks tell apart errors of the same status. */
export type ErrorReason =
  | 'unauthorized'
  | 'not-found'
  | 'method-not-allowed'
  | 'not-implemented'
  | 'unsupported-media-type'
  | 'too-large'
  | 'unparsable'
  | 'invalid'
  | 'invalid-filter'
  | 'uniqueness'
  | 'precondition-failed'
  | 'internal'
  /** An early answer of a hook that names no reason. */
  | 'hook'

export interface DecisionCall<T> {
  exchange: Exchange
  /** What the server decides on its own. */
  correct: T
}

export interface TargetCall extends DecisionCall<StoredUser | null> {
  id: string
}

export interface IfMatchCall extends DecisionCall<boolean> {
  header: string
  /** The addressed user's entity tag (`meta.version`). */
  currentTag: string
  user: StoredUser
}

export interface BodyCall {
  exchange: Exchange
  operation: 'create' | 'replace'
  /** The parsed JSON body: replace it to change what the validator sees. */
  body: unknown
  /** The user a PUT replaces (undefined for a POST). */
  target: StoredUser | undefined
}

export type { RefusalRule }

/** `correct` is always true: the server refuses. */
export interface RefusalCall extends DecisionCall<boolean> {
  rule: RefusalRule
  /** The attribute path refused (`schemas`, `userName`, `emails`, `emails[0].value`, …). */
  path: string
  detail: string
}

export interface ValueCall {
  exchange: Exchange
  /** The attribute path (`name`, `name.givenName`, `emails[0].type`, an extension URN, `urn:…:User:department`). */
  path: string
  /** The value as sent (`null` included). */
  value: unknown
}

export interface UniquenessCall extends DecisionCall<boolean> {
  userName: string
  /** Another stored user (not the one a PUT replaces). */
  other: StoredUser
}

/** A change about to be stored; `save: false` leaves the store as it is, the response is sent all the same. */
export type WriteCall = CreateCall | ReplaceCall | DeleteCall

export interface CreateCall {
  operation: 'create'
  exchange: Exchange
  previous: undefined
  input: UserInput
  next: StoredUser
  save: boolean
  /** The user the response shows. @defaultValue next */
  shown?: StoredUser
}

export interface ReplaceCall {
  operation: 'replace'
  exchange: Exchange
  previous: StoredUser
  input: UserInput
  /** The correct next state (RFC 7644 §3.5.1); alter it or replace it. */
  next: StoredUser
  save: boolean
  /** The user the response shows. @defaultValue next */
  shown?: StoredUser
}

export interface DeleteCall {
  operation: 'delete'
  exchange: Exchange
  previous: StoredUser
  next: undefined
  save: boolean
}

export interface ResourceCall {
  exchange: Exchange
  user: StoredUser
  resource: Record<string, unknown>
}

/** An error before it is formatted. */
export interface ServerError {
  status: number
  reason: ErrorReason
  detail: string
  scimType?: ScimType
  headers: Record<string, string>
}

export interface ErrorCall {
  exchange: Exchange
  error: ServerError
}

/** A response before it is sent; `body` undefined sends none (and no Content-Type). */
export interface OutgoingResponse {
  status: number
  headers: Record<string, string>
  body: unknown
  mediaType: string
  /** The error this response carries (after the `error` hooks), if it is one. */
  error?: ServerError
}

export interface ResponseCall {
  exchange: Exchange
  response: OutgoingResponse
}

/** The first decision a hook makes, or `correct` when none decides. */
export function decide<C extends DecisionCall<T>, T>(
  hooks: readonly ServerHooks[],
  pick: (hook: ServerHooks) => ((call: C) => T | undefined) | undefined,
  call: C,
): T {
  for (const hook of hooks) {
    const decided = pick(hook)?.call(hook, call)
    if (decided !== undefined) return decided
  }
  return call.correct
}

/** Like `decide`, awaiting hooks that answer with a promise. */
export async function decideAsync<C extends DecisionCall<T>, T>(
  hooks: readonly ServerHooks[],
  pick: (hook: ServerHooks) => ((call: C) => Awaitable<T | undefined>) | undefined,
  call: C,
): Promise<T> {
  for (const hook of hooks) {
    const decided = await pick(hook)?.call(hook, call)
    if (decided !== undefined) return decided
  }
  return call.correct
}

/** The first early answer of the hooks (each awaited in turn), or undefined when none answers. */
export async function firstAnswer<A>(
  hooks: readonly ServerHooks[],
  pick: (hook: ServerHooks) => ((arg: A) => Awaitable<Answer | undefined>) | undefined,
  arg: A,
): Promise<Answer | undefined> {
  for (const hook of hooks) {
    const answer = await pick(hook)?.call(hook, arg)
    if (answer !== undefined) return answer
  }
  return undefined
}

/** Runs every hook that alters `arg`, in order. */
export function alter<A>(
  hooks: readonly ServerHooks[],
  pick: (hook: ServerHooks) => ((arg: A) => void) | undefined,
  arg: A,
): void {
  for (const hook of hooks) pick(hook)?.call(hook, arg)
}
