import { lstat, readFile, symlink, writeFile } from 'node:fs/promises'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadProfile } from '../profile/vendor-profile.ts'
import { type FaultName, faultHooks } from '../../test/support/faults/index.ts'
import { startReferenceServer, type ReferenceServer } from '../reference/server.ts'
import {
  killStrayChildren,
  readTree,
  removeTempDirs,
  runCli,
  secretToken,
  tempDir,
  TEST_TIMEOUT_MS,
  type CliResult,
} from '../../test/support/cli.ts'

// What a run writes when the target echoes its credentials back in forms a plain substring search
// misses (JSON `\u` escapes, a header name, an error detail), when --target carries a password, when
// the target plants escape sequences for the terminal, and when the report folder holds symlinks.

const servers: { close(): Promise<void> }[] = []

afterAll(async () => {
  killStrayChildren()
  await Promise.all(servers.splice(0).map((s) => s.close()))
  await removeTempDirs()
})

/** What the proxy does to each upstream answer before passing it on. */
interface Rewrite {
  headers?: (status: number) => Record<string, string>
  body?: (status: number, text: string) => string
  /** Answers the request itself instead of forwarding it. */
  answer?: (method: string, path: string) => { status: number; body: string } | null
}

/** A reverse proxy on 127.0.0.1:0 in front of `upstream`, rewriting every answer. */
async function startRewritingProxy(upstream: string, rewrite: Rewrite): Promise<{ origin: string }> {
  const target = new URL(upstream)
  const server: Server = createServer((req, res) => {
    const own = rewrite.answer?.(req.method ?? 'GET', req.url ?? '/')
    if (own) {
      req.resume()
      res.writeHead(own.status, { 'content-type': 'application/scim+json' }).end(own.body)
      return
    }
    const out = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = []
        answer.on('data', (c: Buffer) => chunks.push(c))
        answer.on('end', () => {
          const status = answer.statusCode ?? 502
          const text = Buffer.concat(chunks).toString('utf8')
          const body = text !== '' && rewrite.body ? rewrite.body(status, text) : text
          const headers: IncomingHttpHeaders = { ...answer.headers, ...rewrite.headers?.(status) }
          delete headers['transfer-encoding']
          headers['content-length'] = String(Buffer.byteLength(body))
          res.writeHead(status, headers).end(body)
        })
      },
    )
    out.on('error', () => res.destroy())
    req.pipe(out)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  })
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

async function startGeneric(token: string, faults: FaultName[] = []): Promise<ReferenceServer> {
  const server = await startReferenceServer({
    profile: await loadProfile({ vendor: 'generic' }),
    token,
    etag: true,
    hooks: faultHooks(faults),
  })
  servers.push(server)
  return server
}

