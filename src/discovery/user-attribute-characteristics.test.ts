import { describe, expect, test } from 'vitest'
import { ENTERPRISE_USER, SCHEMAS_LIST_RESPONSE } from '../../test/fixtures/rfc7643-schemas.ts'
import { parseSchemas } from './parse-schemas.ts'
import { userAttributeCharacteristics } from './user-attribute-characteristics.ts'

const ENTERPRISE = ENTERPRISE_USER.id.toLowerCase()

describe('userAttributeCharacteristics', () => {
  const declared = userAttributeCharacteristics(parseSchemas(SCHEMAS_LIST_RESPONSE))

  test('core User attributes by lower-cased name and dotted sub-attribute path', () => {
    expect(declared.get('username')).toMatchObject({
      name: 'userName',
      uniqueness: 'server',
      required: true,
      caseExact: false,
    })
    expect(declared.get('name.givenname')).toMatchObject({ name: 'givenName', type: 'string' })
    expect(declared.get('emails.value')).toMatchObject({ name: 'value', mutability: 'readWrite' })
    expect(declared.get('password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' })
    expect(declared.get('groups')).toMatchObject({ mutability: 'readOnly', multiValued: true })
    expect(declared.get('groups.$ref')).toMatchObject({ type: 'reference' })
  })

  test('extension attributes behind their lower-cased URN', () => {
    expect(declared.get(`${ENTERPRISE}:employeenumber`)).toMatchObject({ name: 'employeeNumber' })
    expect(declared.get(`${ENTERPRISE}:manager.displayname`)).toMatchObject({ mutability: 'readOnly' })
    expect(declared.has('employeenumber')).toBe(false)
  })

  test("other resources' schemas are left out", () => {
    expect(declared.has('members')).toBe(false)
    expect(declared.has('members.value')).toBe(false)
    // displayName exists in both User and Group: the User's is indexed even when the Group comes first.
    const both = parseSchemas([
      { id: 'urn:ietf:params:scim:schemas:core:2.0:Group', attributes: [{ name: 'displayName', required: true }] },
      { id: 'urn:ietf:params:scim:schemas:core:2.0:User', attributes: [{ name: 'displayName' }] },
    ])
    expect(userAttributeCharacteristics(both).get('displayname')?.required).toBe(false)
    expect([...declared.keys()].every((k) => k === k.toLowerCase())).toBe(true)
  })

  test('the extensions option replaces the URN heuristic (e.g. from /ResourceTypes)', () => {
    const schemas = parseSchemas([
      { id: 'urn:acme:scim:Employee', attributes: [{ name: 'badge' }] },
      { id: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attributes: [{ name: 'costCenter' }] },
    ])
    const withOption = userAttributeCharacteristics(schemas, { extensions: ['URN:ACME:SCIM:EMPLOYEE'] })
    expect([...withOption.keys()]).toEqual(['urn:acme:scim:employee:badge'])
    expect([...userAttributeCharacteristics(schemas).keys()]).toEqual([
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:costcenter',
    ])
  })

  test('a core schema id in another case is still the core User; the first declaration wins', () => {
    const schemas = parseSchemas([
      {
        id: 'URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER',
        attributes: [
          { name: 'userName', uniqueness: 'server' },
          { name: 'USERNAME', uniqueness: 'global' },
        ],
      },
    ])
    expect(userAttributeCharacteristics(schemas).get('username')?.uniqueness).toBe('server')
  })

  test('no schemas, or none for the User: an empty map', () => {
    expect(userAttributeCharacteristics([]).size).toBe(0)
    expect(userAttributeCharacteristics(parseSchemas('<html></html>')).size).toBe(0)
    expect(
      userAttributeCharacteristics(
        parseSchemas([{ id: 'urn:ietf:params:scim:schemas:core:2.0:Group', attributes: [{ name: 'members' }] }]),
      ).size,
    ).toBe(0)
  })
})
