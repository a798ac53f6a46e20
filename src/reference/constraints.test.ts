import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ERROR_SCHEMA, loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { CORE_USER_URN, ENTERPRISE_USER_URN } from '../scim/core-schema.ts'
import { DEFAULT_CONSTRAINTS, characterCount, looksLikeEmail, resolveConstraints } from './constraints.ts'
import { flavorOf } from './flavor.ts'
import { type ReferenceServer, startReferenceServer } from './server.ts'
import {
  call,
  LIGHTDASH_EXTENSION,
  type Reply,
  TOKEN,
  uniqueUserName,
  validBody,
} from '../../test/support/reference.ts'

// The constrained server: a strict but RFC-permitted flavour of the reference server (RFC 7644 §3.12 invalidValue
// for values it cannot store, §3.5.1 "MAY assign a default value"), in every vendor's flavour.

const VENDORS = ['lightdash', 'maia', 'cube', 'generic'] as const
type Vendor = (typeof VENDORS)[number]
// biome-ignore lint/suspicious/noExplicitAny: response bodies, indexed freely by the tests
type Obj = Record<string, any>

/** A body each vendor accepts; generic (the RFC core User) gets the enterprise extension too. */
function bodyFor(vendor: Vendor, userName: string = uniqueUserName()): Obj {
  if (vendor !== 'generic') return validBody(vendor, userName)
  return {
    schemas: [CORE_USER_URN, ENTERPRISE_USER_URN],
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    displayName: 'Ada Lovelace',
    emails: [{ value: userName, primary: true }],
    active: true,
    [ENTERPRISE_USER_URN]: { department: 'Engines' },
  }
}

/** An item of a multi-valued complex attribute with the given type: addresses have no `value`. */
function itemOf(attribute: string, type: string, n = 1): Obj {
  return attribute === 'addresses'
    ? { locality: `Town ${n}`, type }
    : { value: attribute === 'emails' ? `a${n}@example.com` : `v${n}`, type }
}

/** A 400 `invalidValue` in the vendor's error format (maia: problem details, which carry no scimType). */
function expectInvalidValue(vendor: Vendor, reply: Reply, detail: RegExp): void {
  expect(reply.status, reply.text).toBe(400)
  expect(reply.json.detail).toMatch(detail)
  if (vendor === 'maia') {
    expect(reply.json).toMatchObject({ status: 400, type: expect.any(String), title: expect.any(String) })
    return
  }
  expect(reply.json).toMatchObject({ schemas: [ERROR_SCHEMA], status: '400', scimType: 'invalidValue' })
}

/** The resource without what differs between two servers for the same content: id and meta. */
function content(resource: Obj): Obj {
  const { id: _id, meta: _meta, ...rest } = resource
  return rest
}

async function create(server: ReferenceServer, body: Obj): Promise<Obj> {
  const reply = await call(server, 'POST', '/Users', { body })
  if (reply.status !== 201) throw new Error(`POST /Users answered ${reply.status}: ${reply.text}`)
  return reply.json
}

describe('resolveConstraints', () => {
  test('true gives the defaults, false and undefined none, an object overrides some', () => {
    expect(resolveConstraints(true)).toEqual({
      maxStringLength: 100,
      oneValuePerType: true,
      refuseEmptyItems: true,
      emailsFromUserName: true,
    })
    expect(resolveConstraints(false)).toBeNull()
    expect(resolveConstraints(undefined)).toBeNull()
    expect(resolveConstraints({ maxStringLength: 10, emailsFromUserName: false })).toEqual({
      ...DEFAULT_CONSTRAINTS,
      maxStringLength: 10,
      emailsFromUserName: false,
    })
  })

  test.each([0, -1, 1.5, Number.NaN])('maxStringLength %s is refused', (maxStringLength) => {
    expect(() => resolveConstraints({ maxStringLength })).toThrow(TypeError)
  })

  test('characters are code points, and an email is something@domain.tld', () => {
    expect(characterCount('a😀é')).toBe(3)
    expect(looksLikeEmail('ada@example.com')).toBe(true)
    expect(looksLikeEmail('ada')).toBe(false)
    expect(looksLikeEmail('ada @example.com')).toBe(false)
  })
})

