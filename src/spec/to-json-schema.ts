import type { JsonSchema } from './json-schema.ts'

/** Keywords of OpenAPI's Schema Object that are annotations for documentation tools, not JSON Schema. */
const OPENAPI_ONLY = new Set(['xml', 'discriminator', 'externalDocs', 'example', 'nullable'])

/**
 * Turns a dereferenced OpenAPI Schema Object into a JSON Schema 2020-12 that ajv compiles.
 * OpenAPI 3.1 schemas already are JSON Schema; 3.0 needs `nullable` and the boolean
 * `exclusiveMinimum`/`exclusiveMaximum` rewritten. Shared sub-objects stay shared and cycles are kept.
 * @see https://spec.openapis.org/oas/v3.0.3#schema-object
 */
export function toJsonSchema(schema: unknown, version: '3.0' | '3.1'): JsonSchema {
  const seen = new WeakMap<object, JsonSchema>()
  const convert = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(convert)
    if (node === null || typeof node !== 'object') return node
    const cached = seen.get(node)
    if (cached) return cached
    const source = node as Record<string, unknown>
    const out: JsonSchema = {}
    seen.set(node, out)
    for (const [key, value] of Object.entries(source)) {
      if (OPENAPI_ONLY.has(key)) continue
      if (key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions') {
        // Keys here are property names, not keywords: a property called `xml` must survive.
        const props: Record<string, unknown> = {}
        for (const [name, sub] of Object.entries(value as Record<string, unknown>)) props[name] = convert(sub)
        out[key] = props as Record<string, JsonSchema>
        continue
      }
      out[key] = convert(value)
    }
    if (version === '3.0') {
      if (source.exclusiveMinimum === true && typeof source.minimum === 'number') {
        out.exclusiveMinimum = source.minimum
        delete out.minimum
      } else if (typeof source.exclusiveMinimum === 'boolean') delete out.exclusiveMinimum
      if (source.exclusiveMaximum === true && typeof source.maximum === 'number') {
        out.exclusiveMaximum = source.maximum
        delete out.maximum
      } else if (typeof source.exclusiveMaximum === 'boolean') delete out.exclusiveMaximum
      if (source.nullable === true) {
        if (typeof out.type === 'string') out.type = [out.type, 'null']
        else if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null]
      }
    }
    return out
  }
  return convert(schema) as JsonSchema
}
