import fc from 'fast-check'
import { testUserPrefix, type PostedUser, type RemoveOutcome, type UserPool } from '../checks/context.ts'
import type { CheckUsers } from '../checks/define-check.ts'
import { mix } from '../generate/mix-seed.ts'
import { type HarnessError, TargetSetupError } from '../errors.ts'
import { minimalScimUser } from '../generate/scim-user.ts'
import type { ScimClient, SendOptions } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import type { UserLedger } from './ledger.ts'

/** Thrown when a check needs more users than the target lets the harness have; the check is skipped. */
export class NotEnoughUsers extends Error {}

/**
 * The target answered a creation with a user the harness did not create (another user's id or body),
 * or a write was about to reach a user the harness cannot prove is its own. The run stops (exit 2):
 * nothing it could judge is worth the risk to a real user.
 */
export class ForeignUserError extends TargetSetupError {
  override readonly code: string = 'SCIM_ERR_FOREIGN_USER'
}

type Body = Record<string, unknown>

/**
 * userName comparison as RFC 7643 §4.1.1 has it ("case insensitive"), after the trims and normalisations
 * servers make.
 */
const nameKey = (value: unknown): string | null =>
  typeof value === 'string' ? value.normalize('NFC').trim().toLowerCase() : null
const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v)
/** Attribute names are case-insensitive (RFC 7643 §2.1). */
function attr(body: unknown, name: string): unknown {
  if (!isObject(body)) return undefined
  const lower = name.toLowerCase()
  for (const key of Object.keys(body)) if (key.toLowerCase() === lower) return body[key]
  return undefined
}

/**
 * Creates, reads and deletes the harness's own test users, and holds the evidence that each is its own.
 *
 * A user is the harness's only once confirmed: the POST's answer carries the userName the harness
 * sent, a GET of the returned id shows it too, and the id is not one known to exist before (the users
 * listed before the run, ids this run has seen created: RFC 7643 §3.1 ids are non-reassignable).
 * Every PUT, PATCH or DELETE a check sends goes through {@link guard}, which refuses any user id that
 * is not confirmed (the `--user-id` user excepted: it is saved before the run and restored after).
 * Before a DELETE, a GET must show the user still carries the harness's mark (its userName prefix, or a
 * userName the harness itself set); after it, a GET must answer 404.
 */
export class TestUsers implements UserPool {
  /** Payloads drawn so far per salt: a user's payload depends on its salt alone, not on what others drew first. */
  private readonly drawn = new Map<string, number>()
  private borrowedInUse = false
  private arbitrary: fc.Arbitrary<Body> | undefined
  private readonly prefix: string
  /** Confirmed test users → the userNames the harness has sent them (keys as {@link nameKey} makes them). */
  private readonly owned = new Map<string, Set<string>>()
  /** Ids a GET just answered 404 for: a PUT may probe them (PUT on an unknown id); nothing else may write there. */
  private readonly absent = new Set<string>()
  /** Ids of users that existed before the run (the listing read by {@link snapshotExisting}). */
  private readonly existing = new Set<string>()
  private untrusted: string | null = null

  constructor(
    private readonly client: ScimClient,
    private readonly profile: VendorProfile,
    private readonly ledger: UserLedger,
    private readonly options: { runId: string; seed: number; userId: string | null; filterSupported?: boolean },
  ) {
    this.prefix = testUserPrefix(options.runId)
  }

  usersPath(): string {
    return `${this.profile.basePath}/Users`
  }

  userPath(id: string): string {
    return `${this.profile.basePath}/Users/${encodeURIComponent(id)}`
  }

  /**
   * The payload of a new test user, deterministic for (seed, salt, how many this salt drew before): the
   * smallest the vendor's contract allows ({@link minimalScimUser}), so that it fits a server's input limits;
   * the checks' own PUTs grow it. Checks running at once, in any order, draw the same users for a seed.
   */
  payload(salt: string): Body {
    // Compiled once per run: building the arbitrary from the schema costs more than drawing a value from it.
    this.arbitrary ??= minimalScimUser(this.profile, { userNamePrefix: this.prefix })
    const n = this.drawn.get(salt) ?? 0
    this.drawn.set(salt, n + 1)
    const [value] = fc.sample(this.arbitrary, { seed: mix(this.options.seed, `${salt}#${n}`), numRuns: 1 })
    return value as Body
  }

