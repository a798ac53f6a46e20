import { describe, expect, test } from 'vitest'
import type { AttributeDefinition } from '../scim/attribute.ts'
import {
  childPath,
  diffStored,
  differs,
  getAttr,
  isUnassigned,
  kindOf,
  NOT_CLEARED,
  sameRepresentation,
  WHITESPACE_TRIMMED,
} from './compare.ts'

const def = (over: Partial<AttributeDefinition>): AttributeDefinition => ({
  name: 'x',
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...over,
})
const chars: Record<string, AttributeDefinition> = {
  externalid: def({ name: 'externalId', caseExact: true }),
  'name.givenname': def({ name: 'givenName' }),
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager.displayname': def({
    name: 'displayName',
    mutability: 'readOnly',
  }),
}
const of = (path: string) => chars[path.toLowerCase()]

describe('SCIM comparison rules', () => {
  test.each([
    // given sent, stored, path → want equal?
    { sent: 'Alice', stored: 'alice', path: 'displayName', equal: true, why: 'caseExact false by default' },
    { sent: 'Ext-1', stored: 'ext-1', path: 'externalId', equal: false, why: 'caseExact true' },
    { sent: null, stored: [], path: 'emails', equal: true, why: 'null = [] (RFC 7643 §2.5)' },
    { sent: [], stored: undefined, path: 'emails', equal: true, why: '[] = unassigned' },
    { sent: 'x', stored: undefined, path: 'title', equal: false, why: 'value not stored' },
    {
      sent: [{ value: 'a@x' }, { value: 'b@x' }],
      stored: [{ value: 'b@x' }, { value: 'a@x', primary: false }],
      path: 'emails',
      equal: true,
      why: 'multi-valued as sets; primary false = absent',
    },
    {
      sent: [{ value: 'a@x' }],
      stored: [{ value: 'a@x' }, { value: 'c@x' }],
      path: 'emails',
      equal: false,
      why: 'extra stored value',
    },
    {
      sent: { givenName: 'Zoë' },
      stored: { givenName: 'Zoë', formatted: 'Zoë' },
      path: 'name',
      equal: true,
      why: 'server may add sub-attributes',
    },
    { sent: { givenName: 'Zoë' }, stored: { givenName: 'Zo?' }, path: 'name', equal: false, why: 'mangled unicode' },
    {
      sent: 'Zoe\u0308',
      stored: 'Zo\u00eb',
      path: 'displayName',
      equal: true,
      why: 'canonically equivalent text (NFD stored as NFC)',
    },
    {
      sent: 'Ext-e\u0301',
      stored: 'Ext-\u00e9',
      path: 'externalId',
      equal: true,
      why: 'canonical equivalence holds for caseExact too',
    },
    {
      sent: 'Ext-\u00e9',
      stored: 'EXT-\u00c9',
      path: 'externalId',
      equal: false,
      why: 'caseExact still tells case apart after normalisation',
    },
    { sent: true, stored: 'true', path: 'active', equal: false, why: 'type changed' },
    {
      sent: '2020-01-01T00:00:00Z',
      stored: '2020-01-01T00:00:00.000Z',
      path: 'meta.created',
      equal: false,
      why: 'a string attribute without dateTime type compares as text',
    },
  ])('$why', ({ sent, stored, path, equal }) => {
    expect(differs(sent, stored, path, of) === null).toBe(equal)
  })

  test('readOnly sub-attributes sent are not expected back (RFC 7644 §3.5.1)', () => {
    const urn = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
    expect(differs({ manager: { value: 'm1', displayName: 'Boss' } }, { manager: { value: 'm1' } }, urn, of)).toBeNull()
    expect(differs({ manager: { value: 'm1' } }, { manager: { value: 'm2' } }, urn, of)).not.toBeNull()
  })

  test('attribute names match case-insensitively (RFC 7643 §2.1)', () => {
    expect(getAttr({ UserName: 'a' }, 'userName')).toBe('a')
    expect(
      diffStored({ userName: 'a', NAME: { GivenName: 'b' } }, { username: 'A', name: { givenName: 'B' } }, of),
    ).toEqual([])
  })

  test('diffStored names each attribute that differs, skipping readOnly and password', () => {
    const diff = diffStored(
      { id: 'x', password: 'p', title: 'Dr', nickName: 'n' },
      { id: 'y', title: 'Mr', nickName: 'n' },
      of,
    )
    expect(diff.map((d) => d.attribute)).toEqual(['title'])
  })

  test('sameRepresentation is symmetric and honours an ignore list', () => {
    expect(
      sameRepresentation({ a: 1, meta: { version: '1' } }, { a: 1, meta: { version: '2' } }, of, new Set(['meta'])),
    ).toEqual([])
    expect(sameRepresentation({ a: 1 }, { a: 1, b: 2 }, of).map((d) => d.attribute)).toEqual(['b'])
  })

  test('unassigned values', () => {
    expect([undefined, null, [], {}, { a: null }].every(isUnassigned)).toBe(true)
    expect([0, false, '', [null], { a: 1 }].some(isUnassigned)).toBe(false)
  })

  test('extension sub-attribute paths are fully qualified', () => {
    expect(childPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'manager')).toBe(
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
    )
    expect(childPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', 'value')).toBe(
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
    )
    expect(childPath('name', 'givenName')).toBe('name.givenName')
  })
})

