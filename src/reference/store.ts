import { randomUUID } from 'node:crypto'

/** One stored User: attribute values under canonical names, plus the server-managed parts. */
export interface StoredUser {
  id: string
  /** Core and common attributes by canonical name, extension objects by URN; `password` included. */
  data: Record<string, unknown>
  /** Group memberships; always empty (there is no Groups resource), unless a hook stores some. */
  groups: unknown[]
  created: string
  /** Epoch milliseconds of the last change. */
  lastModified: number
  /** Counter behind `meta.version` (`W/"n"`). */
  version: number
}

/** In-memory Users, in creation order. */
export class UserStore {
  readonly #users = new Map<string, StoredUser>()

  get(id: string): StoredUser | undefined {
    return this.#users.get(id)
  }

  all(): StoredUser[] {
    return [...this.#users.values()]
  }

  /** Stores a new user (see newUser). */
  create(data: Record<string, unknown>, now: number, id?: string): StoredUser {
    const user = newUser(data, now, id)
    this.#users.set(user.id, user)
    return user
  }

  /** Saves `user` under its id; `previousId` is dropped when the id changed. */
  save(user: StoredUser, previousId: string = user.id): void {
    if (previousId !== user.id) this.#users.delete(previousId)
    this.#users.set(user.id, user)
  }

  delete(id: string): boolean {
    return this.#users.delete(id)
  }
}

/** A user created now, at version 1, not yet stored; `id` defaults to a fresh UUID. */
export function newUser(data: Record<string, unknown>, now: number, id: string = randomUUID()): StoredUser {
  return { id, data, groups: [], created: new Date(now).toISOString(), lastModified: now, version: 1 }
}

/** The next `lastModified`: now, but always strictly after the previous value. */
export function nextTimestamp(previous: number, now: number = Date.now()): number {
  return Math.max(now, previous + 1)
}
