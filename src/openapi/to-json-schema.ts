import type { JsonSchema } from './json-schema.ts'

/** Keywords of OpenAPI's Schema Object that are annotations for documentation tools, not JSON Schema. */
const OPENAPI_ONLY = new Set(['xml', 'discriminator', 'externalDocs', 'example', 'nullable'])

/** Keywords whose value maps names (not keywords) to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'])

/**
 * How often one schema may appear on a path from the root before its recursion is cut. swagger-parser keeps a
 * circular `$ref` as an object cycle, which ajv, the generator, openapi-sampler and the audit would follow
 * for ever; 3 levels (a manager's manager's manager) exercise a server's nesting without blowing up the
 * schema: a schema with k recursive properties unrolls to about k^3 copies.
 */
export const MAX_RECURSION = 3

/** Copies made while unrolling cycles, at most: a document with many recursive properties is refused instead. */
const MAX_UNROLLED = 20_000

/** A circular `$ref` that cannot be cut: every path around the cycle is required, or unrolling it is too large. */
export class CircularSchemaError extends Error {
  constructor(
    /** The schema object that recurs (the target of the circular `$ref`). */
    readonly schema: object,
    /** One trip around the cycle, from `schema` back to it: property names, `[]` for array items, else keywords. */
    readonly loop: readonly string[],
    readonly kind: 'endless' | 'too-large',
  ) {
    super(
      kind === 'endless'
        ? `the required path /${loop.join('/')} leads back to the same schema without end, so no finite value exists`
        : `unrolling its recursion ${MAX_RECURSION} levels deep gives more than ${MAX_UNROLLED} schemas`,
    )
  }
}

