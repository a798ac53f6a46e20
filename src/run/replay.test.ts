import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CHECKS } from '../checks/index.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { startReferenceServer, type ReferenceServer } from '../reference/server.ts'
import { faultHooks } from '../../test/support/faults/index.ts'
import { buildConfig } from './config.ts'
import { runChecks } from './run-checks.ts'

// Issue 13, "reproduction half-works": the printed --seed and --path, with --only, replay exactly the reported case.

const TOKEN = 'replay-test-token-0123456789'
let server: ReferenceServer
let dir: string
beforeAll(async () => {
  const profile = await loadProfile({ vendor: 'cube' })
  server = await startReferenceServer({ profile, token: TOKEN, hooks: faultHooks(['unicode-mangled']) })
  dir = mkdtempSync(join(tmpdir(), 'replay-'))
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

const run = (extra: Record<string, string>) =>
  runChecks(buildConfig({ vendor: 'cube', token: TOKEN, reportDir: dir, runs: '30', ...extra }), server.origin, {
    checks: CHECKS.filter((c) => c.id === 'put.replace.unicode-exact'),
  })

describe('--seed N --only ID --path P', () => {
  test('replays the reported failing case: the same request, one case, no shrinking', async () => {
    // Arrange: a failing run, shrunk, as the report prints it.
    const { results: first } = await run({ seed: '424242' })
    const found = first[0]
    expect(found.status).toBe('failed')
    expect(found.path).toMatch(/^\d+(:\d+)*$/)
    expect(found.checkSeed).toEqual(expect.any(Number))
    // Act: the flags the failure printed.
    const { results: again } = await run({ seed: '424242', only: 'put.replace.unicode-exact', path: found.path! })
    // Assert
    const replayed = again[0]
    expect(replayed.status).toBe('failed')
    expect(replayed.numRuns).toBe(1)
    expect(replayed.counterexample?.request.body).toBe(found.counterexample?.request.body)
    expect(replayed.message).toBe(found.message)
  })

  test('--path without --seed, or without exactly one --only check, is a usage error', () => {
    expect(() => buildConfig({ path: '3:1' })).toThrow(/--path replays one case of one check/)
    expect(() => buildConfig({ path: '3:1', seed: '1', only: 'put.replace.*' })).toThrow(/--path replays one case/)
    expect(() => buildConfig({ path: 'x', seed: '1', only: 'a' })).toThrow(/--path must be a fast-check path/)
    expect(buildConfig({ path: '3:1', seed: '1', only: 'a' }).path).toBe('3:1')
  })
})
