import fc from 'fast-check'
import type { JsonSchema } from '../spec/json-schema.ts'
import { compileSchema } from '../validate/ajv.ts'
import { mergeAllOf } from './_internals/merge-all-of.ts'
import { formatted, freeText, token } from './_internals/text.ts'

/** Where the compiler is in the schema when it asks the `override` hook. */
export interface SchemaLocation {
  /** Property names from the root; `[]` stands for "an item of the array". E.g. `['emails', '[]', 'value']`. */
  path: readonly string[]
  /** The (allOf-merged) schema at this location. */
  schema: JsonSchema
  /** True when the parent object lists this property in `required` (always false for the root and array items). */
  required: boolean
}

/** What the `override` hook decides for one location. Fields left out fall back to the schema. */
export interface LocationPlan {
  /** Values to use instead of the schema's own. They must satisfy the schema: the compiler does not check. */
  arbitrary?: fc.Arbitrary<unknown>
  /**
   * For an object property: `always` present, `sometimes` (fast-check omits it now and then),
   * or `never` generated. Defaults to `always` for a required property and `sometimes` otherwise.
   */
  presence?: 'always' | 'sometimes' | 'never'
}

/** Options of {@link schemaArbitrary}. */
export interface SchemaArbitraryConstraints {
  /**
   * Longest array generated when the schema allows more (or states no `maxItems`), so payloads stay realistic.
   * A larger `minItems` wins.
   * @defaultValue 3
   */
  maxItems?: number
  /**
   * Longest string, in code points, when the schema allows more. A larger `minLength` wins.
   * @defaultValue 1024
   */
  maxLength?: number
  /**
   * Add a few undeclared properties where `additionalProperties` is `true` or absent. Where it is a schema,
   * extra properties following that schema are always possible.
   * @defaultValue false
   */
  extraProperties?: boolean
  /**
   * Nesting depth after which optional properties and optional array items stop being generated,
   * so that recursive schemas terminate.
   * @defaultValue 8
   */
  maxDepth?: number
  /** Called for every location (root, each property, each array item) before the schema is compiled there. */
  override?: (at: SchemaLocation) => LocationPlan | undefined
}

type Resolved = Required<Omit<SchemaArbitraryConstraints, 'override'>> & Pick<SchemaArbitraryConstraints, 'override'>

/**
 * Compiles a dereferenced JSON Schema (2020-12, or an OpenAPI schema after `toJsonSchema`) into a
 * fast-check arbitrary whose values validate against it. Covers object (required/optional,
 * additionalProperties, any property name), string (format, pattern, length), enum, const, boolean,
 * integer/number bounds, array (items, prefixItems, min/maxItems, uniqueItems), allOf (merged),
 * anyOf/oneOf (one branch), and `type` lists including `null`.
 * @see https://json-schema.org/draft/2020-12/json-schema-validation
 */
export function schemaArbitrary(schema: JsonSchema | boolean, constraints: SchemaArbitraryConstraints = {}): fc.Arbitrary<unknown> {
  const options: Resolved = {
    maxItems: constraints.maxItems ?? 3,
    maxLength: constraints.maxLength ?? 1024,
    extraProperties: constraints.extraProperties ?? false,
    maxDepth: constraints.maxDepth ?? 8,
    override: constraints.override,
  }
  return compileAt(schema, [], false, 0, options)
}

const JSON_TYPES = ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'] as const
type JsonType = (typeof JSON_TYPES)[number]

function compileAt(schema: JsonSchema | boolean, path: readonly string[], required: boolean, depth: number, o: Resolved): fc.Arbitrary<unknown> {
  if (schema === false) throw new Error(`schemaArbitrary: the schema at /${path.join('/')} is \`false\`; no value satisfies it.`)
  const merged = schema === true ? {} : mergeAllOf(schema)
  const plan = o.override?.({ path, schema: merged, required })
  if (plan?.arbitrary) return plan.arbitrary
  return compile(merged, path, depth, o)
}

function compile(s: JsonSchema, path: readonly string[], depth: number, o: Resolved): fc.Arbitrary<unknown> {
  if (depth > o.maxDepth * 4) throw new Error(`schemaArbitrary: the schema at /${path.join('/')} requires a value nested deeper than ${o.maxDepth * 4} levels.`)
  if (s.oneOf && s.oneOf.length > 0) {
    const { oneOf, ...rest } = s
    const branches = oneOf.map((branch) => compile(mergeAllOf({ allOf: [rest, branch] }), path, depth, o))
    // A value may satisfy two branches; oneOf wants exactly one, so let ajv decide.
    const validate = compileSchema(s)
    return fc.oneof(...branches).filter((v) => validate(v))
  }
  if (s.anyOf && s.anyOf.length > 0) {
    const { anyOf, ...rest } = s
    return fc.oneof(...anyOf.map((branch) => compile(mergeAllOf({ allOf: [rest, branch] }), path, depth, o)))
  }
  const types = typesOf(s)
  if ('const' in s) return fc.constant(s.const)
  if (Array.isArray(s.enum)) {
    const values = s.enum.filter((v) => types.includes(jsonTypeOf(v)) || (jsonTypeOf(v) === 'integer' && types.includes('number')))
    if (values.length === 0) throw new Error(`schemaArbitrary: no value of the enum at /${path.join('/')} has an allowed type (${types.join(', ')}).`)
    return fc.constantFrom(...values)
  }
  const arbitraries = types.map((t) => ({ arbitrary: compileType(t, s, path, depth, o), weight: t === 'null' ? 1 : 4 }))
  return arbitraries.length === 1 ? arbitraries[0].arbitrary : fc.oneof(...arbitraries)
}

