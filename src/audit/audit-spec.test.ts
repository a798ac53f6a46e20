import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadProfile } from '../profile/vendor-profile.ts'
import { auditSpec, SPEC_RULES } from './audit-spec.ts'

// Deep JSON fixtures that each case mutates freely; typing every path would add nothing.
// biome-ignore lint/suspicious/noExplicitAny: deep JSON fixtures, mutated freely by each case.
type Doc = Record<string, any>

const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'
const TABLE_9 = [
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
]

const user = () => ({
  type: 'object',
  required: ['schemas', 'userName'],
  properties: {
    schemas: { type: 'array', items: { type: 'string' } },
    userName: { type: 'string' },
    id: { type: 'string', readOnly: true },
    meta: { type: 'object', readOnly: true, properties: { created: { type: 'string' } } },
    groups: { type: 'array', readOnly: true, items: { type: 'object' } },
    password: { type: 'string', writeOnly: true },
  },
})

const scimError = () => ({
  type: 'object',
  required: ['schemas', 'status'],
  properties: {
    schemas: { type: 'array', items: { type: 'string', enum: [ERROR_URN] } },
    status: { type: 'string' },
    scimType: { type: 'string', enum: [...TABLE_9] },
    detail: { type: 'string' },
  },
})

const errorResponse = (description: string) => ({
  description,
  content: { 'application/scim+json': { schema: scimError() } },
})

/** A small document that follows the RFC everywhere: the base every synthetic case changes one thing in. */
function conformingDoc(): Doc {
  return {
    openapi: '3.1.0',
    info: { title: 'synthetic', version: '1' },
    servers: [{ url: 'http://localhost/scim/v2' }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/Users/{id}': {
        put: {
          parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: { 'application/scim+json': { schema: user() }, 'application/json': { schema: user() } },
          },
          responses: {
            '200': { description: 'ok', content: { 'application/scim+json': { schema: user() } } },
            '400': errorResponse('bad request'),
            '401': errorResponse('unauthorized'),
            '404': errorResponse('not found'),
            '409': errorResponse('conflict'),
            '412': errorResponse('precondition failed'),
            '500': errorResponse('internal'),
          },
        },
      },
    },
  }
}

const putOf = (doc: Doc): Doc => doc.paths['/Users/{id}'].put

let dir: string
let counter = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-spec-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Writes the document to the tmp dir, loads it as `--spec` does, and returns the audit's ids. */
async function auditIds(doc: Doc): Promise<string[]> {
  const file = join(dir, `doc-${counter++}.json`)
  await writeFile(file, JSON.stringify(doc))
  const profile = await loadProfile({ spec: file })
  return auditSpec(profile).map((f) => f.id)
}

describe('auditSpec on the built-in documents', () => {
  // Arrange / Act / Assert in one table: the vendor, and the exact findings its document gets.
  const want: Record<string, string[]> = {
    generic: [],
    lightdash: [
      'spec.status.401-undeclared',
      'spec.status.409-undeclared',
      'spec.status.412-undeclared',
      'spec.auth.no-security-scheme',
      'spec.media.success-not-scim-json',
      'spec.media.request-not-scim-json',
    ],
    maia: [
      'spec.errors.not-scim-format',
      'spec.request.readonly-required',
      'spec.request.username-not-required',
      'spec.request.schemas-not-required',
      'spec.response.password-returnable',
      'spec.status.409-undeclared',
      'spec.status.412-undeclared',
      'spec.auth.403-for-auth-failure',
      'spec.media.success-not-scim-json',
      'spec.media.request-not-scim-json',
      'spec.errors.media-not-scim-json',
    ],
    cube: ['spec.errors.none-declared', 'spec.request.schemas-not-required', 'spec.media.request-not-scim-json'],
  }

  for (const [vendor, ids] of Object.entries(want)) {
    test(`${vendor} gets exactly ${ids.length === 0 ? 'no findings' : ids.join(', ')}`, async () => {
      const findings = auditSpec(await loadProfile({ vendor }))
      expect(findings.map((f) => f.id)).toEqual(ids)
    })
  }

  test('generic has no MUST finding, Maia names problem+json, integer status and required meta', async () => {
    expect(auditSpec(await loadProfile({ vendor: 'generic' })).filter((f) => f.level === 'MUST')).toEqual([])
    const maia = auditSpec(await loadProfile({ vendor: 'maia' }))
    const byId = new Map(maia.map((f) => [f.id, f]))
    expect(byId.get('spec.errors.not-scim-format')?.message).toMatch(
      /400, 403, 404, 500 as application\/problem\+json with status typed integer and no schemas attribute/,
    )
    expect(byId.get('spec.request.readonly-required')?.message).toMatch(/requires meta in the request body/)
    expect(byId.get('spec.auth.403-for-auth-failure')?.level).toBe('SHOULD')
  })

  test('Lightdash: a scimType enum listing PATCH-only keywords is not a finding', async () => {
    const ids = auditSpec(await loadProfile({ vendor: 'lightdash' })).map((f) => f.id)
    expect(ids).not.toContain('spec.errors.scimtype-not-in-table-9')
    expect(ids).not.toContain('spec.errors.not-scim-format')
  })

  test('every finding carries the rule id, level, source and a one-line message naming the path', async () => {
    for (const vendor of ['lightdash', 'maia', 'cube']) {
      const profile = await loadProfile({ vendor })
      for (const f of auditSpec(profile)) {
        const rule = SPEC_RULES.find((r) => r.id === f.id)!
        expect(f).toMatchObject({ level: rule.level, source: rule.source })
        expect(f.message).toContain(profile.op.path)
        expect(f.message).not.toContain('\n')
      }
    }
  })
})

