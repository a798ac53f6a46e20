import { BroadcastChannel } from 'node:worker_threads'

/**
 * How far a run's checks have got, told by the worker thread that runs them to the progress display in the main
 * thread. The checks of a run all progress at once and most end near its end (the longest chains are served
 * first, src/run/send-gate.ts): the requests sent are what shows a run is moving.
 */
export interface RunProgress {
  /** Requests the checks have sent so far. */
  requests: number
  /** Checks with a result. */
  checksDone: number
}

const channelName = (runId: string) => `scim-conformance:progress:${runId}`

/**
 * Tells the run's progress every `everyMs` (and once more when stopped) on a channel every thread of the process
 * can listen to. The timer keeps no process alive. Returns the stop.
 */
export function publishProgress(runId: string, progress: () => RunProgress, everyMs = 1000): () => void {
  const channel = new BroadcastChannel(channelName(runId))
  channel.unref()
  const tell = () => channel.postMessage(progress())
  const timer = setInterval(tell, everyMs)
  timer.unref()
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    clearInterval(timer)
    tell()
    channel.close()
  }
}

/** Listens to a run's progress; returns the stop. Keeps no process alive. */
export function subscribeProgress(runId: string, onProgress: (progress: RunProgress) => void): () => void {
  const channel = new BroadcastChannel(channelName(runId))
  channel.unref()
  channel.onmessage = (event) => onProgress((event as { data: RunProgress }).data)
  return () => channel.close()
}
