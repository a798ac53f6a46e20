import fc from 'fast-check'
import { UsageError } from '../errors.ts'
import type { JsonSchema } from '../openapi/json-schema.ts'
import { compileSchema } from '../validate/ajv.ts'
import { mergeAllOf } from './_internals/merge-all-of.ts'
import { formatted, formattedLengths, freeText, token } from './_internals/text.ts'

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
   * Longest string, in code points, when the schema allows more. A larger `minLength` wins. Formatted
   * values take a shorter form where one exists (no milliseconds, a shorter URL path); an optional
   * property, array item, type or branch with no value this short is left out, and a required one
   * throws a `UsageError` naming it.
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
 * Why no value fits at a location. The compiler returns it instead of an arbitrary, leaves out the
 * optional property, array item, type or branch it stands for, and throws only when nothing is left.
 */
class NoValue {
  constructor(
    readonly path: readonly string[],
    readonly reason: string,
    /** True when the caller's `maxLength` is the bound that leaves nothing, rather than the schema itself. */
    readonly byMaxLength: boolean,
    /** The maxLength that would give this location a value, when known. */
    readonly needs?: number,
  ) {}
}

type Compiled<T = unknown> = fc.Arbitrary<T> | NoValue

const codePoints = (v: string) => Array.from(v).length

/**
 * Compiles a dereferenced JSON Schema (2020-12, or an OpenAPI schema after `toJsonSchema`) into a
 * fast-check arbitrary whose values validate against it. Covers object (required/optional,
 * additionalProperties, any property name), string (format, pattern, length), enum, const, boolean,
 * integer/number bounds, array (items, prefixItems, min/maxItems, uniqueItems), allOf (merged),
 * anyOf/oneOf (one branch), and `type` lists including `null`.
 * @see https://json-schema.org/draft/2020-12/json-schema-validation
 */
export function schemaArbitrary(
  schema: JsonSchema | boolean,
  constraints: SchemaArbitraryConstraints = {},
): fc.Arbitrary<unknown> {
  const options: Resolved = {
    maxItems: constraints.maxItems ?? 3,
    maxLength: constraints.maxLength ?? 1024,
    extraProperties: constraints.extraProperties ?? false,
    maxDepth: constraints.maxDepth ?? 8,
    override: constraints.override,
  }
  const compiled = compileAt(schema, [], false, 0, options)
  if (!(compiled instanceof NoValue)) return compiled
  const where = `/${compiled.path.join('/')}`
  if (!compiled.byMaxLength)
    throw new Error(`schemaArbitrary: the schema at ${where} has no value the generator can build: ${compiled.reason}.`)
  const raise = compiled.needs !== undefined ? ` Raise maxLength to ${compiled.needs} or more.` : ' Raise maxLength.'
  throw new UsageError(
    `schemaArbitrary: maxLength ${options.maxLength} leaves no value for ${where}: ${compiled.reason}.${raise}`,
  )
}

const JSON_TYPES = ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'] as const
type JsonType = (typeof JSON_TYPES)[number]

function compileAt(
  schema: JsonSchema | boolean,
  path: readonly string[],
  required: boolean,
  depth: number,
  o: Resolved,
): Compiled {
  if (schema === false)
    throw new Error(`schemaArbitrary: the schema at /${path.join('/')} is \`false\`; no value satisfies it.`)
  const merged = schema === true ? {} : mergeAllOf(schema)
  const plan = o.override?.({ path, schema: merged, required })
  if (plan?.arbitrary) return plan.arbitrary
  return compile(merged, path, depth, o)
}

