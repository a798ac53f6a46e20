import { join, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import { UsageError } from '../errors.ts'
import { buildConfig, configFromEnv, ENV, type RunConfig, scimTarget, shownPath } from './config.ts'

describe('run configuration', () => {
  test('flags round-trip through the environment the suites read', () => {
    const config = buildConfig({
      vendor: 'maia',
      target: 'http://127.0.0.1:1/x',
      token: 's3cret',
      seed: '42',
      runs: '7',
      only: 'a,b',
      strictRfc: true,
      userId: 'u1',
      rate: '2.5',
    })
    expect(configFromEnv(configToEnv(config))).toEqual(config)
  })

  test('defaults', () => {
    const config = buildConfig({})
    expect(config).toMatchObject({
      runs: 50,
      maxShrinks: 100,
      concurrency: 8,
      failOn: 'must',
      reportDir: resolve('reports'),
      target: null,
      token: null,
      strictRfc: false,
      userId: null,
      rate: null,
    })
    expect(config.seed).toBeGreaterThanOrEqual(0)
    expect(config.runId).toMatch(/^[0-9a-f]{8}$/)
  })

  test('relative paths are taken from the working directory, once: vitest and its workers see absolute ones', () => {
    const config = buildConfig({ reportDir: 'out/r', spec: 'my-api.yaml' })
    expect(config.reportDir).toBe(join(process.cwd(), 'out', 'r'))
    expect(config.spec).toBe(join(process.cwd(), 'my-api.yaml'))
    expect(buildConfig({ reportDir: '/abs/r' }).reportDir).toBe('/abs/r')
    // A URL is no path (the spec loader names it as such).
    expect(buildConfig({ spec: 'https://example.com/api.yaml' }).spec).toBe('https://example.com/api.yaml')
    expect(shownPath(config.reportDir)).toBe(join('out', 'r'))
    expect(shownPath('/elsewhere/r')).toBe('/elsewhere/r')
  })

  test('the whole-exchange deadline defaults to a minute, and to 3 x --timeout-ms when that is longer', () => {
    expect(buildConfig({}).deadlineMs).toBe(60_000)
    expect(buildConfig({ timeoutMs: '30000' }).deadlineMs).toBe(90_000)
    expect(buildConfig({ timeoutMs: '30000', deadlineMs: '5000' }).deadlineMs).toBe(5000)
    expect(configFromEnv({ SCIM_DEADLINE_MS: '1234' }).deadlineMs).toBe(1234)
  })

  test.each([
    [{ runs: 'abc' }, /--runs must be a whole number/],
    [{ runs: '0' }, /--runs must be a whole number from 1/],
    [{ maxShrinks: '-1' }, /--max-shrinks must be a whole number from 0/],
    [{ concurrency: '-1' }, /--concurrency/],
    [{ seed: '1.5' }, /--seed/],
    [{ timeoutMs: '0' }, /--timeout-ms/],
    [{ deadlineMs: '0' }, /--deadline-ms must be a whole number from 1/],
    [{ deadlineMs: '2.5' }, /--deadline-ms/],
    [{ failOn: 'maybe' }, /--fail-on must be "must" or "should"/],
    [{ target: 'not-a-url' }, /--target must be an absolute http\(s\) URL/],
    [{ target: 'ftp://host/' }, /--target must use http or https/],
    [{ rate: '0' }, /--rate must be a positive number/],
  ])('%o is a usage error', (raw, message) => {
    expect(() => buildConfig(raw)).toThrowError(UsageError)
    expect(() => buildConfig(raw)).toThrowError(message)
  })
})

describe('scimTarget: the origin and the SCIM base URL `serve` prints are the same target', () => {
  test.each([
    ['http://127.0.0.1:4000', '/api/scim/v2', 'http://127.0.0.1:4000'],
    ['http://127.0.0.1:4000/', '/api/scim/v2', 'http://127.0.0.1:4000/'],
    ['http://127.0.0.1:4000/api/scim/v2', '/api/scim/v2', 'http://127.0.0.1:4000'],
    ['http://127.0.0.1:4000/api/scim/v2/', '/api/scim/v2', 'http://127.0.0.1:4000'],
    ['http://127.0.0.1:4000/api/scim/v2/Users', '/api/scim/v2', 'http://127.0.0.1:4000'],
    ['https://acme.example/tenant/api/scim/v2', '/api/scim/v2', 'https://acme.example/tenant'],
    ['https://u:p@acme.example/api/scim/v2', '/api/scim/v2', 'https://u:p@acme.example'],
    // Any other path is kept: a prefix before the base path, or a generic profile's whole base.
    ['https://acme.example/nope', '/api/scim/v2', 'https://acme.example/nope'],
    ['https://acme.example/xapi/scim/v2', '/api/scim/v2', 'https://acme.example/xapi/scim/v2'],
    ['https://acme.example/scim/v2', '', 'https://acme.example/scim/v2'],
    ['https://acme.example/scim/v2/Users', '', 'https://acme.example/scim/v2'],
  ])('%s with base path %j → %s', (target, basePath, expected) => {
    expect(scimTarget(target, basePath)).toBe(expected)
  })
})

/** Every field as the SCIM_* variable a plain `vitest run` reads: the round trip shows each flag has one. */
function configToEnv(config: RunConfig): Record<string, string> {
  const out: Record<string, string> = {}
  const set = (k: keyof typeof ENV, v: string | number | boolean | null) => {
    if (v !== null && v !== false && v !== '') out[ENV[k]] = String(v)
  }
  set('vendor', config.vendor)
  set('spec', config.spec)
  set('target', config.target)
  set('token', config.token)
  set('seed', config.seed)
  set('runs', config.runs)
  set('maxShrinks', config.maxShrinks)
  set('concurrency', config.concurrency)
  set('rate', config.rate)
  set('timeoutMs', config.timeoutMs)
  set('deadlineMs', config.deadlineMs)
  set('only', config.only.join(','))
  set('skip', config.skip.join(','))
  set('failOn', config.failOn)
  set('reportDir', config.reportDir)
  set('userId', config.userId)
  set('strictRfc', config.strictRfc)
  set('allowRemoteRefs', config.allowRemoteRefs)
  set('runId', config.runId)
  return out
}
