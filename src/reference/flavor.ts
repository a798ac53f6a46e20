import type { VendorProfile } from '../profile/vendor-profile.ts'
import { topLevelProperties } from '../profile/vendor-profile.ts'
import type { AttributeDefinition, SchemaDefinition } from '../scim/attribute.ts'
import {
  COMMON_ATTRIBUTE_DEFS,
  CORE_USER_SCHEMA_DEF,
  CORE_USER_URN,
  ENTERPRISE_USER_SCHEMA_DEF,
  ENTERPRISE_USER_URN,
  findAttributeIn,
} from '../scim/core-schema.ts'
import type { JsonSchema } from '../openapi/json-schema.ts'

/** An extension schema the flavor stores under its URN key. */
export interface ExtensionDefinition {
  urn: string
  schema: SchemaDefinition
  /** Sub-attributes the vendor's request schema marks required inside the extension object. */
  required: string[]
}

/** What the reference server imitates of one vendor: attributes, error format, media types, auth status. */
export interface Flavor {
  basePath: string
  /** Top-level User attributes the flavor stores (core or common, in core-schema order), never `schemas`. */
  attributes: AttributeDefinition[]
  extensions: ExtensionDefinition[]
  /** The core User schema restricted to the flavor's core attributes, as `/Schemas` returns it. */
  coreSchema: SchemaDefinition
  /** Request-schema `required` lists of complex attributes' items, by canonical attribute name. */
  requiredSubAttributes: Map<string, string[]>
  /** Top-level fields the vendor's PUT schema requires beyond `schemas` and `userName`, as canonical names. */
  requiredFields: string[]
  errorFormat: 'scim' | 'problem'
  errorMediaType: string
  successMediaType: string
  authFailureStatus: number
}

/** Names RFC 7643 makes readOnly on a User: accepted in a body, never stored from it. */
export const READ_ONLY_NAMES = ['id', 'meta', 'groups'] as const

/**
 * Derives the flavor from a vendor profile: the attributes are the top-level properties of the
 * vendor's PUT request schema, with the characteristics RFC 7643 gives them.
 */
export function flavorOf(profile: VendorProfile): Flavor {
  const properties = topLevelProperties(profile.requestSchema)
  const extensionUrns = profile.extensionUrns
  const known = [...COMMON_ATTRIBUTE_DEFS, ...CORE_USER_SCHEMA_DEF.attributes]
  const attributes: AttributeDefinition[] = []
  const requiredSubAttributes = new Map<string, string[]>()
  const names = Object.keys(properties).filter((p) => !/^urn:/i.test(p) && p.toLowerCase() !== 'schemas')
  // userName is REQUIRED on every User (RFC 7643 §4.1.1), whatever the vendor's document lists.
  if (!names.some((n) => n.toLowerCase() === 'username')) names.push('userName')
  for (const name of names) {
    const schema = properties[name]
    const base = findAttributeIn(known, name)
    // A vendor that types an RFC attribute otherwise (say, emails as strings) is taken at its word.
    const definition =
      base && agrees(base, schema)
        ? withVendorSubAttributes(base, schema)
        : derivedAttribute(base?.name ?? name, schema ?? {}, 0)
    if (READ_ONLY_NAMES.some((r) => r === definition.name) || definition.mutability === 'readOnly') continue
    if (attributes.some((a) => a.name === definition.name)) continue
    attributes.push(definition)
    const required = (schema?.items?.required ?? schema?.required ?? []).filter((r) => typeof r === 'string')
    if (required.length > 0) requiredSubAttributes.set(definition.name, required)
  }
  const order = (a: AttributeDefinition) => {
    const i = known.findIndex((k) => k.name === a.name)
    return i === -1 ? known.length : i
  }
  attributes.sort((a, b) => order(a) - order(b))

  const extensions: ExtensionDefinition[] = extensionUrns.map((urn) => {
    const schema = properties[urn] ?? {}
    if (urn.toLowerCase() === ENTERPRISE_USER_URN.toLowerCase())
      return { urn: ENTERPRISE_USER_URN, schema: ENTERPRISE_USER_SCHEMA_DEF, required: [] }
    const sub = Object.entries(schema.properties ?? {}).map(([n, s]) => derivedAttribute(n, s, 0))
    const name = urn.split(':').at(-1) ?? urn
    return {
      urn,
      schema: { id: urn, name, description: `Extension ${urn}`, attributes: sub },
      required: schema.required ?? [],
    }
  })

  const coreNames = new Set(CORE_USER_SCHEMA_DEF.attributes.map((a) => a.name))
  const groups = CORE_USER_SCHEMA_DEF.attributes.find((a) => a.name === 'groups')!
  const coreSchema: SchemaDefinition = {
    ...CORE_USER_SCHEMA_DEF,
    attributes: [
      ...attributes.filter((a) => coreNames.has(a.name)),
      ...(hasProperty(properties, 'groups') ? [groups] : []),
    ].sort((a, b) => order(a) - order(b)),
  }

  const problem = profile.error.format === 'problem'
  return {
    basePath: profile.basePath,
    attributes,
    extensions,
    coreSchema,
    requiredSubAttributes,
    requiredFields: profile.requiredFields
      .filter((f) => !['schemas', 'username'].includes(f.toLowerCase()))
      .map((f) => findAttributeIn(known, f)?.name ?? f),
    errorFormat: problem ? 'problem' : 'scim',
    errorMediaType: problem ? 'application/problem+json' : (profile.error.mediaTypes[0] ?? 'application/scim+json'),
    successMediaType: profile.successMedia[0]?.mediaType ?? 'application/scim+json',
    authFailureStatus: profile.authFailureStatuses[0] ?? 401,
  }
}

