/**
 * SCIM attribute characteristics, as RFC 7643 §2.2 and §7 define them and as `/Schemas` returns them.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-7
 */
export interface AttributeDefinition {
  name: string
  type: 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex'
  multiValued: boolean
  required: boolean
  caseExact: boolean
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly'
  returned: 'always' | 'never' | 'default' | 'request'
  uniqueness: 'none' | 'server' | 'global'
  canonicalValues?: string[]
  referenceTypes?: string[]
  subAttributes?: AttributeDefinition[]
  description?: string
}

/** A resource schema (core User, an extension), as RFC 7643 §7 represents it. */
export interface SchemaDefinition {
  id: string
  name: string
  description?: string
  attributes: AttributeDefinition[]
}
