import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, test } from 'vitest'
import { loadProfile, type VendorProfile } from '../../../src/profile/vendor-profile.ts'
import { type ReferenceServer, startReferenceServer } from '../../../src/reference/server.ts'
import { call, createUser, TOKEN, validBody } from '../reference.ts'
import {
  ALL_FAULT_NAMES,
  FAULT_DEFINITIONS,
  FAULT_NAMES,
  faultHooks,
  PENDING_FAULTS,
  type FaultName,
  type ServerFaultName,
} from './index.ts'

let cube: VendorProfile

beforeAll(async () => {
  cube = await loadProfile({ vendor: 'cube' })
})

async function withServer(
  faults: ServerFaultName[],
  run: (server: ReferenceServer) => Promise<void>,
  options: { etag?: boolean } = {},
): Promise<void> {
  const hooks = faultHooks(faults)
  const server = await startReferenceServer({ profile: cube, token: TOKEN, hooks, etag: options.etag ?? false })
  try {
    await run(server)
  } finally {
    await server.close()
  }
}

describe('fault switches', () => {
  test('the shipped server names no fault: its source under src/reference/ holds none of their names', async () => {
    // Arrange
    const dir = fileURLToPath(new URL('../../../src/reference/', import.meta.url))
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    const source = (await Promise.all(files.map((f) => readFile(`${dir}${f}`, 'utf8')))).join('\n')
    // Act
    const named = ALL_FAULT_NAMES.filter((name) => source.includes(name))
    // Assert
    expect(files).toContain('hooks.ts')
    expect(named).toEqual([])
  })

  test('every fault has a description and hooks', () => {
    for (const [name, definition] of Object.entries(FAULT_DEFINITIONS)) {
      expect(definition.description, name).toMatch(/\S/)
      expect(Object.keys(definition.hooks()).length, name).toBeGreaterThan(0)
    }
  })

  test('pending faults are switches of the server but not faults of the matrix', () => {
    const pending = Object.keys(PENDING_FAULTS)
    expect(pending.filter((name) => (FAULT_NAMES as string[]).includes(name))).toEqual([])
    expect(ALL_FAULT_NAMES).toEqual([...FAULT_NAMES, ...pending])
  })

  test('an unknown fault name is rejected', () => {
    expect(() => faultHooks(['no-such-fault' as FaultName])).toThrow(/unknown reference-server fault/)
  })

  test('put-returns-204: a successful PUT answers 204 with no body', async () => {
    await withServer(['put-returns-204'], async (server) => {
      const user = await createUser(server, 'cube')
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body: validBody('cube', user.userName) })
      expect(reply.status).toBe(204)
      expect(reply.text).toBe('')
    })
  })

  test('upsert-unknown-id: PUT on an unknown id creates the user', async () => {
    await withServer(['upsert-unknown-id'], async (server) => {
      const reply = await call(server, 'PUT', '/Users/made-up-id', { body: validBody('cube') })
      expect(reply.status).toBe(201)
      expect(server.users().map((u) => u.id)).toEqual(['made-up-id'])
    })
  })

  test('null-not-clearing and omitted-retained keep old values', async () => {
    await withServer(['null-not-clearing', 'omitted-retained'], async (server) => {
      const user = await createUser(server, 'cube')
      const body: Record<string, unknown> = { ...validBody('cube', user.userName), name: null }
      delete body.active
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expect(reply.json).toMatchObject({ name: user.name, active: true })
    })
  })

  test('intermittent-500: every fifth PUT answers 500', async () => {
    await withServer(['intermittent-500'], async (server) => {
      const user = await createUser(server, 'cube')
      const statuses: number[] = []
      for (let i = 0; i < 10; i += 1)
        statuses.push(
          (await call(server, 'PUT', `/Users/${user.id}`, { body: validBody('cube', user.userName) })).status,
        )
      expect(statuses).toEqual([200, 200, 200, 200, 500, 200, 200, 200, 200, 500])
    })
  })

  test("intermittent-500: PUTs are counted per user, so another user's PUTs do not move the 500", async () => {
    await withServer(['intermittent-500'], async (server) => {
      // Arrange
      const first = await createUser(server, 'cube')
      const second = await createUser(server, 'cube')
      const put = async (user: Record<string, unknown>) =>
        (await call(server, 'PUT', `/Users/${String(user.id)}`, { body: validBody('cube', String(user.userName)) }))
          .status
      // Act: seven PUTs to the first user, three to the second, interleaved
      const statuses = { first: [] as number[], second: [] as number[] }
      for (let i = 0; i < 7; i += 1) {
        statuses.first.push(await put(first))
        if (i % 2 === 0) statuses.second.push(await put(second))
      }
      // Assert
      expect(statuses).toEqual({ first: [200, 200, 200, 200, 500, 200, 200], second: [200, 200, 200, 200] })
    })
  })

  test('wrong-types-coerced: "false" is stored as false instead of 400', async () => {
    await withServer(['wrong-types-coerced'], async (server) => {
      const user = await createUser(server, 'cube')
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody('cube', user.userName), active: 'false', externalId: 12 },
      })
      expect(reply.status).toBe(200)
      expect(reply.json).toMatchObject({ active: false, externalId: '12' })
    })
  })

  test('case-sensitive-attribute-names: UserName is not userName', async () => {
    await withServer(['case-sensitive-attribute-names'], async (server) => {
      const user = await createUser(server, 'cube')
      const body: Record<string, unknown> = { ...validBody('cube'), UserName: user.userName }
      delete body.userName
      expect((await call(server, 'PUT', `/Users/${user.id}`, { body })).status).toBe(400)
    })
  })

  test('unicode-mangled and long-strings-truncated alter stored strings', async () => {
    await withServer(['unicode-mangled', 'long-strings-truncated'], async (server) => {
      const user = await createUser(server, 'cube')
      const body = { ...validBody('cube', user.userName), name: { givenName: 'Zoë', familyName: 'x'.repeat(300) } }
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expect(reply.json.name).toEqual({ givenName: 'Zo?', familyName: 'x'.repeat(255) })
    })
  })

  test('no-discovery: the discovery endpoints answer 404', async () => {
    await withServer(['no-discovery'], async (server) => {
      for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes'])
        expect((await call(server, 'GET', path)).status).toBe(404)
    })
  })

  test('non-scim-error-bodies and numeric-error-status change the error body', async () => {
    await withServer(['non-scim-error-bodies'], async (server) => {
      expect((await call(server, 'GET', '/Users/nobody')).json).toEqual({ error: expect.any(String) })
    })
    await withServer(['numeric-error-status'], async (server) => {
      expect((await call(server, 'GET', '/Users/nobody')).json.status).toBe(404)
    })
  })

  test('if-match-ignored: a stale If-Match succeeds', async () => {
    await withServer(
      ['if-match-ignored'],
      async (server) => {
        const user = await createUser(server, 'cube')
        const reply = await call(server, 'PUT', `/Users/${user.id}`, {
          body: validBody('cube', user.userName),
          headers: { 'if-match': 'W/"999"' },
        })
        expect(reply.status).toBe(200)
      },
      { etag: true },
    )
  })

  test('password-echoed, id-from-body and auth-ignored', async () => {
    await withServer(['password-echoed', 'id-from-body', 'auth-ignored'], async (server) => {
      const user = await createUser(server, 'cube')
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        token: null,
        body: { ...validBody('cube', user.userName), id: 'new-id', password: 'pw' },
      })
      expect(reply.status).toBe(200)
      expect(reply.json.id).toBe('new-id')
      expect((await call(server, 'GET', '/Users/new-id')).status).toBe(200)
    })
    const lightdash = await startReferenceServer({
      profile: await loadProfile({ vendor: 'lightdash' }),
      hooks: faultHooks(['password-echoed']),
    })
    try {
      const user = await createUser(lightdash, 'lightdash', { ...validBody('lightdash'), password: 'pw' })
      expect(user.password).toBe('pw')
    } finally {
      await lightdash.close()
    }
  })

  test('if-match-strong: the current weak ETag no longer matches; * still does', async () => {
    await withServer(
      ['if-match-strong'],
      async (server) => {
        const user = await createUser(server, 'cube')
        const current = (await call(server, 'GET', `/Users/${user.id}`)).headers.etag as string
        expect(current).toMatch(/^W\//)
        const weak = await call(server, 'PUT', `/Users/${user.id}`, {
          body: validBody('cube', user.userName),
          headers: { 'if-match': current },
        })
        expect(weak.status).toBe(412)
        const any = await call(server, 'PUT', `/Users/${user.id}`, {
          body: validBody('cube', user.userName),
          headers: { 'if-match': '*' },
        })
        expect(any.status).toBe(200)
      },
      { etag: true },
    )
  })

  test('content-location-collection: GET and PUT name the collection in Content-Location', async () => {
    await withServer([], async (server) => {
      const user = await createUser(server, 'cube')
      expect((await call(server, 'GET', `/Users/${user.id}`)).headers['content-location']).toBeUndefined()
    })
    await withServer(['content-location-collection'], async (server) => {
      const user = await createUser(server, 'cube')
      const get = await call(server, 'GET', `/Users/${user.id}`)
      const put = await call(server, 'PUT', `/Users/${user.id}`, { body: validBody('cube', user.userName) })
      for (const reply of [get, put]) {
        expect(reply.headers['content-location']).toBe('/api/scim/v2/Users')
        expect(reply.json.meta.location).toMatch(new RegExp(`/Users/${user.id}$`))
      }
    })
  })

  test('www-authenticate-missing: the 401 carries no challenge, and the error body is still there', async () => {
    await withServer([], async (server) => {
      const reply = await call(server, 'PUT', '/Users/any', { token: null, body: validBody('cube') })
      expect(reply.status).toBe(401)
      expect(reply.headers['www-authenticate']).toMatch(/^Bearer /)
    })
    await withServer(['www-authenticate-missing'], async (server) => {
      const reply = await call(server, 'PUT', '/Users/any', { token: null, body: validBody('cube') })
      expect(reply.status).toBe(401)
      expect(reply.headers['www-authenticate']).toBeUndefined()
      expect(reply.json.status).toBe('401')
    })
  })

  test('wrong-resource-type and last-modified-epoch-millis change meta in PUT responses and GETs', async () => {
    await withServer(['wrong-resource-type', 'last-modified-epoch-millis'], async (server) => {
      const user = await createUser(server, 'cube')
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body: validBody('cube', user.userName) })
      const get = await call(server, 'GET', `/Users/${user.id}`)
      for (const { json } of [reply, get]) {
        expect(json.meta.resourceType).toBe('Users')
        expect(json.meta.lastModified).toEqual(expect.any(Number))
        expect(json.meta.created).toBe(user.meta.created)
      }
      // The POST response carries the number too; the PUT moved it on.
      expect(reply.json.meta.lastModified).toBeGreaterThan(user.meta.lastModified)
    })
  })

  test('etag-not-version: a strong ETag header, a weak meta.version, and If-Match with either succeeds', async () => {
    await withServer(
      ['etag-not-version'],
      async (server) => {
        const user = await createUser(server, 'cube')
        const get = await call(server, 'GET', `/Users/${user.id}`)
        expect(get.json.meta.version).toBe('W/"1"')
        expect(get.headers.etag).toBe('"1"')
        const reply = await call(server, 'PUT', `/Users/${user.id}`, {
          body: validBody('cube', user.userName),
          headers: { 'if-match': '"1"' },
        })
        expect(reply.status).toBe(200)
        expect(reply.headers.etag).toBe('"2"')
        expect(reply.json.meta.version).toBe('W/"2"')
        expect(
          (
            await call(server, 'PUT', `/Users/${user.id}`, {
              body: validBody('cube', user.userName),
              headers: { 'if-match': 'W/"2"' },
            })
          ).status,
        ).toBe(200)
      },
      { etag: true },
    )
  })

  test('json-rejected: a PUT sent as application/json answers 415, application/scim+json is served', async () => {
    await withServer(['json-rejected'], async (server) => {
      const user = await createUser(server, 'cube', validBody('cube'))
      const body = validBody('cube', user.userName)
      for (const contentType of ['application/json', 'application/json; charset=utf-8']) {
        expect((await call(server, 'PUT', `/Users/${user.id}`, { body, contentType })).status).toBe(415)
      }
      expect(
        (await call(server, 'PUT', `/Users/${user.id}`, { body, contentType: 'application/scim+json' })).status,
      ).toBe(200)
      // POST is unaffected, as with scim-json-rejected.
      expect(
        (await call(server, 'POST', '/Users', { body: validBody('cube'), contentType: 'application/json' })).status,
      ).toBe(201)
    })
  })

  test('content-type-ignored: a JSON body sent as text/plain is applied', async () => {
    await withServer(['content-type-ignored'], async (server) => {
      const user = await createUser(server, 'cube')
      const body = { ...validBody('cube', user.userName), name: { givenName: 'Grace', familyName: 'Hopper' } }
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body, contentType: 'text/plain' })
      expect(reply.status).toBe(200)
      expect((await call(server, 'GET', `/Users/${user.id}`)).json.name).toEqual({
        givenName: 'Grace',
        familyName: 'Hopper',
      })
      // Without the fault the same request is refused.
      await withServer([], async (clean) => {
        const other = await createUser(clean, 'cube')
        expect(
          (
            await call(clean, 'PUT', `/Users/${other.id}`, {
              body: validBody('cube', other.userName),
              contentType: 'text/plain',
            })
          ).status,
        ).toBe(415)
      })
    })
  })

  test('trim-strings: white space at the ends of every stored string is trimmed (at every level)', async () => {
    // Arrange
    const generic = await loadProfile({ vendor: 'generic' })
    const server = await startReferenceServer({ profile: generic, token: TOKEN, hooks: faultHooks(['trim-strings']) })
    try {
      const user = await createUser(server, 'cube', { ...validBody('cube'), externalId: undefined })
      const body = {
        schemas: [
          'urn:ietf:params:scim:schemas:core:2.0:User',
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
        ],
        userName: user.userName,
        displayName: ' Ada\t',
        name: { givenName: '\u00a0Ada ', familyName: 'Love lace' },
        emails: [{ value: user.userName, type: ' work ', primary: true }],
        roles: [{ value: 'a  ' }],
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: '  Engines' },
      }
      // Act
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      const after = await call(server, 'GET', `/Users/${user.id}`)
      // Assert
      expect(reply.status, reply.text).toBe(200)
      for (const json of [reply.json, after.json]) {
        expect(json).toMatchObject({
          displayName: 'Ada',
          name: { givenName: 'Ada', familyName: 'Love lace' },
          emails: [{ value: user.userName, type: 'work', primary: true }],
          roles: [{ value: 'a' }],
        })
        expect(json['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']).toEqual({ department: 'Engines' })
      }
    } finally {
      await server.close()
    }
  })

  test('trim-strings is off by default: white space at the ends is kept', async () => {
    await withServer([], async (server) => {
      const user = await createUser(server, 'cube')
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody('cube', user.userName), name: { givenName: ' Ada ' } },
      })
      expect(reply.json.name).toEqual({ givenName: ' Ada ' })
    })
  })

  test.each([
    ['null for a single-valued attribute', { name: null }, /"name" must not be null/],
    ['[] for a multi-valued attribute', { emails: [] }, /"emails" must not be an empty array/],
    [
      'null for a sub-attribute',
      { name: { givenName: null, familyName: 'Lovelace' } },
      /"name\.givenName" must not be null/,
    ],
    [
      'null for a sub-attribute of an item',
      { emails: [{ value: 'a@example.com', type: null }] },
      /"emails\[0\]\.type" must not be null/,
    ],
  ])('null-refused: %s answers 400 invalidValue and changes nothing', async (_label, patch, detail) => {
    await withServer(['null-refused'], async (server) => {
      // Arrange
      const user = await createUser(server, 'cube')
      // Act
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody('cube', user.userName), ...patch },
      })
      // Assert
      expect(reply.status).toBe(400)
      expect(reply.json).toMatchObject({
        status: '400',
        scimType: 'invalidValue',
        detail: expect.stringMatching(detail),
      })
      expect((await call(server, 'GET', `/Users/${user.id}`)).json).toEqual(user)
    })
  })

  test('null-refused: an extension sent as null, or an extension attribute as null, is refused', async () => {
    const lightdash = await startReferenceServer({
      profile: await loadProfile({ vendor: 'lightdash' }),
      token: TOKEN,
      hooks: faultHooks(['null-refused']),
    })
    try {
      const user = await createUser(lightdash, 'lightdash')
      const urn = 'urn:lightdash:params:scim:schemas:extension:2.0:User'
      for (const value of [null, { role: null }]) {
        const reply = await call(lightdash, 'PUT', `/Users/${user.id}`, {
          body: { ...validBody('lightdash', user.userName), [urn]: value },
        })
        expect(reply.status, reply.text).toBe(400)
        expect(reply.json.scimType).toBe('invalidValue')
      }
    } finally {
      await lightdash.close()
    }
  })

  test('null-refused: a PUT without null or [] is served, omitted attributes cleared; POST is unaffected', async () => {
    await withServer(['null-refused'], async (server) => {
      const user = await createUser(server, 'cube')
      const body: Record<string, unknown> = { ...validBody('cube', user.userName), name: { givenName: 'Grace' } }
      delete body.emails
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expect(reply.status, reply.text).toBe(200)
      expect(reply.json.name).toEqual({ givenName: 'Grace' })
      expect(reply.json.emails).toBeUndefined()
      const created = await call(server, 'POST', '/Users', { body: { ...validBody('cube'), name: null, emails: [] } })
      expect(created.status).toBe(201)
    })
  })
})