/** The recursion was cut here: the caller leaves out what holds it, or passes the cut up when it cannot. */
class Cut {
  /** From where the cut is passed up down to the cut: which object, and which key of it, each step took. */
  readonly trail: { node: object; key: string }[] = []
  constructor(readonly at: object) {}
  via(node: object, key: string): Cut {
    this.trail.unshift({ node, key })
    return this
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Turns a dereferenced OpenAPI Schema Object into a JSON Schema 2020-12 that ajv compiles.
 * OpenAPI 3.1 schemas already are JSON Schema; 3.0 needs `nullable` and the boolean
 * `exclusiveMinimum`/`exclusiveMaximum` rewritten. Shared sub-objects stay shared.
 *
 * The result has no cycles: a schema that recurs (a circular `$ref`) is unrolled {@link MAX_RECURSION}
 * levels deep, and beyond that an optional property, an `anyOf`/`oneOf` branch or another keyword that
 * holds the recursion is left out (the schema only gets more permissive; on a closed object the property
 * is still allowed, with any value, through `patternProperties`). A required property, `allOf` branch or
 * array `items` passes the cut up to what holds it; when nothing optional does, a `CircularSchemaError`.
 * @see https://spec.openapis.org/oas/v3.0.3#schema-object
 */
export function toJsonSchema(schema: unknown, version: '3.0' | '3.1'): JsonSchema {
  const recursive = nodesOnOrBeforeACycle(schema)
  // Only schemas no cycle is reachable from are shared: the others convert differently at each depth.
  const seen = new WeakMap<object, unknown>()
  const onPath = new Map<object, number>()
  let unrolled = 0

  const convert = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object') return node
    const isRecursive = recursive.has(node)
    if (!isRecursive) {
      const cached = seen.get(node)
      if (cached !== undefined) return cached
    } else {
      const depth = onPath.get(node) ?? 0
      if (depth >= MAX_RECURSION) return new Cut(node)
      if (++unrolled > MAX_UNROLLED) throw new CircularSchemaError(node, [], 'too-large')
      onPath.set(node, depth + 1)
    }
    try {
      if (Array.isArray(node)) {
        const out: unknown[] = []
        if (!isRecursive) seen.set(node, out)
        for (const [i, item] of node.entries()) {
          const value = convert(item)
          if (value instanceof Cut) return value.via(node, String(i))
          out.push(value)
        }
        return out
      }
      return convertObject(node as Record<string, unknown>, isRecursive)
    } finally {
      if (isRecursive) onPath.set(node, onPath.get(node)! - 1)
    }
  }

  const convertObject = (source: Record<string, unknown>, isRecursive: boolean): JsonSchema | Cut => {
    const out: JsonSchema = {}
    if (!isRecursive) seen.set(source, out)
    const required = Array.isArray(source.required) ? source.required : []
    const leftOut: string[] = []
    for (const [key, value] of Object.entries(source)) {
      if (OPENAPI_ONLY.has(key)) continue
      if (SCHEMA_MAPS.has(key) && isRecord(value)) {
        // Keys here are property names, not keywords: a property called `xml` must survive.
        const props: Record<string, unknown> = {}
        for (const [name, sub] of Object.entries(value)) {
          const converted = convert(sub)
          if (!(converted instanceof Cut)) props[name] = converted
          else if (key !== 'properties' || !required.includes(name)) {
            if (key === 'properties') leftOut.push(name)
          } else if (isRecord(sub) && sub.type === 'array' && !((sub.minItems as number) > 0)) {
            // A required array may be empty: the recursion ends there.
            props[name] = { type: 'array', maxItems: 0 }
          } else return converted.via(source, name)
        }
        out[key] = props
        continue
      }
      if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf' || key === 'prefixItems') && Array.isArray(value)) {
        const kept: unknown[] = []
        let firstCut: Cut | undefined
        for (const [i, branch] of value.entries()) {
          const converted = convert(branch)
          if (!(converted instanceof Cut)) kept.push(converted)
          else if (key === 'allOf' || key === 'prefixItems') return converted.via(source, `${key}/${i}`)
          else firstCut ??= converted.via(source, `${key}/${i}`)
        }
        // An alternation keeps the branches that end; with none left, nothing ends.
        if (kept.length === 0 && firstCut) return firstCut
        out[key] = kept as JsonSchema[]
        continue
      }
      const converted = convert(value)
      if (converted instanceof Cut) {
        if (key === 'items') return converted.via(source, '[]')
        continue // additionalProperties, not, if/then/else, contains, ...: left out, which only permits more
      }
      out[key] = converted
    }
    // On a closed object, a left-out property must stay allowed: deeper responses still carry it.
    const closed =
      source.additionalProperties === false ||
      isRecord(source.additionalProperties) ||
      source.unevaluatedProperties !== undefined
    if (leftOut.length > 0 && closed) {
      const patterns = isRecord(out.patternProperties) ? out.patternProperties : {}
      out.patternProperties = {
        ...patterns,
        ...Object.fromEntries(leftOut.map((name) => [`^${escapeRegExp(name)}$`, {}])),
      }
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

  const result = convert(schema)
  if (result instanceof Cut) throw new CircularSchemaError(result.at, loopOf(result), 'endless')
  return result as JsonSchema
}

/** One trip around the cycle of a cut that reached the root: from the first step out of `at` to the step back in. */
function loopOf(cut: Cut): string[] {
  const steps = cut.trail
  const first = steps.findIndex((s) => s.node === cut.at)
  if (first < 0) return steps.map((s) => s.key)
  const next = steps.findIndex((s, i) => i > first && s.node === cut.at)
  return steps.slice(first, next < 0 ? undefined : next).map((s) => s.key)
}

/** Objects (and arrays) from which a cycle can be reached: on one or leading to one. Linear: each node seen once. */
function nodesOnOrBeforeACycle(root: unknown): Set<object> {
  const state = new Map<object, 'open' | 'done'>()
  const reaching = new Set<object>()
  const visit = (node: unknown): boolean => {
    if (node === null || typeof node !== 'object') return false
    const s = state.get(node)
    if (s === 'open') return true // an edge back to an ancestor: a cycle
    if (s === 'done') return reaching.has(node)
    state.set(node, 'open')
    let reaches = false
    for (const child of Object.values(node)) if (visit(child)) reaches = true
    state.set(node, 'done')
    if (reaches) reaching.add(node)
    return reaches
  }
  visit(root)
  return reaching
}