  /**
   * Reads the first page of the users that exist before the run: their ids are never taken for a test
   * user, whatever a creation answers. Best effort (a target may refuse to list), one request.
   */
  async snapshotExisting(): Promise<void> {
    this.recordExisting(await listExisting(this.client, this.profile))
  }

  /** Takes the ids of a listing read by {@link listExisting} (sent before this pool existed) as existing users. */
  recordExisting(list: Exchange): void {
    const resources = attr(list.response?.body, 'Resources')
    if (list.response?.status !== 200 || !Array.isArray(resources)) return
    for (const resource of resources) {
      const id = attr(resource, 'id')
      if (typeof id === 'string') this.existing.add(id)
    }
  }

  async create(count: number, salt: string): Promise<CheckUsers> {
    const users: CheckUsers = { ids: [], created: [] }
    if (count === 0) return users
    if (this.options.userId !== null) {
      if (count > 1)
        throw new NotEnoughUsers(`needs ${count} test users, but --user-id gives one and the harness creates none`)
      users.ids.push(this.options.userId)
      users.created.push(await this.borrow(this.options.userId))
      return users
    }
    if (this.untrusted !== null) throw new ForeignUserError(this.untrusted)
    const halt = this.ledger.noMoreUsers()
    if (halt?.op === 'untrusted') throw new ForeignUserError((this.untrusted = halt.why))
    if (halt?.op === 'stop') throw new NotEnoughUsers(`the run is stopping (${halt.why}); no new test user is created`)
    // Each user its own POST and GET, all at once (the client keeps --concurrency); the payloads depend on
    // the salt alone, so the users are the same whichever answer comes first.
    const made = await Promise.allSettled(Array.from({ length: count }, (_, i) => this.createOne(`${salt}/user${i}`)))
    for (const m of made) {
      if (m.status !== 'fulfilled') continue
      users.ids.push(m.value.id)
      users.created.push(m.value.created)
    }
    const failed = made.find((m): m is PromiseRejectedResult => m.status === 'rejected')
    if (failed) {
      await this.remove(users)
      throw failed.reason
    }
    return users
  }

  /** POSTs one test user and confirms it is the harness's own. */
  private async createOne(salt: string): Promise<{ id: string; created: Body }> {
    const body = this.payload(salt)
    const userName = String(body.userName)
    this.ledger.posting(userName)
    const exchange = await this.client.send({
      method: 'POST',
      path: this.usersPath(),
      json: body,
      contentType: this.profile.requestMediaType,
    })
    const created = exchange.response?.body
    const id = attr(created, 'id')
    // A refusal created nothing; a lost answer may have (the sweep then looks for the userName).
    if (exchange.response && exchange.response.status >= 300) this.ledger.refused(userName)
    if (!exchange.response || exchange.response.status >= 300 || typeof id !== 'string' || !isObject(created))
      throw new TargetSetupError(creationRefused(exchange))
    const refused = await this.confirm(id, userName, created)
    if (refused !== null) {
      const why =
        `POST /Users answered ${refused}: the harness writes only to users it can prove it created, ` +
        'so no check can be judged on this target (RFC 7644 §3.3: the response is the created resource)'
      this.untrusted = why
      this.ledger.untrusted(why)
      await this.recover(userName, id)
      throw new ForeignUserError(why)
    }
    return { id, created }
  }

