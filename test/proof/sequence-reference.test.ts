import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { SEQUENCE_CHECKS } from '../../src/checks/areas/sequence.ts'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { startReferenceServer } from '../../src/reference/server.ts'
import { buildConfig, DEFAULT_RUNS } from '../../src/run/config.ts'
import { runChecks } from '../../src/run/run-checks.ts'

/**
 * Issue 14, Done-when: the correct reference server stays clean over 10 seeds for every vendor, with and
 * without ETags: no put.sequence.* check fails, warns or is inconclusive (the ETag ones are skipped
 * without ETags), and every test user a sequence created is gone afterwards. The constrained flavour
 * (RFC-permitted limits) earns no failure and no warning either.
 */
const SEEDS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 2147483646]
const ETAG_ONLY = new Set(['put.sequence.version-not-reused', 'put.sequence.old-etag-refused'])

async function runSequences(vendor: string, seed: number, etag: boolean, constrained = false) {
  const server = await startReferenceServer({
    profile: await loadProfile({ vendor }),
    token: 'sequence-token',
    etag,
    constrained,
  })
  try {
    const config = buildConfig({
      vendor,
      token: 'sequence-token',
      seed: String(seed),
      runs: String(DEFAULT_RUNS),
      reportDir: mkdtempSync(join(tmpdir(), 'sequence-')),
    })
    const { results } = await runChecks(config, server.origin, { checks: SEQUENCE_CHECKS })
    return { results, left: server.users() }
  } finally {
    await server.close()
  }
}

describe.each(['cube', 'lightdash', 'maia', 'generic'])(
  'put.sequence.* on the reference server, %s flavor',
  (vendor) => {
    test.concurrent.each([false, true])(
      'ETags %s: 10 seeds, nothing fails, warns or is inconclusive, no test user left',
      async (etag) => {
        for (const seed of SEEDS) {
          const { results, left } = await runSequences(vendor, seed, etag)
          const bad = results
            .filter((r) => r.status !== 'passed' && !(r.status === 'skipped' && !etag && ETAG_ONLY.has(r.id)))
            .map((r) => `seed ${seed}: ${r.id} ${r.status}: ${r.message}`)
          expect(bad).toEqual([])
          expect(left, `seed ${seed}`).toEqual([])
        }
      },
      600_000,
    )

    test.concurrent.each([false, true])(
      'constrained flavour, ETags %s: no failure, no warning, no test user left',
      async (etag) => {
        for (const seed of SEEDS.slice(0, 3)) {
          const { results, left } = await runSequences(vendor, seed, etag, true)
          const bad = results
            .filter((r) => r.status === 'failed' || r.status === 'warned' || r.status === 'inconclusive')
            .map((r) => `seed ${seed}: ${r.id} ${r.status}: ${r.message}`)
          expect(bad).toEqual([])
          expect(left, `seed ${seed}`).toEqual([])
        }
      },
      600_000,
    )
  },
)
