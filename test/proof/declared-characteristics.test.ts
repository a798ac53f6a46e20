import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DECLARED_CHECKS } from '../../src/checks/areas/declared.ts'
import { immutableUnchanged } from '../../src/checks/areas/readonly.ts'
import type { CheckResult } from '../../src/checks/types.ts'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { startReferenceServer, type ReferenceServer } from '../../src/reference/server.ts'
import { buildConfig } from '../../src/run/config.ts'
import { runChecks } from '../../src/run/run-checks.ts'
import { CORE_USER_URN } from '../../src/scim/core-schema.ts'

// Issue "Proof of power", point 4: with --vendor generic and a target that publishes /Schemas, the run holds the server
// to its own declarations (RFC 7643 §7: /Schemas states each attribute's characteristics; a server that contradicts its
// own declaration fails on that point). The server is the reference server behind a small proxy that rewrites /Schemas,
// truthfully or not, and (for the truthful immutable case) enforces the declaration.

const TOKEN = 'declared-characteristics-token'
type Attribute = { name: string; returned?: string; mutability?: string; [k: string]: unknown }
type Schema = { id: string; attributes: Attribute[] }

interface ProxyOptions {
  /** Rewrites the core User schema of `GET /Schemas`. */
  rewrite?: (attributes: Attribute[]) => Attribute[]
  /** Refuse a PUT that changes a set externalId with 400 mutability (RFC 7644 §3.5.1). */
  enforceImmutableExternalId?: boolean
}

let upstream: ReferenceServer
const proxies: Server[] = []
const dirs: string[] = []

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function forward(
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers))
    if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v
  const response = await request(`${upstream.origin}${req.url}`, {
    method: req.method as 'GET',
    headers,
    body: body.length > 0 ? body : undefined,
  })
  const out: Record<string, string> = {}
  for (const k of ['content-type', 'etag', 'location', 'www-authenticate']) {
    const v = response.headers[k]
    if (typeof v === 'string') out[k] = v
  }
  return { status: response.statusCode, headers: out, text: await response.body.text() }
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** A node:http proxy on 127.0.0.1:0 in front of the reference server; returns its SCIM base URL. */
async function startProxy(options: ProxyOptions): Promise<string> {
  const basePath = new URL(upstream.baseUrl).pathname.replace(/\/$/, '')
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const path = (req.url ?? '').split('?')[0]
      if (req.method === 'GET' && path === `${basePath}/Schemas` && options.rewrite) {
        const reply = await forward(req, body)
        const list = JSON.parse(reply.text) as { Resources: Schema[] }
        for (const schema of list.Resources)
          if (schema.id === CORE_USER_URN) schema.attributes = options.rewrite(schema.attributes)
        return send(res, reply.status, reply.headers, JSON.stringify(list))
      }
      const userPath = new RegExp(`^${basePath}/Users/([^/]+)$`).exec(path)
      if (req.method === 'PUT' && userPath && options.enforceImmutableExternalId) {
        const sent = JSON.parse(body.toString('utf8') || 'null') as Record<string, unknown> | null
        const current = await request(`${upstream.baseUrl}/Users/${userPath[1]}`, {
          headers: { authorization: req.headers.authorization ?? '' },
        })
        const stored =
          current.statusCode === 200
            ? ((await current.body.json()) as Record<string, unknown>)
            : await current.body.dump().then(() => null)
        const key = sent && Object.keys(sent).find((k) => k.toLowerCase() === 'externalid')
        if (
          stored &&
          typeof stored.externalId === 'string' &&
          key !== undefined &&
          key !== null &&
          sent![key] !== stored.externalId
        ) {
          return send(
            res,
            400,
            { 'content-type': 'application/scim+json' },
            JSON.stringify({
              schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
              status: '400',
              scimType: 'mutability',
              detail: 'externalId is immutable',
            }),
          )
        }
      }
      const reply = await forward(req, body)
      send(res, reply.status, reply.headers, reply.text)
    })().catch((error: unknown) => send(res, 502, { 'content-type': 'text/plain' }, String(error)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxies.push(server)
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${basePath}`
}

/** The two declared-characteristics checks, in process, against `target`. */
async function runDeclaredChecks(target: string): Promise<Record<string, CheckResult>> {
  const reportDir = await mkdtemp(join(tmpdir(), 'scimc-declared-'))
  dirs.push(reportDir)
  const config = buildConfig({ vendor: 'generic', target, token: TOKEN, runs: '10', seed: '7', reportDir })
  const { results } = await runChecks(config, target, { checks: [...DECLARED_CHECKS, immutableUnchanged] })
  return Object.fromEntries(results.map((r) => [r.id, r]))
}

const withCharacteristic =
  (name: string, change: Partial<Attribute>) =>
  (attributes: Attribute[]): Attribute[] => {
    const present = attributes.some((a) => a.name === name)
    const base: Attribute = {
      name,
      type: 'string',
      multiValued: false,
      required: false,
      caseExact: true,
      mutability: 'readWrite',
      returned: 'default',
      uniqueness: 'none',
    }
    return present
      ? attributes.map((a) => (a.name === name ? { ...a, ...change } : a))
      : [...attributes, { ...base, ...change }]
  }

beforeAll(async () => {
  upstream = await startReferenceServer({ profile: await loadProfile({ vendor: 'generic' }), token: TOKEN, etag: true })
})

afterAll(async () => {
  await Promise.all(
    proxies.map(
      (p) =>
        new Promise<void>((resolve) => {
          p.close(() => resolve())
          p.closeAllConnections()
        }),
    ),
  )
  await upstream?.close()
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

describe('the server is held to its own /Schemas', () => {
  test(
    'truthful /Schemas (password returned "never", nothing immutable): ' + 'returned-never passes, immutable skipped',
    async () => {
      const results = await runDeclaredChecks(await startProxy({}))
      expect(results['put.declared.returned-never'].status).toBe('passed')
      expect(results['put.readonly.immutable-unchanged'].status).toBe('skipped')
    },
  )

  test('declares userName returned "never" but returns it: put.declared.returned-never fails', async () => {
    const results = await runDeclaredChecks(
      await startProxy({ rewrite: withCharacteristic('userName', { returned: 'never' }) }),
    )
    expect(results['put.declared.returned-never'].status).toBe('failed')
    expect(results['put.declared.returned-never'].message).toMatch(/userName in the PUT response/)
  })

  test('declares externalId immutable but lets PUT change it: put.readonly.immutable-unchanged fails', async () => {
    const results = await runDeclaredChecks(
      await startProxy({ rewrite: withCharacteristic('externalId', { mutability: 'immutable' }) }),
    )
    expect(results['put.readonly.immutable-unchanged'].status).toBe('failed')
    expect(results['put.readonly.immutable-unchanged'].message).toMatch(/externalId changed from/)
  })

  test(
    'declares externalId immutable and refuses changes with 400 mutability: ' +
      'put.readonly.immutable-unchanged passes',
    async () => {
      const target = await startProxy({
        rewrite: withCharacteristic('externalId', { mutability: 'immutable' }),
        enforceImmutableExternalId: true,
      })
      const results = await runDeclaredChecks(target)
      expect(results['put.readonly.immutable-unchanged'].status).toBe('passed')
      expect(results['put.declared.returned-never'].status).toBe('passed')
    },
  )

  test('no test user is left on the server', () => {
    expect(upstream.users()).toEqual([])
  })
})
