import { isAscii } from 'node:buffer'
import type { Dispatcher } from 'undici'

/** Bodies this long or more are worth remembering: encoding 1 MB takes milliseconds, a small body microseconds. */
const LARGE_BODY_CHARS = 64 * 1024
/** Large bodies remembered at once: one per check that sends one, with room to spare. */
const REMEMBERED = 16

/**
 * An undici interceptor that hands large string bodies to the pool as bytes. undici encodes a string
 * body on every send; a large body sent again and again (the same string, e.g. the oversize case) is
 * encoded once and its bytes reused. Compose it inside the recorder, which records the string.
 */
export function encodeLargeBodies(): Dispatcher.DispatcherComposeInterceptor {
  const remembered = new Map<string, Buffer>()
  const bytesOf = (body: string): Buffer => {
    let bytes = remembered.get(body)
    if (!bytes) {
      // Latin-1 encoding is a third of UTF-8's cost, and for ASCII text (what the oversize case sends) the same bytes.
      bytes = Buffer.from(body, 'latin1')
      if (!isAscii(bytes)) bytes = Buffer.from(body, 'utf8')
      // Oldest out first: a Map iterates in insertion order.
      if (remembered.size >= REMEMBERED) remembered.delete(remembered.keys().next().value as string)
      remembered.set(body, bytes)
    }
    return bytes
  }
  return (dispatch) => (opts, handler) =>
    typeof opts.body === 'string' && opts.body.length >= LARGE_BODY_CHARS
      ? dispatch({ ...opts, body: bytesOf(opts.body) }, handler)
      : dispatch(opts, handler)
}