function compile(s: JsonSchema, path: readonly string[], depth: number, o: Resolved): Compiled {
  if (depth > o.maxDepth * 4)
    throw new Error(
      `schemaArbitrary: the schema at /${path.join('/')} requires a value nested deeper than ${o.maxDepth * 4} levels.`,
    )
  if (s.oneOf && s.oneOf.length > 0) {
    const { oneOf, ...rest } = s
    const branches = possible(oneOf.map((branch) => compile(mergeAllOf({ allOf: [rest, branch] }), path, depth, o)))
    if (branches instanceof NoValue) return branches
    // A value may satisfy two branches; oneOf wants exactly one, so let ajv decide.
    const validate = compileSchema(s)
    return fc.oneof(...branches).filter((v) => validate(v))
  }
  if (s.anyOf && s.anyOf.length > 0) {
    const { anyOf, ...rest } = s
    const branches = possible(anyOf.map((branch) => compile(mergeAllOf({ allOf: [rest, branch] }), path, depth, o)))
    return branches instanceof NoValue ? branches : fc.oneof(...branches)
  }
  const types = typesOf(s)
  if ('const' in s) {
    if (typeof s.const === 'string' && codePoints(s.const) > o.maxLength)
      return new NoValue(path, `its const has ${codePoints(s.const)} code points`, true, codePoints(s.const))
    return fc.constant(s.const)
  }
  if (Array.isArray(s.enum)) {
    const values = s.enum.filter(
      (v) => types.includes(jsonTypeOf(v)) || (jsonTypeOf(v) === 'integer' && types.includes('number')),
    )
    if (values.length === 0)
      throw new Error(
        `schemaArbitrary: no value of the enum at /${path.join('/')} has an allowed type (${types.join(', ')}).`,
      )
    const fitting = values.filter((v) => typeof v !== 'string' || codePoints(v) <= o.maxLength)
    if (fitting.length === 0) {
      const shortest = Math.min(...values.map((v) => codePoints(v as string)))
      return new NoValue(path, `its shortest enum value has ${shortest} code points`, true, shortest)
    }
    return fc.constantFrom(...fitting)
  }
  const compiled = types.map((t) => ({ arbitrary: compileType(t, s, path, depth, o), weight: t === 'null' ? 1 : 4 }))
  const arbitraries = compiled.filter((a): a is fc.WeightedArbitrary<unknown> => !(a.arbitrary instanceof NoValue))
  if (arbitraries.length === 0) return compiled[0].arbitrary
  return arbitraries.length === 1 ? arbitraries[0].arbitrary : fc.oneof(...arbitraries)
}

