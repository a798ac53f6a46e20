import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmdirSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { activeSecrets, scrubSecrets } from '../secrets.ts'

/** Where a run's test users live, written once at the head of its ledger so a later sweep can tell whose they are. */
export interface LedgerRun {
  /** Absolute URL of the target's Users collection (`https://acme.example/scim/v2/Users`). */
  usersUrl: string
  /** True for the embedded reference server: its users die with the process that started it. */
  embedded: boolean
}

/** What a ledger says about one test user. */
export interface LedgerUser {
  id: string
  userName: string
  /** Set when a DELETE was answered but a GET still finds the user, or the user no longer bears the harness's mark. */
  problem?: string
}

interface Entry {
  op: 'run' | 'post' | 'refused' | 'create' | 'delete' | 'survived' | 'unanswered' | 'released' | 'untrusted' | 'stop'
  id?: string
  userName?: string
  why?: string
  runId?: string
  usersUrl?: string
  embedded?: boolean
  pid?: number
  host?: string
  startedAt?: string
}

/**
 * An append-only file of the test users a run created and removed (`<report-dir>/.ledger/<runId>.jsonl`).
 * Written synchronously, before the write it records, so that it survives a crash, a SIGKILL or a
 * second Ctrl-C in any worker: the end of the run, the next run in the same report folder, and
 * `scim-conformance sweep` delete what it says is left, each only after checking that the user still
 * carries the harness's mark.
 */
export class UserLedger {
  readonly file: string
  private headed = false
  constructor(
    reportDir: string,
    readonly runId: string,
    private readonly run: LedgerRun | null = null,
    /** Applied to every line before it is written: secrets a hostile server put into an id never reach the disk. */
    private readonly scrub: (text: string) => string = (t) => scrubSecrets(t, activeSecrets()),
  ) {
    this.file = join(reportDir, '.ledger', `${runId}.jsonl`)
  }

  /** Recorded before a POST /Users: if the run dies before the answer is confirmed, a sweep looks for this userName. */
  posting(userName: string): void {
    this.append({ op: 'post', userName })
  }

  /** The POST for this userName created nothing (it was refused, or a search shows no such user). */
  refused(userName: string): void {
    this.append({ op: 'refused', userName })
  }

  /** userNames whose POST was sent but never confirmed as a test user nor refused: such a user may exist. */
  unconfirmed(): string[] {
    const pending = new Set<string>()
    for (const e of this.entries()) {
      if (e.userName === undefined) continue
      if (e.op === 'post') pending.add(e.userName)
      else if (e.op === 'create' || e.op === 'refused') pending.delete(e.userName)
    }
    return [...pending]
  }

  /** Recorded before the harness first writes to the user: a crash after this line still leaves a trace. */
  created(id: string, userName: string): void {
    this.append({ op: 'create', id, userName })
  }

  removed(id: string): void {
    this.append({ op: 'delete', id })
  }

  /** A DELETE was answered with success, yet a GET still finds the user (RFC 7644 §3.6: it MUST answer 404). */
  survived(id: string, why: string): void {
    this.append({ op: 'survived', id, why })
  }

  /** A DELETE (or the GET before it) got no useful answer: the user may still be there. */
  unanswered(id: string, why: string): void {
    this.append({ op: 'unanswered', id, why })
  }

  /** The user no longer carries the harness's mark: it is never written or deleted again, only reported. */
  released(id: string, why: string): void {
    this.append({ op: 'released', id, why })
  }

  /** The target answered a creation with a user the harness did not create: no more test users are made in this run. */
  untrusted(why: string): void {
    this.append({ op: 'untrusted', why })
  }

  /** The run is being stopped (a signal): no worker creates another test user from here on. */
  stop(why: string): void {
    this.append({ op: 'stop', why })
  }

  /** Why the run creates no more users (an untrusted target, or a stop), or null. */
  noMoreUsers(): { op: 'untrusted' | 'stop'; why: string } | null {
    this.entries()
    const entry = this.read.halt
    return entry ? { op: entry.op as 'untrusted' | 'stop', why: entry.why ?? entry.op } : null
  }

  /** The run's head line (target, process), or null for a ledger without one. */
  head(): (Entry & { op: 'run' }) | null {
    return (this.entries().find((e) => e.op === 'run') as (Entry & { op: 'run' }) | undefined) ?? null
  }

  /** Users created and not (yet) removed or released. */
  leftovers(): LedgerUser[] {
    return this.remaining()
      .filter((u) => !u.released)
      .map(({ released: _, ...u }) => u)
  }

  /** Users that were released (no longer the harness's) or survived their DELETE, with the reason. */
  problems(): LedgerUser[] {
    return this.remaining().filter((u) => u.problem !== undefined)
  }

  /** Whether the ledger ever recorded this id: ids are "non-reassignable" (RFC 7643 §3.1), so no new user has it. */
  knows(id: string): boolean {
    this.entries()
    return this.read.created.has(id)
  }

