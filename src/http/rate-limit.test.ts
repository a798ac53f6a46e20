import { describe, expect, test } from 'vitest'
import { UsageError } from '../errors.ts'
import {
  createRateLimiter,
  createThrottle,
  DEFAULT_RETRY,
  rateLimitedOut,
  rateLimitTraits,
  retryAfterMs,
  retryWait,
} from './rate-limit.ts'
import type { RateLimitClock, ThrottleTicket } from './rate-limit.ts'
import type { Exchange } from './exchange.ts'

/** A clock that only moves when the test calls `advance`, firing the sleeps that fall due. */
function fakeClock(): RateLimitClock & { advance(ms: number): void; sleeps: number[] } {
  let now = 0
  const timers: { at: number; fire: () => void }[] = []
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => now,
    sleep(ms) {
      sleeps.push(ms)
      return new Promise((resolve) => timers.push({ at: now + ms, fire: resolve }))
    },
    advance(ms) {
      now += ms
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1)
        timer.fire()
      }
    },
  }
}

/** Settles pending promise callbacks (one macrotask turn), without any timer. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve))

function track(promise: Promise<void>): { done: boolean } {
  const state = { done: false }
  void promise.then(() => {
    state.done = true
  })
  return state
}

describe('createRateLimiter', () => {
  test('spaces requests fired at once by 1000 / rate ms, in call order', async () => {
    // Arrange
    const clock = fakeClock()
    const limiter = createRateLimiter({ rate: 2, clock })
    // Act
    const [first, second, third] = [limiter.acquire(), limiter.acquire(), limiter.acquire()].map(track)
    await flush()
    // Assert
    expect([first.done, second.done, third.done]).toEqual([true, false, false])
    clock.advance(499)
    await flush()
    expect(second.done).toBe(false)
    clock.advance(1)
    await flush()
    expect([second.done, third.done]).toEqual([true, false])
    clock.advance(500)
    await flush()
    expect(third.done).toBe(true)
    expect(clock.sleeps).toEqual([500, 1000])
  })

  test('an idle period does not build up a burst', async () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ rate: 10, clock })
    await limiter.acquire()
    clock.advance(5000)
    const a = track(limiter.acquire())
    const b = track(limiter.acquire())
    await flush()
    expect([a.done, b.done]).toEqual([true, false])
    expect(clock.sleeps).toEqual([100])
  })

  test('a request after its slot has passed starts at once', async () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ rate: 1, clock })
    await limiter.acquire()
    clock.advance(1500)
    await limiter.acquire()
    expect(clock.sleeps).toEqual([])
  })

  test('no rate means no waiting', async () => {
    const clock = fakeClock()
    for (const rate of [null, undefined, Infinity]) {
      const limiter = createRateLimiter({ rate, clock })
      await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()])
    }
    expect(clock.sleeps).toEqual([])
  })

  test('a rate that is not positive is a UsageError', () => {
    for (const rate of [0, -1, Number.NaN]) expect(() => createRateLimiter({ rate })).toThrow(UsageError)
  })
})

describe('retryAfterMs (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('Thu, 03 Dec 2026 08:00:00 GMT')
  test.each([
    ['delay-seconds', '120', undefined, 120_000],
    ['zero seconds', '0', undefined, 0],
    ['an HTTP-date, from the clock', 'Thu, 03 Dec 2026 08:00:05 GMT', undefined, 5000],
    ['an HTTP-date, from the response Date', 'Thu, 03 Dec 2026 09:00:02 GMT', 'Thu, 03 Dec 2026 09:00:00 GMT', 2000],
    ['an HTTP-date in the past', 'Thu, 03 Dec 2026 07:00:00 GMT', undefined, 0],
    ['absent', undefined, undefined, null],
    ['a negative number', '-5', undefined, null],
    ['a fraction', '1.5', undefined, null],
    ['not a date', 'soon', undefined, null],
  ])('%s', (_, value, date, want) => {
    expect(retryAfterMs(value, now, date)).toBe(want)
  })
})

describe('retryWait', () => {
  const policy = { ...DEFAULT_RETRY, maxRetries: 3, maxWaitMs: 10_000, baseMs: 100, maxBackoffMs: 1000 }
  test('waits what Retry-After asks', () => {
    expect(retryWait(policy, 0, 2000, 0)).toBe(2000)
  })
  test('without Retry-After: exponential back-off, jittered between half and all of it, capped', () => {
    expect([0, 1, 2].map((n) => retryWait(policy, n, null, 0, () => 0))).toEqual([50, 100, 200])
    expect([0, 1, 2].map((n) => retryWait(policy, n, null, 0, () => 1))).toEqual([100, 200, 400])
    expect(retryWait({ ...policy, maxRetries: 10 }, 8, null, 0, () => 1)).toBe(1000)
  })
  test('the cap on the total wait: a Retry-After past it is not waited for at all', () => {
    expect(retryWait(policy, 0, 3_600_000, 0)).toBeNull()
    expect(retryWait(policy, 1, 6000, 5000)).toBeNull()
    expect(retryWait(policy, 1, 5000, 5000)).toBe(5000)
  })
  test('the cap on retries', () => {
    expect(retryWait(policy, 3, 0, 0)).toBeNull()
  })
})

describe('createThrottle', () => {
  /** Takes `n` slots, returning the tickets granted so far after the promise callbacks settled. */
  async function take(throttle: ReturnType<typeof createThrottle>, n: number) {
    const granted: ThrottleTicket[] = []
    for (let i = 0; i < n; i++) void throttle.acquire().then((t) => granted.push(t))
    await flush()
    return granted
  }

  test('never more in flight than the concurrency; a burst of 429s halves it once; calm earns it back', async () => {
    const clock = fakeClock()
    const throttle = createThrottle({ concurrency: 8, clock })
    const first = await take(throttle, 10)
    expect(first).toHaveLength(8)
    // Three 429s from the same burst: one cut, and a pause for the wait asked.
    for (const t of first.slice(0, 3)) {
      t.limited(1000)
      t.release(true)
    }
    expect(throttle.limit).toBe(4)
    await flush()
    expect(first).toHaveLength(8)
    for (const t of first.slice(3)) t.release(false)
    await flush()
    // Paused: nothing starts before the wait is over.
    expect(first).toHaveLength(8)
    clock.advance(1000)
    await flush()
    // The two queued requests started after the pause, in the smaller budget.
    expect(first).toHaveLength(10)
    expect(throttle.tally.lowestConcurrency).toBe(4)
    const later = await take(throttle, 3)
    expect(later).toHaveLength(2)
    // A 429 to a request started after the cut cuts again.
    later[0].limited(0)
    later[0].release(true)
    expect(throttle.limit).toBe(2)
    for (const t of [...first.slice(8), later[1]]) t.release(false)
    expect(throttle.limit).toBe(2)
    // Calm answers to requests started since the cut: one slot back per `limit` of them, up to the hard limit.
    const limits: number[] = []
    for (let i = 0; i < 30; i++) {
      const [t] = await take(throttle, 1)
      t.release(false)
      limits.push(throttle.limit)
    }
    expect(limits.slice(0, 6)).toEqual([2, 3, 3, 3, 4, 4])
    expect(throttle.limit).toBe(8)
  })

  test('a retry goes before the requests waiting', async () => {
    const clock = fakeClock()
    const throttle = createThrottle({ concurrency: 1, clock })
    const [held] = await take(throttle, 1)
    const order: string[] = []
    void throttle.acquire().then((t) => {
      order.push('new')
      t.release(false)
    })
    void throttle.acquire(true).then((t) => {
      order.push('retry')
      t.release(false)
    })
    held.release(false)
    await flush()
    await flush()
    expect(order).toEqual(['retry', 'new'])
  })

  test('--rate auto starts unlimited, halves what it was sending on a 429, then speeds up again', async () => {
    const clock = fakeClock()
    const throttle = createThrottle({ concurrency: 4, rate: 'auto', clock })
    expect(throttle.rate).toBeNull()
    const burst = await take(throttle, 4)
    expect(burst).toHaveLength(4)
    burst[0].limited(0)
    for (const t of burst) t.release(t === burst[0])
    // Four starts in the last second: two per second now.
    expect(throttle.rate).toBe(2)
    expect(throttle.tally.lowestRate).toBe(2)
    const spaced = await take(throttle, 2)
    expect(spaced).toHaveLength(1)
    clock.advance(500)
    await flush()
    expect(spaced).toHaveLength(2)
    for (const t of spaced) t.release(false)
    const rates: (number | null)[] = []
    for (let i = 0; i < 2000 && throttle.rate !== null; i++) {
      const granted = throttle.acquire()
      await flush()
      clock.advance(1000)
      ;(await granted).release(false)
      rates.push(throttle.rate)
    }
    // Faster, step by step, then unlimited again.
    expect(rates.slice(0, 4)).toEqual([2.5, 2.5, 3.125, 3.125])
    const numbers = rates.filter((r) => r !== null)
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b))
    expect(rates.at(-1)).toBeNull()
    expect(throttle.limit).toBe(4)
  })

  test('a fixed rate stays the limit: a 429 pauses and cuts concurrency, never the rate', async () => {
    const clock = fakeClock()
    const throttle = createThrottle({ concurrency: 4, rate: 10, clock })
    const [t] = await take(throttle, 1)
    t.limited(0)
    t.release(true)
    expect([throttle.rate, throttle.limit, throttle.tally.lowestRate]).toEqual([10, 2, null])
  })
})

