import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  type CliResult,
  killStrayChildren,
  readTree,
  removeTempDirs,
  runCli,
  TEST_TIMEOUT_MS,
  tempDir,
} from '../../test/support/cli.ts'
import { type OAuthServer, startOAuthServer } from '../../test/support/oauth-server.ts'
import { basicCredential } from '../http/auth.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import type { ServerHooks } from '../reference/hooks.ts'
import { type ReferenceServer, startReferenceServer } from '../reference/server.ts'
import type { ConformanceReport } from '../report/types.ts'

// Issue 17 item 4, end to end: `run` against a target that accepts only the tokens a real OAuth 2.0 server
// (oidc-provider, client credentials) issued, and against an HTTP Basic target; both echo the credential they
// were sent. No secret (the client secret, any access token, the Basic password or its base64 form) may appear
// in the console, report.json, report.html, junit.xml, the HAR file or the ledger.

const closing: { close(): Promise<void> }[] = []

afterAll(async () => {
  killStrayChildren()
  await Promise.all(closing.splice(0).map((s) => s.close()))
  await removeTempDirs()
})

/** Echoes the credential a request carried in a response header, and in the detail of an error. */
const echo: ServerHooks = {
  name: 'echo-credentials',
  response({ exchange, response }) {
    const sent = exchange.headers.authorization
    if (typeof sent !== 'string') return
    response.headers['X-Echo-Authorization'] = sent
    const body = response.body as { detail?: unknown } | null
    if (response.status >= 400 && body && typeof body.detail === 'string') body.detail += ` (you sent ${sent})`
  },
}

async function target(authorize: ServerHooks['authorize']): Promise<ReferenceServer> {
  const server = await startReferenceServer({
    profile: await loadProfile({ vendor: 'generic' }),
    token: null,
    etag: true,
    hooks: [{ name: 'auth', authorize }, echo],
  })
  closing.push(server)
  return server
}