  /**
   * Deletes the ledger once nothing in it needs the harness (a run that ended clean), and its `.ledger`
   * folder when no other run's ledger is left in it: nothing of a clean run stays in the report folder
   * (or in the CI artifacts uploaded from it).
   */
  discard(): void {
    rmSync(this.file, { force: true })
    try {
      rmdirSync(dirname(this.file))
    } catch {
      // Another run's ledger is still there (ENOTEMPTY), or the folder is gone already.
    }
  }

  /** The ledgers of other runs in the same report folder. */
  static others(reportDir: string, runId: string): UserLedger[] {
    let names: string[]
    try {
      names = readdirSync(join(reportDir, '.ledger'))
    } catch {
      return []
    }
    return names
      .filter((n) => n.endsWith('.jsonl') && n !== `${runId}.jsonl`)
      .map((n) => new UserLedger(reportDir, basename(n, '.jsonl')))
  }

  /** Every user created and not deleted: live, survived or released. */
  remaining(): (LedgerUser & { released: boolean })[] {
    const live = new Map<string, LedgerUser & { released: boolean }>()
    for (const e of this.entries()) {
      if (e.id === undefined) continue
      if (e.op === 'create') live.set(e.id, { id: e.id, userName: e.userName ?? '', released: false })
      else if (e.op === 'delete') live.delete(e.id)
      else if (e.op === 'survived' || e.op === 'unanswered' || e.op === 'released') {
        const user = live.get(e.id)
        if (user) Object.assign(user, { problem: e.why ?? e.op, released: user.released || e.op === 'released' })
      }
    }
    return [...live.values()]
  }

  /**
   * What was read of the file so far, with the two facts a run asks before each creation and each write kept
   * as they are read (issue 15: a run asks its ledger thousands of times; it reads only what is new).
   */
  private read: Read = emptyRead()

  private entries(): Entry[] {
    // One lstat when nothing was appended (the common case); a symlink is no ledger (O_NOFOLLOW below).
    const stat = lstatSync(this.file, { throwIfNoEntry: false })
    if (stat === undefined || stat.isSymbolicLink()) {
      this.read = emptyRead()
      return this.read.entries
    }
    if (stat.ino === this.read.ino && stat.size === this.read.bytes) return this.read.entries
    let fd: number
    try {
      fd = openSync(this.file, constants.O_RDONLY | constants.O_NOFOLLOW)
    } catch {
      this.read = emptyRead()
      return this.read.entries
    }
    try {
      const { size, ino } = fstatSync(fd)
      // Another file, or smaller than what was read: it was discarded and begun again. Read it from the start.
      if (ino !== this.read.ino || size < this.read.bytes) this.read = { ...emptyRead(), ino }
      if (size === this.read.bytes) return this.read.entries
      const fresh = Buffer.alloc(size - this.read.bytes)
      const got = readSync(fd, fresh, 0, fresh.length, this.read.bytes)
      // Whole lines only: a line being appended by another thread is read once it is complete.
      const end = fresh.subarray(0, got).lastIndexOf(0x0a) + 1
      for (const line of fresh.subarray(0, end).toString('utf8').split('\n')) {
        if (!line.trim()) continue
        let entry: Entry
        try {
          entry = JSON.parse(line) as Entry
        } catch {
          // A line torn by a killed process: the entries before and after it still count.
          continue
        }
        this.read.entries.push(entry)
        if (entry.op === 'create' && entry.id !== undefined) this.read.created.add(entry.id)
        if ((entry.op === 'untrusted' || entry.op === 'stop') && this.read.halt === null) this.read.halt = entry
      }
      this.read.bytes += end
      return this.read.entries
    } finally {
      closeSync(fd)
    }
  }

  private append(entry: Entry): void {
    if (!this.headed) {
      this.headed = true
      mkdirSync(dirname(this.file), { recursive: true })
      if (this.run) {
        const head: Entry = {
          op: 'run',
          runId: this.runId,
          ...this.run,
          pid: process.pid,
          host: hostname(),
          startedAt: new Date().toISOString(),
        }
        this.write(head)
      }
    }
    this.write(entry)
  }

  private write(entry: Entry): void {
    // O_NOFOLLOW: a ledger file planted as a symlink is refused, never written through.
    const open = () =>
      openSync(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
    let fd: number
    try {
      fd = open()
    } catch (error) {
      // Another run in the same report folder ended clean and took the empty `.ledger` folder away meanwhile.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      mkdirSync(dirname(this.file), { recursive: true })
      fd = open()
    }
    try {
      writeSync(fd, `${this.scrub(JSON.stringify(entry))}\n`)
    } finally {
      closeSync(fd)
    }
  }
}

interface Read {
  ino: number
  bytes: number
  entries: Entry[]
  /** Ids of every 'create' line. */
  created: Set<string>
  /** The first 'untrusted' or 'stop' line. */
  halt: Entry | null
}

function emptyRead(): Read {
  return { ino: 0, bytes: 0, entries: [], created: new Set(), halt: null }
}

/** True while the process that wrote a ledger's head still runs on this host (its run is in progress). */
export function runInProgress(head: { pid?: number; host?: string } | null): boolean {
  if (!head || typeof head.pid !== 'number' || head.host !== hostname()) return false
  if (head.pid === process.pid) return true
  try {
    process.kill(head.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
