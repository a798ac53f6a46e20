import { activeSecrets, scrubSecrets, type Secret } from '../secrets.ts'
import { printable } from './_internals/text.ts'

/**
 * Target-derived text made fit for one terminal line: control characters and escape sequences
 * (ESC, BEL, CSI/OSC introducers, C1, DEL, bidi overrides) shown as `\uXXXX`, whitespace runs
 * folded to one space. Apply it before adding the tool's own colours, never after.
 */
export function terminalLine(text: string): string {
  return printable(text).replace(/\s+/g, ' ').trim()
}

type Write = NodeJS.WriteStream['write']

/**
 * Makes every write to `streams` pass through the secret scrubber (the process-wide secrets, read
 * at each write): the last step before anything the process prints leaves it, whoever wrote it
 * (the CLI, vitest's logger, a reporter). Returns a function that restores the streams.
 */
export function guardOutput(
  streams: NodeJS.WriteStream[],
  secrets: () => readonly Secret[] = activeSecrets,
): () => void {
  const originals = streams.map((stream) => {
    const original = stream.write
    const guarded = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      const list = secrets()
      let out = chunk
      if (list.length > 0) {
        if (typeof chunk === 'string') out = scrubSecrets(chunk, list)
        else if (chunk instanceof Uint8Array) {
          const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8')
          const scrubbed = scrubSecrets(text, list)
          // Bytes that are not UTF-8 pass unchanged unless a secret was found in them.
          if (scrubbed !== text) out = Buffer.from(scrubbed, 'utf8')
        }
      }
      return (original as (...args: unknown[]) => boolean).call(this, out, ...rest)
    }
    stream.write = guarded as Write
    return { stream, original, guarded }
  })
  return () => {
    // Only undo our own wrapper: someone may have wrapped the stream again since.
    for (const { stream, original, guarded } of originals)
      if (stream.write === (guarded as Write)) stream.write = original
  }
}
