import type { CheckContext, CheckUsers, UserPool } from '../checks/context.ts'
import { GRADE_OF_LEVEL, OUTCOME_RANK, type Verdict } from '../checks/define-check.ts'
import { type Baseline, isRefusal, judgeRefusal, REFUSAL_RULE } from '../checks/probes/refusal-unchanged.ts'
import { bodyObject, statusOf } from '../checks/probes/requests.ts'
import type { Outcome } from '../checks/types.ts'
import type { SendOptions } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'

/** What the guard knows of one of the check's test users. */
interface Tracked {
  /** The last representation the server showed, or null while unknown (after any write). */
  baseline: Baseline | null
  /** Writes started on the user so far: a judgement holds only when no other write started meanwhile. */
  writes: number
  /** Writes in flight now. */
  inFlight: number
}

/** Counts of one check's refusals, for tests and cost measurements. */
export interface GuardStats {
  /** Refused PUTs judged with a GET of the guard's own. */
  judged: number
  /** Refused PUTs not judged: no known baseline, or another write to the user in flight. */
  unjudged: number
}

/**
 * The refusal guard of one check (issue 14, item 2): "a refused PUT changes nothing" judged on every
 * refused PUT of every check, not only in put.invalid.refusal-unchanged, its owner. It sees the check's
 * requests through the check's client and tracks the check's OWN test users (`users.ids`, no other id):
 * the last representation a plain GET showed (or the creation answer), forgotten at the start of any
 * write to the user, since a 2xx body is no proof of what was stored (and a 5xx or a lost answer leaves
 * it unknown). When a PUT to a tracked user is refused ({@link isRefusal}: 401/403 included, RFC 9110
 * §15.5.2 "has not been applied") while a baseline is known and no other write to the user is in
 * flight, it sends one GET (through the same counted client) and judges it with {@link judgeRefusal}.
 * Every request of a check goes through `ctx.client` or `ctx.users`, so nothing writes unseen.
 */
export class RefusalGuard {
  private readonly tracked = new Map<string, Tracked>()
  private findings: Verdict[] = []
  readonly stats: GuardStats = { judged: 0, unjudged: 0 }

  constructor(
    private readonly shared: Pick<CheckContext, 'users' | 'attribute'>,
    /** The check's counted send: the guard's GETs are the check's requests too. */
    private readonly send: (o: SendOptions) => Promise<Exchange>,
    /** The check in progress: the rule's owner judges its own refusals (a GET of its own after each). */
    private readonly checkId = '',
  ) {}

  /** Starts tracking the check's test users, each from the representation its creation answered. */
  track(users: CheckUsers): void {
    users.ids.forEach((id, i) => {
      const created = users.created[i]
      const baseline: Baseline | null = isPlainObject(created) ? { body: created, from: 'created' } : null
      this.tracked.set(id, { baseline, writes: 0, inFlight: 0 })
    })
  }

  /** The check's client: every request goes through here. */
  async request(o: SendOptions): Promise<Exchange> {
    if (this.checkId === REFUSAL_RULE.id) return this.send(o)
    const id = this.userOf(o.path)
    const method = o.method.toUpperCase()
    if (method === 'GET' || method === 'HEAD') {
      if (id === null || method === 'HEAD') return this.send(o)
      const t = this.tracked.get(id)!
      const [writes, quiet] = [t.writes, t.inFlight === 0]
      const e = await this.send(o)
      if (plainGet(o) && quiet && t.inFlight === 0 && t.writes === writes) {
        const body = representation(e, id)
        if (body) t.baseline = { body, from: 'get', exchange: e }
      }
      return e
    }
    if (id === null) {
      // A write elsewhere: another user's path or a POST /Users cannot change these users; anything
      // else (/Bulk, /Groups, /Me) might, so every baseline is forgotten.
      if (this.onlyOthers(o)) return this.send(o)
      const all = [...this.tracked.values()]
      for (const t of all) this.startWrite(t)
      try {
        return await this.send(o)
      } finally {
        for (const t of all) t.inFlight--
      }
    }
    const t = this.tracked.get(id)!
    const baseline = t.inFlight === 0 ? t.baseline : null
    const started = this.startWrite(t)
    let e: Exchange
    try {
      e = await this.send(o)
    } finally {
      t.inFlight--
    }
    if (method !== 'PUT' || !isRefusal(statusOf(e))) return e
    if (!baseline || t.writes !== started || t.inFlight > 0) {
      this.stats.unjudged++
      return e
    }
    const after = await this.send({ method: 'GET', path: this.shared.users.userPath(id) })
    // A write that started while the GET was out makes it no evidence of what the refusal did.
    if (t.writes !== started) return e
    this.stats.judged++
    const v = judgeRefusal(this.shared.attribute, baseline, e, after)
    if (v) this.findings.push(v)
    const body = representation(after, id)
    if (body && t.inFlight === 0) t.baseline = { body, from: 'get', exchange: after }
    return e
  }

