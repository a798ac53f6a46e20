import { UsageError } from '../errors.ts'
import type { Exchange } from './exchange.ts'

/** Clock and timer a {@link RateLimiter} runs on; injectable so tests advance time without sleeping. */
export interface RateLimitClock {
  /** Milliseconds on a monotonic scale. @defaultValue `performance.now()` */
  now(): number
  /** Resolves after `ms` milliseconds. @defaultValue a `setTimeout` promise */
  sleep(ms: number): Promise<void>
}

/** Options for {@link createRateLimiter}. */
export interface RateLimitConstraints {
  /** Maximum starts per second; `null`, `undefined` or `Infinity` means unlimited. */
  rate?: number | null
  /** Time source and timer. @defaultValue the real clock */
  clock?: RateLimitClock
}

/** Spaces out request starts so a tester never floods a production target. */
export interface RateLimiter {
  /** Resolves when the caller may start one request. Callers are served in call order. */
  acquire(): Promise<void>
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const realClock: RateLimitClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

/**
 * A limiter that lets at most `rate` requests start per second, evenly spaced (one slot every
 * `1000 / rate` ms, no burst). Each call reserves the next free slot synchronously, so callers that
 * fire many requests at once are still spaced and served in order.
 */
export function createRateLimiter(constraints: RateLimitConstraints = {}): RateLimiter {
  const { rate, clock = realClock } = constraints
  if (rate == null || rate === Infinity) return { acquire: () => Promise.resolve() }
  if (!(rate > 0)) throw new UsageError(`rate must be a positive number of requests per second, received ${rate}.`)
  const interval = 1000 / rate
  let nextSlot = -Infinity
  return {
    acquire() {
      const now = clock.now()
      const slot = Math.max(now, nextSlot)
      nextSlot = slot + interval
      const wait = slot - now
      return wait > 0 ? clock.sleep(wait) : Promise.resolve()
    },
  }
}

/** How the client retries a request answered 429 Too Many Requests (RFC 6585 §4). */
export interface RetryPolicy {
  /** Most retries of one request. @defaultValue 8 */
  maxRetries: number
  /** Most one request waits in all, over its retries; a longer Retry-After ends the retries. @defaultValue 120000 */
  maxWaitMs: number
  /** First back-off without a Retry-After, doubled each retry. @defaultValue 250 */
  baseMs: number
  /** Longest single back-off without a Retry-After. @defaultValue 16000 */
  maxBackoffMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 8, maxWaitMs: 120_000, baseMs: 250, maxBackoffMs: 16_000 }

/**
 * The wait a `Retry-After` value asks for (RFC 9110 §10.2.3: `delay-seconds` or an `HTTP-date`), in ms, or null when
 * absent or unreadable. A date is measured from the response's own `Date` when it has one (no clock skew between
 * the server and the harness), else from `nowMs` (epoch ms); a date in the past is 0.
 */
export function retryAfterMs(value: string | undefined, nowMs: number, date?: string): number | null {
  if (value === undefined) return null
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  if (!/[a-z]/i.test(text) || Number.isNaN(at)) return null
  const from = date === undefined ? Number.NaN : Date.parse(date)
  return Math.max(0, at - (Number.isNaN(from) ? nowMs : from))
}

/**
 * The wait before retry `attempt` (0 for the first) of a request answered 429, or null when the retry budget
 * cannot afford it (then the 429 is the answer). The server's Retry-After when given (never less); without it,
 * exponential back-off with jitter: `baseMs · 2^attempt`, capped at `maxBackoffMs`, each wait between half and
 * all of it, so that clients throttled together do not all come back together.
 */
export function retryWait(
  policy: RetryPolicy,
  attempt: number,
  retryAfter: number | null,
  waitedMs: number,
  random: () => number = Math.random,
): number | null {
  if (attempt >= policy.maxRetries) return null
  const backoff = Math.min(policy.maxBackoffMs, policy.baseMs * 2 ** attempt)
  const wait = retryAfter ?? Math.round(backoff / 2 + (random() * backoff) / 2)
  return waitedMs + wait > policy.maxWaitMs ? null : wait
}

/** What the client met of the target's rate limit, for the report. */
export interface RateLimitTally {
  /** Responses 429, retried or not. */
  answered429: number
  /** Of them, retried. */
  retried: number
  /** Requests whose retry budget ran out: their last answer, a 429, is what the caller got. */
  exhausted: number
  /** Total time requests spent waiting to be retried, ms. */
  waitedMs: number
  /** The last Retry-After the server sent, as sent; null when none had one. */
  retryAfter: string | null
  /** The fewest requests allowed in flight at once (the --concurrency, lowered while 429s kept coming). */
  lowestConcurrency: number
  /** The lowest starts per second `--rate auto` came down to; null while it never had to slow down. */
  lowestRate: number | null
}

/** The tally as report traits (`rateLimit`), or none when the target never answered 429. */
export function rateLimitTraits(tally: RateLimitTally | null, concurrency: number): Record<string, string> {
  if (tally === null || tally.answered429 === 0) return {}
  const parts = [
    `429 to ${tally.answered429} request(s)`,
    tally.retryAfter === null ? 'no Retry-After' : `Retry-After: ${tally.retryAfter}`,
    `${tally.retried} retried after ${(tally.waitedMs / 1000).toFixed(1)} s of waits`,
  ]
  if (tally.exhausted > 0) parts.push(`${tally.exhausted} still 429 when the retry budget ran out`)
  if (tally.lowestConcurrency < concurrency) parts.push(`concurrency lowered to ${tally.lowestConcurrency}`)
  if (tally.lowestRate !== null) parts.push(`rate lowered to ${tally.lowestRate.toFixed(1)}/s`)
  return { rateLimit: parts.join('; ') }
}

/** Options for {@link createThrottle}. */
export interface ThrottleOptions {
  /** The hard limit of requests in flight (--concurrency). */
  concurrency: number
  /** A hard limit of starts per second; `'auto'` starts unlimited and adapts; null is unlimited. @defaultValue null */
  rate?: number | 'auto' | null
  clock?: RateLimitClock
}

/** A held slot: released when its request is answered (429 or not). */
export interface ThrottleTicket {
  /** The answer was a 429 and the server asks to wait `waitMs`: every start waits, the budget shrinks. */
  limited(waitMs: number): void
  /** Frees the slot; a non-429 answer also earns the budget back, step by step. */
  release(answered429: boolean): void
}

/** The client's adaptive send budget: see {@link createThrottle}. */
export interface Throttle {
  /** Resolves with a slot when a request may start; `first` puts it before waiting requests (a retry). */
  acquire(first?: boolean): Promise<ThrottleTicket>
  /** Requests allowed in flight now. */
  readonly limit: number
  /** Starts per second allowed now; null is unlimited. */
  readonly rate: number | null
  readonly tally: RateLimitTally
}

/** `--rate auto` never goes slower than this many starts per second. */
const MIN_AUTO_RATE = 0.5
/** `--rate auto` speeds up by this factor per quarter second's worth of answers without a 429. */
const AUTO_RATE_STEP = 1.25
/** Above this, an adapting rate counts as unlimited again. */
const MAX_AUTO_RATE = 1000

/**
 * The client's send budget, which adapts to a target that answers 429 (AIMD, as TCP does): each 429 pauses every
 * start for its wait, and halves the requests allowed in flight (never below 1) and, with `rate: 'auto'`, the
 * starts per second (from what was being sent). Only a 429 to a request started since the last cut cuts again, so
 * one burst of 429s is one cut. Each run of `limit` answers without a 429 (to requests started since the last cut)
 * gives one slot back, up to the hard `concurrency`; with `'auto'`, each quarter second's worth of them speeds the
 * starts up by a quarter, up to unlimited. A fixed `rate` and `concurrency` stay hard limits: never exceeded.
 */
export function createThrottle(options: ThrottleOptions): Throttle {
  const clock = options.clock ?? realClock
  const max = options.concurrency
  const auto = options.rate === 'auto'
  let rate: number | null = options.rate === 'auto' ? null : (options.rate ?? null)
  let limit = max
  let inFlight = 0
  let epoch = 0
  let calm = 0
  let pausedUntil = -Infinity
  let nextSlot = -Infinity
  const recentStarts: number[] = []
  const waiting: { grant: () => void; first: boolean }[] = []
  const tally: RateLimitTally = {
    answered429: 0,
    retried: 0,
    exhausted: 0,
    waitedMs: 0,
    retryAfter: null,
    lowestConcurrency: max,
    lowestRate: null,
  }

  /** Grants the slots free now, in queue order. */
  const pump = () => {
    while (waiting.length > 0 && inFlight < limit) {
      inFlight++
      waiting.shift()!.grant()
    }
  }

  /**
   * The wait of a request granted a slot: until any pause is over and, under a rate, until its start slot, reserved
   * now (so requests granted together are spaced, in order).
   */
  const startAt = (): number => {
    const now = clock.now()
    const slot = Math.max(now, pausedUntil, rate === null ? -Infinity : nextSlot)
    if (rate !== null) nextSlot = slot + 1000 / rate
    recentStarts.push(slot)
    while (recentStarts.length > 0 && recentStarts[0] < slot - 1000) recentStarts.shift()
    return slot - now
  }

  const ticket = (startedIn: number): ThrottleTicket => {
    let done = false
    return {
      limited(waitMs) {
        pausedUntil = Math.max(pausedUntil, clock.now() + waitMs)
        if (startedIn !== epoch) return
        epoch++
        calm = 0
        limit = Math.max(1, Math.floor(limit / 2))
        tally.lowestConcurrency = Math.min(tally.lowestConcurrency, limit)
        if (auto) {
          const sending = rate ?? Math.max(recentStarts.length, 1)
          rate = Math.max(MIN_AUTO_RATE, sending / 2)
          tally.lowestRate = Math.min(tally.lowestRate ?? rate, rate)
        }
      },
      release(answered429) {
        if (done) return
        done = true
        inFlight--
        // Only answers to requests started within the current budget show that it is calm.
        if (!answered429 && startedIn === epoch && ++calm >= Math.max(limit, auto && rate !== null ? rate / 4 : 0)) {
          calm = 0
          if (limit < max) limit++
          if (auto && rate !== null) rate = rate * AUTO_RATE_STEP > MAX_AUTO_RATE ? null : rate * AUTO_RATE_STEP
        }
        pump()
      },
    }
  }

  return {
    async acquire(first = false) {
      await new Promise<void>((resolve) => {
        const at = first ? waiting.findIndex((w) => !w.first) : -1
        waiting.splice(at === -1 ? waiting.length : at, 0, { first, grant: resolve })
        pump()
      })
      const wait = startAt()
      if (wait > 0) await clock.sleep(wait)
      return ticket(epoch)
    },
    get limit() {
      return limit
    },
    get rate() {
      return rate
    },
    tally,
  }
}

/**
 * Why a case is inconclusive when one of its exchanges was still 429 once its retry budget ran out, or null when
 * none was: the server did not process that request (RFC 6585 §4), so the case never reached its rule. A 429 is
 * never a finding of the check in progress.
 */
export function rateLimitedOut(exchanges: readonly Exchange[]): string | null {
  const e = exchanges.find((x) => x.rateLimited?.exhausted)
  if (!e) return null
  const { retries, waitedMs, retryAfter } = e.rateLimited!
  const path = e.request.url.replace(/^[a-z]+:\/\/[^/]+/i, '')
  return (
    `the server still answered 429 (rate limited) to ${e.request.method} ${path} after ${retries} retr` +
    `${retries === 1 ? 'y' : 'ies'} over ${(waitedMs / 1000).toFixed(1)} s` +
    `${retryAfter === null ? '' : ` (Retry-After: ${retryAfter})`}: the request was never processed (RFC 6585 §4)`
  )
}
