import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { NO_CONSTRAINTS } from '../checks/context.ts'
import { CredentialsRefusedError, HarnessError, TargetPathError, TransportError } from '../errors.ts'
import type { Exchange } from '../http/exchange.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { type ReferenceServer, startReferenceServer } from '../reference/server.ts'
import { buildConfig, type RunConfig } from './config.ts'
import { createRunContext } from './context.ts'
import { judgeUsersRead, preflightTarget, targetCandidates } from './preflight.ts'

const TOKEN = 'preflight-token-0123456789'
let cube: VendorProfile
let server: ReferenceServer
/** Answers without any credential: a server that asks for none. */
let open: ReferenceServer
/** Answers a wrong or missing token 403 instead of 401. */
let forbidding: ReferenceServer
const dirs: string[] = []

beforeAll(async () => {
  cube = await loadProfile({ vendor: 'cube', validate: false })
  server = await startReferenceServer({ profile: cube, token: TOKEN, host: '127.0.0.1', port: 0 })
  open = await startReferenceServer({ profile: cube, token: null, host: '127.0.0.1', port: 0 })
  forbidding = await startReferenceServer({
    profile: cube,
    token: TOKEN,
    host: '127.0.0.1',
    port: 0,
    hooks: [
      {
        error: ({ error }) => {
          if (error.reason === 'unauthorized') error.status = 403
        },
      },
    ],
  })
})
afterAll(async () => {
  await Promise.all([server?.close(), open?.close(), forbidding?.close()])
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function configWith(token: string | null): RunConfig {
  const reportDir = mkdtempSync(join(tmpdir(), 'preflight-'))
  dirs.push(reportDir)
  return buildConfig({ vendor: 'cube', token: token ?? undefined, seed: '1', runs: '1', reportDir })
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<HarnessError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(HarnessError)
  return error as HarnessError
}

describe('preflightTarget: one authenticated read before any check', () => {
  test('the right token: answered 200, the run goes on', async () => {
    const read = await preflightTarget(configWith(TOKEN), server.origin, cube)
    expect(read.response?.status).toBe(200)
    expect(read.request.url).toBe(`${server.baseUrl}/Users?count=1`)
  })

  test('a wrong token: CredentialsRefusedError, one line naming the status and SCIM_TOKEN', async () => {
    const error = await rejection(preflightTarget(configWith('not-the-token-at-all'), server.origin, cube))
    expect(error).toBeInstanceOf(CredentialsRefusedError)
    expect(error.message).not.toContain('\n')
    expect(error.message).toMatch(/^the target refused the credentials: GET \S+\/Users\?count=1 answered 401 /)
    expect(error.message).toContain('check SCIM_TOKEN')
    // The advice of a 401 is about the token, never about --user-id.
    expect(error.message).not.toContain('--user-id')
  })

  test('no token: the same refusal, saying none was sent', async () => {
    const error = await rejection(preflightTarget(configWith(null), server.origin, cube))
    expect(error).toBeInstanceOf(CredentialsRefusedError)
    expect(error.message).toContain('answered 401 Unauthorized to a request without a token')
    expect(error.message).toContain('set SCIM_TOKEN')
  })

  test('a 403 for a wrong token is a refusal too, and mentions the rights the token needs', async () => {
    const error = await rejection(preflightTarget(configWith('not-the-token-at-all'), forbidding.origin, cube))
    expect(error).toBeInstanceOf(CredentialsRefusedError)
    expect(error.message).toContain('answered 403 Forbidden')
    expect(error.message).toContain('allowed to read and write Users')
  })

  test('Basic credentials refused: the line says to check SCIM_BASIC_USER and SCIM_BASIC_PASSWORD', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'preflight-'))
    dirs.push(reportDir)
    const config = buildConfig({
      vendor: 'cube',
      target: server.origin,
      basic: true,
      basicUser: 'admin',
      basicPassword: 'basic-password-123',
      reportDir,
    })
    const error = await rejection(preflightTarget(config, server.origin, cube))
    expect(error).toBeInstanceOf(CredentialsRefusedError)
    expect(error.message).toMatch(/answered 401 Unauthorized .*check SCIM_BASIC_USER and SCIM_BASIC_PASSWORD/)
    expect(error.message).not.toContain('SCIM_TOKEN')
    expect(error.message).not.toContain('basic-password-123')
  })

  test('a server that asks for no credential: 200 without a token is fine', async () => {
    const read = await preflightTarget(configWith(null), open.origin, cube)
    expect(read.response?.status).toBe(200)
  })

  test('a wrong path with a 200 one level up names the right --target', async () => {
    const error = await rejection(preflightTarget(configWith(TOKEN), `${server.origin}/nope`, cube))
    expect(error).toBeInstanceOf(TargetPathError)
    expect(error.message).toContain(`GET ${server.origin}/nope/api/scim/v2/Users?count=1 answered 404`)
    expect(error.message).toMatch(new RegExp(`pass --target ${server.origin}$`))
  })

  test('the base path twice in the URL names the right --target', async () => {
    const error = await rejection(preflightTarget(configWith(TOKEN), server.baseUrl, cube))
    expect(error).toBeInstanceOf(TargetPathError)
    expect(error.message).toContain('/api/scim/v2/api/scim/v2/Users')
    expect(error.message).toMatch(new RegExp(`pass --target ${server.origin}$`))
  })

  test('an unreachable target is a TransportError', async () => {
    const gone = await startReferenceServer({ profile: cube, token: TOKEN, host: '127.0.0.1', port: 0 })
    await gone.close()
    const error = await rejection(preflightTarget(configWith(TOKEN), gone.origin, cube))
    expect(error).toBeInstanceOf(TransportError)
  })
})