describe('rateLimitTraits', () => {
  const tally = {
    answered429: 0,
    retried: 0,
    exhausted: 0,
    waitedMs: 0,
    retryAfter: null,
    lowestConcurrency: 8,
    lowestRate: null,
  }
  test('none without a 429', () => {
    expect(rateLimitTraits(tally, 8)).toEqual({})
    expect(rateLimitTraits(null, 8)).toEqual({})
  })
  test('the limit as met', () => {
    const met = { ...tally, answered429: 5, retried: 4, exhausted: 1, waitedMs: 4000, retryAfter: '1' }
    expect(rateLimitTraits({ ...met, lowestConcurrency: 2, lowestRate: 12.5 }, 8)).toEqual({
      rateLimit:
        '429 to 5 request(s); Retry-After: 1; 4 retried after 4.0 s of waits; ' +
        '1 still 429 when the retry budget ran out; concurrency lowered to 2; rate lowered to 12.5/s',
    })
  })
})

describe('rateLimitedOut', () => {
  const exchange = (status: number, rateLimited?: Exchange['rateLimited']): Exchange => ({
    request: { method: 'PUT', url: 'https://acme.example/scim/v2/Users/42', headers: {}, body: '{}' },
    response: { status, headers: {}, bodyText: '', body: undefined, truncated: false },
    error: null,
    startedAt: '2026-12-03T08:00:00.000Z',
    durationMs: 1,
    ...(rateLimited && { rateLimited }),
  })
  test('a 429 retried into an answer is an answer: nothing to say', () => {
    const retried = exchange(200, { retries: 2, waitedMs: 2000, retryAfter: '1', exhausted: false })
    expect(rateLimitedOut([exchange(200), retried])).toBeNull()
  })
  test('a 429 left when the retry budget ran out: the case never reached its rule', () => {
    const left = exchange(429, { retries: 8, waitedMs: 120_000, retryAfter: '15', exhausted: true })
    expect(rateLimitedOut([exchange(200), left])).toBe(
      'the server still answered 429 (rate limited) to PUT /scim/v2/Users/42 after 8 retries over 120.0 s ' +
        '(Retry-After: 15): the request was never processed (RFC 6585 §4)',
    )
  })
})
