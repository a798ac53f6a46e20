import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { OperationNotFoundError, SpecLoadError } from '../errors.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { compileSchema, validateAgainst } from '../validate/ajv.ts'
import { loadSpec } from './load-spec.ts'
import { putUserOperation } from './put-user-operation.ts'
import { toJsonSchema } from './to-json-schema.ts'

const dir = mkdtempSync(join(tmpdir(), 'specs-'))
const write = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe.each([
  {
    vendor: 'lightdash',
    path: '/api/v1/scim/v2/Users/{userUuid}',
    idParam: 'userUuid',
    version: '3.0',
    base: '/api/v1/scim/v2',
    statuses: ['200', '400', '404'],
    errors: 'scim',
  },
  {
    vendor: 'maia',
    path: '/v1/directory-integration/scim/v2/Users/{id}',
    idParam: 'id',
    version: '3.1',
    base: '/v1/directory-integration/scim/v2',
    statuses: ['200', '400', '403', '404', '500'],
    errors: 'problem',
  },
  {
    vendor: 'cube',
    path: '/api/scim/v2/Users/{id}',
    idParam: 'id',
    version: '3.1',
    base: '/api/scim/v2',
    statuses: ['200'],
    errors: 'undeclared',
  },
  {
    vendor: 'generic',
    path: '/Users/{id}',
    idParam: 'id',
    version: '3.1',
    base: '',
    statuses: ['200', '400', '401', '404', '409', '412', '500'],
    errors: 'scim',
  },
])('$vendor spec', ({ vendor, path, idParam, version, base, statuses, errors }) => {
  test('the replace-user operation is found and its parts extracted', async () => {
    const profile = await loadProfile({ vendor })
    expect(profile.op).toMatchObject({ path, idParam, version })
    expect(profile.basePath).toBe(base)
    expect(Object.keys(profile.op.responses).sort()).toEqual([...statuses].sort())
    expect(profile.error.format).toBe(errors)
  })

  test('every request and response schema compiles with ajv', async () => {
    const profile = await loadProfile({ vendor })
    const schemas = [
      profile.requestSchema,
      ...Object.values(profile.op.responses)
        .flat()
        .map((m) => m.schema),
    ].filter((s) => s !== null)
    for (const schema of schemas) expect(() => compileSchema(schema)).not.toThrow()
    expect(
      validateAgainst(profile.requestSchema, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 7 })
        .errors,
    ).toContain('Body /userName must be string')
  })
})

test('Lightdash: the Omit_/Pick_ $ref chain and the colon-named extension property are dereferenced', async () => {
  const profile = await loadProfile({ vendor: 'lightdash' })
  expect(profile.requiredFields.sort()).toEqual(['schemas', 'userName'])
  expect(profile.extensionUrns).toEqual(['urn:lightdash:params:scim:schemas:extension:2.0:User'])
  expect(
    validateAgainst(profile.requestSchema, {
      schemas: [],
      userName: 'a@b.c',
      'urn:lightdash:params:scim:schemas:extension:2.0:User': { role: 'editor' },
    }).valid,
  ).toBe(true)
})

test('Maia: bearer JWT security, problem+json errors, meta required in the request', async () => {
  const profile = await loadProfile({ vendor: 'maia' })
  expect(profile.op.security).toEqual({ kind: 'bearer', schemeName: 'bearerAuth', bearerFormat: 'JWT' })
  expect(profile.error.mediaTypes).toEqual(['application/problem+json'])
  expect(profile.requiredFields).toEqual(['meta'])
  expect(profile.authFailureStatuses).toEqual([403])
})

test('OpenAPI 3.0 nullable and boolean exclusive bounds become JSON Schema', () => {
  expect(toJsonSchema({ type: 'string', nullable: true, example: 'x', xml: { name: 'a' } }, '3.0')).toEqual({
    type: ['string', 'null'],
  })
  expect(toJsonSchema({ type: 'integer', minimum: 1, exclusiveMinimum: true }, '3.0')).toEqual({
    type: 'integer',
    exclusiveMinimum: 1,
  })
  expect(toJsonSchema({ properties: { xml: { type: 'string' } } }, '3.1')).toEqual({
    properties: { xml: { type: 'string' } },
  })
})

describe('a spec the harness cannot use gives one clear line naming the file', () => {
  test('missing file', async () => {
    await expect(loadSpec(join(dir, 'nope.yaml'))).rejects.toThrowError(SpecLoadError)
    await expect(loadSpec(join(dir, 'nope.yaml'))).rejects.toThrowError(/nope\.yaml: cannot read the spec file/)
  })

  test('malformed YAML', async () => {
    const path = write('broken.yaml', 'openapi: 3.1.0\ninfo: [unclosed\n')
    const error = await loadSpec(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SpecLoadError)
    expect((error as Error).message).toMatch(/broken\.yaml: not a valid OpenAPI 3\.x document/)
    expect((error as Error).message).not.toContain('\n')
  })

  test('Swagger 2.0 is refused with what to use instead', async () => {
    const path = write('swagger.yaml', 'swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n')
    await expect(loadSpec(path)).rejects.toThrowError(/OpenAPI 3/)
  })

  test('no PUT on /Users/{id}', async () => {
    const path = write(
      'no-put.yaml',
      'openapi: 3.1.0\ninfo: {title: t, version: "1"}\npaths:\n  /Users/{id}:\n    get:\n' +
        '      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n' +
        '      responses: {"200": {description: ok}}\n',
    )
    const error = await loadProfile({ spec: path }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OperationNotFoundError)
    expect((error as Error).message).toMatch(/no-put\.yaml: declares no PUT on a path ending in \/Users\/\{id\}/)
  })

  test('a PUT without a request body', async () => {
    const api = { openapi: '3.1.0', paths: { '/Users/{id}': { put: { responses: { '200': { description: 'ok' } } } } } }
    expect(() => putUserOperation(api, 'x.yaml')).toThrowError(/x\.yaml: PUT \/Users\/\{id\} declares no request body/)
  })

  test('an unknown vendor names the choices', async () => {
    await expect(loadProfile({ vendor: 'okta' })).rejects.toThrowError(
      /unknown vendor "okta"\. Choose one of lightdash, maia, cube, generic/,
    )
  })
})