describe('judgeUsersRead', () => {
  const exchange = (status: number, url = 'http://h/x/Users?count=1'): Exchange => ({
    request: { method: 'GET', url, headers: {}, body: null },
    response: { status, headers: {}, bodyText: '', body: undefined, truncated: false },
    error: null,
    startedAt: '',
    durationMs: 0,
  })

  test.each([200, 400, 405, 500, 501])('%i is left to the checks', async (status) => {
    const asked: string[] = []
    await judgeUsersRead(exchange(status), {
      target: 'http://h/x',
      profile: cube,
      withToken: true,
      readAt: async (t) => {
        asked.push(t)
        return exchange(200)
      },
    })
    expect(asked).toEqual([])
  })

  test('a 404 where no other target answers 200 is left to the checks (a server that lists no users)', async () => {
    const asked: string[] = []
    await judgeUsersRead(exchange(404), {
      target: 'http://h/a/b',
      profile: cube,
      withToken: true,
      readAt: async (t) => {
        asked.push(t)
        return exchange(404)
      },
    })
    expect(asked).toEqual(['http://h/a', 'http://h'])
  })
})

describe('targetCandidates', () => {
  test.each([
    ['http://h/nope', '/api/scim/v2', ['http://h']],
    ['http://h/a/b', '/scim', ['http://h/a', 'http://h']],
    ['http://h/api/scim/v2', '/api/scim/v2', ['http://h', 'http://h/api/scim', 'http://h/api']],
    ['http://h/scim/v2/scim/v2', '', ['http://h/scim/v2', 'http://h/scim/v2/scim', 'http://h/scim', 'http://h']],
    ['http://h', '/api/scim/v2', []],
    ['http://u:p@h:8080/t/x', '', ['http://u:p@h:8080/t', 'http://u:p@h:8080']],
  ])('%s with base path %j → %j', (target, basePath, expected) => {
    expect(targetCandidates(target, basePath)).toEqual(expected)
  })
})

describe('createRunContext judges its listing the same way', () => {
  test('a wrong token: the context is refused with the one line, before any test user', async () => {
    const error = await rejection(createRunContext(configWith('not-the-token-at-all'), server.origin))
    expect(error).toBeInstanceOf(CredentialsRefusedError)
    expect(server.users()).toEqual([])
  })

  test('the SCIM base URL is the same target as the origin', async () => {
    const run = await createRunContext(configWith(TOKEN), server.baseUrl, { constraints: NO_CONSTRAINTS })
    try {
      const list = await run.check.client.send({ method: 'GET', path: `${cube.basePath}/Users` })
      expect(list.request.url).toBe(`${server.baseUrl}/Users`)
      expect(list.response?.status).toBe(200)
    } finally {
      await run.close()
    }
  })
})