/** Every schema URN a request may list: the core User and the flavor's extensions. */
export function knownSchemaUrns(flavor: Flavor): string[] {
  return [CORE_USER_URN, ...flavor.extensions.map((e) => e.urn)]
}

function hasProperty(properties: Record<string, JsonSchema>, name: string): boolean {
  return Object.keys(properties).some((p) => p.toLowerCase() === name.toLowerCase())
}

const JSON_TYPE: Record<AttributeDefinition['type'], string> = {
  string: 'string',
  reference: 'string',
  binary: 'string',
  dateTime: 'string',
  boolean: 'boolean',
  integer: 'integer',
  decimal: 'number',
  complex: 'object',
}

/** Whether the vendor's JSON Schema for an attribute has the JSON type the RFC definition implies (or says nothing). */
function agrees(definition: AttributeDefinition, schema: JsonSchema | undefined): boolean {
  const typesOf = (s: JsonSchema | undefined) =>
    s === undefined ? [] : Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type]
  const outer = typesOf(schema).filter((t) => t !== 'null')
  if (outer.length === 0) return true
  if (definition.multiValued !== outer.includes('array')) return false
  const inner = definition.multiValued ? typesOf(schema?.items).filter((t) => t !== 'null') : outer
  const expected = JSON_TYPE[definition.type]
  return inner.length === 0 || inner.includes(expected) || (expected === 'number' && inner.includes('integer'))
}

/**
 * The RFC's definition of a complex attribute plus the sub-attributes the vendor's schema adds
 * (Maia lists `addresses[].display`): a value the vendor declares is stored, not dropped.
 */
function withVendorSubAttributes(base: AttributeDefinition, schema: JsonSchema | undefined): AttributeDefinition {
  if (base.type !== 'complex' || !schema) return base
  const item = base.multiValued ? (schema.items ?? {}) : schema
  const extra = Object.entries(item.properties ?? {})
    .filter(([name]) => !findAttributeIn(base.subAttributes ?? [], name))
    .map(([name, sub]) => derivedAttribute(name, sub, 1))
  return extra.length === 0 ? base : { ...base, subAttributes: [...(base.subAttributes ?? []), ...extra] }
}

/** An attribute definition for a property no RFC schema defines, from its JSON Schema type. */
function derivedAttribute(name: string, schema: JsonSchema, depth: number): AttributeDefinition {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  const multiValued = types.includes('array')
  const item = multiValued ? (schema.items ?? {}) : schema
  const itemTypes = Array.isArray(item.type) ? item.type : [item.type]
  const isObject = itemTypes.includes('object') || (item.properties !== undefined && item.type === undefined)
  const type: AttributeDefinition['type'] = itemTypes.includes('boolean')
    ? 'boolean'
    : itemTypes.includes('integer')
      ? 'integer'
      : itemTypes.includes('number')
        ? 'decimal'
        : isObject
          ? 'complex'
          : 'string'
  const definition: AttributeDefinition = {
    name,
    type,
    multiValued,
    required: false,
    caseExact: false,
    mutability: schema.readOnly ? 'readOnly' : schema.writeOnly ? 'writeOnly' : 'readWrite',
    returned: schema.writeOnly ? 'never' : 'default',
    uniqueness: 'none',
  }
  // Complex attributes have one level of sub-attributes (RFC 7643 §2.3.8); a cyclic schema stops here.
  if (type === 'complex') {
    definition.subAttributes =
      depth > 0 ? [] : Object.entries(item.properties ?? {}).map(([n, s]) => derivedAttribute(n, s, depth + 1))
  }
  return definition
}
