import { closeSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { CheckResult } from '../checks/types.ts'
import { caseKey } from '../run/har-spool.ts'

/**
 * `--har FILE`, the writing side: at the end of the run the reporter (main thread) writes the HAR from the spool the
 * run's client filled (src/run/har-spool.ts), entries sorted by start, one at a time: memory holds an index, never
 * the bodies. Each result links to its entries (CheckResult.har).
 */

/** What report.json says of the HAR: where it is, and how a result's entries are found in it. */
export interface HarLink {
  file: string
  entries: number
  /**
   * A result's entries are those whose `_checkId` is the result's id; those of the case it reports, those whose
   * `_case` is also the result's `case` (their indices: the result's `har.caseEntries`).
   */
  filter: '_checkId'
  /** Entries per check id (the run's own requests under `(run)`). */
  byCheck: Record<string, number>
}

/** Where a spooled entry is: its start (the sort key), its check and case, and its JSON's bytes in the spool. */
interface Spooled {
  started: string
  checkId: string | null
  caseTag: string | null
  offset: number
  length: number
}

/** What {@link writeHar} wrote: report.json's link, and the entries of each case (indices in `log.entries`). */
export interface HarWritten {
  link: HarLink
  /** By {@link caseKey}: the indices of a check's case's entries, in order. */
  cases: Map<string, number[]>
}

/** Each result linked to its entries (CheckResult.har): its check's count, and the indices of its case's. */
export function linkResults(results: readonly CheckResult[], written: HarWritten): void {
  for (const r of results) {
    const caseEntries = r.case ? (written.cases.get(caseKey(r.id, r.case)) ?? []) : []
    r.har = { entries: written.link.byCheck[r.id] ?? 0, caseEntries }
  }
}

/**
 * Writes the HAR file from the spool (then removed), entries in the order they started, atomically (a temporary
 * file renamed over `file`). With no spool (no exchange was recorded) the HAR has no entries.
 */
export function writeHar(spool: string, file: string, creator: { name: string; version: string }): HarWritten {
  const index = spoolIndex(spool)
  index.sort((a, b) => (a.started < b.started ? -1 : a.started > b.started ? 1 : a.offset - b.offset))
  const temp = join(dirname(resolve(file)), `.${basename(file)}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`)
  const out = openSync(temp, 'wx', 0o644)
  const byCheck: Record<string, number> = {}
  const cases = new Map<string, number[]>()
  try {
    const head = { version: '1.2', creator, pages: [] }
    writeSync(out, `{"log":${JSON.stringify(head).slice(0, -1)},"entries":[\n`)
    if (index.length > 0) {
      const input = openSync(spool, 'r')
      try {
        index.forEach((at, i) => {
          const bytes = Buffer.alloc(at.length)
          readSync(input, bytes, 0, at.length, at.offset)
          writeSync(out, i === 0 ? bytes : Buffer.concat([Buffer.from(',\n'), bytes]))
          const key = at.checkId ?? '(run)'
          byCheck[key] = (byCheck[key] ?? 0) + 1
          if (at.checkId !== null && at.caseTag !== null) {
            const of = caseKey(at.checkId, at.caseTag)
            const list = cases.get(of)
            if (list) list.push(i)
            else cases.set(of, [i])
          }
        })
      } finally {
        closeSync(input)
      }
    }
    writeSync(out, '\n]}}\n')
  } catch (error) {
    closeSync(out)
    rmSync(temp, { force: true })
    throw error
  }
  closeSync(out)
  renameSync(temp, file)
  rmSync(spool, { force: true })
  return { link: { file, entries: index.length, filter: '_checkId', byCheck }, cases }
}

/** Each line of the spool: its key and where its entry is, read in chunks (never the whole file at once). */
function spoolIndex(spool: string): Spooled[] {
  if (!statSync(spool, { throwIfNoEntry: false })) return []
  const fd = openSync(spool, 'r')
  const out: Spooled[] = []
  try {
    const chunk = Buffer.alloc(1 << 20)
    // The start of the line in progress (its key is in its first bytes), and where that line starts.
    let head = Buffer.alloc(0)
    let lineStart = 0
    let position = 0
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, position)
      if (n === 0) break
      let from = 0
      for (;;) {
        const nl = chunk.subarray(0, n).indexOf(10, from)
        const part = chunk.subarray(from, nl === -1 ? n : nl)
        if (head.length < KEY_BYTES) head = Buffer.concat([head, part.subarray(0, KEY_BYTES - head.length)])
        if (nl === -1) break
        const end = position + nl
        const tab = head.indexOf(9)
        if (tab !== -1) {
          const [started, checkId, caseTag = null] = JSON.parse(head.toString('utf8', 0, tab)) as [
            string,
            string | null,
            (string | null)?,
          ]
          out.push({ started, checkId, caseTag, offset: lineStart + tab + 1, length: end - (lineStart + tab + 1) })
        }
        head = Buffer.alloc(0)
        lineStart = end + 1
        from = nl + 1
      }
      position += n
    }
  } finally {
    closeSync(fd)
  }
  return out
}

/** Bytes of a spool line's head that hold its key (a check id and a timestamp: far fewer). */
const KEY_BYTES = 4096
