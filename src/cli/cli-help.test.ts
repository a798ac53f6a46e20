import { access, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  firstStdoutLine,
  killStrayChildren,
  removeTempDirs,
  runCli,
  type CliResult,
  spawnCli,
  tempDir,
  TEST_TIMEOUT_MS,
} from '../../test/support/cli.ts'

// Issue 16: each command's own --help, one vendor rule, list-checks per vendor, audit-spec --fail-on, and bad
// paths (a URL as --spec, a report folder under /proc) as one line and exit 2. Each a real CLI run.

afterAll(async () => {
  killStrayChildren()
  await removeTempDirs()
})

/** The one stderr line of a usage error (exit 2, nothing on stdout, no stack, never "internal error"). */
function usageLine(run: CliResult): string {
  expect(run.code, run.stderr).toBe(2)
  const lines = run.stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines, run.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^scim-conformance: /)
  expect(lines[0]).not.toMatch(/internal error/)
  expect(run.stdout).toBe('')
  return lines[0]
}

describe("each command has its own --help: exit 0, its own flags, not the others'", () => {
  // [command, flags its help names, flags it must not name]
  const CASES: [string, string[], string[]][] = [
    ['run', ['--target', '--report-dir', '--only', '--seed', '--path', '--fail-on'], ['--port', '--markdown']],
    ['audit-spec', ['--vendor', '--spec', '--fail-on', '--allow-remote-refs'], ['--target', '--report-dir', '--port']],
    ['serve', ['--vendor', '--port', '--host', '--token', '--etag', '--constrained'], ['--report-dir', '--target']],
    ['list-checks', ['--vendor', '--spec', '--markdown'], ['--target', '--report-dir', '--fail-on']],
    ['merge-reports', ['--report-dir', '--fail-on'], ['--target', '--vendor', '--port']],
    ['sweep', ['--target', '--vendor', '--spec', '--report-dir', '--token'], ['--port', '--markdown', '--fail-on']],
  ]

  test.concurrent.each(CASES)(
    '%s --help',
    async (command, own, others) => {
      const run = await runCli([command, '--help'])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stderr).toBe('')
      expect(run.stdout).toMatch(new RegExp(`^Usage: scim-conformance ${command} `))
      for (const flag of own) expect(run.stdout, flag).toContain(flag)
      for (const flag of others) expect(run.stdout, flag).not.toContain(flag)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'merge-reports --help wins over the rest of its line (was exit 2 with a raw parser message)',
    async () => {
      const run = await runCli(['merge-reports', '--report-dir', 'out', '--help', 'a/report.json'])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(/^Usage: scim-conformance merge-reports /)
      expect(run.stderr).toBe('')
    },
    TEST_TIMEOUT_MS,
  )
})

describe('a report folder that cannot hold reports is one line and exit 2, created nowhere', () => {
  let file: string

  beforeAll(async () => {
    file = join(await tempDir(), 'a-file')
    await writeFile(file, 'not a folder')
  })

  test('run --report-dir /proc/x exits 2 at once (a recursive mkdir there never returns on Node 20)', async () => {
    // A short timeout around the CLI: the hang this guards against spins forever.
    const run = await runCli(['run', '--report-dir', '/proc/x'], { timeoutMs: 15_000 })
    expect(usageLine(run)).toMatch(/--report-dir \/proc\/x: \/proc is a kernel file system/)
    await expect(access('/proc/x')).rejects.toThrow()
  }, 25_000)

  const CASES: [string, string[], RegExp][] = [
    ['run, under /sys', ['run', '--vendor', 'cube', '--report-dir', '/sys/scimc-x'], /\/sys is a kernel file system/],
    ['run, under /dev', ['run', '--vendor', 'cube', '--report-dir=/dev/scimc-x'], /\/dev is a kernel file system/],
    [
      'merge-reports, under /proc',
      ['merge-reports', '--report-dir', '/proc/scimc-x', 'shard/report.json'],
      /\/proc is a kernel file system/,
    ],
    [
      'run, a file',
      ['run', '--vendor', 'cube', '--report-dir', '<file>'],
      /a-file: exists and is a file, not a folder/,
    ],
    [
      'run, below a file',
      ['run', '--vendor', 'cube', '--report-dir', '<file>/reports'],
      /a-file is a file, so no folder can be made below it/,
    ],
  ]

  test.concurrent.each(CASES)(
    '%s',
    async (_what, args, message) => {
      const run = await runCli(
        args.map((a) => a.replace('<file>', file)),
        { timeoutMs: 30_000 },
      )
      expect(usageLine(run)).toMatch(message)
    },
    40_000,
  )

  test('nothing was created under /sys or /dev', async () => {
    await expect(access('/dev/scimc-x')).rejects.toThrow()
    await expect(access('/sys/scimc-x')).rejects.toThrow()
  })
})

