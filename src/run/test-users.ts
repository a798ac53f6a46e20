import fc from 'fast-check'
import { TargetSetupError } from '../errors.ts'
import { scimUser } from '../generate/scim-user.ts'
import type { Exchange } from '../http/exchange.ts'
import type { ScimClient } from '../http/client.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import type { CheckUsers } from '../checks/define-check.ts'
import type { UserLedger } from './ledger.ts'

/** Thrown when a check needs more users than the target lets the harness have; the check is skipped. */
export class NotEnoughUsers extends Error {}

/** Prefix of every test user's userName, so leftovers can be found: `scimc-<runId>-`. */
export function testUserPrefix(runId: string): string {
  return `scimc-${runId}-`
}

/**
 * Creates, reads and deletes the harness's own test users. It never touches a user it did not
 * create, except the one `--user-id` names, which it saves first and restores at the end.
 */
export class TestUsers {
  private counter = 0
  private borrowedInUse = false
  private arbitrary: fc.Arbitrary<Record<string, unknown>> | undefined

  constructor(
    private readonly client: ScimClient,
    private readonly profile: VendorProfile,
    private readonly ledger: UserLedger,
    private readonly options: { runId: string; seed: number; userId: string | null },
  ) {}

  usersPath(): string {
    return `${this.profile.basePath}/Users`
  }

  userPath(id: string): string {
    return `${this.profile.basePath}/Users/${encodeURIComponent(id)}`
  }

  /** A valid payload for a new test user, deterministic for (seed, salt). */
  payload(salt: string): Record<string, unknown> {
    // Compiled once per run: building the arbitrary from the schema costs more than drawing a value from it.
    this.arbitrary ??= scimUser(this.profile, { userNamePrefix: testUserPrefix(this.options.runId) })
    const [value] = fc.sample(this.arbitrary, { seed: mix(this.options.seed, `${salt}#${this.counter++}`), numRuns: 1 })
    return value as Record<string, unknown>
  }

  async create(count: number, salt: string): Promise<CheckUsers> {
    const users: CheckUsers = { ids: [], created: [] }
    if (count === 0) return users
    if (this.options.userId !== null) {
      if (count > 1) throw new NotEnoughUsers(`needs ${count} test users, but --user-id gives one and the harness creates none`)
      users.ids.push(this.options.userId)
      users.created.push(await this.borrow(this.options.userId))
      return users
    }
    try {
      for (let i = 0; i < count; i++) {
        const body = this.payload(`${salt}/user${i}`)
        const exchange = await this.client.send({ method: 'POST', path: this.usersPath(), json: body, contentType: this.profile.requestMediaType })
        const created = exchange.response?.body as Record<string, unknown> | undefined
        const id = created && typeof created.id === 'string' ? created.id : null
        if (!exchange.response || exchange.response.status >= 300 || id === null) {
          throw new TargetSetupError(`cannot create a test user: ${describeExchange(exchange)}. If the service allows no creation, pass --user-id of a user the harness may modify and restore.`)
        }
        this.ledger.created(id, String(body.userName))
        users.ids.push(id)
        users.created.push(created!)
      }
    } catch (error) {
      await this.remove(users)
      throw error
    }
    return users
  }

  async remove(users: CheckUsers): Promise<void> {
    for (const id of users.ids) {
      if (id === this.options.userId) {
        this.borrowedInUse = false
        continue
      }
      const exchange = await this.client.send({ method: 'DELETE', path: this.userPath(id) })
      const status = exchange.response?.status
      // 404: already gone (e.g. a check deleted it); anything else leaves it for the final sweep.
      if (status !== undefined && ((status >= 200 && status < 300) || status === 404)) this.ledger.removed(id)
    }
  }

  /** Deletes every user the ledger says is still there: the end of every run, passing, failing or interrupted. */
  async sweep(): Promise<{ removed: number; left: string[] }> {
    const left: string[] = []
    let removed = 0
    for (const { id } of this.ledger.leftovers()) {
      const exchange = await this.client.send({ method: 'DELETE', path: this.userPath(id) })
      const status = exchange.response?.status
      if (status !== undefined && ((status >= 200 && status < 300) || status === 404)) {
        this.ledger.removed(id)
        removed++
      } else left.push(id)
    }
    return { removed, left }
  }

  /** Lends the `--user-id` user to one check at a time (the run saved it before any check, see `saveUser`). */
  private async borrow(id: string): Promise<Record<string, unknown>> {
    if (this.borrowedInUse) throw new NotEnoughUsers('the --user-id user is in use by another check')
    this.borrowedInUse = true
    const exchange = await this.client.send({ method: 'GET', path: this.userPath(id) })
    const body = exchange.response?.body as Record<string, unknown> | undefined
    if (!exchange.response || exchange.response.status !== 200 || !body || typeof body !== 'object') {
      throw new TargetSetupError(`cannot read the --user-id user: ${describeExchange(exchange)}`)
    }
    return body
  }

  /** Reads a user as it is now, so that `restoreUser` can put it back after the run modified it. */
  async saveUser(id: string): Promise<Record<string, unknown>> {
    const exchange = await this.client.send({ method: 'GET', path: this.userPath(id) })
    const body = exchange.response?.body
    if (!exchange.response || exchange.response.status !== 200 || typeof body !== 'object' || body === null) {
      throw new TargetSetupError(`cannot read the --user-id user ${id}: ${describeExchange(exchange)}`)
    }
    return body as Record<string, unknown>
  }

  /** Puts a saved user back (a PUT of its whole saved representation, which RFC 7644 §3.5.1 allows). */
  async restoreUser(id: string, saved: Record<string, unknown>): Promise<Exchange> {
    return this.client.send({ method: 'PUT', path: this.userPath(id), json: saved, contentType: this.profile.requestMediaType })
  }
}

export function describeExchange(exchange: Exchange): string {
  const { request, response, error } = exchange
  if (error) return `${request.method} ${request.url} failed: ${error.message}`
  const body = response!.bodyText.replace(/\s+/g, ' ').slice(0, 200)
  return `${request.method} ${request.url} answered ${response!.status}${body ? ` ${body}` : ''}`
}

/** Deterministic 31-bit seed from the run seed and a salt (FNV-1a), so checks stay reproducible whatever order they run in. */
export function mix(seed: number, salt: string): number {
  let h = 0x811c9dc5 ^ seed
  for (let i = 0; i < salt.length; i++) {
    h ^= salt.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) & 0x7fffffff
}