  async postUser(body: Body, options: Pick<SendOptions, 'onProgress'> = {}): Promise<PostedUser | null> {
    if (this.options.userId !== null || this.untrusted !== null || this.ledger.noMoreUsers() !== null) return null
    const userName = String(body.userName)
    // The mark is what lets the sweep and removeOne delete it: a check posting anything else is a harness bug.
    if (!(nameKey(userName) ?? '').startsWith(this.prefix.toLowerCase()))
      throw new TypeError(`postUser: userName ${JSON.stringify(userName)} does not carry the prefix ${this.prefix}`)
    this.ledger.posting(userName)
    const exchange = await this.client.send({
      method: 'POST',
      path: this.usersPath(),
      json: body,
      contentType: this.profile.requestMediaType,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    })
    // No answer: the run's tripwire ends it, and the sweep looks for the userName.
    if (!exchange.response) return { exchange, id: null }
    if (exchange.response.status >= 300) {
      this.ledger.refused(userName)
      return { exchange, id: null }
    }
    const created = exchange.response.body
    const id = attr(created, 'id')
    // A 2xx without the created user: whatever it made is looked for by userName (now where filtering is,
    // else by the sweep).
    if (typeof id !== 'string' || !isObject(created)) {
      await this.recover(userName, null)
      return { exchange, id: null }
    }
    // One of the harness's own users again (a server that upserts by userName): nothing new was created.
    if (this.owned.has(id)) {
      this.ledger.refused(userName)
      return { exchange, id: null }
    }
    const refused = await this.confirm(id, userName, created)
    if (refused !== null) {
      const why = `POST /Users answered ${refused}: the harness writes only to users it can prove it created`
      this.untrusted = why
      this.ledger.untrusted(why)
      await this.recover(userName, id)
      throw new ForeignUserError(why)
    }
    return { exchange, id }
  }

  /** Null when `id` is the new user this POST made; else what the answer showed instead. */
  private async confirm(id: string, userName: string, created: Body): Promise<string | null> {
    const shown = attr(created, 'userName')
    if (nameKey(shown) !== nameKey(userName))
      return (
        `id ${JSON.stringify(id)} with userName ${JSON.stringify(shown ?? null)}, ` +
        `not the ${JSON.stringify(userName)} it sent`
      )
    if (this.isKnown(id))
      return (
        `id ${JSON.stringify(id)}, the id of a user that existed before ` +
        '(listed before the run, or created earlier in it)'
      )
    const get = await this.client.send({ method: 'GET', path: this.userPath(id) })
    const stored = get.response?.body
    if (
      get.response?.status !== 200 ||
      nameKey(attr(stored, 'userName')) !== nameKey(userName) ||
      attr(stored, 'id') !== id
    ) {
      return `id ${JSON.stringify(id)}, but a GET of it ${
        get.response
          ? `answered ${get.response.status} with userName ${JSON.stringify(attr(stored, 'userName') ?? null)}`
          : `failed (${get.error?.message})`
      }`
    }
    this.claim(id, userName)
    return null
  }

  /** Records a confirmed test user: the ledger first, so that a crash after it still leaves a trace for the sweep. */
  private claim(id: string, userName: string): void {
    this.ledger.created(id, userName)
    const key = nameKey(userName)
    this.owned.set(id, new Set(key === null ? [] : [key]))
  }

  /**
   * Finds the user a POST really created when its answer could not be trusted or never came: where the
   * server supports filtering, a search for the sent userName; a user found (the sent userName, an id
   * never seen before) is adopted and deleted. True when the search settled the question.
   */
  private async recover(userName: string, answeredId: string | null): Promise<{ settled: boolean; removed: number }> {
    if (!this.options.filterSupported) return { settled: false, removed: 0 }
    const list = await this.client.send({
      method: 'GET',
      path: this.usersPath(),
      query: { filter: `userName eq "${userName.replace(/["\\]/g, '\\$&')}"` },
    })
    const resources = attr(list.response?.body, 'Resources')
    if (list.response?.status !== 200 || !Array.isArray(resources)) return { settled: false, removed: 0 }
    let settled = true
    let removed = 0
    for (const resource of resources) {
      const id = attr(resource, 'id')
      if (typeof id !== 'string' || id === answeredId || nameKey(attr(resource, 'userName')) !== nameKey(userName))
        continue
      if ((await this.adopt(id, userName)) && (await this.removeOne(id)) === 'removed') removed++
      else settled = false
    }
    // Settled: whatever the POST created is gone again, so nothing for this userName is pending any more.
    if (settled) this.ledger.refused(userName)
    return { settled, removed }
  }