describe('issue 12: the faults that prove the split and new checks', () => {
  test('unknown-id-notarget: an unknown id is answered 404 with scimType noTarget', async () => {
    await withServer(['unknown-id-notarget'], async (server) => {
      const reply = await call(server, 'PUT', '/Users/nobody', { body: validBody('cube') })
      expect(reply.status).toBe(404)
      expect(reply.json.scimType).toBe('noTarget')
    })
  })

  test('username-cleared stores a user without userName; username-immutable refuses a new userName', async () => {
    await withServer(['username-cleared'], async (server) => {
      const user = await createUser(server, 'cube')
      const { userName: _gone, ...body } = validBody('cube', user.userName)
      expect((await call(server, 'PUT', `/Users/${user.id}`, { body })).status).toBe(200)
      expect((await call(server, 'GET', `/Users/${user.id}`)).json.userName).toBeUndefined()
    })
    await withServer(['username-immutable'], async (server) => {
      const user = await createUser(server, 'cube')
      expect((await call(server, 'PUT', `/Users/${user.id}`, { body: validBody('cube', user.userName) })).status).toBe(
        200,
      )
      const changed = await call(server, 'PUT', `/Users/${user.id}`, { body: validBody('cube') })
      expect([changed.status, changed.json.scimType]).toEqual([400, 'mutability'])
    })
  })

  test('stack-trace-in-detail: the detail carries the stack with its file paths', async () => {
    await withServer(['stack-trace-in-detail'], async (server) => {
      const reply = await call(server, 'GET', '/Users/nobody')
      expect(reply.json.detail).toMatch(/^User nobody not found\.\n {4}at .*\(.*\.ts:\d+:\d+\)/)
      expect(reply.json.detail).toMatch(/\n {4}at sendError \(.*responders\.ts:\d+:\d+\)/)
    })
  })

  test('auth-403: a missing token is answered 403 without a challenge', async () => {
    await withServer(['auth-403'], async (server) => {
      const reply = await call(server, 'GET', '/Users', { token: null })
      expect(reply.status).toBe(403)
      expect(reply.headers['www-authenticate']).toBeUndefined()
    })
  })

  test('schemas-echoed: a PUT without the core URN is accepted and answered with the schemas it sent', async () => {
    await withServer(['schemas-echoed'], async (server) => {
      const user = await createUser(server, 'cube')
      const { schemas: _s, ...body } = validBody('cube', user.userName)
      const without = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expect(without.status).toBe(200)
      expect(without.json.schemas).toBeUndefined()
      const empty = await call(server, 'PUT', `/Users/${user.id}`, { body: { ...body, schemas: [] } })
      expect(empty.json.schemas).toEqual([])
    })
  })

  test('responses-scim-json: lightdash (which declares application/json) answers application/scim+json', async () => {
    const lightdash = await startReferenceServer({
      profile: await loadProfile({ vendor: 'lightdash' }),
      token: TOKEN,
      hooks: faultHooks(['responses-scim-json']),
    })
    try {
      const user = await createUser(lightdash, 'lightdash')
      expect((await call(lightdash, 'GET', `/Users/${user.id}`)).contentType).toBe('application/scim+json')
      expect((await call(lightdash, 'GET', '/Users/nobody')).contentType).toBe('application/scim+json')
    } finally {
      await lightdash.close()
    }
  })

  test('validation-422: a 400 is answered 422, with the status in the body', async () => {
    await withServer(['validation-422'], async (server) => {
      const user = await createUser(server, 'cube')
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { raw: '{"userName":' })
      expect([reply.status, reply.json.status, reply.json.scimType]).toEqual([422, '422', 'invalidSyntax'])
    })
  })
})
