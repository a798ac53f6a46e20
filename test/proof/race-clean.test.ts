import { afterAll, describe, expect, test } from 'vitest'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { startReferenceServer } from '../../src/reference/server.ts'
import { type RaceWindow, startRaceServer } from './race-servers.ts'
import { expectAllPassed, race, removeReportDirs, SEEDS, summary, TOKEN } from './race-support.ts'

// Issue 14 (concurrent writers), the honest side: servers that serialise their writers are never failed by
// a put.concurrency.* check, and every race is exercised (sent in parallel and judged), so each passes.

afterAll(removeReportDirs)

describe('servers that serialise their writers', () => {
  test.each(
    ['lightdash', 'maia', 'cube', 'generic'].flatMap((vendor) => [
      { vendor, etag: true, constrained: false, seeds: SEEDS },
      { vendor, etag: false, constrained: false, seeds: SEEDS },
      // The constrained flavour (RFC-permitted input limits): its refusals are never blamed on a race.
      { vendor, etag: true, constrained: true, seeds: SEEDS.slice(0, 3) },
    ]),
  )(
    'the reference server, $vendor, ETags $etag, constrained $constrained: clean over $seeds.length seeds',
    { timeout: 300_000 },
    async ({ vendor, etag, constrained, seeds }) => {
      const server = await startReferenceServer({
        profile: await loadProfile({ vendor: vendor as 'generic' }),
        token: TOKEN,
        etag,
        constrained,
      })
      try {
        for (const seed of seeds) {
          const results = await race(vendor, server.origin, seed)
          const bad = results.filter((r) => r.status === 'failed' || r.status === 'warned')
          expect(bad, summary(bad)).toEqual([])
          expectAllPassed(results, etag)
        }
        expect(server.users()).toEqual([])
      } finally {
        await server.close()
      }
    },
  )

  test.each([
    { name: 'no window', windows: [] as RaceWindow[], locked: false, etag: true },
    {
      name: 'every window, behind a lock',
      windows: ['uniqueness', 'if-match', 'replace'] as RaceWindow[],
      locked: true,
      etag: true,
    },
    { name: 'no window, no ETags', windows: [] as RaceWindow[], locked: false, etag: false },
  ])('race server, $name', { timeout: 120_000 }, async ({ windows, locked, etag }) => {
    const server = await startRaceServer({ token: TOKEN, windows, locked, etag })
    try {
      for (const seed of SEEDS.slice(0, 2)) expectAllPassed(await race('generic', server.origin, seed), etag)
    } finally {
      await server.close()
    }
  })
})