/** Every character as a JSON `\uXXXX` escape. */
function uEscaped(text: string): string {
  return [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')
}

/** Adds `fields` (raw JSON member text) at the start of a JSON object body; other bodies pass unchanged. */
function withFields(text: string, fields: string): string {
  const trimmed = text.trimStart()
  if (!trimmed.startsWith('{')) return text
  return trimmed.slice(1).trimStart().startsWith('}') ? `{${fields}}` : `{${fields},${trimmed.slice(1)}`
}

/** Undoes JSON `\u`, percent and HTML/XML numeric encodings, so that no encoded copy of a secret goes unseen. */
function decodeAll(text: string): string {
  return text
    .replace(/\\+u([0-9a-f]{4})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
}

/** Every file under the report dir (ledger included), then stdout and stderr, as [where, text]. */
async function everything(dir: string, run: CliResult): Promise<[string, string][]> {
  const files = await readTree(dir)
  return [...files.map((f): [string, string] => [f.path, f.text]), ['stdout', run.stdout], ['stderr', run.stderr]]
}

describe('a target that echoes the token back, run with a password in --target', () => {
  const password = 'pass-secret-123'
  let token: string
  let dir: string
  let run: CliResult

  beforeAll(async () => {
    token = secretToken()
    // A failing check, so that failure texts, counterexamples and curl lines are written too.
    const server = await startGeneric(token, ['null-not-clearing'])
    const proxy = await startRewritingProxy(server.origin, {
      // (b) the token as a header name (the client stores header names lower-cased).
      headers: () => ({ [token.toUpperCase()]: 'echo' }),
      body: (status, text) => {
        // (a) the token in a body field, every character \u-escaped; (c) raw, in an error's detail. And
        // the --target password, which the client does not know: only the writers' last step can remove it.
        const echoed = withFields(text, `"echo":"${uEscaped(token)}","pw":"${uEscaped(password)}"`)
        return status >= 400
          ? echoed.replace(/"detail"\s*:\s*"/, `"detail":"token ${token} is not welcome here: `)
          : echoed
      },
    })
    const base = new URL(server.baseUrl)
    dir = await tempDir()
    const target = `http://u:${password}@${proxy.origin.slice('http://'.length)}${base.pathname}`
    // --fail-on should: warnings are JUnit failures too, with the formatted block as their text.
    run = await runCli(
      ['run', '--vendor', 'generic', '--target', target, '--runs', '3', '--fail-on', 'should', '--report-dir', dir],
      { env: { SCIM_TOKEN: token } },
    )
  }, TEST_TIMEOUT_MS)

  test('the run ends with a verdict: failures', () => {
    expect(run.code, run.stderr).toBe(1)
  })

  test('the token, in any form, and the password are in no report file, ledger, stdout or stderr', async () => {
    const all = await everything(dir, run)
    // The ledger is read too when the run left one (a clean sweep removes it).
    expect(all.map(([where]) => where)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/junit\.xml$/),
        expect.stringMatching(/report\.json$/),
        expect.stringMatching(/report\.html$/),
      ]),
    )
    for (const [where, text] of all) {
      for (const form of [text, decodeAll(text), decodeAll(decodeAll(text))]) {
        expect(form.toLowerCase().includes(token.toLowerCase()), `token in ${where}`).toBe(false)
        expect(form.includes(password), `password in ${where}`).toBe(false)
      }
      expect(text, where).not.toContain(uEscaped(token))
      expect(text, where).not.toContain(`u:${password}@`)
    }
  })

  test('the echoes reached the reports, scrubbed: proof that the server did echo', async () => {
    const json = await readFile(join(dir, 'report.json'), 'utf8')
    // The header name and the body field, redacted as the client recorded them.
    expect(json).toContain('"[redacted]": "echo"')
    expect(json).toMatch(/"echo\\?": \\?"(\$SCIM_TOKEN|\[redacted\])/)
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8')
    expect(junit.startsWith('<?xml')).toBe(true)
    expect(junit).toContain('<failure')
    expect(junit).toContain('$SCIM_TOKEN')
    // A failure's text shows the parsed body, where the password's escapes were decoded.
    expect(junit.replaceAll('&quot;', '"')).toContain('"pw": "[redacted]"')
  })

  test('the target is shown and stored without its userinfo', async () => {
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { target: string }
    expect(report.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
    expect(run.stderr).toMatch(/against http:\/\/127\.0\.0\.1:\d+\//)
  })
})

describe('a short token echoed after "Bearer "', () => {
  const token = 'q7Zx9k'
  let dir: string
  let run: CliResult

  beforeAll(async () => {
    const server = await startGeneric(token, ['null-not-clearing'])
    const proxy = await startRewritingProxy(server.origin, {
      body: (_, text) => withFields(text, `"note":"Bearer ${token}"`),
    })
    dir = await tempDir()
    run = await runCli([
      'run',
      '--vendor',
      'generic',
      '--target',
      `${proxy.origin}${new URL(server.baseUrl).pathname}`,
      '--token',
      token,
      '--runs',
      '3',
      '--report-dir',
      dir,
    ])
  }, TEST_TIMEOUT_MS)

  test('is scrubbed where it stands alone; the run says once a short token cannot be hidden everywhere', async () => {
    expect(run.code, run.stderr).toBeOneOf([0, 1])
    for (const [where, text] of await everything(dir, run))
      expect(decodeAll(text), where).not.toMatch(new RegExp(`Bearer\\s+${token}`, 'i'))
    // The echo reached the report, redacted as the client recorded it (the curl lines say `Bearer $SCIM_TOKEN`
    // on their own).
    expect(await readFile(join(dir, 'report.json'), 'utf8')).toMatch(
      /note\\?"\s*:\s*\\?"Bearer (\$SCIM_TOKEN|\[redacted\])/,
    )
    const warnings = run.stderr.split('\n').filter((l) => /warning: the token is shorter than 8 characters/.test(l))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).not.toContain(token)
  })
})

describe('report files planted as symlinks', () => {
  let dir: string
  let outside: string
  let run: CliResult

  beforeAll(async () => {
    const token = secretToken()
    const server = await startGeneric(token)
    dir = await tempDir()
    outside = join(await tempDir(), 'precious.txt')
    await writeFile(outside, 'do not overwrite\n')
    for (const name of ['junit.xml', 'report.json', 'report.html']) await symlink(outside, join(dir, name))
    run = await runCli([
      'run',
      '--vendor',
      'generic',
      '--target',
      server.baseUrl,
      '--token',
      token,
      '--runs',
      '1',
      '--only',
      'put.status.success-200',
      '--report-dir',
      dir,
    ])
  }, TEST_TIMEOUT_MS)

  test('are replaced by regular files, and the file they pointed to is untouched', async () => {
    expect(run.code, run.stderr).toBe(0)
    expect(await readFile(outside, 'utf8')).toBe('do not overwrite\n')
    for (const name of ['junit.xml', 'report.json', 'report.html']) {
      const stat = await lstat(join(dir, name))
      expect(stat.isSymbolicLink(), name).toBe(false)
      expect(stat.isFile(), name).toBe(true)
    }
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toMatch(/^<\?xml[\s\S]*<\/testsuites>\n$/)
  })
})

describe('a target that answers with terminal escape sequences', () => {
  const nasty = '\u001b[2J\u001b]0;pwned\u0007\u009b31m'
  let run: CliResult

  beforeAll(async () => {
    const token = secretToken()
    const server = await startGeneric(token)
    const proxy = await startRewritingProxy(server.origin, {
      // Test users cannot be created: every check ends in a harness error quoting this body.
      answer: (method, path) =>
        method === 'POST' && /\/Users$/.test(path)
          ? { status: 500, body: JSON.stringify({ detail: `boom ${nasty} boom` }) }
          : null,
      body: (status, text) =>
        status >= 400 ? text.replace(/"detail"\s*:\s*"/, `"detail":"${JSON.stringify(nasty).slice(1, -1)} `) : text,
    })
    const dir = await tempDir()
    run = await runCli([
      'run',
      '--vendor',
      'generic',
      '--target',
      `${proxy.origin}${new URL(server.baseUrl).pathname}`,
      '--token',
      token,
      '--runs',
      '1',
      '--report-dir',
      dir,
    ])
  }, TEST_TIMEOUT_MS)

  test('no raw ESC, BEL or C1 control from the target reaches stdout or stderr; they show escaped', () => {
    expect(run.code, run.stderr).toBeOneOf([1, 2])
    for (const [where, text] of [
      ['stdout', run.stdout],
      ['stderr', run.stderr],
    ] as const) {
      expect(text.includes('\u001b'), `ESC in ${where}`).toBe(false)
      expect(text.includes('\u0007'), `BEL in ${where}`).toBe(false)
      expect(text.includes('\u009b'), `CSI in ${where}`).toBe(false)
    }
    expect(run.stderr + run.stdout).toContain('\\u001b[2J\\u001b]0;pwned\\u0007')
  })
})
