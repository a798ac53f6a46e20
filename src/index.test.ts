import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { buildConfig, CHECKS, loadProfile, runChecks, startReferenceServer } from './index.ts'

// package.json `main` names this file: what it exports must be enough to run the checks from code.
test('the library surface loads a vendor, starts the reference server and runs checks against it', async () => {
  // Arrange
  const profile = await loadProfile({ vendor: 'cube' })
  const server = await startReferenceServer({ profile, token: 'library-surface-token', etag: true })
  const reportDir = mkdtempSync(join(tmpdir(), 'index-'))
  try {
    const config = buildConfig({ vendor: 'cube', token: 'library-surface-token', runs: '2', seed: '3', reportDir })
    // Act
    const only = CHECKS.filter((c) => c.id === 'put.status.success-200')
    const { results } = await runChecks(config, server.origin, { checks: only })
    // Assert
    expect(results.map((r) => [r.id, r.status])).toEqual([['put.status.success-200', 'passed']])
    expect(server.users()).toEqual([])
  } finally {
    await server.close()
    rmSync(reportDir, { recursive: true, force: true })
  }
})
