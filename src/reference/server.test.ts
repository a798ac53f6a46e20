import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ERROR_SCHEMA, loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { CORE_USER_URN } from '../scim/core-schema.ts'
import { type ReferenceServer, startReferenceServer } from './server.ts'
import {
  call,
  createUser,
  FLAVORS,
  type FlavorName,
  LIGHTDASH_EXTENSION,
  type Reply,
  TOKEN,
  uniqueUserName,
  validBody,
} from '../../test/support/reference.ts'

const SUCCESS_MEDIA: Record<FlavorName, string> = {
  lightdash: 'application/json',
  maia: 'application/json',
  cube: 'application/scim+json',
}
const ERROR_MEDIA: Record<FlavorName, string> = {
  lightdash: 'application/json',
  maia: 'application/problem+json',
  cube: 'application/scim+json',
}
const AUTH_STATUS: Record<FlavorName, number> = { lightdash: 401, maia: 403, cube: 401 }

/** Asserts an error reply in the flavor's format: problem details for Maia, the SCIM Error message otherwise. */
function expectError(flavor: FlavorName, reply: Reply, status: number, scimType?: string): void {
  expect(reply.status, reply.text).toBe(status)
  expect(reply.contentType.split(';')[0]).toBe(ERROR_MEDIA[flavor])
  expect(typeof reply.json.detail).toBe('string')
  if (flavor === 'maia') {
    expect(reply.json).toMatchObject({ status, type: expect.any(String), title: expect.any(String) })
    return
  }
  expect(reply.json.schemas).toEqual([ERROR_SCHEMA])
  expect(reply.json.status).toBe(String(status))
  if (scimType !== undefined) expect(reply.json.scimType).toBe(scimType)
}

