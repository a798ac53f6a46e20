import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { startReferenceServer } from '../../src/reference/server.ts'
import { buildConfig, DEFAULT_RUNS } from '../../src/run/config.ts'
import { runChecks } from '../../src/run/run-checks.ts'
import { killStrayChildren, readReport, removeTempDirs, runCli, tempDir, TEST_TIMEOUT_MS } from '../support/cli.ts'

/**
 * Issue 12, Done-when: a strict but RFC-permitted server (the reference server's constrained flavour:
 * strings of at most 100 characters, one value per `type`, no `{}` items, `emails` defaulted from the
 * userName when cleared) earns no failure and no warning. What it really prevents a check from seeing
 * is inconclusive, and only that (listed here, each with its reason); its limits are learned and
 * reported as constraints.
 */

/** Checks the constrained flavour keeps from reaching their rule, and why. */
const PREVENTED: Record<string, string> = {
  // Strings over 100 characters are refused, and this check's cases are 256 to 1024 characters long.
  'put.replace.long-strings-exact': 'the server stores no string over 100 characters',
}

afterAll(async () => {
  killStrayChildren()
  await removeTempDirs()
})

describe.each(['lightdash', 'maia', 'cube', 'generic'])('constrained reference server, %s flavor', (vendor) => {
  test.concurrent.each([
    { seed: 5, etag: true },
    { seed: 77, etag: false },
  ])(
    'seed $seed, ETags $etag: no failure, no warning, inconclusive only where the limits prevent the rule',
    async ({ seed, etag }) => {
      const server = await startReferenceServer({
        profile: await loadProfile({ vendor }),
        token: 'constrained-token',
        etag,
        constrained: true,
      })
      try {
        const config = buildConfig({
          vendor,
          token: 'constrained-token',
          seed: String(seed),
          runs: String(DEFAULT_RUNS),
          reportDir: mkdtempSync(join(tmpdir(), 'constrained-')),
        })
        const { results } = await runChecks(config, server.origin)
        const bad = results
          .filter((r) => r.status === 'failed' || r.status === 'warned')
          .map((r) => `${r.id} ${r.status}: ${r.message}`)
        expect(bad).toEqual([])
        const inconclusive = results.filter((r) => r.status === 'inconclusive')
        expect(
          inconclusive.filter((r) => !(r.id in PREVENTED)).map((r) => `${r.id}: ${r.message}`),
          'inconclusive beyond what the limits prevent',
        ).toEqual([])
        expect(server.users()).toEqual([])
      } finally {
        await server.close()
      }
    },
    TEST_TIMEOUT_MS,
  )
})

test(
  'the CLI learns the limits before the checks and reports them as constraints and traits',
  async () => {
    const server = await startReferenceServer({
      profile: await loadProfile({ vendor: 'cube' }),
      token: 'constrained-token',
      constrained: true,
    })
    try {
      const dir = await tempDir()
      const cli = await runCli([
        'run',
        '--target',
        server.origin,
        '--vendor',
        'cube',
        '--token',
        'constrained-token',
        '--runs',
        '5',
        '--report-dir',
        dir,
      ])
      expect(cli.code, cli.stderr).toBe(0)
      expect(cli.stderr).not.toMatch(/cannot create a test user|--user-id/)
      const report = await readReport(dir)
      expect(report.constraints).toBeDefined()
      const learned = Object.keys(report.constraints ?? {})
      expect(learned).toEqual(expect.arrayContaining(['constraint.maxLength', 'constraint.type-unique']))
      expect(report.constraints?.['constraint.maxLength']).toMatch(/^100\b/)
      for (const key of learned) expect(report.traits[key]).toBe(report.constraints?.[key])
      expect(cli.stdout).toMatch(/constraint/i)
    } finally {
      await server.close()
    }
  },
  TEST_TIMEOUT_MS,
)
