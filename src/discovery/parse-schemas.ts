import type { AttributeDefinition, SchemaDefinition } from '../scim/attribute.ts'
import { asJson, isObject, isTrue, member, text, texts, type JsonObject } from './_internals/json.ts'

type AttributeType = AttributeDefinition['type']

const TYPES: readonly AttributeType[] = [
  'string',
  'boolean',
  'decimal',
  'integer',
  'dateTime',
  'reference',
  'binary',
  'complex',
]
const MUTABILITIES: readonly AttributeDefinition['mutability'][] = ['readOnly', 'readWrite', 'immutable', 'writeOnly']
const RETURNED: readonly AttributeDefinition['returned'][] = ['always', 'never', 'default', 'request']
const UNIQUENESS: readonly AttributeDefinition['uniqueness'][] = ['none', 'server', 'global']

/** SCIM has one level of sub-attributes (RFC 7643 §2.3.8); a little slack, and a stop for cyclic input. */
const MAX_DEPTH = 3

/**
 * Reads a `GET /Schemas` body without throwing: a ListResponse with `Resources`, a bare array of
 * schemas, or one schema (`GET /Schemas/{id}`). Entries without a string `id` and attributes
 * without a string `name` are dropped; a characteristic that is absent or has an unknown value
 * falls back to the RFC 7643 §2.2 default (type string, single-valued, not required, caseExact false,
 * mutability readWrite, returned default, uniqueness none). Values match case-insensitively.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-7
 */
export function parseSchemas(body: unknown): SchemaDefinition[] {
  const json = asJson(body)
  const entries = Array.isArray(json)
    ? json
    : isObject(json)
      ? Array.isArray(member(json, 'Resources'))
        ? (member(json, 'Resources') as unknown[])
        : Array.isArray(member(json, 'attributes'))
          ? [json]
          : []
      : []
  const schemas: SchemaDefinition[] = []
  for (const entry of entries) {
    if (!isObject(entry)) continue
    const id = text(member(entry, 'id'))
    if (id === undefined) continue
    const schema: SchemaDefinition = {
      id,
      name: text(member(entry, 'name')) ?? id,
      attributes: attributes(member(entry, 'attributes'), 0),
    }
    const description = text(member(entry, 'description'))
    if (description !== undefined) schema.description = description
    schemas.push(schema)
  }
  return schemas
}

function attributes(value: unknown, depth: number): AttributeDefinition[] {
  if (!Array.isArray(value) || depth > MAX_DEPTH) return []
  const out: AttributeDefinition[] = []
  for (const entry of value) {
    const definition = isObject(entry) ? attribute(entry, depth) : undefined
    if (definition) out.push(definition)
  }
  return out
}

function attribute(entry: JsonObject, depth: number): AttributeDefinition | undefined {
  const name = text(member(entry, 'name'))
  if (name === undefined) return undefined
  const subAttributes = attributes(member(entry, 'subAttributes'), depth + 1)
  const definition: AttributeDefinition = {
    name,
    // An unknown type is "string" (§2.2), unless sub-attributes show the attribute is complex.
    type: oneOf(member(entry, 'type'), TYPES) ?? (subAttributes.length > 0 ? 'complex' : 'string'),
    multiValued: isTrue(member(entry, 'multiValued')),
    required: isTrue(member(entry, 'required')),
    caseExact: isTrue(member(entry, 'caseExact')),
    mutability: oneOf(member(entry, 'mutability'), MUTABILITIES) ?? 'readWrite',
    returned: oneOf(member(entry, 'returned'), RETURNED) ?? 'default',
    uniqueness: oneOf(member(entry, 'uniqueness'), UNIQUENESS) ?? 'none',
  }
  const canonicalValues = texts(member(entry, 'canonicalValues'))
  if (canonicalValues !== undefined) definition.canonicalValues = canonicalValues
  const referenceTypes = texts(member(entry, 'referenceTypes'))
  if (referenceTypes !== undefined) definition.referenceTypes = referenceTypes
  if (subAttributes.length > 0) definition.subAttributes = subAttributes
  const description = text(member(entry, 'description'))
  if (description !== undefined) definition.description = description
  return definition
}

/** The RFC's spelling of a keyword the server sent in any case (`READONLY`, `datetime`), or undefined. */
function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  const given = text(value)?.toLowerCase()
  return given === undefined ? undefined : allowed.find((a) => a.toLowerCase() === given)
}
