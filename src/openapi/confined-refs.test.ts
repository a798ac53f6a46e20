import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runCli, TEST_TIMEOUT_MS } from '../../test/support/cli.ts'
import { SpecLoadError } from '../errors.ts'
import { scimUser } from '../generate/scim-user.ts'
import { loadProfile, topLevelProperties } from '../profile/vendor-profile.ts'
import { validateAgainst } from '../validate/ajv.ts'
import { loadSpec } from './load-spec.ts'
import { MAX_SPEC_BYTES } from './spec-files.ts'
import { MAX_RECURSION } from './to-json-schema.ts'

// Real files in a temporary folder, a real HTTP server: what a vendor's --spec could make the tool read.

const dir = mkdtempSync(join(tmpdir(), 'confined-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const write = (name: string, text: string | Buffer) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** A spec whose optional `nickName` is the given `$ref`. */
const specWithRef = (name: string, ref: string) =>
  write(
    name,
    `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /Users/{id}:
    put:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody:
        content:
          application/scim+json:
            schema:
              type: object
              required: [schemas, userName]
              properties:
                schemas: {type: array, items: {type: string}}
                userName: {type: string}
                nickName: {$ref: ${JSON.stringify(ref)}}
      responses: {"200": {description: ok}}
`,
  )

/** The SpecLoadError a load ends with; fails the test when it loads. */
async function refusal(load: Promise<unknown>): Promise<string> {
  const error = await load.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SpecLoadError)
  const message = (error as Error).message
  expect(message).not.toContain('\n')
  return message
}

const OUTSIDE = /points outside the spec's folder \(.+\); only files in that folder and below are read$/

describe("$refs outside the spec's folder are refused with one line naming the ref", () => {
  test('an absolute file: URL (file:///etc/passwd)', async () => {
    const spec = specWithRef('file-url.yaml', 'file:///etc/passwd')
    const message = await refusal(loadSpec(spec))
    expect(message).toMatch(/file-url\.yaml: \$ref "file:\/\/\/etc\/passwd" points outside the spec's folder/)
    expect(message).toMatch(OUTSIDE)
    expect(message).not.toContain('root:')
  })

  test('a relative path that climbs out (../../etc/hostname)', async () => {
    const ref = relative(dir, '/etc/hostname')
    expect(ref).toMatch(/^\.\.\//)
    const message = await refusal(loadSpec(specWithRef('climb.yaml', ref)))
    expect(message).toContain(`$ref "${ref}" points outside`)
  })

  test('/proc/self/environ (the environment, with SCIM_TOKEN) is never read', async () => {
    const message = await refusal(loadProfile({ spec: specWithRef('environ.yaml', '/proc/self/environ') }))
    expect(message).toMatch(
      /\$ref "\/proc\/self\/environ" points into \/proc; spec files are never read from \/proc, \/sys or \/dev/,
    )
  })

  test('a symlink inside the folder that leads out of it, to a file or through a folder', async () => {
    symlinkSync('/etc/hostname', join(dir, 'hostname-link.yaml'))
    symlinkSync('/etc', join(dir, 'etc-link'))
    expect(await refusal(loadSpec(specWithRef('link-file.yaml', 'hostname-link.yaml')))).toMatch(
      /\$ref "hostname-link\.yaml" points outside/,
    )
    expect(await refusal(loadSpec(specWithRef('link-dir.yaml', 'etc-link/hostname')))).toMatch(
      /\$ref "etc-link\/hostname" points outside/,
    )
  })

  test('a referenced FIFO or oversized file inside the folder', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')])
    write('huge.yaml', Buffer.alloc(MAX_SPEC_BYTES + 1, '#'))
    expect(await refusal(loadSpec(specWithRef('to-fifo.yaml', 'pipe.yaml')))).toMatch(
      /\$ref "pipe\.yaml" is not a regular file/,
    )
    expect(await refusal(loadSpec(specWithRef('to-huge.yaml', 'huge.yaml')))).toMatch(
      /\$ref "huge\.yaml" is 10\.0 MiB, more than the 10 MiB a spec file may have/,
    )
  })

  test('a sibling file, and one in a subfolder, are still read', async () => {
    write('nick.yaml', 'Nick: {type: string, maxLength: 7}\n')
    mkdirSync(join(dir, 'parts'), { recursive: true })
    write('parts/nick.yaml', 'Nick: {type: string, maxLength: 9}\n')
    const sibling = await loadProfile({ spec: specWithRef('sibling.yaml', 'nick.yaml#/Nick') })
    expect(topLevelProperties(sibling.requestSchema).nickName).toEqual({ type: 'string', maxLength: 7 })
    const nested = await loadProfile({ spec: specWithRef('nested.yaml', './parts/nick.yaml#/Nick') })
    expect(topLevelProperties(nested.requestSchema).nickName).toEqual({ type: 'string', maxLength: 9 })
  })
})

describe('remote $refs: only with allowRemoteRefs', () => {
  let server: Server
  let base: string
  const requested: string[] = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      requested.push(req.url ?? '')
      if (req.url === '/nick.yaml') res.end('Nick: {type: string, maxLength: 5}\n')
      else if (req.url === '/evil.yaml') res.end('Nick: {$ref: "file:///etc/passwd"}\n')
      else res.writeHead(404).end()
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((done) => server.close(() => done())))

  test('without the flag the URL is refused and never requested', async () => {
    const message = await refusal(loadProfile({ spec: specWithRef('remote.yaml', `${base}/nick.yaml#/Nick`) }))
    expect(message).toMatch(
      new RegExp(
        /\$ref "http:\/\/127\.0\.0\.1:\d+\/nick\.yaml#\/Nick" is a remote URL; /.source +
          /remote \$refs are read only with --allow-remote-refs/.source,
      ),
    )
    expect(requested).toEqual([])
  })

  test('with allowRemoteRefs the served schema is used', async () => {
    const profile = await loadProfile({
      spec: specWithRef('remote-ok.yaml', `${base}/nick.yaml#/Nick`),
      allowRemoteRefs: true,
    })
    expect(topLevelProperties(profile.requestSchema).nickName).toEqual({ type: 'string', maxLength: 5 })
    expect(requested).toContain('/nick.yaml')
  })

  test('with allowRemoteRefs a remote document still cannot reach a local file', async () => {
    const message = await refusal(
      loadSpec(specWithRef('remote-evil.yaml', `${base}/evil.yaml#/Nick`), { allowRemoteRefs: true }),
    )
    expect(message).toMatch(
      /\$ref "file:\/\/\/etc\/passwd" \(in http:\/\/127\.0\.0\.1:\d+\/evil\.yaml\) points outside/,
    )
  })
})

describe('a --spec that is not a readable file fails fast with one line', () => {
  /** The load's outcome, or "still running" once `ms` have passed: a hang fails the assertion, not the test timeout. */
  async function within<T>(load: Promise<T>, ms: number): Promise<T | unknown> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise((done) => (timer = setTimeout(() => done('still running'), ms)))
    try {
      return await Promise.race([
        load.then(
          (v) => v,
          (e: unknown) => e,
        ),
        late,
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  test.each([
    ['/dev/zero', /^\/dev\/zero: is not a regular file \(a character device\)$/],
    ['/proc/self/environ', /^\/proc\/self\/environ: is under \/proc; spec files are never read/],
  ])('%s', async (path, message) => {
    const outcome = await within(loadSpec(path), 3000)
    expect(outcome).toBeInstanceOf(SpecLoadError)
    expect((outcome as Error).message).toMatch(message)
  })

  test('a FIFO (nothing ever writes to it)', async () => {
    const fifo = join(dir, 'spec-fifo.yaml')
    execFileSync('mkfifo', [fifo])
    const outcome = await within(loadProfile({ spec: fifo }), 3000)
    expect(outcome).toBeInstanceOf(SpecLoadError)
    expect((outcome as Error).message).toBe(`${fifo}: is not a regular file (a FIFO)`)
  })

  test('a directory', async () => {
    expect(await refusal(loadSpec(dir))).toBe(`${dir}: is a directory, not a spec file`)
  })

  test('a file over 10 MiB', async () => {
    const big = write('big.yaml', Buffer.concat([Buffer.from('openapi: 3.1.0\n'), Buffer.alloc(MAX_SPEC_BYTES, '#')]))
    expect(await refusal(loadSpec(big))).toMatch(/big\.yaml: is 10\.0 MiB, more than the 10 MiB a spec file may have$/)
  })
})

describe('circular $refs', () => {
  const cyclic = (name: string, { backRequired, nodeRequired }: { backRequired: boolean; nodeRequired: boolean }) =>
    write(
      name,
      `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /Users/{id}:
    put:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody:
        content:
          application/scim+json:
            schema: {$ref: '#/components/schemas/User'}
      responses:
        "200":
          description: ok
          content:
            application/scim+json:
              schema: {$ref: '#/components/schemas/User'}
components:
  schemas:
    User:
      type: object
      required: [schemas, userName${nodeRequired ? ', node' : ''}]
      additionalProperties: false
      properties:
        schemas: {type: array, items: {type: string}}
        userName: {type: string}
        manager: {$ref: '#/components/schemas/User'}
        reports: {type: array, items: {$ref: '#/components/schemas/User'}}
        node: {$ref: '#/components/schemas/Node'}
    Node:
      type: object
      required: [next]
      properties:
        label: {type: string}
        next: {$ref: '#/components/schemas/Next'}
    Next:
      type: object
      ${backRequired ? 'required: [back]' : 'description: back is optional'}
      properties:
        back: {$ref: '#/components/schemas/Node'}
`,
    )

  const depthOf = (user: unknown, key: string): number => {
    const next = (user as Record<string, unknown>)[key]
    return next && typeof next === 'object' ? 1 + depthOf(next, key) : 0
  }

  test('on optional properties: the profile is acyclic and scimUser samples valid users', async () => {
    const profile = await loadProfile({
      spec: cyclic('optional-cycle.yaml', { backRequired: false, nodeRequired: false }),
    })
    expect(() => JSON.stringify(profile)).not.toThrow()
    const users = fc.sample(scimUser(profile), { numRuns: 200, seed: 7 })
    for (const user of users) expect(validateAgainst(profile.requestSchema, user).errors).toEqual([])
    const depths = users.map((u) => depthOf(u, 'manager'))
    // Recursion is generated, and cut after MAX_RECURSION levels of the same schema.
    expect(Math.max(...depths)).toBeGreaterThan(0)
    expect(Math.max(...depths)).toBeLessThan(MAX_RECURSION)
    // A server's deeper answer still validates: the cut leaves the property allowed on the closed object.
    const deep = (n: number): Record<string, unknown> => ({
      schemas: [],
      userName: `u${n}`,
      ...(n > 0 ? { manager: deep(n - 1) } : {}),
    })
    expect(validateAgainst(profile.successMedia[0].schema!, deep(6)).errors).toEqual([])
  })

  test('a required cycle reached only through an optional property is cut there', async () => {
    const profile = await loadProfile({
      spec: cyclic('optional-entry.yaml', { backRequired: true, nodeRequired: false }),
    })
    expect(fc.sample(scimUser(profile), { numRuns: 20, seed: 1 }).every((u) => !('node' in u))).toBe(true)
  })

  test('a required property that recurses without end is refused with one line', async () => {
    const spec = cyclic('required-cycle.yaml', { backRequired: true, nodeRequired: true })
    const message = await refusal(loadProfile({ spec }))
    expect(message).toMatch(
      new RegExp(
        /required-cycle\.yaml: circular \$ref at #\/components\/schemas\/Node /.source +
          /\(in the request body of PUT \/Users\/\{id\}\): /.source +
          /the required path \/next\/back leads back to the same schema without end/.source,
      ),
    )
  })
})

test(
  'CLI: audit-spec with a spec whose $ref reads /etc/passwd exits 2 with one line and no stack',
  async () => {
    const spec = specWithRef('cli-passwd.yaml', 'file:///etc/passwd')
    const run = await runCli(['audit-spec', '--spec', spec])
    expect(run.code, run.stderr).toBe(2)
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '')
    expect(lines).toEqual([
      `scim-conformance: ${spec}: $ref "file:///etc/passwd" points outside the spec's folder (${realpathSync(dir)}); ` +
        'only files in that folder and below are read',
    ])
    expect(run.stdout).toBe('')
  },
  TEST_TIMEOUT_MS,
)