test('a complex value provides the sub-attributes it names: {} clears nothing, a null sub-attribute is a clear', () => {
  const urn = 'urn:lightdash:params:scim:schemas:extension:2.0:User'
  // Omitted sub-attributes are the omitted-attributes MAY (RFC 7644 §3.5.1), not a value provided.
  expect(differs({}, { role: 'admin' }, urn, of)).toBeNull()
  expect(differs({ role: null }, { role: 'admin' }, urn, of)).toBe(`role: ${NOT_CLEARED}`)
  expect(differs({ givenName: 'Ann' }, undefined, 'name', of)).toBe('givenName: sent a value, stored nothing')
  expect(differs({ givenName: 'Ann' }, 'Ann', 'name', of)).toBe('sent a complex value, stored a simple one')
})

test('white space trimmed at the ends is told apart from a lost value', () => {
  expect(differs('  Ann ', 'Ann', 'displayName', of)).toBe(WHITESPACE_TRIMMED)
  expect(differs(' ext ', 'EXT', 'externalId', of)).toBe('string differs (sent 5 chars, stored 3)')
})

describe('RFC 7644 §3.5.1: a trimmed string is trimmed wherever it sits, never a lost value', () => {
  test.each([
    // given sent, stored, path → want kind (null: equal)
    { sent: ' Ann ', stored: 'Ann', path: 'displayName', kind: 'trimmed' },
    { sent: { givenName: 'Ann\t' }, stored: { givenName: 'Ann' }, path: 'name', kind: 'trimmed' },
    {
      sent: [{ value: ' admin' }, { value: 'dev' }],
      stored: [{ value: 'dev' }, { value: 'admin' }],
      path: 'roles',
      kind: 'trimmed',
    },
    { sent: [{ value: ' admin' }], stored: [{ value: 'root' }], path: 'roles', kind: 'lost' },
    // Only white space, trimmed to nothing (and the empty string dropped).
    { sent: '   ', stored: '', path: 'nickName', kind: 'trimmed' },
    { sent: '   ', stored: undefined, path: 'nickName', kind: 'trimmed' },
    { sent: '', stored: '', path: 'nickName', kind: null },
    { sent: '  ', stored: '  ', path: 'nickName', kind: null },
    // NFC-equivalent text is equal, trimmed or not.
    { sent: ' Zoe\u0308 ', stored: 'Zo\u00eb', path: 'displayName', kind: 'trimmed' },
    // The worst difference is named: a lost sub-attribute outranks a trimmed one.
    {
      sent: { givenName: ' Ann', familyName: 'B' },
      stored: { givenName: 'Ann', familyName: 'C' },
      path: 'name',
      kind: 'lost',
    },
    {
      sent: { givenName: ' Ann', middleName: null },
      stored: { givenName: 'Ann', middleName: 'M' },
      path: 'name',
      kind: 'not-cleared',
    },
    // A list that provides nothing ([{}]) is [] (RFC 7643 §2.5).
    { sent: [{}], stored: [], path: 'roles', kind: null },
    { sent: [{}], stored: [{ value: 'old' }], path: 'roles', kind: 'not-cleared' },
  ])('$sent vs $stored → $kind', ({ sent, stored, path, kind }) => {
    const note = differs(sent, stored, path, of)
    expect(note === null ? null : kindOf(note)).toBe(kind)
  })

  test('a sub-attribute the server does not declare is unknown to it, not compared (RFC 7644 is silent)', () => {
    const unknown = new Set<string>()
    const declared = (path: string) => path !== 'name.middleName'
    const sent = { name: { givenName: 'Ann', middleName: 'M' }, emails: [{ value: 'a@x', display: 'A' }] }
    const stored = { name: { givenName: 'Ann' }, emails: [{ value: 'a@x' }] }
    expect(diffStored(sent, stored, of, undefined, { declared, unknown }).map((d) => d.attribute)).toEqual(['emails'])
    expect([...unknown]).toEqual(['name.middleName'])
    expect(diffStored(sent, stored, of, undefined, { declared: (p) => declared(p) && p !== 'emails.display' })).toEqual(
      [],
    )
  })
})
