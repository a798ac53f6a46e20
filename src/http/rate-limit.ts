import { UsageError } from '../errors.ts'

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

const realClock: RateLimitClock = {
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
