import { appendFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { UserLedger } from './ledger.ts'

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