  /**
   * True for ids the harness must treat as someone else's: listed before the run, already claimed, or the
   * `--user-id` user.
   */
  isKnown(id: string): boolean {
    return this.existing.has(id) || this.owned.has(id) || id === this.options.userId || this.ledger.knows(id)
  }

  /**
   * Takes a user the target made out of the harness's own request (a PUT that created one, a user
   * moved to the id sent in its body) as a test user, so that it can be deleted: only when a GET shows
   * the userName the harness sent and the id is not one known to exist before.
   */
  async adopt(id: string, userName: string): Promise<boolean> {
    if (this.owned.has(id)) return true
    if (this.isKnown(id)) return false
    const get = await this.client.send({ method: 'GET', path: this.userPath(id) })
    if (get.response?.status !== 200 || nameKey(attr(get.response.body, 'userName')) !== nameKey(userName)) return false
    this.absent.delete(id)
    this.claim(id, userName)
    return true
  }

  /**
   * Before a PUT on an id the harness made up (PUT on an unknown resource): a GET must answer 404, or
   * the PUT is not sent. A server that maps unknown ids to an existing user would otherwise have the
   * harness overwrite it. Returns null when the PUT may go, else the GET that forbids it.
   */
  async probeAbsent(id: string): Promise<Exchange | null> {
    // A drawn id that names a user (one listed before the run, e.g. a user another run's PUT created, the
    // --user-id user, or one of the harness's own): never PUT there; the GET shown is why, and the case is not
    // judged. It is no harness error: nothing was written, and the write guard still refuses any PUT there.
    const named = this.existing.has(id) || id === this.options.userId || this.owned.has(id) || this.ledger.knows(id)
    const get = await this.client.send({ method: 'GET', path: this.userPath(id) })
    const status = get.response?.status
    if (!named && (status === 404 || status === 410)) {
      this.absent.add(id)
      return null
    }
    return get
  }