function typesOf(s: JsonSchema): JsonType[] {
  if (typeof s.type === 'string') return [s.type as JsonType]
  if (Array.isArray(s.type) && s.type.length > 0) return s.type as JsonType[]
  if (Array.isArray(s.enum) || 'const' in s) return [...JSON_TYPES]
  if (s.properties || s.additionalProperties !== undefined || s.required) return ['object']
  if (s.items || s.prefixItems || s.minItems !== undefined || s.maxItems !== undefined) return ['array']
  if (s.format || s.pattern || s.minLength !== undefined || s.maxLength !== undefined) return ['string']
  if (s.minimum !== undefined || s.maximum !== undefined || s.multipleOf !== undefined) return ['number']
  return ['null', 'boolean', 'integer', 'string']
}

function jsonTypeOf(v: unknown): JsonType {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v as JsonType
}

function compileType(t: JsonType, s: JsonSchema, path: readonly string[], depth: number, o: Resolved): fc.Arbitrary<unknown> {
  switch (t) {
    case 'null': return fc.constant(null)
    case 'boolean': return fc.boolean()
    case 'integer': return integerOf(s)
    case 'number': return numberOf(s)
    case 'string': return stringOf(s, o)
    case 'array': return arrayOf(s, path, depth, o)
    case 'object': return objectOf(s, path, depth, o)
    default: throw new Error(`schemaArbitrary: unknown type "${String(t)}" at /${path.join('/')}.`)
  }
}

// Without bounds, numbers stay within a range a server stores without surprises.
const DEFAULT_SPAN = 1_000_000

function integerOf(s: JsonSchema): fc.Arbitrary<number> {
  let min = typeof s.minimum === 'number' ? Math.ceil(s.minimum) : -Infinity
  let max = typeof s.maximum === 'number' ? Math.floor(s.maximum) : Infinity
  if (typeof s.exclusiveMinimum === 'number') min = Math.max(min, Math.floor(s.exclusiveMinimum) + 1)
  if (typeof s.exclusiveMaximum === 'number') max = Math.min(max, Math.ceil(s.exclusiveMaximum) - 1)
  ;[min, max] = spanOf(min, max)
  const step = typeof s.multipleOf === 'number' && Number.isInteger(s.multipleOf) && s.multipleOf > 0 ? s.multipleOf : 1
  if (step === 1) return fc.integer({ min, max })
  return fc.integer({ min: Math.ceil(min / step), max: Math.floor(max / step) }).map((k) => k * step)
}

function numberOf(s: JsonSchema): fc.Arbitrary<number> {
  const lo = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : typeof s.minimum === 'number' ? s.minimum : -Infinity
  const hi = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : typeof s.maximum === 'number' ? s.maximum : Infinity
  const [min, max] = spanOf(lo, hi)
  if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
    const step = s.multipleOf
    const kMin = Math.ceil(min / step) + (typeof s.exclusiveMinimum === 'number' && Math.ceil(min / step) * step === min ? 1 : 0)
    const kMax = Math.floor(max / step) - (typeof s.exclusiveMaximum === 'number' && Math.floor(max / step) * step === max ? 1 : 0)
    return fc.integer({ min: kMin, max: kMax }).map((k) => k * step)
  }
  return fc.double({
    min, max, noNaN: true, noDefaultInfinity: true,
    minExcluded: typeof s.exclusiveMinimum === 'number', maxExcluded: typeof s.exclusiveMaximum === 'number',
  }).map((x) => (Object.is(x, -0) ? 0 : x))
}

function spanOf(min: number, max: number): [number, number] {
  if (min === -Infinity && max === Infinity) return [-DEFAULT_SPAN, DEFAULT_SPAN]
  if (min === -Infinity) return [max - 2 * DEFAULT_SPAN, max]
  if (max === Infinity) return [min, min + 2 * DEFAULT_SPAN]
  return [min, max]
}

function stringOf(s: JsonSchema, o: Resolved): fc.Arbitrary<string> {
  const minLength = typeof s.minLength === 'number' ? s.minLength : 0
  const maxLength = Math.max(minLength, Math.min(typeof s.maxLength === 'number' ? s.maxLength : Infinity, o.maxLength))
  const within = (v: string) => {
    const n = Array.from(v).length
    return n >= minLength && n <= maxLength
  }
  if (typeof s.pattern === 'string') {
    // JSON Schema patterns are unanchored ECMA-262 with the `u` flag (2020-12 §6.4).
    return fc.stringMatching(new RegExp(s.pattern, 'u')).filter(within)
  }
  const byFormat = typeof s.format === 'string' ? formatted(s.format) : undefined
  if (byFormat) return byFormat.filter(within)
  return freeText({ minLength: Math.max(minLength, Math.min(1, maxLength)), maxLength })
}