/** Undoes JSON `\u`, percent and HTML/XML numeric encodings, so that no encoded copy of a secret goes unseen. */
function decodeAll(text: string): string {
  return text
    .replace(/\\+u([0-9a-f]{4})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
}

/** Every output of a run: the files under its report folder (HAR and ledger included), stdout and stderr. */
async function outputs(dir: string, run: CliResult): Promise<[string, string][]> {
  const files = await readTree(dir)
  return [...files.map((f): [string, string] => [f.path, f.text]), ['stdout', run.stdout], ['stderr', run.stderr]]
}

function expectNoSecret(all: [string, string][], secrets: Record<string, string>): void {
  for (const [where, text] of all)
    for (const form of [text, decodeAll(text), decodeAll(decodeAll(text))])
      for (const [what, value] of Object.entries(secrets))
        expect(form.toLowerCase().includes(value.toLowerCase()), `${what} in ${where}`).toBe(false)
}

const statusOf = (report: ConformanceReport, id: string) => report.results.find((r) => r.id === id)?.status

describe('OAuth 2.0 client credentials against oidc-provider', () => {
  let oauth: OAuthServer
  let dir: string
  let run: CliResult

  /** The SCIM API's resource indicator (RFC 8707): the target takes only tokens issued for it. */
  const resource = 'https://scim.example/scim/v2'

  beforeAll(async () => {
    // 3 s tokens: the run outlives several, so tokens are fetched again in the CLI's process and in its worker.
    oauth = await startOAuthServer({ ttlSeconds: 3, scopes: ['scim'], resources: [resource] })
    closing.push(oauth)
    const server = await target(({ exchange }) => oauth.accepts(exchange.headers.authorization, resource))
    dir = await tempDir()
    run = await runCli(
      [
        'run',
        '--vendor',
        'generic',
        '--target',
        server.origin,
        '--oauth-token-url',
        oauth.tokenUrl,
        '--client-id',
        oauth.clientId,
        '--scope',
        'scim',
        '--resource',
        resource,
        '--only',
        'put.auth.*,put.status.*',
        '--runs',
        '3',
        '--report-dir',
        dir,
        '--har',
        join(dir, 'run.har'),
      ],
      { env: { SCIM_CLIENT_SECRET: oauth.clientSecret } },
    )
  }, TEST_TIMEOUT_MS)

  test('the run passes: the target took the issued tokens and refused the bogus one', async () => {
    expect(run.code, run.stderr).toBe(0)
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as ConformanceReport
    expect(statusOf(report, 'put.auth.invalid-token')).toBe('passed')
    expect(statusOf(report, 'put.auth.missing-token')).toBe('passed')
    // The preflight's token in the CLI's process, the worker's own: at least two were issued.
    expect(oauth.issued.length).toBeGreaterThanOrEqual(2)
    expect(oauth.issued.every((t) => t.scope === 'scim' && t.audience === resource)).toBe(true)
  })

  test('neither the client secret nor any access token is in any output; the echoes were there', async () => {
    const all = await outputs(dir, run)
    const names = all.map(([where]) => where)
    for (const file of ['report.json', 'report.html', 'junit.xml', 'run.har'])
      expect(
        names.some((n) => n.endsWith(file)),
        file,
      ).toBe(true)
    expectNoSecret(all, {
      'the client secret': oauth.clientSecret,
      ...Object.fromEntries(oauth.issued.map((t, i) => [`access token ${i}`, t.token])),
    })
    const har = await readFile(join(dir, 'run.har'), 'utf8')
    expect(har).toContain('x-echo-authorization')
    expect(har).toContain('Bearer $SCIM_TOKEN')
  })
})

describe('HTTP Basic', () => {
  const user = 'scim-admin'
  const password = `basic-pass-${randomBytes(8).toString('hex')}`
  const credential = basicCredential(user, password)
  let dir: string
  let run: CliResult
  let server: ReferenceServer

  beforeAll(async () => {
    // A server that checks the user name only: a wrong password gets in, which put.auth.invalid-token must catch.
    server = await target(({ exchange }) => {
      const sent = /^Basic (\S+)$/.exec(exchange.headers.authorization ?? '')?.[1]
      return sent !== undefined && Buffer.from(sent, 'base64').toString().startsWith(`${user}:`)
    })
    dir = await tempDir()
    run = await runCli(
      [
        'run',
        '--vendor',
        'generic',
        '--target',
        server.origin,
        '--basic',
        '--header',
        'X-Tenant: acme',
        '--only',
        'put.auth.*',
        '--report-dir',
        dir,
        '--har',
        join(dir, 'run.har'),
      ],
      { env: { SCIM_BASIC_USER: user, SCIM_BASIC_PASSWORD: password } },
    )
  }, TEST_TIMEOUT_MS)

  test('a wrong Basic password that gets in fails put.auth.invalid-token; a missing one is refused', async () => {
    expect(run.code, run.stderr).toBe(1)
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as ConformanceReport
    expect(statusOf(report, 'put.auth.missing-token')).toBe('passed')
    const failed = report.results.find((r) => r.id === 'put.auth.invalid-token')
    expect(failed?.status).toBe('failed')
    expect(failed?.finding?.received).toMatch(/for a PUT with Basic credentials with a wrong password/)
  })

  test('no password or Basic credential in any output; the reproduction logs in with -u from the env', async () => {
    const all = await outputs(dir, run)
    expectNoSecret(all, { 'the Basic password': password, 'the Basic credential': credential })
    const json = await readFile(join(dir, 'report.json'), 'utf8')
    expect(json).toContain('-u \\"$SCIM_BASIC_USER:$SCIM_BASIC_PASSWORD\\"')
    expect(json).toContain('X-Tenant: acme')
    expect(await readFile(join(dir, 'run.har'), 'utf8')).toContain('x-echo-authorization')
  })

  test('sweep takes the same credentials: nothing left, exit 0', async () => {
    const sweep = await runCli(
      ['sweep', '--vendor', 'generic', '--target', server.origin, '--basic', '--report-dir', dir],
      { env: { SCIM_BASIC_USER: user, SCIM_BASIC_PASSWORD: password } },
    )
    expect(sweep.code, sweep.stderr).toBe(0)
    expect(sweep.stdout).toMatch(/0 remain/)
    expectNoSecret(
      [
        ['stdout', sweep.stdout],
        ['stderr', sweep.stderr],
      ],
      { password, credential },
    )
  })
})

describe('credential flags: one line, exit 2', () => {
  /** The one stderr line of a usage error (exit 2, nothing on stdout). */
  function usageLine(run: CliResult): string {
    expect(run.code, run.stderr).toBe(2)
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '')
    expect(lines, run.stderr).toHaveLength(1)
    expect(run.stdout).toBe('')
    return lines[0]
  }
  const unreachable = ['run', '--vendor', 'generic', '--target', 'http://127.0.0.1:1']

  test.concurrent.each<[string, string[], Record<string, string>, RegExp]>([
    ['--basic without env', ['--basic'], {}, /--basic needs SCIM_BASIC_USER in the environment/],
    [
      '--header without colon',
      ['--header', 'X-Tenant acme'],
      {},
      /--header "X-Tenant acme": write it as 'Name: value'/,
    ],
    ['--header Authorization', ['--header', 'Authorization: x'], {}, /the harness sets Authorization itself/],
    ['--client-secret flag', ['--client-secret', 'abc'], {}, /secrets are read from the environment only/],
    [
      'no SCIM_CLIENT_SECRET',
      ['--oauth-token-url', 'http://127.0.0.1:1/t', '--client-id', 'c'],
      {},
      /SCIM_CLIENT_SECRET/,
    ],
    ['--scope alone', ['--scope', 'scim'], {}, /--scope is part of OAuth client credentials/],
  ])(
    '%s',
    async (_, flags, env, line) => {
      expect(usageLine(await runCli([...unreachable, ...flags], { env }))).toMatch(line)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'a client secret the OAuth server refuses: one line before any check, no report, the secret not echoed',
    async () => {
      const oauth = await startOAuthServer()
      closing.push(oauth)
      const server = await target(({ exchange }) => oauth.accepts(exchange.headers.authorization))
      const dir = await tempDir()
      const secret = `wrong-secret-${randomBytes(8).toString('hex')}`
      const run = await runCli(
        [...unreachable.slice(0, 3), '--target', server.origin, '--report-dir', dir].concat([
          '--oauth-token-url',
          oauth.tokenUrl,
          '--client-id',
          oauth.clientId,
        ]),
        { env: { SCIM_CLIENT_SECRET: secret } },
      )
      expect(usageLine(run)).toMatch(/OAuth token endpoint .* answered 401 invalid_client/)
      expect(run.stderr).not.toContain(secret)
      expect((await readTree(dir)).map((f) => f.path)).toEqual([])
    },
    TEST_TIMEOUT_MS,
  )
})

describe('--help names every credential flag', () => {
  test.concurrent.each(['run', 'sweep'])(
    '%s --help',
    async (command) => {
      const help = await runCli([command, '--help'])
      expect(help.code, help.stderr).toBe(0)
      for (const flag of [
        '--basic',
        '--oauth-token-url URL',
        '--client-id ID',
        '--scope S',
        '--audience A',
        '--resource URI',
        '--header',
      ])
        expect(help.stdout).toContain(flag)
      for (const variable of ['SCIM_CLIENT_SECRET', 'SCIM_BASIC_USER', 'SCIM_BASIC_PASSWORD'])
        expect(help.stdout).toContain(variable)
    },
    TEST_TIMEOUT_MS,
  )
})