/** The branches some value fits, or the first reason none does. */
function possible(branches: Compiled[]): fc.Arbitrary<unknown>[] | NoValue {
  const kept = branches.filter((b): b is fc.Arbitrary<unknown> => !(b instanceof NoValue))
  return kept.length > 0 ? kept : (branches[0] as NoValue)
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

function compileType(t: JsonType, s: JsonSchema, path: readonly string[], depth: number, o: Resolved): Compiled {
  switch (t) {
    case 'null':
      return fc.constant(null)
    case 'boolean':
      return fc.boolean()
    case 'integer':
      return integerOf(s)
    case 'number':
      return numberOf(s)
    case 'string':
      return stringOf(s, path, o)
    case 'array':
      return arrayOf(s, path, depth, o)
    case 'object':
      return objectOf(s, path, depth, o)
    default:
      throw new Error(`schemaArbitrary: unknown type "${String(t)}" at /${path.join('/')}.`)
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
  const lo =
    typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : typeof s.minimum === 'number' ? s.minimum : -Infinity
  const hi =
    typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : typeof s.maximum === 'number' ? s.maximum : Infinity
  const [min, max] = spanOf(lo, hi)
  if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
    const step = s.multipleOf
    const kMin =
      Math.ceil(min / step) + (typeof s.exclusiveMinimum === 'number' && Math.ceil(min / step) * step === min ? 1 : 0)
    const kMax =
      Math.floor(max / step) - (typeof s.exclusiveMaximum === 'number' && Math.floor(max / step) * step === max ? 1 : 0)
    return fc.integer({ min: kMin, max: kMax }).map((k) => k * step)
  }
  return fc
    .double({
      min,
      max,
      noNaN: true,
      noDefaultInfinity: true,
      minExcluded: typeof s.exclusiveMinimum === 'number',
      maxExcluded: typeof s.exclusiveMaximum === 'number',
    })
    .map((x) => (Object.is(x, -0) ? 0 : x))
}

function spanOf(min: number, max: number): [number, number] {
  if (min === -Infinity && max === Infinity) return [-DEFAULT_SPAN, DEFAULT_SPAN]
  if (min === -Infinity) return [max - 2 * DEFAULT_SPAN, max]
  if (max === Infinity) return [min, min + 2 * DEFAULT_SPAN]
  return [min, max]
}

function stringOf(s: JsonSchema, path: readonly string[], o: Resolved): Compiled<string> {
  const minLength = typeof s.minLength === 'number' ? s.minLength : 0
  const schemaMax = typeof s.maxLength === 'number' ? s.maxLength : Infinity
  const maxLength = Math.max(minLength, Math.min(schemaMax, o.maxLength))
  // The caller's bound, not the schema's own, is what leaves no value: raising it helps.
  const byMaxLength = o.maxLength < schemaMax
  const within = (v: string) => {
    const n = codePoints(v)
    return n >= minLength && n <= maxLength
  }
  if (typeof s.pattern === 'string') {
    // JSON Schema patterns are unanchored ECMA-262 with the `u` flag (2020-12 §6.4).
    const matching = fc.stringMatching(new RegExp(s.pattern, 'u'))
    // fast-check retries a rejecting filter forever: try a few values (on their own seed) before relying on it.
    if (!fc.sample(matching, { numRuns: 100, seed: 0 }).some(within)) {
      return new NoValue(
        path,
        `no value tried of its pattern ${s.pattern} has ${minLength} to ${maxLength} code points`,
        byMaxLength,
      )
    }
    return matching.filter(within)
  }
  const lengths = typeof s.format === 'string' ? formattedLengths(s.format) : undefined
  if (lengths) {
    if (lengths.min > maxLength)
      return new NoValue(path, `format ${s.format} needs at least ${lengths.min} code points`, byMaxLength, lengths.min)
    if (lengths.max < minLength)
      return new NoValue(
        path,
        `format ${s.format} gives at most ${lengths.max} code points, its minLength is ${minLength}`,
        false,
      )
    return formatted(s.format as string, maxLength)!.filter(within)
  }
  return freeText({ minLength: Math.max(minLength, Math.min(1, maxLength)), maxLength })
}

function arrayOf(s: JsonSchema, path: readonly string[], depth: number, o: Resolved): Compiled<unknown[]> {
  const itemPath = [...path, '[]']
  const compiledPrefix = Array.isArray(s.prefixItems)
    ? (s.prefixItems as JsonSchema[]).map((p) => compileAt(p, itemPath, false, depth + 1, o))
    : []
  const impossible = compiledPrefix.find((p): p is NoValue => p instanceof NoValue)
  if (impossible) return impossible
  const prefix = compiledPrefix as fc.Arbitrary<unknown>[]
  const restSchema: JsonSchema | boolean = (s.items as JsonSchema | boolean | undefined) ?? !(prefix.length > 0)
  const minItems = typeof s.minItems === 'number' ? s.minItems : 0
  const cap = depth >= o.maxDepth ? minItems : o.maxItems
  const maxItems = Math.max(minItems, Math.min(typeof s.maxItems === 'number' ? s.maxItems : Infinity, cap))
  const restMin = Math.max(0, minItems - prefix.length)
  const restMax = Math.max(restMin, maxItems - prefix.length)
  const item = restSchema === false || restMax === 0 ? undefined : compileAt(restSchema, itemPath, false, depth + 1, o)
  // An item no value fits leaves the array empty, when the array may be.
  if (item instanceof NoValue && restMin > 0) return item
  const rest =
    item === undefined || item instanceof NoValue
      ? fc.constant([] as unknown[])
      : s.uniqueItems === true
        ? fc.uniqueArray(item, { minLength: restMin, maxLength: restMax, selector: canonicalJson })
        : fc.array(item, { minLength: restMin, maxLength: restMax })
  const whole =
    prefix.length === 0 ? rest : fc.tuple(fc.tuple(...prefix), rest).map(([head, tail]) => [...head, ...tail])
  // uniqueItems across prefix and rest: rare enough to settle with a filter.
  return s.uniqueItems === true && prefix.length > 0
    ? whole.filter((a) => new Set(a.map(canonicalJson)).size === a.length)
    : whole
}

function objectOf(
  s: JsonSchema,
  path: readonly string[],
  depth: number,
  o: Resolved,
): Compiled<Record<string, unknown>> {
  const properties = s.properties ?? {}
  const required = new Set(s.required ?? [])
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  const requiredKeys: string[] = []
  // A property's schema may be a boolean in 2020-12, although JsonSchema types it as an object.
  for (const [name, sub] of Object.entries(properties as Record<string, JsonSchema | boolean>)) {
    const subPath = [...path, name]
    const isRequired = required.has(name)
    const merged = typeof sub === 'boolean' ? sub : mergeAllOf(sub)
    const plan = o.override?.({
      path: subPath,
      schema: merged === true ? {} : merged === false ? { not: {} } : merged,
      required: isRequired,
    })
    const presence = plan?.presence ?? (isRequired ? 'always' : depth >= o.maxDepth ? 'never' : 'sometimes')
    if (presence === 'never') continue
    const arbitrary =
      plan?.arbitrary ??
      (typeof merged === 'boolean'
        ? compileAt(merged, subPath, isRequired, depth + 1, o)
        : compile(merged, subPath, depth + 1, o))
    // A property no value fits is left out, unless it must be present.
    if (arbitrary instanceof NoValue) {
      if (presence === 'always') return arbitrary
      continue
    }
    model[name] = arbitrary
    if (presence === 'always') requiredKeys.push(name)
  }
  // `required` may name a property that `properties` does not declare: it takes additionalProperties' shape.
  const extraSchema: JsonSchema | boolean = s.additionalProperties ?? true
  for (const name of required) {
    if (name in model || name in properties) continue
    if (extraSchema === false)
      throw new Error(`schemaArbitrary: /${path.join('/')} requires "${name}" but forbids undeclared properties.`)
    const arbitrary = compileAt(
      extraSchema === true ? { type: 'string' } : extraSchema,
      [...path, name],
      true,
      depth + 1,
      o,
    )
    if (arbitrary instanceof NoValue) return arbitrary
    model[name] = arbitrary
    requiredKeys.push(name)
  }
  const declared = fc.record(model, { requiredKeys, noNullPrototype: true })
  const extras = extraPropertiesOf(s, extraSchema, path, depth, o)
  if (!extras) return declared
  return fc.tuple(declared, extras).map(([known, more]) => ({ ...more, ...known }))
}

function extraPropertiesOf(
  s: JsonSchema,
  extraSchema: JsonSchema | boolean,
  path: readonly string[],
  depth: number,
  o: Resolved,
): fc.Arbitrary<Record<string, unknown>> | undefined {
  if (extraSchema === false || depth >= o.maxDepth) return undefined
  if (extraSchema === true && !o.extraProperties) return undefined
  if (s.patternProperties || s.propertyNames) return undefined // keys would have to match; not worth guessing
  const declared = new Set(Object.keys(s.properties ?? {}))
  const key = token(1, 8)
    .map((t) => `x-${t}`)
    .filter((k) => !declared.has(k))
  const value =
    extraSchema === true
      ? fc.oneof(fc.string({ maxLength: Math.min(16, o.maxLength) }), fc.integer(), fc.boolean())
      : compileAt(extraSchema, [...path, '*'], false, depth + 1, o)
  if (value instanceof NoValue) return undefined
  return fc.dictionary(key, value, { maxKeys: 2, noNullPrototype: true })
}

/** JSON text with object keys sorted: equal for values ajv's `uniqueItems` deems equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  )
}
