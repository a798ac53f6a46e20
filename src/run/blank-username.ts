import type { SendOptions } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'

/**
 * The run's turn to hold a blank userName. Many checks' invalid cases send the same userName, `""`, each to
 * its own test user. On a server that stores it (put.invalid.username-kept's finding: RFC 7643 §4.1.1), the
 * user holding it turns every other such PUT of the run into a 409 uniqueness (RFC 7644 §3.5.1), a refusal
 * for another reason that would be judged as the answer to an empty userName: the finding then hides
 * itself when checks run together. So at most one lane of the run may have a user holding a blank
 * userName at a time: a PUT carrying one waits for the turn (before any concurrency slot: the holder is
 * never kept waiting by its waiters), a refusal gives it back at once, and an accepted one keeps it until
 * the end of its case, when the user is put back (see {@link BlankUserNameLane}).
 */
export class BlankUserNameTurn {
  private holder: object | null = null
  private readonly waiting: { owner: object; go(): void }[] = []

  /** Resolves once `owner` has the turn (at once if it has it already). */
  take(owner: object): Promise<void> {
    if (this.holder === owner) return Promise.resolve()
    if (this.holder === null) {
      this.holder = owner
      return Promise.resolve()
    }
    return new Promise((go) => this.waiting.push({ owner, go }))
  }

  /** Gives the turn to the next in line, if `owner` has it. */
  give(owner: object): void {
    if (this.holder !== owner) return
    const next = this.waiting.shift()
    this.holder = next?.owner ?? null
    next?.go()
  }
}

/** One lane's side of the {@link BlankUserNameTurn}: sees the lane's requests and puts its users back. */
export class BlankUserNameLane {
  /** User paths that may hold a blank userName now (the turn is this lane's while any is). */
  private readonly held = new Set<string>()
  /** Blank PUTs of the lane in flight (the turn stays while any is). */
  private inFlight = 0

  constructor(private readonly turn: BlankUserNameTurn) {}

  /** Sends one of the lane's requests; a PUT carrying a blank userName waits for the run's turn. */
  async request(o: SendOptions, send: (o: SendOptions) => Promise<Exchange>): Promise<Exchange> {
    if (o.method.toUpperCase() !== 'PUT' || !carriesBlankUserName(o)) return send(o)
    await this.turn.take(this)
    this.inFlight++
    let e: Exchange | null = null
    try {
      e = await send(o)
      return e
    } finally {
      this.inFlight--
      // Stored, or maybe (no answer): the user may hold it until its case puts it back.
      const status = e?.response?.status
      if (status === undefined || (status >= 200 && status < 300)) this.held.add(o.path)
      else this.release()
    }
  }

  /**
   * At the end of a case: puts back every user that may hold a blank userName (`restore` sends its accepted
   * state), then gives the turn back. Whatever the restore answers, the turn is given back.
   */
  async settle(restore: (path: string) => Promise<unknown>): Promise<void> {
    try {
      for (const path of this.held) await restore(path).catch(() => {})
    } finally {
      this.held.clear()
      this.release()
    }
  }

  private release(): void {
    if (this.held.size === 0 && this.inFlight === 0) this.turn.give(this)
  }
}

/** A JSON string literal that may hold nothing but white space (`\\b` and a `\\u` escape may not: it is a sieve). */
const BLANK_STRING_LITERAL = /"(?:\s|\\[bfnrt]|\\u[0-9a-fA-F]{4})*"/

/** Does the request body set userName (any case: RFC 7643 §2.1) to a string with nothing but white space? */
export function carriesBlankUserName(o: SendOptions): boolean {
  let body: unknown = o.json
  if (o.rawBody !== undefined) {
    // Parse only a body that holds a blank string literal at all (white space raw or escaped between two quotes;
    // in valid JSON no two quotes stand apart by white space alone otherwise): most raw bodies hold none, and
    // they run to 64 KiB (the size checks).
    if (typeof o.rawBody !== 'string' || !BLANK_STRING_LITERAL.test(o.rawBody)) return false
    try {
      body = JSON.parse(o.rawBody)
    } catch {
      return false
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false
  return Object.entries(body).some(([k, v]) => k.toLowerCase() === 'username' && typeof v === 'string' && !v.trim())
}
