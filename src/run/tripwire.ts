import { TransportError } from '../errors.ts'
import type { ScimClient } from '../http/client.ts'

/**
 * The run's client, which stops at the first request the target does not answer: every later request
 * throws the same TransportError at once. A target that stops answering ends the run with one harness
 * error naming that exchange (exit 2), instead of a timeout, and then a finding, in every check.
 */
export function tripwire(client: ScimClient): ScimClient {
  let gone: string | null = null
  return {
    get exchangeCount() {
      return client.exchangeCount
    },
    async send(options) {
      if (gone !== null) throw new TransportError(gone)
      const exchange = await client.send(options)
      if (exchange.response === null) {
        const { method, url } = exchange.request
        gone ??=
          `the target stopped answering: no response to ${method} ${url} ` +
          `(${exchange.error?.code ?? 'error'}: ${exchange.error?.message ?? 'no response'})`
      }
      return exchange
    },
    close: () => client.close(),
  }
}
