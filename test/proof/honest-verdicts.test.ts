import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { CheckResult } from '../../src/checks/types.ts'
import {
  closeServers,
  killStrayChildren,
  readReport,
  removeTempDirs,
  runCli,
  secretToken,
  startCube,
  tempDir,
  TEST_TIMEOUT_MS,
} from '../support/cli.ts'
import { startHarmProxy, type HarmProxy, type ProxyBehaviour } from '../support/harm-proxy.ts'

// Issue 12: a verdict is only worth what it exercised. A correct reference server (cube, ETags on) sits
// behind a proxy that changes one behaviour; the checks must not pass on what they never saw, and a target
// that stops answering is one harness error, not a finding in every check.

const proxies: HarmProxy[] = []
afterAll(async () => {
  killStrayChildren()
  await Promise.all(proxies.splice(0).map((p) => p.close()))
  await closeServers()
  await removeTempDirs()
})

async function runBehind(behaviour: ProxyBehaviour, extra: string[] = []) {
  const token = secretToken()
  const server = await startCube({ token })
  const proxy = await startHarmProxy(server.origin, behaviour)
  proxies.push(proxy)
  const dir = await tempDir()
  const cli = await runCli([
    'run',
    '--target',
    proxy.origin,
    '--vendor',
    'cube',
    '--token',
    token,
    '--runs',
    '5',
    '--seed',
    '11',
    '--report-dir',
    dir,
    ...extra,
  ])
  return { cli, dir, server, proxy }
}

const refusal = (detail: string) =>
  JSON.stringify({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    status: '400',
    scimType: 'invalidValue',
    detail,
  })

describe('issue 12: exercised or inconclusive', () => {
  test(
    'every successful PUT turned into a 400: no replace, meta, ETag, readonly or response-schema check passes',
    async () => {
      // Arrange: the server stores nothing a PUT sends; every PUT it would accept is answered 400 instead.
      const { cli, dir } = await runBehind({
        response: (req, res) =>
          req.method === 'PUT' && res.status >= 200 && res.status < 300
            ? {
                status: 400,
                headers: { 'content-type': 'application/scim+json' },
                body: refusal('refused by the test proxy'),
              }
            : res,
      })
      // Assert
      const report = await readReport(dir)
      const judged = (r: CheckResult) =>
        ['replace', 'meta', 'etag', 'readonly'].includes(r.area) ||
        r.id === 'put.schemas.response' ||
        r.id === 'put.response.schema-200'
      const passing = report.results.filter((r) => judged(r) && r.status === 'passed').map((r) => r.id)
      expect(passing, cli.stdout).toEqual([])
      // What they could not see, they say: inconclusive, with a reason and no exercised case.
      // The proxy's server did store each PUT it answered 400: a refused PUT that changed the user, which the
      // refusal guard fails in every check at MUST (issue 14 item 2, trait sideEffect). Otherwise: inconclusive.
      const honest = report.results.filter(
        (r) => judged(r) && (r.status === 'inconclusive' || (r.status === 'failed' && r.traits?.sideEffect)),
      )
      expect(honest.length).toBeGreaterThan(10)
      for (const r of honest.filter((x) => x.status === 'inconclusive')) {
        expect(r.exercised ?? 0, r.id).toBe(0)
        expect(r.message, r.id).toMatch(/\S/)
      }
      expect(report.summary.inconclusive).toBe(report.results.filter((r) => r.status === 'inconclusive').length)
      // The console counts them; JUnit shows them as skipped with the reason, never as passed.
      expect(cli.stdout).toMatch(/\d+ inconclusive/)
      const junit = await readFile(join(dir, 'junit.xml'), 'utf8')
      expect(junit).toMatch(/<skipped message="inconclusive: [^"]+"\/>/)
    },
    TEST_TIMEOUT_MS,
  )

  test(
    'a target that stops answering mid-run: exit 2 with one line naming the exchange, no finding, JUnit <error>',
    async () => {
      // Arrange: after 40 requests the proxy never answers again (the socket stays open: a hung service).
      let seen = 0
      const hung = new Promise<never>(() => {})
      const { cli, dir } = await runBehind(
        {
          request: async (req) => {
            seen++
            if (seen > 40) await hung
            return req
          },
        },
        ['--timeout-ms', '1500'],
      )
      // Assert
      expect(cli.code, cli.stderr).toBe(2)
      const errorLines = cli.stderr.split('\n').filter((l) => /stopped answering/.test(l))
      expect(errorLines.length, cli.stderr).toBe(1)
      expect(errorLines[0]).toMatch(/no response to (GET|PUT|POST|DELETE) http:\/\/127\.0\.0\.1:\d+\//)
      expect(cli.stderr).not.toMatch(/\n\s+at /)
      const report = await readReport(dir)
      expect(report.results.filter((r) => r.status === 'failed' || r.status === 'warned')).toEqual([])
      expect(report.harnessErrors?.filter((e) => /stopped answering/.test(e))).toHaveLength(1)
      const junit = await readFile(join(dir, 'junit.xml'), 'utf8')
      expect(junit).toMatch(/<error message="[^"]*stopped answering[^"]*" type="TransportError"\/>/)
      expect(junit).not.toMatch(/<failure/)
    },
    TEST_TIMEOUT_MS,
  )
})