describe.each(FLAVORS)('reference server, %s flavor', (flavor) => {
  let profile: VendorProfile
  let server: ReferenceServer
  let etagServer: ReferenceServer

  beforeAll(async () => {
    profile = await loadProfile({ vendor: flavor })
    server = await startReferenceServer({ profile, token: TOKEN })
    etagServer = await startReferenceServer({ profile, token: TOKEN, etag: true })
  })
  afterAll(async () => {
    await server.close()
    await etagServer.close()
  })

  describe('POST and GET', () => {
    test('POST /Users answers 201 with Location and the resource; GET returns the same', async () => {
      // Arrange
      const body = validBody(flavor)
      // Act
      const created = await call(server, 'POST', '/Users', { body })
      const fetched = await call(server, 'GET', `/Users/${created.json.id}`)
      // Assert
      expect(created.status).toBe(201)
      expect(created.headers.location).toBe(`${server.baseUrl}/Users/${created.json.id}`)
      expect(created.json).toMatchObject({
        userName: body.userName,
        meta: { resourceType: 'User', location: created.headers.location },
      })
      expect(fetched.status).toBe(200)
      expect(fetched.json).toEqual(created.json)
    })

    test('POST with a taken userName (other case) answers 409 uniqueness', async () => {
      const first = await createUser(server, flavor)
      const reply = await call(server, 'POST', '/Users', {
        body: validBody(flavor, String(first.userName).toUpperCase()),
      })
      expectError(flavor, reply, 409, 'uniqueness')
    })
  })

  describe('PUT /Users/{id}', () => {
    test('a valid PUT answers 200 with the whole resource in the vendor media type, equal to a GET', async () => {
      const user = await createUser(server, flavor)
      const body = {
        ...validBody(flavor, user.userName),
        name: { givenName: 'Grace', familyName: 'Hopper' },
        active: false,
      }
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      const after = await call(server, 'GET', `/Users/${user.id}`)
      expect(reply.status).toBe(200)
      expect(reply.contentType.split(';')[0]).toBe(SUCCESS_MEDIA[flavor])
      expect(reply.json).toMatchObject({
        id: user.id,
        userName: user.userName,
        name: { givenName: 'Grace', familyName: 'Hopper' },
        active: false,
      })
      expect(reply.json.schemas).toContain(CORE_USER_URN)
      expect(reply.json).toEqual(after.json)
    })

    test('an unknown id answers 404 and creates nothing', async () => {
      const before = server.users().length
      const reply = await call(server, 'PUT', '/Users/00000000-dead-beef-0000-000000000000', {
        body: validBody(flavor),
      })
      expectError(flavor, reply, 404)
      expect(reply.json.scimType).toBeUndefined()
      expect(server.users()).toHaveLength(before)
      expect((await call(server, 'GET', '/Users/00000000-dead-beef-0000-000000000000')).status).toBe(404)
    })

    test.each([
      ['not JSON', '{"userName": '],
      ['an empty body', ''],
      ['a JSON array', '[]'],
      ['a JSON string', '"user"'],
    ])('%s answers 400 invalidSyntax', async (_label, raw) => {
      const user = await createUser(server, flavor)
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { raw })
      expectError(flavor, reply, 400, 'invalidSyntax')
    })

    test.each([
      ['missing', undefined],
      ['null', null],
      ['empty', []],
      ['not an array', CORE_USER_URN],
      ['without the core URN', ['urn:ietf:params:scim:schemas:core:2.0:Group']],
      ['with an unknown URN', [CORE_USER_URN, 'urn:example:unknown:2.0:User']],
      ['with a non-string', [CORE_USER_URN, 7]],
    ])('schemas %s answers 400 invalidSyntax and changes nothing', async (_label, schemas) => {
      const user = await createUser(server, flavor)
      const body = { ...validBody(flavor, user.userName), name: { givenName: 'Changed' } } as Record<string, unknown>
      if (schemas === undefined) delete body.schemas
      else body.schemas = schemas
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expectError(flavor, reply, 400, 'invalidSyntax')
      expect((await call(server, 'GET', `/Users/${user.id}`)).json).toEqual(user)
    })

    test.each([
      ['missing', undefined],
      ['null', null],
      ['empty', ''],
      ['whitespace only', '   '],
    ])('userName %s answers 400 invalidValue and keeps the user', async (_label, userName) => {
      const user = await createUser(server, flavor)
      const body = validBody(flavor, user.userName)
      if (userName === undefined) delete body.userName
      else body.userName = userName
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expectError(flavor, reply, 400, 'invalidValue')
      expect((await call(server, 'GET', `/Users/${user.id}`)).json).toEqual(user)
    })

    test.each([
      ['active as a string', { active: 'true' }],
      ['userName as a number', { userName: 42 }],
      ['name as a string', { name: 'Ada Lovelace' }],
      ['name.givenName as an object', { name: { givenName: { first: 'Ada' } } }],
      ['emails as an object', { emails: { value: 'a@example.com' } }],
      ['emails items as strings', { emails: ['a@example.com'] }],
      ['emails.primary as a string', { emails: [{ value: 'a@example.com', primary: 'yes' }] }],
    ])('%s answers 400 invalidValue', async (_label, patch) => {
      const user = await createUser(server, flavor)
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody(flavor, user.userName), ...patch },
      })
      expectError(flavor, reply, 400, 'invalidValue')
      expect((await call(server, 'GET', `/Users/${user.id}`)).json).toEqual(user)
    })

    test('deeply nested junk answers 400 invalidValue without exhausting the stack', async () => {
      const user = await createUser(server, flavor)
      const depth = 80_000
      const valid = JSON.stringify(validBody(flavor, user.userName))
      for (const junk of [
        `{"givenName": ${'['.repeat(depth)}${']'.repeat(depth)}}`,
        `{"givenName": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
      ]) {
        const raw = `${valid.slice(0, -1)}, "name": ${junk}}`
        expectError(flavor, await call(server, 'PUT', `/Users/${user.id}`, { raw }), 400, 'invalidValue')
      }
      expect((await call(server, 'GET', `/Users/${user.id}`)).json).toEqual(user)
    })

    test('two primary values answer 400 invalidValue', async () => {
      const user = await createUser(server, flavor)
      const emails = [
        { value: 'a@example.com', primary: true },
        { value: 'b@example.com', primary: true },
      ]
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody(flavor, user.userName), emails },
      })
      expectError(flavor, reply, 400, 'invalidValue')
    })

    test("another user's userName, or a case variant of it, answers 409 uniqueness and changes nothing", async () => {
      const other = await createUser(server, flavor)
      const user = await createUser(server, flavor)
      for (const userName of [other.userName, String(other.userName).toUpperCase()]) {
        const reply = await call(server, 'PUT', `/Users/${user.id}`, { body: validBody(flavor, userName) })
        expectError(flavor, reply, 409, 'uniqueness')
      }
      expect((await call(server, 'GET', `/Users/${user.id}`)).json).toEqual(user)
    })

    test('the user may keep its own userName in another case', async () => {
      const user = await createUser(server, flavor)
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: validBody(flavor, String(user.userName).toUpperCase()),
      })
      expect(reply.status).toBe(200)
      expect(reply.json.userName).toBe(String(user.userName).toUpperCase())
    })

    test('echoing the full GET body (id, meta, schemas) succeeds; id, meta and groups in it are ignored', async () => {
      const user = await createUser(server, flavor)
      const echoed = await call(server, 'PUT', `/Users/${user.id}`, { body: user })
      expect(echoed.status).toBe(200)
      const body = {
        ...validBody(flavor, user.userName),
        id: 'another-id',
        meta: { created: '2001-01-01T00:00:00.000Z', resourceType: 'Group', location: 'http://elsewhere/' },
        groups: [{ value: 'g1', display: 'Admins' }],
      }
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expect(reply.status).toBe(200)
      expect(reply.json.id).toBe(user.id)
      expect(reply.json.meta).toMatchObject({
        created: user.meta.created,
        resourceType: 'User',
        location: user.meta.location,
      })
      expect(reply.json.groups ?? []).toEqual([])
      expect((await call(server, 'GET', '/Users/another-id')).status).toBe(404)
    })

    test('null clears a single-valued attribute, [] a multi-valued one; omitted attributes are cleared', async () => {
      const user = await createUser(server, flavor)
      expect(user.name).toBeDefined()
      const body: Record<string, unknown> = { ...validBody(flavor, user.userName), name: null, emails: [] }
      delete body.active
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expect(reply.status).toBe(200)
      for (const cleared of ['name', 'emails', 'active']) expect(reply.json).not.toHaveProperty(cleared)
      const after = (await call(server, 'GET', `/Users/${user.id}`)).json
      for (const cleared of ['name', 'emails', 'active']) expect(after).not.toHaveProperty(cleared)
    })

    test('a password is accepted and never returned', async () => {
      const user = await createUser(server, flavor, { ...validBody(flavor), password: 'S3cret!pass' })
      expect(user).not.toHaveProperty('password')
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody(flavor, user.userName), password: 'N3w!pass' },
      })
      expect(reply.status).toBe(200)
      expect(reply.text).not.toContain('N3w!pass')
      const after = await call(server, 'GET', `/Users/${user.id}`)
      expect(after.text).not.toMatch(/S3cret|N3w!pass|password/)
      expect(JSON.stringify(server.users())).not.toContain('pass"')
    })

    test('attribute names and the core URN are matched ignoring case, and stored under canonical names', async () => {
      const user = await createUser(server, flavor)
      const body: Record<string, unknown> = { ...validBody(flavor, user.userName) }
      delete body.userName
      delete body.name
      body.schemas = [
        CORE_USER_URN.toUpperCase(),
        ...(flavor === 'lightdash' ? [LIGHTDASH_EXTENSION.toUpperCase()] : []),
      ]
      body.USERNAME = user.userName
      body.Name = { GIVENNAME: 'Grace' }
      if (flavor === 'lightdash') {
        delete body[LIGHTDASH_EXTENSION]
        body[LIGHTDASH_EXTENSION.toUpperCase()] = { Role: 'admin' }
      }
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expect(reply.status, reply.text).toBe(200)
      expect(reply.json.userName).toBe(user.userName)
      expect(reply.json.name).toEqual({ givenName: 'Grace' })
      expect(reply.json).not.toHaveProperty('USERNAME')
      if (flavor === 'lightdash') expect(reply.json[LIGHTDASH_EXTENSION]).toEqual({ role: 'admin' })
    })

    test('unknown attributes are ignored', async () => {
      const user = await createUser(server, flavor)
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody(flavor, user.userName), favouriteColour: 'green' },
      })
      expect(reply.status).toBe(200)
      expect(reply.json).not.toHaveProperty('favouriteColour')
    })

    test('strings are stored exactly: unicode, whitespace and long values', async () => {
      const user = await createUser(server, flavor)
      const givenName = `  Zoë 李 😀 ${'x'.repeat(2000)}  `
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody(flavor, user.userName), name: { givenName } },
      })
      expect(reply.status).toBe(200)
      expect((await call(server, 'GET', `/Users/${user.id}`)).json.name.givenName).toBe(givenName)
    })

    test('meta: created kept, lastModified later, version changed, location and resourceType set', async () => {
      const user = await createUser(server, flavor)
      let previous = user.meta
      for (let i = 0; i < 3; i += 1) {
        const reply = await call(server, 'PUT', `/Users/${user.id}`, { body: validBody(flavor, user.userName) })
        const meta = reply.json.meta
        expect(meta.created).toBe(user.meta.created)
        expect(Date.parse(meta.lastModified)).toBeGreaterThan(Date.parse(previous.lastModified))
        expect(meta.lastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        expect(meta.version).not.toBe(previous.version)
        expect(meta).toMatchObject({ resourceType: 'User', location: `${server.baseUrl}/Users/${user.id}` })
        previous = meta
      }
    })

    test('scim+json with a charset and plain application/json are accepted; other media types answer 415', async () => {
      const user = await createUser(server, flavor)
      const body = validBody(flavor, user.userName)
      for (const contentType of [
        'application/scim+json; charset=utf-8',
        'application/json',
        'Application/JSON;charset=UTF-8',
      ]) {
        expect((await call(server, 'PUT', `/Users/${user.id}`, { body, contentType })).status).toBe(200)
      }
      for (const contentType of ['text/plain', 'application/xml', null]) {
        expectError(flavor, await call(server, 'PUT', `/Users/${user.id}`, { body, contentType }), 415)
      }
    })

    test('a body over 512 KiB answers 413 with an error body, and the connection stays usable', async () => {
      const user = await createUser(server, flavor)
      const body = { ...validBody(flavor, user.userName), title: 'x'.repeat(600 * 1024) }
      expectError(flavor, await call(server, 'PUT', `/Users/${user.id}`, { body }), 413)
      expect((await call(server, 'GET', `/Users/${user.id}`)).status).toBe(200)
    })

    test('attributes= and excludedAttributes= shape the PUT and GET responses', async () => {
      const user = await createUser(server, flavor)
      const body = validBody(flavor, user.userName)
      const only = await call(server, 'PUT', `/Users/${user.id}`, { body, query: { attributes: 'userName' } })
      expect(only.status).toBe(200)
      expect(Object.keys(only.json).sort()).toEqual(['id', 'schemas', 'userName'])
      const sub = await call(server, 'GET', `/Users/${user.id}`, {
        query: { attributes: 'NAME.givenName,emails.value' },
      })
      expect(sub.json).toMatchObject({ id: user.id, name: { givenName: 'Ada' }, emails: [{ value: user.userName }] })
      expect(sub.json.name).not.toHaveProperty('familyName')
      expect(sub.json.emails[0]).not.toHaveProperty('primary')
      const qualified = await call(server, 'GET', `/Users/${user.id}`, {
        query: { attributes: `${CORE_USER_URN}:userName` },
      })
      expect(Object.keys(qualified.json).sort()).toEqual(['id', 'schemas', 'userName'])
      const excluded = await call(server, 'GET', `/Users/${user.id}`, {
        query: { excludedAttributes: 'emails,meta,id' },
      })
      expect(excluded.json).not.toHaveProperty('emails')
      expect(excluded.json).not.toHaveProperty('meta')
      expect(excluded.json).toMatchObject({ id: user.id, userName: user.userName })
    })
  })

  describe('ETag / If-Match', () => {
    test('with ETags on, responses carry ETag = meta.version; a stale If-Match: 412, nothing changed', async () => {
      const user = await createUser(etagServer, flavor)
      const got = await call(etagServer, 'GET', `/Users/${user.id}`)
      expect(got.headers.etag).toBe(got.json.meta.version)
      const body = { ...validBody(flavor, user.userName), name: { givenName: 'First' } }
      const first = await call(etagServer, 'PUT', `/Users/${user.id}`, {
        body,
        headers: { 'if-match': String(got.headers.etag) },
      })
      expect(first.status).toBe(200)
      expect(first.headers.etag).toBe(first.json.meta.version)
      expect(first.headers.etag).not.toBe(got.headers.etag)
      const stale = await call(etagServer, 'PUT', `/Users/${user.id}`, {
        body: { ...body, name: { givenName: 'Stale' } },
        headers: { 'if-match': String(got.headers.etag) },
      })
      expectError(flavor, stale, 412)
      expect((await call(etagServer, 'GET', `/Users/${user.id}`)).json).toEqual(first.json)
      const strong = String(first.headers.etag).replace(/^W\//, '')
      expect(
        (await call(etagServer, 'PUT', `/Users/${user.id}`, { body, headers: { 'if-match': strong } })).status,
      ).toBe(200)
      expect((await call(etagServer, 'PUT', `/Users/${user.id}`, { body, headers: { 'if-match': '*' } })).status).toBe(
        200,
      )
    })

    test('with ETags off, no ETag header is sent and If-Match is ignored', async () => {
      const user = await createUser(server, flavor)
      const got = await call(server, 'GET', `/Users/${user.id}`)
      expect(got.headers.etag).toBeUndefined()
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: validBody(flavor, user.userName),
        headers: { 'if-match': 'W/"stale"' },
      })
      expect(reply.status).toBe(200)
      expect(reply.headers.etag).toBeUndefined()
    })

    test('ServiceProviderConfig announces etag support as configured', async () => {
      expect((await call(server, 'GET', '/ServiceProviderConfig')).json.etag).toEqual({ supported: false })
      expect((await call(etagServer, 'GET', '/ServiceProviderConfig')).json.etag).toEqual({ supported: true })
    })
  })

  describe('authentication', () => {
    test.each([
      ['no token', null],
      ['a wrong token', 'wrong-token'],
    ])(
      '%s answers the declared auth status with an error body, before the body is looked at',
      async (_label, token) => {
        const user = await createUser(server, flavor)
        for (const raw of [JSON.stringify(validBody(flavor, user.userName)), '{not json']) {
          const reply = await call(server, 'PUT', `/Users/${user.id}`, { raw, token })
          expectError(flavor, reply, AUTH_STATUS[flavor])
          if (AUTH_STATUS[flavor] === 401) expect(String(reply.headers['www-authenticate'])).toMatch(/^Bearer/)
        }
        expect((await call(server, 'GET', `/Users/${user.id}`)).json).toEqual(user)
      },
    )

    test('discovery endpoints require the token too', async () => {
      for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes']) {
        expectError(flavor, await call(server, 'GET', path, { token: null }), AUTH_STATUS[flavor])
      }
    })

    test('without a configured token, requests are served', async () => {
      const open = await startReferenceServer({ profile })
      try {
        expect((await call(open, 'POST', '/Users', { body: validBody(flavor), token: null })).status).toBe(201)
      } finally {
        await open.close()
      }
    })
  })

  describe('other endpoints', () => {
    test('GET /Users filters on userName ignoring case and pages with startIndex and count', async () => {
      const userName = uniqueUserName('Filter.Me')
      const user = await createUser(server, flavor, validBody(flavor, userName))
      const found = await call(server, 'GET', '/Users', {
        query: { filter: `userName eq "${userName.toUpperCase()}"` },
      })
      expect(found.status).toBe(200)
      expect(found.json).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 1,
        Resources: [{ id: user.id }],
      })
      const page = await call(server, 'GET', '/Users', { query: { startIndex: '2', count: '1' } })
      expect(page.json).toMatchObject({ startIndex: 2, itemsPerPage: 1 })
      expect(page.json.totalResults).toBeGreaterThan(1)
      expectError(
        flavor,
        await call(server, 'GET', '/Users', { query: { filter: 'userName regex "x"' } }),
        400,
        'invalidFilter',
      )
    })

    test('DELETE answers 204 and the user is gone', async () => {
      const user = await createUser(server, flavor)
      expect((await call(server, 'DELETE', `/Users/${user.id}`)).status).toBe(204)
      expectError(flavor, await call(server, 'GET', `/Users/${user.id}`), 404)
    })

    test('PATCH answers 501, other methods 405, unknown paths 404, all with error bodies', async () => {
      const user = await createUser(server, flavor)
      expectError(flavor, await call(server, 'PATCH', `/Users/${user.id}`, { body: { Operations: [] } }), 501)
      expectError(flavor, await call(server, 'POST', `/Users/${user.id}`, { body: {} }), 405)
      expectError(flavor, await call(server, 'DELETE', '/ServiceProviderConfig'), 405)
      expectError(flavor, await call(server, 'GET', '/Groups'), 404)
    })

    test('discovery: ServiceProviderConfig, Schemas restricted to the vendor attributes, ResourceTypes', async () => {
      const spc = (await call(server, 'GET', '/ServiceProviderConfig')).json
      expect(spc).toMatchObject({
        patch: { supported: false },
        bulk: { supported: false },
        filter: { supported: true },
        changePassword: { supported: false },
        sort: { supported: false },
        authenticationSchemes: [{ type: 'oauthbearertoken' }],
      })
      const schemas = (await call(server, 'GET', '/Schemas')).json
      const core = schemas.Resources.find((s: { id: string }) => s.id === CORE_USER_URN)
      const names = core.attributes.map((a: { name: string }) => a.name)
      expect(names).toContain('userName')
      expect(names).toContain('emails')
      expect(core.attributes.find((a: { name: string }) => a.name === 'userName')).toMatchObject({
        uniqueness: 'server',
        caseExact: false,
        required: true,
      })
      if (flavor === 'cube') expect(names).not.toContain('phoneNumbers')
      if (flavor === 'maia') expect(names).toContain('x509Certificates')
      const extensionIds = schemas.Resources.map((s: { id: string }) => s.id).filter(
        (id: string) => id !== CORE_USER_URN,
      )
      expect(extensionIds).toEqual(flavor === 'lightdash' ? [LIGHTDASH_EXTENSION] : [])
      const types = (await call(server, 'GET', '/ResourceTypes')).json
      expect(types.Resources[0]).toMatchObject({ id: 'User', endpoint: '/Users', schema: CORE_USER_URN })
      expect((await call(server, 'GET', `/Schemas/${CORE_USER_URN}`)).json.id).toBe(CORE_USER_URN)
    })

    test('keep-alive: several requests reuse the connection and close() still ends promptly', async () => {
      const local = await startReferenceServer({ profile, token: TOKEN })
      await createUser(local, flavor)
      const listed = await call(local, 'GET', '/Users')
      // Act: the kept-alive idle socket must not hold close() open until it times out.
      const ended = await Promise.race([
        local.close().then(() => 'closed'),
        new Promise((resolve) => setTimeout(resolve, 5_000, 'still open after 5 s').unref()),
      ])
      // Assert
      expect(listed.status).toBe(200)
      expect(ended).toBe('closed')
      await expect(call(local, 'GET', '/Users')).rejects.toThrow(/ECONNREFUSED|other side closed|SocketError/)
    })
  })

  if (flavor === 'lightdash')
    test('the Lightdash extension is stored, listed in schemas only when present, cleared when omitted', async () => {
      const user = await createUser(server, flavor)
      expect(user.schemas).toEqual([CORE_USER_URN, LIGHTDASH_EXTENSION])
      expect(user[LIGHTDASH_EXTENSION]).toEqual({ role: 'member' })
      const body = validBody(flavor, user.userName)
      delete body[LIGHTDASH_EXTENSION]
      body.schemas = [CORE_USER_URN]
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expect(reply.status).toBe(200)
      expect(reply.json.schemas).toEqual([CORE_USER_URN])
      expect(reply.json).not.toHaveProperty(LIGHTDASH_EXTENSION)
      const wrong = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody(flavor, user.userName), [LIGHTDASH_EXTENSION]: { role: 5 } },
      })
      expectError(flavor, wrong, 400, 'invalidValue')
    })

  if (flavor === 'maia')
    test('Maia requires meta in a PUT body (its schema says so) but not in POST', async () => {
      const user = await createUser(server, flavor, { ...validBody(flavor), meta: undefined })
      const body = validBody(flavor, user.userName)
      delete body.meta
      expectError(flavor, await call(server, 'PUT', `/Users/${user.id}`, { body }), 400)
    })

  if (flavor === 'lightdash')
    test('Lightdash requires emails[].value (its schema says so)', async () => {
      const user = await createUser(server, flavor)
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...validBody(flavor, user.userName), emails: [{ primary: true }] },
      })
      expectError(flavor, reply, 400, 'invalidValue')
    })
})