describe.each(VENDORS)('constrained reference server, %s flavor', (vendor) => {
  let profile: VendorProfile
  let server: ReferenceServer
  let correct: ReferenceServer
  /** The multi-valued complex attributes of the flavor whose items have a `type`. */
  let typed: string[]

  beforeAll(async () => {
    profile = await loadProfile({ vendor })
    server = await startReferenceServer({ profile, token: TOKEN, constrained: true })
    correct = await startReferenceServer({ profile, token: TOKEN })
    typed = flavorOf(profile)
      .attributes.filter(
        (a) => a.multiValued && a.type === 'complex' && (a.subAttributes ?? []).some((s) => s.name === 'type'),
      )
      .map((a) => a.name)
  })
  afterAll(async () => {
    await server.close()
    await correct.close()
  })

  describe('string limit (100 characters)', () => {
    test.each([
      [
        'a top-level string',
        'userName',
        (b: Obj) => ({ ...b, userName: `${'u'.repeat(101 - '@example.com'.length)}@example.com` }),
      ],
      [
        'a sub-attribute',
        'name.givenName',
        (b: Obj) => ({ ...b, name: { givenName: 'g'.repeat(101), familyName: 'Lovelace' } }),
      ],
      [
        'a multi-valued item',
        'emails[0].value',
        (b: Obj) => ({ ...b, emails: [{ value: `${'e'.repeat(101)}@example.com`, primary: true }] }),
      ],
    ])(
      '%s over the limit answers 400 invalidValue naming the attribute and the limit, and changes nothing',
      async (_label, attribute, change) => {
        // Arrange
        const user = await create(server, bodyFor(vendor))
        // Act
        const reply = await call(server, 'PUT', `/Users/${user.id}`, { body: change(bodyFor(vendor, user.userName)) })
        // Assert
        const escaped = attribute.replace(/[.[\]]/g, '\\$&')
        expectInvalidValue(
          vendor,
          reply,
          new RegExp(`"${escaped}" is \\d+ characters long; this service stores at most 100 characters`),
        )
        expect((await call(server, 'GET', `/Users/${user.id}`)).json).toEqual(user)
      },
    )

    test('an extension attribute over the limit answers 400 invalidValue', async () => {
      const extension =
        vendor === 'lightdash'
          ? { urn: LIGHTDASH_EXTENSION, name: 'role' }
          : vendor === 'generic'
            ? { urn: ENTERPRISE_USER_URN, name: 'department' }
            : null
      if (!extension) return // maia and cube have no extension
      const user = await create(server, bodyFor(vendor))
      const body = { ...bodyFor(vendor, user.userName), [extension.urn]: { [extension.name]: 'x'.repeat(150) } }
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expectInvalidValue(
        vendor,
        reply,
        new RegExp(`"${extension.urn}:${extension.name}" is 150 characters long; this service stores at most 100`),
      )
    })

    test('POST is held to the same limit', async () => {
      const reply = await call(server, 'POST', '/Users', {
        body: { ...bodyFor(vendor), name: { givenName: 'g'.repeat(101) } },
      })
      expectInvalidValue(vendor, reply, /"name\.givenName" is 101 characters long/)
    })

    test('exactly 100 characters (counted as code points: 100 emoji) are accepted and stored', async () => {
      const user = await create(server, bodyFor(vendor))
      const givenName = '😀'.repeat(100)
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...bodyFor(vendor, user.userName), name: { givenName, familyName: 'f'.repeat(100) } },
      })
      expect(reply.status, reply.text).toBe(200)
      expect((await call(server, 'GET', `/Users/${user.id}`)).json.name).toEqual({
        givenName,
        familyName: 'f'.repeat(100),
      })
    })

    test('a limit of its own can be set', async () => {
      const small = await startReferenceServer({ profile, token: TOKEN, constrained: { maxStringLength: 20 } })
      try {
        const reply = await call(small, 'POST', '/Users', { body: bodyFor(vendor, `${'a'.repeat(20)}@example.com`) })
        expectInvalidValue(vendor, reply, /"userName" is 32 characters long; this service stores at most 20 characters/)
      } finally {
        await small.close()
      }
    })
  })

  describe('one value per type', () => {
    test('a multi-valued complex attribute with a type refuses two values of one type (ignoring case)', async () => {
      expect(typed.length).toBeGreaterThan(0)
      for (const attribute of typed) {
        // Arrange
        const user = await create(server, bodyFor(vendor))
        const body = {
          ...bodyFor(vendor, user.userName),
          [attribute]: [itemOf(attribute, 'work', 1), itemOf(attribute, 'home', 2), itemOf(attribute, 'Work', 3)],
        }
        // Act
        const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
        // Assert
        expectInvalidValue(
          vendor,
          reply,
          new RegExp(
            `"${attribute}\\[0\\]" and "${attribute}\\[2\\]" both have type "Work": ` +
              `this service stores at most one value of "${attribute}" per type`,
          ),
        )
        expect((await call(server, 'GET', `/Users/${user.id}`)).json).toEqual(user)
      }
    })

    test('values of different types, or without a type, are accepted', async () => {
      for (const attribute of typed) {
        const user = await create(server, bodyFor(vendor))
        const items = [itemOf(attribute, 'work', 1), itemOf(attribute, 'home', 2)]
        const untyped = [1, 2].map((n) => {
          const { type: _type, ...rest } = itemOf(attribute, '', n)
          return rest
        })
        for (const value of [items, untyped]) {
          const reply = await call(server, 'PUT', `/Users/${user.id}`, {
            body: { ...bodyFor(vendor, user.userName), [attribute]: value },
          })
          expect(reply.status, `${attribute}: ${reply.text}`).toBe(200)
          expect(reply.json[attribute]).toEqual(value)
        }
      }
    })
  })

  describe('empty values', () => {
    test('{} in any multi-valued complex attribute answers 400 invalidValue', async () => {
      for (const attribute of typed) {
        const user = await create(server, bodyFor(vendor))
        const reply = await call(server, 'PUT', `/Users/${user.id}`, {
          body: { ...bodyFor(vendor, user.userName), [attribute]: [itemOf(attribute, 'work'), {}] },
        })
        // lightdash's document requires `value` in emails and roles items, which answers first.
        const detail =
          vendor === 'lightdash'
            ? new RegExp(`"${attribute}\\[1\\]\\.value" is required`)
            : new RegExp(`"${attribute}\\[1\\]" is empty`)
        expectInvalidValue(vendor, reply, detail)
      }
    })

    test('the unconstrained server stores {} as sent (where the vendor requires no sub-attribute)', async () => {
      if (vendor === 'lightdash') return
      const user = await create(correct, bodyFor(vendor))
      const reply = await call(correct, 'PUT', `/Users/${user.id}`, {
        body: { ...bodyFor(vendor, user.userName), emails: [{ value: 'a@example.com' }, {}] },
      })
      expect(reply.status).toBe(200)
      expect(reply.json.emails).toEqual([{ value: 'a@example.com' }, {}])
    })
  })

  describe('emails defaulted from userName', () => {
    test.each([
      ['omitted', undefined],
      ['null', null],
      ['[]', []],
    ])('emails %s: the response and a GET show [{ value: userName, primary: true }]', async (_label, emails) => {
      // Arrange
      const user = await create(server, bodyFor(vendor))
      const body: Obj = { ...bodyFor(vendor, user.userName), emails }
      if (emails === undefined) delete body.emails
      // Act
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      const after = await call(server, 'GET', `/Users/${user.id}`)
      // Assert
      expect(reply.status, reply.text).toBe(200)
      expect(reply.json.emails).toEqual([{ value: user.userName, primary: true }])
      expect(after.json).toEqual(reply.json)
    })

    test('a userName that is no email address leaves emails cleared', async () => {
      const user = await create(server, bodyFor(vendor))
      const body: Obj = { ...bodyFor(vendor, `plain-${user.id}`), emails: null }
      const reply = await call(server, 'PUT', `/Users/${user.id}`, { body })
      expect(reply.status, reply.text).toBe(200)
      expect(reply.json.emails).toBeUndefined()
    })

    test('emails sent are stored as sent, not replaced by the default', async () => {
      const user = await create(server, bodyFor(vendor))
      const emails = [{ value: 'other@example.com', type: 'work', primary: true }]
      const reply = await call(server, 'PUT', `/Users/${user.id}`, {
        body: { ...bodyFor(vendor, user.userName), emails },
      })
      expect(reply.json.emails).toEqual(emails)
    })

    test('a POST without emails gets the default too', async () => {
      const body = bodyFor(vendor)
      delete body.emails
      const created = await create(server, body)
      expect(created.emails).toEqual([{ value: body.userName, primary: true }])
    })
  })

  test('a body within the limits is accepted and stored exactly as the unconstrained server stores it', async () => {
    // Arrange: a body with several multi-valued attributes, each type once, every string within 100 characters
    const userName = uniqueUserName('within')
    const body = bodyFor(vendor, userName)
    body.name = { givenName: ' Zoë ', familyName: 'x'.repeat(100), formatted: 'Zoë 山田 🎉' }
    for (const attribute of typed)
      body[attribute] =
        attribute === 'emails'
          ? [
              { value: userName, type: 'work', primary: true },
              { value: 'home@example.com', type: 'home' },
            ]
          : [itemOf(attribute, 'work', 1), itemOf(attribute, 'other', 2)]
    const onConstrained = await create(server, bodyFor(vendor, userName))
    const onCorrect = await create(correct, bodyFor(vendor, userName))
    // Act
    const constrainedReply = await call(server, 'PUT', `/Users/${onConstrained.id}`, { body })
    const correctReply = await call(correct, 'PUT', `/Users/${onCorrect.id}`, { body })
    // Assert
    expect(constrainedReply.status, constrainedReply.text).toBe(200)
    expect(correctReply.status, correctReply.text).toBe(200)
    expect(content(constrainedReply.json)).toEqual(content(correctReply.json))
    expect(content((await call(server, 'GET', `/Users/${onConstrained.id}`)).json)).toEqual(
      content((await call(correct, 'GET', `/Users/${onCorrect.id}`)).json),
    )
  })

  test('all else is as on the unconstrained server: null clears name, same media types and discovery', async () => {
    const user = await create(server, bodyFor(vendor))
    const reply = await call(server, 'PUT', `/Users/${user.id}`, {
      body: { ...bodyFor(vendor, user.userName), name: null },
    })
    expect(reply.status, reply.text).toBe(200)
    expect(reply.json.name).toBeUndefined()
    for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes']) {
      const [a, b] = await Promise.all([call(server, 'GET', path), call(correct, 'GET', path)])
      expect(a.status).toBe(b.status)
      expect(a.contentType).toBe(b.contentType)
      const comparable = (reply: Reply, origin: string) =>
        JSON.stringify(reply.json)
          .replaceAll(origin, '')
          .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
      expect(comparable(a, server.origin)).toBe(comparable(b, correct.origin))
    }
    const refused = await call(server, 'PUT', `/Users/${user.id}`, {
      body: bodyFor(vendor, user.userName),
      token: null,
    })
    expect(refused.status).toBe(vendor === 'maia' ? 403 : 401)
  })
})
