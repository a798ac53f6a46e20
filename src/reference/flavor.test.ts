import { describe, expect, test } from 'vitest'
import { loadProfile } from '../profile/vendor-profile.ts'
import { CORE_USER_URN, ENTERPRISE_USER_URN, findUserAttribute } from '../scim/core-schema.ts'
import { flavorOf } from './flavor.ts'
import { LIGHTDASH_EXTENSION } from '../../test/support/reference.ts'

describe('findUserAttribute', () => {
  test.each([
    ['userName', { name: 'userName', uniqueness: 'server', caseExact: false, required: true }],
    ['USERNAME', { name: 'userName' }],
    ['name.givenName', { name: 'givenName', type: 'string' }],
    ['Emails.Value', { name: 'value' }],
    ['id', { name: 'id', returned: 'always', mutability: 'readOnly' }],
    ['meta.created', { name: 'created', type: 'dateTime' }],
    ['password', { mutability: 'writeOnly', returned: 'never' }],
    ['groups', { mutability: 'readOnly', multiValued: true }],
    [`${CORE_USER_URN}:emails.primary`, { name: 'primary', type: 'boolean' }],
    [`${ENTERPRISE_USER_URN.toUpperCase()}:manager.displayName`, { name: 'displayName', mutability: 'readOnly' }],
  ])('%s', (path, want) => {
    expect(findUserAttribute(path)).toMatchObject(want)
  })

  test('unknown names and paths deeper than a sub-attribute give undefined', () => {
    expect(findUserAttribute('favouriteColour')).toBeUndefined()
    expect(findUserAttribute('name.givenName.first')).toBeUndefined()
  })
})

describe('flavorOf', () => {
  test('cube: the attributes its request schema lists, errors in SCIM format as application/scim+json', async () => {
    const flavor = flavorOf(await loadProfile({ vendor: 'cube' }))
    expect(flavor.attributes.map((a) => a.name)).toEqual(['externalId', 'userName', 'name', 'active', 'emails'])
    expect(flavor).toMatchObject({
      basePath: '/api/scim/v2',
      errorFormat: 'scim',
      errorMediaType: 'application/scim+json',
      successMediaType: 'application/scim+json',
      authFailureStatus: 401,
      extensions: [],
    })
  })

  test('maia: problem details, 403, meta required, id/meta/groups not stored, vendor sub-attributes kept', async () => {
    const flavor = flavorOf(await loadProfile({ vendor: 'maia' }))
    const names = flavor.attributes.map((a) => a.name)
    expect(names).not.toContain('id')
    expect(names).not.toContain('meta')
    expect(names).not.toContain('groups')
    expect(flavor.attributes.find((a) => a.name === 'addresses')?.subAttributes?.map((s) => s.name)).toContain(
      'display',
    )
    expect(flavor).toMatchObject({
      errorFormat: 'problem',
      errorMediaType: 'application/problem+json',
      authFailureStatus: 403,
      requiredFields: ['meta'],
    })
  })

  test('lightdash: extension sub-attributes from the request schema, JSON errors, emails[].value needed', async () => {
    const flavor = flavorOf(await loadProfile({ vendor: 'lightdash' }))
    expect(flavor.extensions.map((e) => e.urn)).toEqual([LIGHTDASH_EXTENSION])
    expect(flavor.extensions[0].schema.attributes).toMatchObject([{ name: 'role', type: 'string', multiValued: false }])
    expect(flavor.requiredSubAttributes.get('emails')).toEqual(['value'])
    expect(flavor).toMatchObject({
      errorFormat: 'scim',
      errorMediaType: 'application/json',
      successMediaType: 'application/json',
    })
  })
})