  /**
   * The write guard of every request a check sends: a PUT, PATCH or DELETE of `/Users/{id}` goes only
   * to a confirmed test user, the `--user-id` user, or (PUT alone) an id a GET just showed absent.
   * Records the userNames the harness sets, which later count as its mark.
   */
  guard(options: SendOptions): void {
    const method = options.method.toUpperCase()
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'POST') return
    const base = `${this.usersPath()}/`
    if (!options.path.startsWith(base)) return
    const id = decodeURIComponent(options.path.slice(base.length))
    if (id === this.options.userId) return
    const names = this.owned.get(id)
    if (names === undefined) {
      if (method === 'PUT' && this.absent.has(id)) return
      throw new ForeignUserError(
        `refused to send ${method} ${options.path}: the harness has no evidence that it created this user`,
      )
    }
    if (method === 'PUT' || method === 'PATCH') names.add(nameKey(attr(sentBody(options), 'userName')) ?? '')
  }

  /** Deletes a check's users, all at once (the client keeps --concurrency). */
  async remove(users: CheckUsers): Promise<void> {
    await Promise.all(
      users.ids.map(async (id) => {
        if (id === this.options.userId) this.borrowedInUse = false
        else await this.removeOne(id)
      }),
    )
  }

  /**
   * Deletes one test user, with evidence before and proof after: a GET shows it still carries the
   * harness's mark, the DELETE is answered, and a GET then answers 404 (RFC 7644 §3.6: "MUST return a
   * 404 (Not Found) error code for all operations associated with the previously deleted resource").
   */
  async removeOne(id: string, ledgerUserName?: string): Promise<RemoveOutcome> {
    const before = await this.client.send({ method: 'GET', path: this.userPath(id) })
    const status = before.response?.status
    if (status === 404 || status === 410) {
      this.forget(id)
      this.ledger.removed(id)
      return 'removed'
    }
    if (status !== 200) {
      this.ledger.unanswered(
        id,
        `a GET before its DELETE ${
          before.response ? `answered ${before.response.status}` : `failed (${before.error?.message})`
        }`,
      )
      return 'unanswered'
    }
    const shown = attr(before.response!.body, 'userName')
    if (!this.carriesMark(id, shown, ledgerUserName)) {
      this.forget(id)
      this.ledger.released(
        id,
        `not deleted: it now holds userName ${JSON.stringify(shown ?? null)}, which the harness did not set`,
      )
      return 'released'
    }
    const deleted = await this.client.send({ method: 'DELETE', path: this.userPath(id) })
    // Verified whatever the DELETE answered: a 404 may mean another worker deleted it first.
    const after = await this.client.send({ method: 'GET', path: this.userPath(id) })
    const gone = after.response?.status === 404 || after.response?.status === 410
    if (gone) {
      this.forget(id)
      this.ledger.removed(id)
      return 'removed'
    }
    const answered = deleted.response
      ? `DELETE answered ${deleted.response.status}`
      : `DELETE failed (${deleted.error?.message})`
    const shownAfter = after.response
      ? `a GET then answered ${after.response.status}`
      : `a GET then failed (${after.error?.message})`
    if (deleted.response && deleted.response.status < 300) {
      this.ledger.survived(id, `${answered}, but ${shownAfter}`)
      return 'survived'
    }
    this.ledger.unanswered(id, `${answered}, and ${shownAfter}`)
    return 'unanswered'
  }

  /**
   * Deletes every user the ledger says is still there: the end of every run, passing, failing or
   * interrupted, and the sweep of an earlier run's ledger. Users no longer marked as the harness's are
   * released (reported, never touched).
   */
  async sweep(): Promise<{ removed: number; left: { id: string; userName: string; problem: string }[] }> {
    let removed = 0
    for (const { id, userName } of this.ledger.leftovers()) {
      if ((await this.removeOne(id, userName)) === 'removed') removed++
    }
    // POSTs whose answer never came (the run died, the connection broke): looked for by userName.
    for (const userName of this.ledger.unconfirmed()) removed += (await this.recover(userName, null)).removed
    const remaining = this.ledger.remaining()
    const unconfirmed = this.ledger.unconfirmed()
    // Nothing left that needs the harness (released users are reported here, never touched): the ledger goes.
    if (remaining.every((u) => u.released) && unconfirmed.length === 0) this.ledger.discard()
    return {
      removed,
      left: [
        ...remaining.map((u) => ({
          id: u.id,
          userName: u.userName,
          problem: u.problem ?? 'the target did not answer its DELETE',
        })),
        ...unconfirmed.map((userName) => ({
          id: '',
          userName,
          problem: 'its POST /Users was sent but never answered, and no search could tell whether it created the user',
        })),
      ],
    }
  }

  private carriesMark(id: string, shown: unknown, ledgerUserName: string | undefined): boolean {
    const key = nameKey(shown)
    if (key !== null && key !== '' && key.startsWith(this.prefix.toLowerCase())) return true
    const set = this.owned.get(id)
    if (set?.has(key ?? '')) return true
    return key !== null && key !== '' && ledgerUserName !== undefined && key === nameKey(ledgerUserName)
  }

  private forget(id: string): void {
    this.owned.delete(id)
    this.absent.delete(id)
  }

  /** Lends the `--user-id` user to one check at a time (the run saved it before any check, see `saveUser`). */
  private async borrow(id: string): Promise<Body> {
    if (this.borrowedInUse) throw new NotEnoughUsers('the --user-id user is in use by another check')
    this.borrowedInUse = true
    const exchange = await this.client.send({ method: 'GET', path: this.userPath(id) })
    const body = exchange.response?.body
    if (exchange.response?.status !== 200 || !isObject(body)) {
      throw new TargetSetupError(`cannot read the --user-id user: ${describeExchange(exchange)}`)
    }
    return body
  }

  /** Reads a user as it is now, so that `restoreUser` can put it back after the run modified it. */
  async saveUser(id: string): Promise<Body> {
    const exchange = await this.client.send({ method: 'GET', path: this.userPath(id) })
    const body = exchange.response?.body
    if (exchange.response?.status !== 200 || !isObject(body)) {
      throw new TargetSetupError(`cannot read the --user-id user ${id}: ${describeExchange(exchange)}`)
    }
    return body
  }

  /** Puts a saved user back (a PUT of its whole saved representation, which RFC 7644 §3.5.1 allows). */
  async restoreUser(id: string, saved: Body): Promise<Exchange> {
    return this.client.send({
      method: 'PUT',
      path: this.userPath(id),
      json: saved,
      contentType: this.profile.requestMediaType,
    })
  }
}

