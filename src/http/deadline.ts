/**
 * The default whole-exchange deadline: a minute, and always room for a few idle timeouts' worth of a slow answer.
 * Its own module: the run's configuration reads it without loading the HTTP client (undici) at start-up.
 */
export function defaultDeadlineMs(timeoutMs: number): number {
  return Math.max(60_000, 3 * timeoutMs)
}