describe('SPEC_RULES', () => {
  test('ids are unique and namespaced, levels are RFC 2119 keywords', () => {
    const ids = SPEC_RULES.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const rule of SPEC_RULES) {
      expect(rule.id).toMatch(/^spec\.[a-z]+\.[a-z0-9-]+$/)
      expect(['MUST', 'SHOULD', 'MAY']).toContain(rule.level)
      expect(rule.source).toMatch(/^RFC 764[34] §/)
    }
  })
})

describe('auditSpec on synthetic documents', () => {
  test('the conforming base document gets no finding', async () => {
    expect(await auditIds(conformingDoc())).toEqual([])
  })

  // given: one change to the conforming document; want: the one finding it triggers.
  const triggers: { given: string; change: (doc: Doc) => void; want: string }[] = [
    {
      given: 'errors as application/problem+json',
      change: (d) => {
        const e = putOf(d).responses['400']
        e.content = { 'application/problem+json': e.content['application/scim+json'] }
      },
      // The body is still the SCIM Error: only the media type departs (§8.1's SHOULD), not §3.12's MUST.
      want: 'spec.errors.media-not-scim-json',
    },
    {
      given: 'an error status typed integer',
      change: (d) => {
        putOf(d).responses['404'].content['application/scim+json'].schema.properties.status = { type: 'integer' }
      },
      want: 'spec.errors.not-scim-format',
    },
    {
      given: 'an error schema without schemas',
      change: (d) => {
        delete putOf(d).responses['500'].content['application/scim+json'].schema.properties.schemas
      },
      want: 'spec.errors.not-scim-format',
    },
    {
      given: 'an error declared as text/html',
      change: (d) => {
        putOf(d).responses['500'].content = { 'text/html': { schema: { type: 'string' } } }
      },
      want: 'spec.errors.not-scim-format',
    },
    {
      given: 'a 401 with no body',
      change: (d) => {
        delete putOf(d).responses['401'].content
      },
      want: 'spec.errors.no-body',
    },
    {
      given: 'a scimType value outside Table 9',
      change: (d) => {
        putOf(d).responses['400'].content['application/scim+json'].schema.properties.scimType.enum.push('alreadyExists')
      },
      want: 'spec.errors.scimtype-not-in-table-9',
    },
    {
      given: 'meta required in the request, not marked readOnly',
      change: (d) => {
        const s = putOf(d).requestBody.content['application/scim+json'].schema
        s.required.push('meta')
        delete s.properties.meta.readOnly
      },
      want: 'spec.request.readonly-required',
    },
    {
      given: 'groups required in the request',
      change: (d) => {
        const s = putOf(d).requestBody.content['application/scim+json'].schema
        s.required.push('Groups')
        s.properties.Groups = { type: 'array' }
        delete s.properties.groups
      },
      want: 'spec.request.readonly-required',
    },
    {
      given: 'userName not required',
      change: (d) => {
        putOf(d).requestBody.content['application/scim+json'].schema.required = ['schemas']
      },
      want: 'spec.request.username-not-required',
    },
    {
      given: 'schemas not required',
      change: (d) => {
        putOf(d).requestBody.content['application/scim+json'].schema.required = ['userName']
      },
      want: 'spec.request.schemas-not-required',
    },
    {
      given: 'password in the response without writeOnly',
      change: (d) => {
        delete putOf(d).responses['200'].content['application/scim+json'].schema.properties.password.writeOnly
      },
      want: 'spec.response.password-returnable',
    },
    {
      given: 'success declared as 204',
      change: (d) => {
        const r = putOf(d).responses
        delete r['200']
        r['204'] = { description: 'no content' }
      },
      want: 'spec.success.not-200-with-resource',
    },
    {
      given: 'a 200 with no body',
      change: (d) => {
        delete putOf(d).responses['200'].content
      },
      want: 'spec.success.not-200-with-resource',
    },
    { given: 'no 400', change: (d) => delete putOf(d).responses['400'], want: 'spec.status.400-undeclared' },
    { given: 'no 401', change: (d) => delete putOf(d).responses['401'], want: 'spec.status.401-undeclared' },
    { given: 'no 404', change: (d) => delete putOf(d).responses['404'], want: 'spec.status.404-undeclared' },
    { given: 'no 409', change: (d) => delete putOf(d).responses['409'], want: 'spec.status.409-undeclared' },
    { given: 'no 412', change: (d) => delete putOf(d).responses['412'], want: 'spec.status.412-undeclared' },
    {
      given: 'auth failure declared as 403',
      change: (d) => {
        const r = putOf(d).responses
        r['403'] = r['401']
        delete r['401']
      },
      want: 'spec.auth.403-for-auth-failure',
    },
    {
      given: 'no error response at all',
      change: (d) => {
        putOf(d).responses = { '200': putOf(d).responses['200'] }
      },
      want: 'spec.errors.none-declared',
    },
    {
      given: 'security: []',
      change: (d) => {
        d.security = []
      },
      want: 'spec.auth.no-security-scheme',
    },
    {
      given: 'a success response only as application/json',
      change: (d) => {
        const ok = putOf(d).responses['200']
        ok.content = { 'application/json': ok.content['application/scim+json'] }
      },
      want: 'spec.media.success-not-scim-json',
    },
    {
      given: 'a request body only as application/json',
      change: (d) => {
        delete putOf(d).requestBody.content['application/scim+json']
      },
      want: 'spec.media.request-not-scim-json',
    },
  ]

  for (const { given, change, want } of triggers) {
    test(`given ${given}: exactly ${want}`, async () => {
      // Arrange
      const doc = conformingDoc()
      change(doc)
      // Act
      const ids = await auditIds(doc)
      // Assert
      expect(ids).toEqual([want])
    })
  }

  // given: a change that is no departure from the RFC; want: still no finding.
  const quiet: { given: string; change: (doc: Doc) => void }[] = [
    {
      given: 'id required in the request but marked readOnly (OpenAPI: required in responses only)',
      change: (d) => putOf(d).requestBody.content['application/scim+json'].schema.required.push('id'),
    },
    {
      given: 'a 4XX range instead of 401',
      change: (d) => {
        const r = putOf(d).responses
        r['4XX'] = r['401']
        delete r['401']
      },
    },
    {
      given: 'a default error response instead of 409',
      change: (d) => {
        const r = putOf(d).responses
        r.default = r['409']
        delete r['409']
      },
    },
    {
      given: 'an error schema that declares no properties',
      change: (d) => {
        putOf(d).responses['500'].content['application/scim+json'].schema = { type: 'object' }
      },
    },
    {
      given: 'media types with a charset parameter',
      change: (d) => {
        const ok = putOf(d).responses['200']
        ok.content = { 'application/scim+json; charset=utf-8': ok.content['application/scim+json'] }
        const body = putOf(d).requestBody
        body.content = { 'application/scim+json;charset=UTF-8': body.content['application/scim+json'] }
      },
    },
    {
      given: 'status typed [string, null]',
      change: (d) => {
        putOf(d).responses['400'].content['application/scim+json'].schema.properties.status = {
          type: ['string', 'null'],
        }
      },
    },
    {
      given: 'attribute names in another case (RFC 7643 §2.1)',
      change: (d) => {
        const s = putOf(d).requestBody.content['application/scim+json'].schema
        s.required = ['Schemas', 'USERNAME']
        s.properties.Schemas = s.properties.schemas
        s.properties.USERNAME = s.properties.userName
      },
    },
    {
      given: 'both 401 and 403 declared',
      change: (d) => {
        putOf(d).responses['403'] = errorResponse('forbidden')
      },
    },
    {
      given: 'no password property in the response at all',
      change: (d) => {
        delete putOf(d).responses['200'].content['application/scim+json'].schema.properties.password
      },
    },
  ]

  for (const { given, change } of quiet) {
    test(`given ${given}: no finding`, async () => {
      const doc = conformingDoc()
      change(doc)
      expect(await auditIds(doc)).toEqual([])
    })
  }

  test('a document with no error responses reports none-declared only, not every missing status', async () => {
    const doc = conformingDoc()
    putOf(doc).responses = { '200': putOf(doc).responses['200'] }
    const ids = await auditIds(doc)
    expect(ids.filter((id) => id.startsWith('spec.status.'))).toEqual([])
  })

  test('a 3.0 document with nullable integer status is still flagged', async () => {
    const doc = conformingDoc()
    doc.openapi = '3.0.3'
    putOf(doc).responses['400'].content['application/scim+json'].schema.properties.status = {
      type: 'integer',
      nullable: true,
    }
    expect(await auditIds(doc)).toEqual(['spec.errors.not-scim-format'])
  })
})
