import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { startReferenceServer } from '../../src/reference/server.ts'
import { buildConfig, DEFAULT_RUNS } from '../../src/run/config.ts'
import { runChecks } from '../../src/run/run-checks.ts'

/**
 * Zero false failures: against the RFC-faithful reference server, no check fails, warns or is
 * inconclusive (every rule it can be asked about is exercised), for every vendor, with and without
 * ETags, over the default number of runs and several seeds (issues "checks" and 12, Done-when).
 */
const CASES = [
  { seed: 1, etag: true },
  { seed: 42, etag: true },
  { seed: 20261123, etag: true },
  { seed: 987654321, etag: false },
  { seed: 2147483646, etag: false },
]

describe.each(['lightdash', 'maia', 'cube', 'generic'])('reference server, %s flavor', (vendor) => {
  test.concurrent.each(CASES)(
    'seed $seed, ETags $etag: nothing fails, warns or is inconclusive, no test user left',
    async ({ seed, etag }) => {
      const server = await startReferenceServer({
        profile: await loadProfile({ vendor }),
        token: 'reference-token',
        etag,
      })
      try {
        const config = buildConfig({
          vendor,
          token: 'reference-token',
          seed: String(seed),
          runs: String(DEFAULT_RUNS),
          reportDir: mkdtempSync(join(tmpdir(), 'conforms-')),
        })
        const { results } = await runChecks(config, server.origin)
        const bad = results
          .filter((r) => r.status === 'failed' || r.status === 'warned' || r.status === 'inconclusive')
          .map((r) => `${r.id} ${r.status}: ${r.message}`)
        expect(bad).toEqual([])
        expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(40)
        expect(server.users()).toEqual([])
      } finally {
        await server.close()
      }
    },
  )
})
