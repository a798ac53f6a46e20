import { BroadcastChannel } from 'node:worker_threads'
import type { ServerConstraints } from '../checks/context.ts'
import { HarnessError, oneLine } from '../errors.ts'

/**
 * The preflight's outcome, handed from the CLI's main thread to the run's worker thread. Against a target the
 * worker boots (vitest's runtime, the suites) while the preflight's ownership probe and constraint learning are
 * still out (issue 15: time to a verdict): the worker asks, and its checks' context waits for the answer before
 * it sends a single request. A preflight that failed is told to the worker as a harness error, and the CLI
 * reports the preflight's own error (exit 2). A BroadcastChannel, not vitest's `provide`: what is provided is
 * fixed when the worker starts.
 */

const channelName = (key: string) => `scim-conformance:preflight:${key}`

type Answer = { constraints: ServerConstraints } | { error: string }

// The preflights in progress, by key: shared by every copy of this module in the main thread (the CLI's, and
// the one the global setup loads), since the global setup of a --user-id run waits for its run's preflight.
const PREFLIGHTS = Symbol.for('scim-conformance.preflights')

function preflights(): Map<string, Promise<ServerConstraints>> {
  const state = globalThis as { [PREFLIGHTS]?: Map<string, Promise<ServerConstraints>> }
  state[PREFLIGHTS] ??= new Map()
  return state[PREFLIGHTS]
}

/** A run's key: its run id and vendor (several vendors of one command run at once). */
export function preflightKey(runId: string, vendor: string): string {
  return `${runId}:${vendor}`
}

/**
 * Main thread: answers every ask on the key's channel once the preflight has settled. Returns the stop (call it
 * once the run's worker has ended). Keeps no process alive.
 */
export function offerPreflight(key: string, preflight: Promise<ServerConstraints>): () => void {
  preflights().set(key, preflight)
  const channel = new BroadcastChannel(channelName(key))
  channel.unref()
  const answer: Promise<Answer> = preflight.then(
    (constraints) => ({ constraints }),
    (error: unknown) => ({ error: oneLine(error) }),
  )
  channel.onmessage = (event) => {
    if ((event as { data?: { ask?: boolean } }).data?.ask === true) void answer.then((a) => channel.postMessage(a))
  }
  return () => {
    preflights().delete(key)
    channel.close()
  }
}

/** Main thread (the global setup): the preflight of the key while it is offered; undefined for none. */
export function preflightOf(key: string): Promise<ServerConstraints> | undefined {
  return preflights().get(key)
}

/** Worker: the constraints the key's preflight learned, once it has ended; rejects when it failed. */
export function askPreflight(key: string): Promise<ServerConstraints> {
  const channel = new BroadcastChannel(channelName(key))
  return new Promise<ServerConstraints>((resolve, reject) => {
    channel.onmessage = (event) => {
      const data = (event as { data?: Partial<Answer> & { ask?: boolean } }).data
      if (data === undefined || data.ask === true) return
      channel.close()
      if ('constraints' in data && data.constraints !== undefined) resolve(data.constraints)
      else reject(new HarnessError(`the run did not start: ${'error' in data ? data.error : 'no preflight answer'}`))
    }
    channel.postMessage({ ask: true })
  })
}