  /** The check's user pool: a user the check deletes through it is a write the guard must see. */
  pool(): UserPool {
    const pool = this.shared.users
    return new Proxy(pool, {
      get: (target, prop, receiver) => {
        if (prop === 'removeOne') return (id: string) => this.writing([id], () => target.removeOne(id))
        if (prop === 'remove') return (users: CheckUsers) => this.writing(users.ids, () => target.remove(users))
        const value = Reflect.get(target, prop, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }

  /** The verdicts of the refusals judged since the last call (one case's). */
  take(): Verdict[] {
    const out = this.findings
    this.findings = []
    return out
  }

  /** Runs a write of the pool's on tracked users (a DELETE): in flight while it runs, the baselines gone. */
  private async writing<T>(ids: readonly string[], write: () => Promise<T>): Promise<T> {
    const hit = ids.flatMap((id) => this.tracked.get(id) ?? [])
    for (const t of hit) this.startWrite(t)
    try {
      return await write()
    } finally {
      for (const t of hit) t.inFlight--
    }
  }

  /** A write starts: the baseline is unknown from now on (a 2xx body is no proof of what was stored). */
  private startWrite(t: Tracked): number {
    t.baseline = null
    t.inFlight++
    return ++t.writes
  }

  /** The tracked user a path names (`/Users/{id}`, a query or a full URL allowed), or null. */
  private userOf(path: string): string | null {
    const bare = path.split('?')[0].replace(/^[a-z]+:\/\/[^/]+/i, '')
    for (const id of this.tracked.keys()) if (bare.endsWith(this.shared.users.userPath(id))) return id
    return null
  }

  /** A write that cannot touch the tracked users: POST /Users (a new user) or a write to another user. */
  private onlyOthers(o: SendOptions): boolean {
    const bare = o.path.split('?')[0].replace(/^[a-z]+:\/\/[^/]+/i, '')
    const users = this.shared.users.usersPath()
    const at = bare.indexOf(users)
    if (at === -1) return false
    const rest = bare.slice(at + users.length)
    return (rest === '' && o.method.toUpperCase() === 'POST') || /^\/[^/]+$/.test(rest)
  }
}

/**
 * A case's verdict with the guard's judgements of its refused PUTs: a partial write, graded at the rule's
 * own level ({@link REFUSAL_RULE}: MUST, so failed even in a SHOULD check), replaces a milder verdict; a
 * verdict at least as grave keeps its own finding and gains the trait. Traits (sideEffect.meta) always join.
 */
export function withSideEffects(v: Verdict, judged: readonly Verdict[]): Verdict {
  if (judged.length === 0) return v
  const traits = Object.assign({}, v.traits, ...judged.map((j) => j.traits ?? {}))
  const broken = judged.find((j) => j.outcome === 'violated')
  if (!broken) return { ...v, traits }
  const grade: Outcome = GRADE_OF_LEVEL[REFUSAL_RULE.level]
  if (OUTCOME_RANK[grade] > OUTCOME_RANK[v.outcome as Outcome]) return { ...broken, outcome: grade, traits }
  return { ...v, traits }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** A GET that shows the whole representation: no query (`attributes=`), the run's own credential. */
function plainGet(o: SendOptions): boolean {
  return (
    !o.path.includes('?') &&
    Object.keys(o.query ?? {}).length === 0 &&
    (o.auth === undefined || o.auth === 'token') &&
    o.headers === undefined
  )
}

/** The user a 200 GET shows (its id the one asked for, when it names one), or null. */
function representation(e: Exchange, id: string): Record<string, unknown> | null {
  const body = bodyObject(e)
  if (statusOf(e) !== 200 || !body) return null
  return body.id === undefined || body.id === id ? body : null
}
