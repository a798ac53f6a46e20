import { describe, expect, test } from 'vitest'
import { parseServiceProviderConfig } from './parse-service-provider-config.ts'

/** RFC 7643 §8.5, abbreviated (descriptions and URIs shortened). */
const RFC_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  documentationUri: 'http://example.com/help/scim.html',
  patch: { supported: true },
  bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
  filter: { supported: true, maxResults: 200 },
  changePassword: { supported: true },
  sort: { supported: true },
  etag: { supported: true },
  authenticationSchemes: [
    {
      name: 'OAuth Bearer Token',
      description: 'Authentication scheme using the OAuth Bearer Token Standard',
      specUri: 'http://www.rfc-editor.org/info/rfc6750',
      type: 'oauthbearertoken',
      primary: true,
    },
    {
      name: 'HTTP Basic',
      description: 'Authentication scheme using the HTTP Basic Standard',
      specUri: 'http://www.rfc-editor.org/info/rfc2617',
      type: 'httpbasic',
    },
  ],
  meta: {
    location: 'https://example.com/v2/ServiceProviderConfig',
    resourceType: 'ServiceProviderConfig',
    version: 'W/"3694e05e9dff594"',
  },
}

const NOTHING = {
  patch: false,
  bulk: false,
  filter: false,
  changePassword: false,
  sort: false,
  etag: false,
  authenticationSchemes: [],
}

describe('parseServiceProviderConfig', () => {
  test('RFC 7643 §8.5 example: every feature supported, both schemes', () => {
    // Act
    const capabilities = parseServiceProviderConfig(RFC_EXAMPLE)
    // Assert
    expect(capabilities).toEqual({
      patch: true,
      bulk: true,
      filter: true,
      changePassword: true,
      sort: true,
      etag: true,
      authenticationSchemes: ['oauthbearertoken', 'httpbasic'],
      recognized: true,
      raw: RFC_EXAMPLE,
    })
  })

  test('a typical minimal config: declared false and absent both read as unsupported', () => {
    const body = { schemas: RFC_EXAMPLE.schemas, patch: { supported: true }, etag: { supported: false }, filter: {} }
    expect(parseServiceProviderConfig(body)).toMatchObject({ ...NOTHING, patch: true, recognized: true })
  })

  test('attribute names are case-insensitive (RFC 7643 §2.1) and a quoted "true" counts', () => {
    const body = {
      ETag: { Supported: true },
      Sort: { supported: 'TRUE' },
      AUTHENTICATIONSCHEMES: [{ Name: 'Bearer', Type: 'oauthbearertoken' }],
    }
    expect(parseServiceProviderConfig(body)).toMatchObject({
      etag: true,
      sort: true,
      authenticationSchemes: ['oauthbearertoken'],
    })
  })

  test('a scheme without type is named by its name; duplicates and junk entries are dropped', () => {
    const body = {
      authenticationSchemes: [
        { name: 'Custom token' },
        null,
        3,
        'oauth',
        {},
        { type: '  ' },
        { type: 'httpbasic' },
        { type: 'httpbasic' },
      ],
    }
    expect(parseServiceProviderConfig(body).authenticationSchemes).toEqual(['Custom token', 'httpbasic'])
  })

  test('a ListResponse wrapping the config is unwrapped', () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 1,
      Resources: [RFC_EXAMPLE],
    }
    expect(parseServiceProviderConfig(body)).toMatchObject({ etag: true, patch: true, recognized: true })
  })

  test('a JSON body recorded as text is parsed', () => {
    expect(parseServiceProviderConfig(JSON.stringify(RFC_EXAMPLE)).bulk).toBe(true)
  })

  const garbage: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['an HTML page', '<!doctype html><html><body>Not Found</body></html>'],
    ['a number', 42],
    ['an array', [RFC_EXAMPLE]],
    ['a boolean', true],
  ]
  for (const [what, body] of garbage) {
    test(`${what}: nothing supported, not recognized, no throw`, () => {
      expect(parseServiceProviderConfig(body)).toEqual({ ...NOTHING, recognized: false, raw: body })
    })
  }

  test('wrong types inside an object: nothing supported, still recognized', () => {
    const body = {
      patch: 'yes',
      bulk: [true],
      filter: { supported: 1 },
      etag: { supported: 'false' },
      sort: null,
      changePassword: { supported: {} },
      authenticationSchemes: 'oauth',
    }
    expect(parseServiceProviderConfig(body)).toEqual({ ...NOTHING, recognized: true, raw: body })
  })
})
