/**
 * RFC 7643 §8.7.1 `/Schemas` representation, abbreviated: the core User (a selection of its
 * attributes, descriptions shortened), the Group schema and the enterprise User extension, in a
 * ListResponse as `GET /Schemas` returns them.
 */
export const CORE_USER = {
  id: 'urn:ietf:params:scim:schemas:core:2.0:User',
  name: 'User',
  description: 'User Account',
  attributes: [
    { name: 'userName', type: 'string', multiValued: false, description: 'Unique identifier for the User.', required: true, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'server' },
    {
      name: 'name', type: 'complex', multiValued: false, description: "The components of the user's real name.", required: false,
      subAttributes: [
        { name: 'formatted', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
        { name: 'familyName', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
        { name: 'givenName', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
      ],
      mutability: 'readWrite', returned: 'default', uniqueness: 'none',
    },
    { name: 'displayName', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
    { name: 'active', type: 'boolean', multiValued: false, required: false, mutability: 'readWrite', returned: 'default' },
    { name: 'password', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'writeOnly', returned: 'never', uniqueness: 'none' },
    {
      name: 'emails', type: 'complex', multiValued: true, required: false,
      subAttributes: [
        { name: 'value', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
        { name: 'display', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
        { name: 'type', type: 'string', multiValued: false, required: false, caseExact: false, canonicalValues: ['work', 'home', 'other'], mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
        { name: 'primary', type: 'boolean', multiValued: false, required: false, mutability: 'readWrite', returned: 'default' },
      ],
      mutability: 'readWrite', returned: 'default', uniqueness: 'none',
    },
    {
      name: 'groups', type: 'complex', multiValued: true, required: false,
      subAttributes: [
        { name: 'value', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readOnly', returned: 'default', uniqueness: 'none' },
        { name: '$ref', type: 'reference', referenceTypes: ['User', 'Group'], multiValued: false, required: false, caseExact: false, mutability: 'readOnly', returned: 'default', uniqueness: 'none' },
        { name: 'display', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readOnly', returned: 'default', uniqueness: 'none' },
        { name: 'type', type: 'string', multiValued: false, required: false, caseExact: false, canonicalValues: ['direct', 'indirect'], mutability: 'readOnly', returned: 'default', uniqueness: 'none' },
      ],
      mutability: 'readOnly', returned: 'default',
    },
  ],
  meta: { resourceType: 'Schema', location: '/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User' },
}

export const GROUP = {
  id: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  name: 'Group',
  description: 'Group',
  attributes: [
    { name: 'displayName', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
    {
      name: 'members', type: 'complex', multiValued: true, required: false,
      subAttributes: [{ name: 'value', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'immutable', returned: 'default', uniqueness: 'none' }],
      mutability: 'readWrite', returned: 'default',
    },
  ],
  meta: { resourceType: 'Schema', location: '/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group' },
}

export const ENTERPRISE_USER = {
  id: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    { name: 'employeeNumber', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
    {
      name: 'manager', type: 'complex', multiValued: false, required: false,
      subAttributes: [
        { name: 'value', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
        { name: '$ref', type: 'reference', referenceTypes: ['User'], multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
        { name: 'displayName', type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readOnly', returned: 'default', uniqueness: 'none' },
      ],
      mutability: 'readWrite', returned: 'default',
    },
  ],
  meta: { resourceType: 'Schema', location: '/v2/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' },
}

export const SCHEMAS_LIST_RESPONSE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: 3,
  itemsPerPage: 3,
  startIndex: 1,
  Resources: [CORE_USER, GROUP, ENTERPRISE_USER],
}
