import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CHECKS } from '../checks/index.ts'
import {
  closedPortUrl,
  firstStdoutLine,
  killStrayChildren,
  removeTempDirs,
  runCli,
  secretToken,
  spawnCli,
  tempDir,
  TEST_TIMEOUT_MS,
} from '../../test/support/cli.ts'

// Bad input, the spec commands and `serve`: each a subprocess, judged by exit code and output.

afterAll(async () => {
  killStrayChildren()
  await removeTempDirs()
})

const BROKEN_YAML = 'openapi: 3.0.0\ninfo: [unclosed\n  paths: {\n'
const NO_PUT_USER = `openapi: 3.0.3
info:
  title: Users without PUT
  version: "1"
paths:
  /Users/{id}:
    get:
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: the user
`

describe('bad input exits 2 with one line on stderr that names the problem', () => {
  let broken: string
  let noPut: string
  let unreachable: string

  beforeAll(async () => {
    const dir = await tempDir()
    broken = join(dir, 'broken.yaml')
    noPut = join(dir, 'no-put.yaml')
    await writeFile(broken, BROKEN_YAML)
    await writeFile(noPut, NO_PUT_USER)
    unreachable = await closedPortUrl()
  })

  // [what, args (placeholders filled in the test), what stderr must say]
  const CASES: [string, string[], RegExp][] = [
    ['unknown vendor', ['run', '--vendor', 'acme'], /unknown vendor "acme"/],
    ['missing spec file', ['run', '--spec', '/nonexistent.yaml'], /\/nonexistent\.yaml: cannot read the spec file/],
    ['spec that is not YAML', ['run', '--spec', '<broken>'], /broken\.yaml: not a valid OpenAPI 3\.x document/],
    [
      'spec without PUT /Users/{id}',
      ['run', '--spec', '<no-put>'],
      /no-put\.yaml: declares no PUT on a path ending in \/Users\/\{id\}/,
    ],
    [
      'unreachable target',
      ['run', '--vendor', 'cube', '--token', 'a-token-long-enough-to-scrub', '--target', '<unreachable>'],
      /cannot reach the target http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    ],
    [
      '--runs abc',
      ['run', '--vendor', 'cube', '--runs', 'abc'],
      /--runs must be a whole number from 1 to \d+, got "abc"/,
    ],
    ['--runs 0', ['run', '--vendor', 'cube', '--runs', '0'], /--runs must be a whole number from 1 to \d+, got "0"/],
    [
      '--fail-on maybe',
      ['run', '--vendor', 'cube', '--fail-on', 'maybe'],
      /--fail-on must be "must" or "should", got "maybe"/,
    ],
    [
      '--concurrency -1',
      ['run', '--vendor', 'cube', '--concurrency', '-1'],
      /--concurrency must be a whole number from 1 to \d+, got "-1"/,
    ],
    [
      '--target not-a-url',
      ['run', '--vendor', 'cube', '--target', 'not-a-url'],
      /--target must be an absolute http\(s\) URL, got "not-a-url"/,
    ],
    [
      '--rate 0',
      ['run', '--vendor', 'cube', '--rate', '0'],
      /--rate must be a positive number of requests per second.*, got "0"/,
    ],
    ['unknown flag', ['run', '--vendor', 'cube', '--frobnicate'], /Unknown option '--frobnicate'/],
    ['flag without its value', ['run', '--vendor', 'cube', '--target', '--token', 'x'], /--target has no value/],
    [
      'unknown --only id',
      ['run', '--vendor', 'cube', '--only', 'put.no.such-check'],
      /unknown check id "put\.no\.such-check" in --only\/--skip/,
    ],
    ['--target without --vendor', ['run', '--target', 'http://127.0.0.1:9'], /--target needs --vendor NAME/],
    ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
  ]

  test.concurrent.each(CASES)(
    '%s',
    async (_what, args, message) => {
      // Arrange
      const argv = args.map((a) =>
        a === '<broken>' ? broken : a === '<no-put>' ? noPut : a === '<unreachable>' ? unreachable : a,
      )
      // Act
      const run = await runCli(argv)
      // Assert
      expect(run.code, run.stderr).toBe(2)
      const lines = run.stderr.split('\n').filter((l) => l.trim() !== '')
      expect(lines, run.stderr).toHaveLength(1)
      expect(lines[0]).toMatch(/^scim-conformance: /)
      expect(lines[0]).toMatch(message)
      expect(lines[0]).not.toMatch(/internal error/)
      expect(run.stderr).not.toContain('    at ')
      expect(run.stdout).toBe('')
    },
    TEST_TIMEOUT_MS,
  )
})

test(
  'audit-spec --vendor maia prints the problem+json finding and exits 0',
  async () => {
    const run = await runCli(['audit-spec', '--vendor', 'maia'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^ {2}MUST +spec\.errors\.not-scim-format +\[RFC 7644 §3\.12\]$/m)
    expect(run.stdout).toMatch(/application\/problem\+json with status typed integer/)
  },
  TEST_TIMEOUT_MS,
)

test(
  'list-checks prints every check id',
  async () => {
    const run = await runCli(['list-checks'])
    expect(run.code, run.stderr).toBe(0)
    const ids = run.stdout
      .split('\n')
      .filter((l) => /^put\./.test(l))
      .map((l) => l.split(/\s+/)[0])
    expect(ids.sort()).toEqual(CHECKS.map((c) => c.id).sort())
    expect(run.stdout).toMatch(new RegExp(`^${CHECKS.length} checks$`, 'm'))
  },
  TEST_TIMEOUT_MS,
)

test(
  'serve prints its base URL, answers requests, and exits 0 on SIGTERM',
  async () => {
    // Arrange
    const token = secretToken()
    const serve = spawnCli(['serve', '--vendor', 'cube', '--port', '0', '--token', token])
    const baseUrl = await firstStdoutLine(serve)
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/scim\/v2$/)
    // Act
    const authorized = await request(`${baseUrl}/ServiceProviderConfig`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const config = (await authorized.body.json()) as { schemas?: string[] }
    const anonymous = await request(`${baseUrl}/Users/any`, {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'application/scim+json' },
    })
    await anonymous.body.dump()
    serve.child.kill('SIGTERM')
    const exit = await serve.exited
    // Assert
    expect(authorized.statusCode).toBe(200)
    expect(config.schemas).toContain('urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig')
    expect(anonymous.statusCode).toBe(401)
    expect(exit.code, exit.stderr).toBe(0)
    expect(exit.stderr).not.toContain(token)
  },
  TEST_TIMEOUT_MS,
)