describe('one vendor rule and its own line for each bad input', () => {
  const CASES: [string, string[], RegExp][] = [
    [
      '--spec http://…',
      ['audit-spec', '--spec', 'http://127.0.0.1:9/openapi.yaml'],
      /--spec http:\S+: a URL; --spec reads a local file/,
    ],
    ['run --spec https://…', ['run', '--spec', 'https://example.com/api.yaml'], /a URL; --spec reads a local file/],
    ['serve without --vendor', ['serve', '--port', '0'], /serve needs --vendor NAME .* or --spec FILE/],
    ['audit-spec --fail-on maybe', ['audit-spec', '--fail-on', 'maybe'], /--fail-on must be "must" or "should"/],
    ['audit-spec --vendor all --spec', ['audit-spec', '--vendor', 'all', '--spec', 'x.yaml'], /--vendor all cannot/],
  ]

  test.concurrent.each(CASES)(
    '%s',
    async (_what, args, message) => {
      expect(usageLine(await runCli(args))).toMatch(message)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'audit-spec without --vendor audits lightdash, maia and cube (the default run covers)',
    async () => {
      const run = await runCli(['audit-spec'])
      expect(run.code, run.stderr).toBe(0)
      const audited = [...run.stdout.matchAll(/^Spec findings for (\w+) /gm)].map((m) => m[1])
      expect(audited).toEqual(['lightdash', 'maia', 'cube'])
    },
    TEST_TIMEOUT_MS,
  )
})

describe('audit-spec --fail-on', () => {
  // maia's document declares problem+json errors: a MUST finding (spec.errors.not-scim-format).
  test.concurrent.each([
    [['--vendor', 'maia'], 0],
    [['--vendor', 'maia', '--fail-on', 'must'], 1],
    [['--vendor', 'maia', '--fail-on', 'should'], 1],
    [['--vendor', 'generic', '--fail-on', 'should'], 0],
  ] as [string[], number][])(
    'audit-spec %j exits %i',
    async (args, code) => {
      const run = await runCli(['audit-spec', ...args])
      expect(run.code, run.stderr).toBe(code)
      if (args.includes('maia')) expect(run.stdout).toMatch(/^ {2}MUST +spec\.errors\.not-scim-format/m)
      expect(run.stderr).toBe('')
    },
    TEST_TIMEOUT_MS,
  )
})

describe("list-checks --vendor says which checks apply to that vendor's document", () => {
  const statusOf = (stdout: string, id: string) =>
    new RegExp(`^${id.replace(/\./g, '\\.')} +\\S+ +.+? {2}(applies|skipped|depends) `, 'm').exec(stdout)?.[1]

  test(
    "cube and generic differ where cube's document leaves a check nothing to test; ETag checks depend on the target",
    async () => {
      const [cube, generic, plain] = await Promise.all([
        runCli(['list-checks', '--vendor', 'cube']),
        runCli(['list-checks', '--vendor', 'generic']),
        runCli(['list-checks']),
      ])
      for (const run of [cube, generic, plain]) expect(run.code, run.stderr).toBe(0)
      // Cube's request schema has no password; the RFC core User (generic) has one.
      expect(statusOf(cube.stdout, 'put.replace.password-not-returned')).toBe('skipped')
      expect(cube.stdout).toMatch(/skipped for cube: the vendor's request schema has no password attribute/)
      expect(statusOf(generic.stdout, 'put.replace.password-not-returned')).toBe('applies')
      // ETag support is what the target's /ServiceProviderConfig declares, for every vendor.
      for (const run of [cube, generic]) {
        expect(statusOf(run.stdout, 'put.etag.header')).toBe('depends')
        expect(statusOf(run.stdout, 'put.status.success-200')).toBe('applies')
      }
      expect(cube.stdout).toMatch(/^\d+ checks for cube: \d+ apply, [1-9]\d* skipped by its document, \d+ depend/m)
      // Without a vendor: no document, so no applicability column.
      expect(plain.stdout).not.toMatch(/ (applies|skipped|depends) /)
    },
    TEST_TIMEOUT_MS,
  )
})

test(
  'serve stops at the first Ctrl-C (SIGINT), exit 0',
  async () => {
    const serve = spawnCli(['serve', '--vendor', 'generic', '--port', '0'], { timeoutMs: 30_000 })
    await firstStdoutLine(serve)
    // One signal, no second: the exit itself is the proof (no wall-clock bound: the machine may be loaded).
    serve.child.kill('SIGINT')
    const exit = await serve.exited
    expect(exit.code, exit.stderr).toBe(0)
  },
  TEST_TIMEOUT_MS,
)
