import type { AttributeDefinition, SchemaDefinition } from './attribute.ts'

export const CORE_USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const ENTERPRISE_USER_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

type Characteristics = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'subAttributes'>>

/**
 * An attribute with RFC 7643 §2.2 defaults: single-valued, optional, caseExact false, readWrite, returned default,
 * uniqueness none.
 */
function attr(
  name: string,
  type: AttributeDefinition['type'],
  characteristics: Characteristics = {},
  subAttributes?: AttributeDefinition[],
): AttributeDefinition {
  const definition: AttributeDefinition = {
    name,
    type,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...characteristics,
  }
  if (subAttributes) definition.subAttributes = subAttributes
  return definition
}

/** The `value`/`display`/`type`/`primary` sub-attributes of most multi-valued User attributes (RFC 7643 §2.4). */
function multiValuedSubAttributes(
  valueType: AttributeDefinition['type'],
  types: string[] | null,
  extra: Characteristics = {},
): AttributeDefinition[] {
  return [
    attr('value', valueType, extra),
    attr('display', 'string'),
    attr('type', 'string', types ? { canonicalValues: types } : {}),
    attr('primary', 'boolean'),
  ]
}

function multi(
  name: string,
  subAttributes: AttributeDefinition[],
  characteristics: Characteristics = {},
): AttributeDefinition {
  return attr(name, 'complex', { multiValued: true, ...characteristics }, subAttributes)
}

/**
 * The attributes common to every resource (`id`, `externalId`, `meta`); they belong to no schema URN.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-3.1
 */
export const COMMON_ATTRIBUTE_DEFS: readonly AttributeDefinition[] = [
  attr('id', 'string', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  attr('externalId', 'string', { caseExact: true }),
  attr('meta', 'complex', { mutability: 'readOnly' }, [
    attr('resourceType', 'string', { caseExact: true, mutability: 'readOnly' }),
    attr('created', 'dateTime', { mutability: 'readOnly' }),
    attr('lastModified', 'dateTime', { mutability: 'readOnly' }),
    attr('location', 'reference', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
    attr('version', 'string', { caseExact: true, mutability: 'readOnly' }),
  ]),
]

/**
 * The core User schema with every attribute's characteristics.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-8.7.1
 */
export const CORE_USER_SCHEMA_DEF: SchemaDefinition = {
  id: CORE_USER_URN,
  name: 'User',
  description: 'User Account',
  attributes: [
    attr('userName', 'string', { required: true, uniqueness: 'server' }),
    attr('name', 'complex', {}, [
      attr('formatted', 'string'),
      attr('familyName', 'string'),
      attr('givenName', 'string'),
      attr('middleName', 'string'),
      attr('honorificPrefix', 'string'),
      attr('honorificSuffix', 'string'),
    ]),
    attr('displayName', 'string'),
    attr('nickName', 'string'),
    attr('profileUrl', 'reference', { referenceTypes: ['external'] }),
    attr('title', 'string'),
    attr('userType', 'string'),
    attr('preferredLanguage', 'string'),
    attr('locale', 'string'),
    attr('timezone', 'string'),
    attr('active', 'boolean'),
    attr('password', 'string', { mutability: 'writeOnly', returned: 'never' }),
    multi('emails', multiValuedSubAttributes('string', ['work', 'home', 'other'])),
    multi('phoneNumbers', multiValuedSubAttributes('string', ['work', 'home', 'mobile', 'fax', 'pager', 'other'])),
    multi('ims', multiValuedSubAttributes('string', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'])),
    multi('photos', multiValuedSubAttributes('reference', ['photo', 'thumbnail'], { referenceTypes: ['external'] })),
    // §4.1.2 gives addresses a `primary` sub-attribute, though the §8.7.1 listing omits it.
    multi('addresses', [
      attr('formatted', 'string'),
      attr('streetAddress', 'string'),
      attr('locality', 'string'),
      attr('region', 'string'),
      attr('postalCode', 'string'),
      attr('country', 'string'),
      attr('type', 'string', { canonicalValues: ['work', 'home', 'other'] }),
      attr('primary', 'boolean'),
    ]),
    multi(
      'groups',
      [
        attr('value', 'string', { mutability: 'readOnly' }),
        attr('$ref', 'reference', { mutability: 'readOnly', referenceTypes: ['User', 'Group'] }),
        attr('display', 'string', { mutability: 'readOnly' }),
        attr('type', 'string', { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
      ],
      { mutability: 'readOnly' },
    ),
    multi('entitlements', multiValuedSubAttributes('string', null)),
    multi('roles', multiValuedSubAttributes('string', null)),
    multi('x509Certificates', multiValuedSubAttributes('binary', null, { caseExact: true })),
  ],
}

/**
 * The enterprise User extension.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-4.3
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-8.7.2
 */
export const ENTERPRISE_USER_SCHEMA_DEF: SchemaDefinition = {
  id: ENTERPRISE_USER_URN,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attr('employeeNumber', 'string'),
    attr('costCenter', 'string'),
    attr('organization', 'string'),
    attr('division', 'string'),
    attr('department', 'string'),
    attr('manager', 'complex', {}, [
      attr('value', 'string'),
      attr('$ref', 'reference', { referenceTypes: ['User'] }),
      attr('displayName', 'string', { mutability: 'readOnly' }),
    ]),
  ],
}

/** Finds a (sub-)attribute of a list of definitions by name, ignoring case (RFC 7643 §2.1). */
export function findAttributeIn(
  attributes: readonly AttributeDefinition[],
  name: string,
): AttributeDefinition | undefined {
  const lower = name.toLowerCase()
  return attributes.find((a) => a.name.toLowerCase() === lower)
}

/**
 * Finds an attribute definition of the User resource by name or path, ignoring case: `userName`,
 * `name.givenName`, `id`, `meta.created`, or a fully qualified path such as
 * `urn:ietf:params:scim:schemas:core:2.0:User:emails.value` or
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.10
 */
export function findUserAttribute(
  path: string,
  schemas: readonly SchemaDefinition[] = [CORE_USER_SCHEMA_DEF, ENTERPRISE_USER_SCHEMA_DEF],
): AttributeDefinition | undefined {
  const lower = path.toLowerCase()
  const qualified = schemas.find((s) => lower.startsWith(`${s.id.toLowerCase()}:`))
  const rest = qualified ? path.slice(qualified.id.length + 1) : path
  const [top, sub, ...more] = rest.split('.')
  if (more.length > 0 || !top) return undefined
  const pool = qualified
    ? qualified.attributes
    : [...COMMON_ATTRIBUTE_DEFS, ...(schemas.find((s) => s.id === CORE_USER_URN)?.attributes ?? [])]
  const definition = findAttributeIn(pool, top)
  if (!definition || sub === undefined) return definition
  return findAttributeIn(definition.subAttributes ?? [], sub)
}