function arrayOf(s: JsonSchema, path: readonly string[], depth: number, o: Resolved): fc.Arbitrary<unknown[]> {
  const itemPath = [...path, '[]']
  const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as JsonSchema[]).map((p) => compileAt(p, itemPath, false, depth + 1, o)) : []
  const restSchema: JsonSchema | boolean = (s.items as JsonSchema | boolean | undefined) ?? (prefix.length > 0 ? false : true)
  const minItems = typeof s.minItems === 'number' ? s.minItems : 0
  const cap = depth >= o.maxDepth ? minItems : o.maxItems
  const maxItems = Math.max(minItems, Math.min(typeof s.maxItems === 'number' ? s.maxItems : Infinity, cap))
  const restMin = Math.max(0, minItems - prefix.length)
  const restMax = Math.max(restMin, maxItems - prefix.length)
  const rest = restSchema === false || restMax === 0
    ? fc.constant([] as unknown[])
    : s.uniqueItems === true
      ? fc.uniqueArray(compileAt(restSchema, itemPath, false, depth + 1, o), { minLength: restMin, maxLength: restMax, selector: canonicalJson })
      : fc.array(compileAt(restSchema, itemPath, false, depth + 1, o), { minLength: restMin, maxLength: restMax })
  const whole = prefix.length === 0 ? rest : fc.tuple(fc.tuple(...prefix), rest).map(([head, tail]) => [...head, ...tail])
  // uniqueItems across prefix and rest: rare enough to settle with a filter.
  return s.uniqueItems === true && prefix.length > 0 ? whole.filter((a) => new Set(a.map(canonicalJson)).size === a.length) : whole
}

function objectOf(s: JsonSchema, path: readonly string[], depth: number, o: Resolved): fc.Arbitrary<Record<string, unknown>> {
  const properties = s.properties ?? {}
  const required = new Set(s.required ?? [])
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  const requiredKeys: string[] = []
  // A property's schema may be a boolean in 2020-12, although JsonSchema types it as an object.
  for (const [name, sub] of Object.entries(properties as Record<string, JsonSchema | boolean>)) {
    const subPath = [...path, name]
    const isRequired = required.has(name)
    const merged = typeof sub === 'boolean' ? sub : mergeAllOf(sub)
    const plan = o.override?.({ path: subPath, schema: merged === true ? {} : merged === false ? { not: {} } : merged, required: isRequired })
    const presence = plan?.presence ?? (isRequired ? 'always' : depth >= o.maxDepth ? 'never' : 'sometimes')
    if (presence === 'never') continue
    model[name] = plan?.arbitrary ?? (typeof merged === 'boolean' ? compileAt(merged, subPath, isRequired, depth + 1, o) : compile(merged, subPath, depth + 1, o))
    if (presence === 'always') requiredKeys.push(name)
  }
  // `required` may name a property that `properties` does not declare: it takes additionalProperties' shape.
  const extraSchema: JsonSchema | boolean = s.additionalProperties ?? true
  for (const name of required) {
    if (name in model || name in properties) continue
    if (extraSchema === false) throw new Error(`schemaArbitrary: /${path.join('/')} requires "${name}" but forbids undeclared properties.`)
    model[name] = compileAt(extraSchema === true ? { type: 'string' } : extraSchema, [...path, name], true, depth + 1, o)
    requiredKeys.push(name)
  }
  const declared = fc.record(model, { requiredKeys, noNullPrototype: true })
  const extras = extraPropertiesOf(s, extraSchema, path, depth, o)
  if (!extras) return declared
  return fc.tuple(declared, extras).map(([known, more]) => ({ ...more, ...known }))
}

function extraPropertiesOf(s: JsonSchema, extraSchema: JsonSchema | boolean, path: readonly string[], depth: number, o: Resolved): fc.Arbitrary<Record<string, unknown>> | undefined {
  if (extraSchema === false || depth >= o.maxDepth) return undefined
  if (extraSchema === true && !o.extraProperties) return undefined
  if (s.patternProperties || s.propertyNames) return undefined // keys would have to match; not worth guessing
  const declared = new Set(Object.keys(s.properties ?? {}))
  const key = token(1, 8).map((t) => `x-${t}`).filter((k) => !declared.has(k))
  const value = extraSchema === true ? fc.oneof(fc.string({ maxLength: 16 }), fc.integer(), fc.boolean()) : compileAt(extraSchema, [...path, '*'], false, depth + 1, o)
  return fc.dictionary(key, value, { maxKeys: 2, noNullPrototype: true })
}

/** JSON text with object keys sorted: equal for values ajv's `uniqueItems` deems equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}
