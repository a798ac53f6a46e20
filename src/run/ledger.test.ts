import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { ScimClient } from '../http/client.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import { UserLedger } from './ledger.ts'
import { sweepLedger } from './sweep.ts'

test('the ledger keeps the users created and not removed, across instances and torn lines', () => {
  // Arrange
  const dir = mkdtempSync(join(tmpdir(), 'ledger-'))
  const a = new UserLedger(dir, 'run1')
  a.created('u1', 'scimc-run1-a@example.com')
  a.created('u2', 'scimc-run1-b@example.com')
  a.removed('u1')
  appendFileSync(a.file, '{"op":"create","id":"u3"') // a worker killed mid-write
  // Act
  const leftovers = new UserLedger(dir, 'run1').leftovers()
  // Assert
  expect(leftovers).toEqual([{ id: 'u2', userName: 'scimc-run1-b@example.com' }])
  expect(new UserLedger(dir, 'other-run').leftovers()).toEqual([])
})

test('a ledger read once sees what another instance (another thread) appends later, and a ledger begun again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-'))
  const worker = new UserLedger(dir, 'run1')
  worker.created('u1', 'scimc-run1-a@example.com')
  expect(worker.knows('u1')).toBe(true)
  expect(worker.noMoreUsers()).toBeNull()
  // The main thread's signal handler writes the stop through its own instance.
  new UserLedger(dir, 'run1').stop('SIGINT received')
  expect(worker.noMoreUsers()).toEqual({ op: 'stop', why: 'SIGINT received' })
  // A half-written line counts once it is whole.
  appendFileSync(worker.file, '{"op":"create","id":"u2",')
  expect(worker.knows('u2')).toBe(false)
  appendFileSync(worker.file, '"userName":"b"}\n')
  expect(worker.knows('u2')).toBe(true)
  // Discarded (a clean end) and begun again: only the new lines count.
  worker.discard()
  new UserLedger(dir, 'run1').created('u3', 'c')
  expect([worker.knows('u1'), worker.knows('u3')]).toEqual([false, true])
})

test('a ledger planted as a symlink is neither read nor written through', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-'))
  const elsewhere = join(dir, 'elsewhere.jsonl')
  writeFileSync(elsewhere, '{"op":"create","id":"u9","userName":"x"}\n{"op":"stop","why":"planted"}\n')
  const ledger = new UserLedger(dir, 'run1')
  mkdirSync(join(dir, '.ledger'))
  symlinkSync(elsewhere, ledger.file)
  expect([ledger.knows('u9'), ledger.noMoreUsers()]).toEqual([false, null])
  expect(() => ledger.created('u1', 'a')).toThrow(/ELOOP|symbolic/)
  expect(readFileSync(elsewhere, 'utf8')).not.toContain('u1')
})

describe('issue 16, Broken 8: a clean run leaves no ledger behind', () => {
  /** A target that answers every GET with 404 (each listed user is gone already) or with `status`. */
  const target = (status = 404): ScimClient => ({
    exchangeCount: 0,
    send: async (o) => ({
      request: { method: o.method, url: `http://target${o.path}`, headers: {}, body: null },
      response: { status, headers: {}, bodyText: '', body: undefined, truncated: false },
      error: null,
      startedAt: new Date(0).toISOString(),
      durationMs: 1,
    }),
    close: async () => {},
  })
  const profile = { basePath: '/scim/v2' } as VendorProfile

  test('the end-of-run sweep deletes the ledger of a run that removed every user, and the empty folder', async () => {
    // Arrange: a run that created two users and removed one; the sweep finds the other gone (404).
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    const ledger = new UserLedger(dir, 'run1', { usersUrl: 'http://target/scim/v2/Users', embedded: false })
    ledger.created('u1', 'scimc-run1-a')
    ledger.created('u2', 'scimc-run1-b')
    ledger.removed('u1')
    // Act
    const swept = await sweepLedger(target(), profile, new UserLedger(dir, 'run1'))
    // Assert
    expect(swept).toEqual({ removed: 1, left: [] })
    expect(existsSync(ledger.file)).toBe(false)
    expect(existsSync(join(dir, '.ledger'))).toBe(false)
  })

  test('a user the sweep could not remove keeps the ledger (and another run keeps the folder)', async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    const kept = new UserLedger(dir, 'run1')
    kept.created('u1', 'scimc-run1-a')
    const clean = new UserLedger(dir, 'run2')
    clean.created('u9', 'scimc-run2-a')
    clean.removed('u9')
    // Act: the target answers 503 to the GET before the DELETE.
    const left = await sweepLedger(target(503), profile, new UserLedger(dir, 'run1'))
    await sweepLedger(target(), profile, new UserLedger(dir, 'run2'))
    // Assert
    expect(left.left).toEqual([expect.objectContaining({ id: 'u1', runId: 'run1' })])
    expect(existsSync(kept.file)).toBe(true)
    expect(existsSync(clean.file)).toBe(false)
    expect(readdirSync(join(dir, '.ledger'))).toEqual(['run1.jsonl'])
  })

  test('a run whose folder another clean run removed writes its ledger again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    const a = new UserLedger(dir, 'a')
    const b = new UserLedger(dir, 'b')
    a.created('u1', 'scimc-a-1')
    b.created('u2', 'scimc-b-1')
    b.removed('u2')
    rmSync(b.file)
    a.removed('u1')
    a.discard()
    expect(existsSync(join(dir, '.ledger'))).toBe(false)
    b.created('u3', 'scimc-b-3')
    expect(new UserLedger(dir, 'b').leftovers()).toEqual([{ id: 'u3', userName: 'scimc-b-3' }])
  })
})
