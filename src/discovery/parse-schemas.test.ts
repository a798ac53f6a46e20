import { describe, expect, test } from 'vitest'
import type { AttributeDefinition } from '../scim/attribute.ts'
import { CORE_USER, ENTERPRISE_USER, GROUP, SCHEMAS_LIST_RESPONSE } from '../../test/fixtures/rfc7643-schemas.ts'
import { parseSchemas } from './parse-schemas.ts'

/** RFC 7643 §2.2 defaults for an attribute with only a name. */
const DEFAULTS: Omit<AttributeDefinition, 'name'> = {
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
}

const onlyAttribute = (attribute: unknown): AttributeDefinition => {
  const [schema] = parseSchemas([{ id: 'urn:test', attributes: [attribute] }])
  return schema.attributes[0]
}

describe('parseSchemas', () => {
  test('RFC 7643 §8.7.1 ListResponse: three schemas with their attributes and characteristics', () => {
    // Act
    const schemas = parseSchemas(SCHEMAS_LIST_RESPONSE)
    // Assert
    expect(schemas.map((s) => [s.id, s.name, s.attributes.length])).toEqual([
      [CORE_USER.id, 'User', CORE_USER.attributes.length],
      [GROUP.id, 'Group', GROUP.attributes.length],
      [ENTERPRISE_USER.id, 'EnterpriseUser', ENTERPRISE_USER.attributes.length],
    ])
    const user = schemas[0]
    expect(user.description).toBe('User Account')
    expect(user.attributes[0]).toEqual({
      ...DEFAULTS,
      name: 'userName',
      required: true,
      uniqueness: 'server',
      description: 'Unique identifier for the User.',
    })
    const emails = user.attributes.find((a) => a.name === 'emails')!
    expect(emails).toMatchObject({ type: 'complex', multiValued: true })
    expect(emails.subAttributes?.find((a) => a.name === 'type')?.canonicalValues).toEqual(['work', 'home', 'other'])
    expect(user.attributes.find((a) => a.name === 'password')).toMatchObject({
      mutability: 'writeOnly',
      returned: 'never',
    })
    const groups = user.attributes.find((a) => a.name === 'groups')!
    expect(groups.mutability).toBe('readOnly')
    expect(groups.subAttributes?.find((a) => a.name === '$ref')).toMatchObject({
      type: 'reference',
      referenceTypes: ['User', 'Group'],
    })
  })

  test('a bare array and a single schema (GET /Schemas/{id}) are accepted', () => {
    expect(parseSchemas([CORE_USER, ENTERPRISE_USER]).map((s) => s.id)).toEqual([CORE_USER.id, ENTERPRISE_USER.id])
    expect(parseSchemas(ENTERPRISE_USER).map((s) => s.id)).toEqual([ENTERPRISE_USER.id])
  })

  test('a JSON body recorded as text is parsed; Resources and attribute keys match case-insensitively', () => {
    expect(parseSchemas(JSON.stringify(SCHEMAS_LIST_RESPONSE))).toHaveLength(3)
    const schemas = parseSchemas({
      resources: [{ ID: 'urn:x', Attributes: [{ Name: 'nick', Type: 'string', Mutability: 'immutable' }] }],
    })
    expect(schemas).toEqual([
      { id: 'urn:x', name: 'urn:x', attributes: [{ ...DEFAULTS, name: 'nick', mutability: 'immutable' }] },
    ])
  })

  test('an attribute with only a name gets the RFC 7643 §2.2 defaults', () => {
    expect(onlyAttribute({ name: 'nickName' })).toEqual({ ...DEFAULTS, name: 'nickName' })
  })

  test('unknown characteristic values fall back to the defaults', () => {
    const attribute = onlyAttribute({
      name: 'x',
      type: 'text',
      multiValued: 'many',
      required: 'yes',
      caseExact: 1,
      mutability: 'sometimes',
      returned: 'maybe',
      uniqueness: 'very',
    })
    expect(attribute).toEqual({ ...DEFAULTS, name: 'x' })
  })

  test('values in another case keep the RFC spelling; quoted booleans count', () => {
    const attribute = onlyAttribute({
      name: 'when',
      type: 'DATETIME',
      mutability: 'READONLY',
      returned: 'Always',
      uniqueness: 'Global',
      caseExact: 'true',
    })
    expect(attribute).toEqual({
      ...DEFAULTS,
      name: 'when',
      type: 'dateTime',
      mutability: 'readOnly',
      returned: 'always',
      uniqueness: 'global',
      caseExact: true,
    })
  })

  test('an unknown type with sub-attributes is complex', () => {
    expect(onlyAttribute({ name: 'name', type: 'object', subAttributes: [{ name: 'givenName' }] })).toMatchObject({
      type: 'complex',
      subAttributes: [{ name: 'givenName' }],
    })
  })

  test('entries without an id and attributes without a name are dropped', () => {
    const schemas = parseSchemas({
      Resources: [
        null,
        1,
        'x',
        { id: 5 },
        { name: 'no id' },
        { id: 'urn:x', attributes: 'nope' },
        { id: 'urn:y', attributes: [null, { type: 'string' }, { name: '' }, { name: 'ok' }] },
      ],
    })
    expect(schemas).toEqual([
      { id: 'urn:x', name: 'urn:x', attributes: [] },
      { id: 'urn:y', name: 'urn:y', attributes: [{ ...DEFAULTS, name: 'ok' }] },
    ])
  })

  const garbage: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['an HTML page', '<html><body><h1>404 Not Found</h1></body></html>'],
    ['a number', 404],
    ['an empty object', {}],
    ['an error body', { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: 'not found' }],
    ['Resources that is not an array', { Resources: { id: 'urn:x' } }],
  ]
  for (const [what, body] of garbage) {
    test(`${what}: no schemas, no throw`, () => {
      expect(parseSchemas(body)).toEqual([])
    })
  }

  test('cyclic sub-attributes stop at a fixed depth instead of recursing forever', () => {
    const attribute: Record<string, unknown> = { name: 'loop', type: 'complex' }
    attribute.subAttributes = [attribute]
    const [schema] = parseSchemas([{ id: 'urn:loop', attributes: [attribute] }])
    let depth = 0
    for (let a: AttributeDefinition | undefined = schema.attributes[0]; a; a = a.subAttributes?.[0]) depth++
    expect(depth).toBeLessThanOrEqual(5)
  })
})
