import { AsyncLocalStorage } from 'node:async_hooks'
import type { ScimClient, SendOptions } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'

/** What the gate knows of the check in progress: every request it causes, through any layer, is its. */
export interface RunningCheck {
  /** The check's id: what a recorded exchange is tagged with (the HAR's `_checkId`, src/run/har-spool.ts). */
  id?: string
  /** A check whose requests race each other on purpose (put.concurrency.*): they go first, fired together. */
  racer?: boolean
  /** The requests the check is estimated to have left: the check with more left goes first. */
  left(): number
  /** The case in progress (src/run/run-check.ts: its fast-check path): the HAR's `_case`; absent between cases. */
  case?: string
}

const running = new AsyncLocalStorage<RunningCheck>()

/** Runs a check, its requests served as {@link gatedClient} serves that check's. */
export function asCheck<T>(check: RunningCheck, run: () => Promise<T>): Promise<T> {
  return running.run(check, run)
}

/** The id of the check whose request is being sent here (any layer below a check), or null outside any check. */
export function checkInProgress(): string | null {
  return running.getStore()?.id ?? null
}

/** Runs one case of the check in progress (or of no check): every request it causes is tagged with `tag`. */
export function asCase<T>(tag: string, run: () => Promise<T>): Promise<T> {
  return running.run({ ...(running.getStore() ?? { left: () => 0 }), case: tag }, run)
}

/** The case of the check in progress whose request is being sent here, or null (set-up, clean-up, no check). */
export function caseInProgress(): string | null {
  return running.getStore()?.case ?? null
}

interface Waiter {
  slots: number
  grant(): void
  /** Higher first; in order among equals. */
  priority: number
}

/**
 * The run's concurrency budget in front of its client. At most `capacity` requests are in flight (the client's
 * own --concurrency, which stays the hard limit underneath). A request waits its turn by the work its check
 * has left: the longest chains of dependent requests go first, so that the run does not end with a few long
 * checks and an idle pool (outside any check: last, in order). A racer's requests come before all: those a
 * racing check starts in the same tick (a race's requests fired together) wait for as many free slots as
 * they are, all at once, and are then sent together; while they wait, no other request starts. A race is so
 * never kept apart by other checks' requests queued on the connections, and racing checks run with the rest.
 * A target's 429s are the client's (src/http/client.ts): it retries that request, holding the check's slot here,
 * and lets fewer requests in flight while they keep coming; the budget here stays the hard limit above it.
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
  const acquire = (queue: Waiter[], slots: number, priority = 0) =>
    new Promise<void>((grant) => {
      let at = queue.length
      while (at > 0 && queue[at - 1].priority < priority) at--
      queue.splice(at, 0, { slots, grant, priority })
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
  let batch: { options: SendOptions; check: RunningCheck; settle(e: Promise<Exchange>): void }[] | null = null
  const flush = async () => {
    const sending = batch!
    batch = null
    // More than the budget can never be in flight together: each waits its turn (the race is kept apart).
    if (sending.length > capacity) {
      for (const r of sending) r.settle(running.run(r.check, () => acquire(racers, 1).then(() => sendHeld(r.options))))
      return
    }
    await acquire(racers, sending.length)
    // Each request sent as its own check's (the batch may hold two racing checks' requests).
    for (const r of sending) r.settle(running.run(r.check, () => sendHeld(r.options)))
  }
  return {
    get exchangeCount() {
      return client.exchangeCount
    },
    get rateLimit() {
      return client.rateLimit
    },
    send: (options) => {
      const check = running.getStore()
      if (!check?.racer) return acquire(others, 1, check?.left() ?? 0).then(() => sendHeld(options))
      return new Promise<Exchange>((resolve, reject) => {
        if (batch === null) {
          batch = []
          queueMicrotask(() => void flush())
        }
        batch.push({ options, check, settle: (e) => e.then(resolve, reject) })
      })
    },
    close: () => client.close(),
  }
}
