import { describe, expect, test } from 'vitest'
import { parseResourceTypes } from './parse-resource-types.ts'

/** RFC 7643 §8.6, abbreviated, as a ListResponse. */
const RFC_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: 2,
  Resources: [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
      schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: true }],
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:Group',
    },
  ],
}

describe('parseResourceTypes', () => {
  test('RFC 7643 §8.6 example: User with the enterprise extension, and Group', () => {
    expect(parseResourceTypes(RFC_EXAMPLE)).toEqual([
      {
        name: 'User',
        endpoint: '/Users',
        schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
        schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: true }],
      },
      {
        name: 'Group',
        endpoint: '/Groups',
        schema: 'urn:ietf:params:scim:schemas:core:2.0:Group',
        schemaExtensions: [],
      },
    ])
  })

  test('a bare array and a single resource type are accepted', () => {
    expect(parseResourceTypes(RFC_EXAMPLE.Resources)).toHaveLength(2)
    expect(parseResourceTypes(RFC_EXAMPLE.Resources[1])).toEqual([
      {
        name: 'Group',
        endpoint: '/Groups',
        schema: 'urn:ietf:params:scim:schemas:core:2.0:Group',
        schemaExtensions: [],
      },
    ])
  })

  for (const body of [
    null,
    '<html></html>',
    7,
    {},
    { Resources: 'x' },
    { Resources: [null, 1, { endpoint: '/X' }] },
    { Resources: [{ name: 'User', schemaExtensions: [null, { required: true }, 'x'] }] },
  ]) {
    test(`garbage ${JSON.stringify(body)} does not throw`, () => {
      expect(() => parseResourceTypes(body)).not.toThrow()
    })
  }

  test('an entry without a name or id is dropped; extensions without a schema are dropped', () => {
    expect(
      parseResourceTypes({
        Resources: [
          { endpoint: '/X' },
          { name: 'User', schemaExtensions: [{ required: true }, { schema: 'urn:x:User' }] },
        ],
      }),
    ).toEqual([
      { name: 'User', endpoint: null, schema: null, schemaExtensions: [{ schema: 'urn:x:User', required: false }] },
    ])
  })
})
