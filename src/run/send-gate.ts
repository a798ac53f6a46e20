import { AsyncLocalStorage } from 'node:async_hooks'
import type { ScimClient, SendOptions } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'

/** Set while a racing check runs (put.concurrency.*): every request it causes, through any layer, is a racer's. */
const racer = new AsyncLocalStorage<true>()

/** Runs a check whose requests race each other on purpose: its requests go first (see {@link gatedClient}). */
export function asRacer<T>(run: () => Promise<T>): Promise<T> {
  return racer.run(true, run)
}

interface Waiter {
  slots: number
  grant(): void
}

/**
 * The run's concurrency budget in front of its client, so that checks that race (put.concurrency.*) can run
 * while every other check keeps the pool busy. At most `capacity` requests are in flight (the client's own
 * --concurrency, which stays the hard limit underneath). Requests are served in order, except a racer's:
 * those a racing check starts in the same tick (a race's requests fired together) wait for as many free
 * slots as they are, all at once, ahead of everything else, and are then sent together; while they wait, no
 * other request starts. A race is so never kept apart by other checks' requests queued on the connections.
 */
export function gatedClient(client: ScimClient, capacity: number): ScimClient {
  let free = capacity
  const racers: Waiter[] = []
  const others: Waiter[] = []
  const pump = () => {
    for (;;) {
      const queue = racers.length > 0 ? racers : others
      const head = queue[0]
      if (!head || free < head.slots) return
      queue.shift()
      free -= head.slots
      head.grant()
    }
  }
  const acquire = (queue: Waiter[], slots: number) =>
    new Promise<void>((grant) => {
      queue.push({ slots, grant })
      pump()
    })
  const sendHeld = async (options: SendOptions): Promise<Exchange> => {
    try {
      return await client.send(options)
    } finally {
      free++
      pump()
    }
  }
  /** A racer's requests started in this tick, sent together once their slots are free. */
  let batch: { options: SendOptions; settle(e: Promise<Exchange>): void }[] | null = null
  const flush = async () => {
    const sending = batch!
    batch = null
    // More than the budget can never be in flight together: each waits its turn (the race is kept apart).
    if (sending.length > capacity) {
      for (const r of sending) r.settle(acquire(racers, 1).then(() => sendHeld(r.options)))
      return
    }
    await acquire(racers, sending.length)
    for (const r of sending) r.settle(sendHeld(r.options))
  }
  return {
    get exchangeCount() {
      return client.exchangeCount
    },
    send: (options) => {
      if (!racer.getStore()) return acquire(others, 1).then(() => sendHeld(options))
      return new Promise<Exchange>((resolve, reject) => {
        if (batch === null) {
          batch = []
          queueMicrotask(() => void flush())
        }
        batch.push({ options, settle: (e) => e.then(resolve, reject) })
      })
    },
    close: () => client.close(),
  }
}
