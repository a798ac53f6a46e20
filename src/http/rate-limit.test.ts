import { describe, expect, test } from 'vitest'
import { UsageError } from '../errors.ts'
import { createRateLimiter } from './rate-limit.ts'
import type { RateLimitClock } from './rate-limit.ts'

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
