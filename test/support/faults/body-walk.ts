import type { Flavor } from '../../../src/reference/flavor.ts'
import { READ_ONLY_NAMES } from '../../../src/reference/flavor.ts'
import type { AttributeDefinition } from '../../../src/scim/attribute.ts'
import { isObj, type Obj } from './fault.ts'

/** One value the walk meets: an attribute's value as sent (`attribute`), or one single value of it (`value`). */
export interface Visit {
  definition: AttributeDefinition
  value: unknown
  /** The path the validator names it by: `emails`, `emails[0]`, `emails[0].type`, `urn:…:User:department`. */
  path: string
}

/** What a walk does at each level; each callback returns the value that replaces the one it was given. */
export interface Walker {
  /** An extension object as sent (before its attributes are walked). */
  extension?(value: unknown, urn: string): unknown
  /** An attribute's value as sent, `null` included (before its items or sub-attributes are walked). */
  attribute?(visit: Visit): unknown
  /** One single value: the value of a single-valued attribute, or one item of a multi-valued one (never null). */
  value?(visit: Visit): unknown
  /** How a key names an attribute. @defaultValue ignoring case (RFC 7643 §2.1), as the reference validator */
  matches?(key: string, name: string): boolean
}

const ignoringCase = (key: string, name: string) => key.toLowerCase() === name.toLowerCase()

/**
 * Walks a parsed User body the way the reference validator reads it, following the flavor's attribute
 * definitions (never the body): top-level attributes, extension objects and their attributes, items of
 * multi-valued attributes, and sub-attributes of complex values (readOnly ones skipped, as the validator
 * ignores them). Returns a copy with every value the walker replaced; `schemas`, `id`, `meta`, `groups` and
 * unknown keys are left as sent.
 */
export function walkBody(body: unknown, flavor: Flavor, walker: Walker): unknown {
  if (!isObj(body)) return body
  const matches = walker.matches ?? ignoringCase
  const out: Obj = { ...body }
  for (const [key, value] of Object.entries(body)) {
    if (matches(key, 'schemas') || READ_ONLY_NAMES.some((r) => matches(key, r))) continue
    const extension = flavor.extensions.find((e) => matches(key, e.urn))
    if (extension) {
      const object = walker.extension ? walker.extension(value, extension.urn) : value
      out[key] = isObj(object)
        ? walkObject(object, extension.schema.attributes, (name) => `${extension.urn}:${name}`, walker, matches)
        : object
      continue
    }
    const definition = flavor.attributes.find((a) => matches(key, a.name))
    if (definition) out[key] = walkAttribute(definition, value, definition.name, walker, matches)
  }
  return out
}

function walkObject(
  object: Obj,
  definitions: AttributeDefinition[],
  pathOf: (name: string) => string,
  walker: Walker,
  matches: (key: string, name: string) => boolean,
): Obj {
  const out: Obj = { ...object }
  for (const [key, value] of Object.entries(object)) {
    const definition = definitions.find((d) => matches(key, d.name))
    if (!definition || definition.mutability === 'readOnly') continue
    out[key] = walkAttribute(definition, value, pathOf(definition.name), walker, matches)
  }
  return out
}

function walkAttribute(
  definition: AttributeDefinition,
  sent: unknown,
  path: string,
  walker: Walker,
  matches: (key: string, name: string) => boolean,
): unknown {
  const value = walker.attribute ? walker.attribute({ definition, value: sent, path }) : sent
  if (value === null) return null
  if (definition.multiValued && Array.isArray(value))
    return value.map((item, i) =>
      item === null ? null : walkValue(definition, item, `${path}[${i}]`, walker, matches),
    )
  return walkValue(definition, value, path, walker, matches)
}

function walkValue(
  definition: AttributeDefinition,
  sent: unknown,
  path: string,
  walker: Walker,
  matches: (key: string, name: string) => boolean,
): unknown {
  const value = walker.value ? walker.value({ definition, value: sent, path }) : sent
  if (definition.type !== 'complex' || !isObj(value)) return value
  return walkObject(value, definition.subAttributes ?? [], (name) => `${path}.${name}`, walker, matches)
}

/** Types the validator reads as JSON strings. */
export const STRING_TYPES: ReadonlySet<AttributeDefinition['type']> = new Set([
  'string',
  'reference',
  'binary',
  'dateTime',
])

/** The body with every string value of a string-typed attribute (at any level) replaced by `change(value)`. */
export function mapStrings(body: unknown, flavor: Flavor, change: (value: string) => string): unknown {
  return walkBody(body, flavor, {
    value: ({ definition, value }) =>
      STRING_TYPES.has(definition.type) && typeof value === 'string' ? change(value) : value,
  })
}