/**
 * Reads the first page of the users that exist before the run ({@link TestUsers.recordExisting} takes it):
 * best effort (a target may refuse to list), one request.
 */
export function listExisting(client: ScimClient, profile: VendorProfile): Promise<Exchange> {
  return client.send({ method: 'GET', path: `${profile.basePath}/Users`, query: { startIndex: '1', count: '200' } })
}

/** A client whose every write passes {@link TestUsers.guard} first: what checks are given. */
export function guardedClient(client: ScimClient, users: TestUsers): ScimClient {
  return {
    get exchangeCount() {
      return client.exchangeCount
    },
    send: (options) => {
      try {
        users.guard(options)
      } catch (error) {
        return Promise.reject(error as HarnessError)
      }
      return client.send(options)
    },
    close: () => client.close(),
  }
}

function sentBody(options: SendOptions): unknown {
  if (options.json !== undefined) return options.json
  if (typeof options.rawBody === 'string' && options.rawBody.length < 1 << 16) {
    try {
      return JSON.parse(options.rawBody)
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * Statuses by which a service says it allows no creation at all (RFC 7644 Table 8): only then is `--user-id`
 * the way on.
 */
const NO_CREATION = [401, 403, 405, 501]

/**
 * Why no test user could be created. `--user-id` is advised only when `POST /Users` itself is refused;
 * a payload the server found invalid (400) is the minimal one, and the server's own detail says why.
 */
export function creationRefused(exchange: Exchange): string {
  const status = exchange.response?.status
  // The run's first read was allowed (src/run/preflight.ts): a 401/403 here is about the token's rights to write.
  if (status === 401 || status === 403)
    return (
      `cannot create a test user: ${describeExchange(exchange)}. The token may read Users but not create them: ` +
      'give it the right to create, replace and delete Users, or pass --user-id of a user it may replace.'
    )
  if (status !== undefined && NO_CREATION.includes(status))
    return (
      `cannot create a test user: ${describeExchange(exchange)}. ` +
      'If the service allows no creation, pass --user-id of a user the harness may modify and restore.'
    )
  if (status === 400) {
    const body = exchange.response!.body
    const detail =
      isObject(body) && typeof body.detail === 'string' ? body.detail.replace(/\s+/g, ' ').slice(0, 300) : null
    return (
      `cannot create a test user: the smallest payload the vendor's contract allows (${describeSent(exchange)}) ` +
      `was refused: ${exchange.request.method} ${exchange.request.url} answered 400` +
      (detail ? `: ${detail}` : ` ${exchange.response!.bodyText.replace(/\s+/g, ' ').slice(0, 200)}`)
    )
  }
  if (status !== undefined && status < 300)
    return (
      `cannot create a test user: ${describeExchange(exchange)}, without the created user and its id ` +
      '(RFC 7644 §3.3: the response is the created resource)'
    )
  return `cannot create a test user: ${describeExchange(exchange)}`
}

/** The attributes a request body carried, by name. */
function describeSent(exchange: Exchange): string {
  try {
    const body: unknown = JSON.parse(exchange.request.body ?? '')
    if (isObject(body)) return `attributes ${Object.keys(body).join(', ')}`
  } catch {}
  return 'its body'
}

export function describeExchange(exchange: Exchange): string {
  const { request, response, error } = exchange
  if (error) return `${request.method} ${request.url} failed: ${error.message}`
  const body = response!.bodyText.replace(/\s+/g, ' ').slice(0, 200)
  return `${request.method} ${request.url} answered ${response!.status}${body ? ` ${body}` : ''}`
}
