import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * An append-only file of the test users a run created and removed. Written synchronously so that it
 * survives a crash or Ctrl-C in any worker; the sweep at the end of the run deletes what is left.
 */
export class UserLedger {
  readonly file: string
  private dirMade = false
  constructor(reportDir: string, runId: string) {
    this.file = join(reportDir, '.ledger', `${runId}.jsonl`)
  }

  created(id: string, userName: string): void {
    this.append({ op: 'create', id, userName })
  }

  removed(id: string): void {
    this.append({ op: 'delete', id })
  }

  /** Users created and not (yet) removed. */
  leftovers(): { id: string; userName: string }[] {
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch {
      return []
    }
    const live = new Map<string, string>()
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      try {
        const entry = JSON.parse(line) as { op: string; id: string; userName?: string }
        if (entry.op === 'create') live.set(entry.id, entry.userName ?? '')
        else live.delete(entry.id)
      } catch {
        // A line torn by a killed process: the entries before and after it still count.
      }
    }
    return [...live].map(([id, userName]) => ({ id, userName }))
  }

  discard(): void {
    rmSync(this.file, { force: true })
  }

  private append(entry: object): void {
    // Once per ledger, not per entry: the directory outlives the run (only the file is discarded).
    if (!this.dirMade) {
      mkdirSync(dirname(this.file), { recursive: true })
      this.dirMade = true
    }
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`)
  }
}
