import type { AttributeDefinition } from '../scim/attribute.ts'
import { CORE_USER_URN } from '../scim/core-schema.ts'
import { characterCount, type ServerConstraints } from './constraints.ts'
import { type ExtensionDefinition, type Flavor, READ_ONLY_NAMES, knownSchemaUrns } from './flavor.ts'

/** Rules a hook may waive: `schemas` (RFC 7643 §3), `userName` required, one `primary`, vendor-required fields. */
export type RefusalRule = 'schemas' | 'userName' | 'primary' | 'required'

/** What a request body asks for, by canonical name; `null` or `[]` means "clear". */
export interface UserInput {
  /** Top-level attributes present in the body (null when sent as null). */
  values: Map<string, unknown>
  /** Extension URN → its attributes present in the body; an extension sent as `null`: an empty, `cleared` entry. */
  extensions: Map<string, { cleared: boolean; values: Map<string, unknown> }>
  /** The readOnly parts of the body (never stored; hooks may read them). */
  readOnly: { id?: unknown; meta?: unknown; groups?: unknown }
  /** Top-level names the flavor does not know (ignored). */
  unknown: string[]
}

export type ValidationFailure = {
  ok: false
  status: 400
  scimType: 'invalidSyntax' | 'invalidValue'
  detail: string
}
export type Validation = { ok: true; input: UserInput } | ValidationFailure

/** A refusal the caller may waive: the rule, the attribute path, and the message the refusal would carry. */
export interface Refusal {
  rule: RefusalRule
  path: string
  detail: string
}

export interface ValidateOptions {
  /** PUT checks the vendor's own required fields; POST only what the RFC requires. */
  operation: 'put' | 'post'
  /**
   * The input limits of a constrained server (see ServerConstraints), on POST and PUT alike.
   * @defaultValue null (none)
   */
  constraints?: ServerConstraints | null
  /**
   * Asked before each waivable refusal (see RefusalRule): false waives it, and validation goes on as if the
   * rule held. The reference server asks its `refusal` hooks.
   * @defaultValue every refusal stands
   */
  refuses?: (refusal: Refusal) => boolean
  /**
   * Asked about every attribute value as sent (top level, extension, extension attribute, sub-attribute; `null`
   * included), before the validator's own checks of it: a detail refuses the body with 400 `invalidValue`.
   * The reference server asks its `value` hooks.
   * @defaultValue none: only the validator's own rules apply
   */
  inspect?: (path: string, value: unknown) => string | undefined
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A refusal thrown from deep in the walk and caught in validateUser. Not an Error: it never leaves this module,
 * so it needs no stack trace, and capturing one is most of what constructing an Error costs.
 */
class Invalid {
  constructor(readonly message: string) {}
}

/** What a top-level body key names, ignoring case (RFC 7643 §2.1). */
type TopLevelName =
  | { kind: 'readOnly'; name: (typeof READ_ONLY_NAMES)[number] }
  | { kind: 'extension'; extension: ExtensionDefinition }
  | { kind: 'attribute'; definition: AttributeDefinition }

/** A flavor's lookup tables, built once per flavor rather than on every request (flavors are never changed). */
interface FlavorTables {
  /** Lower-case key → what it names: readOnly names first, then extension URNs, then attributes, each the first. */
  topLevel: Map<string, TopLevelName>
  /** The lower-case schema URNs a request may list. */
  knownUrns: Set<string>
}

const flavorTables = new WeakMap<Flavor, FlavorTables>()

function tablesOf(flavor: Flavor): FlavorTables {
  let tables = flavorTables.get(flavor)
  if (tables === undefined) {
    const topLevel = new Map<string, TopLevelName>()
    const add = (name: string, entry: TopLevelName) => {
      if (!topLevel.has(name.toLowerCase())) topLevel.set(name.toLowerCase(), entry)
    }
    for (const name of READ_ONLY_NAMES) add(name, { kind: 'readOnly', name })
    for (const extension of flavor.extensions) add(extension.urn, { kind: 'extension', extension })
    for (const definition of flavor.attributes) add(definition.name, { kind: 'attribute', definition })
    tables = { topLevel, knownUrns: new Set(knownSchemaUrns(flavor).map((u) => u.toLowerCase())) }
    flavorTables.set(flavor, tables)
  }
  return tables
}

/** Lower-case name → the first definition of that name, per list of definitions (built once per list). */
const definitionsByName = new WeakMap<readonly AttributeDefinition[], Map<string, AttributeDefinition>>()

/** The definition a key names in `definitions`, ignoring case (RFC 7643 §2.1): the first one, as `find` gives. */
function definitionNamed(definitions: readonly AttributeDefinition[], key: string): AttributeDefinition | undefined {
  let byName = definitionsByName.get(definitions)
  if (byName === undefined) {
    byName = new Map()
    for (const definition of definitions)
      if (!byName.has(definition.name.toLowerCase())) byName.set(definition.name.toLowerCase(), definition)
    definitionsByName.set(definitions, byName)
  }
  return byName.get(key.toLowerCase())
}

/**
 * Checks a User body against the flavor and RFC 7643 and normalises it to canonical names.
 * Recursion follows the attribute definitions (at most two levels), never the body, so deeply
 * nested junk is rejected at the first level where a definition says what is expected.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.5.1
 */
export function validateUser(body: unknown, flavor: Flavor, options: ValidateOptions): Validation {
  const put = options.operation === 'put'
  if (!isObj(body)) return syntax('The request body must be a JSON object.')

  const tables = tablesOf(flavor)
  const schemasKey = Object.keys(body).find((k) => match(k, 'schemas'))
  const failure = checkSchemas(schemasKey === undefined ? undefined : body[schemasKey], tables.knownUrns)
  if (failure && refuses(options, 'schemas', 'schemas', failure.detail)) return failure

  const input: UserInput = { values: new Map(), extensions: new Map(), readOnly: {}, unknown: [] }
  try {
    for (const [key, value] of Object.entries(body)) {
      if (key === schemasKey) continue
      const named = tables.topLevel.get(key.toLowerCase())
      if (named?.kind === 'readOnly') {
        input.readOnly[named.name] = value
        continue
      }
      if (named?.kind === 'extension') {
        const { extension } = named
        if (input.extensions.has(extension.urn)) continue
        input.extensions.set(
          extension.urn,
          extensionInput(value, extension.schema.attributes, extension.required, extension.urn, options),
        )
        continue
      }
      if (named === undefined) {
        input.unknown.push(key)
        continue
      }
      const { definition } = named
      // The exact-case key wins over a case variant of the same attribute sent alongside it.
      if (input.values.has(definition.name) && key !== definition.name) continue
      inspect(options, definition.name, value)
      input.values.set(
        definition.name,
        attributeValue(definition, value, definition.name, flavor.requiredSubAttributes.get(definition.name), options),
      )
    }
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, status: 400, scimType: 'invalidValue', detail: error.message }
    throw error
  }

  const userName = input.values.get('userName')
  const userNameDetail = 'userName is required and must be a non-empty string (RFC 7643 §4.1.1).'
  if (
    (typeof userName !== 'string' || userName.trim() === '') &&
    refuses(options, 'userName', 'userName', userNameDetail)
  )
    return invalid(userNameDetail)
  if (put) {
    for (const field of flavor.requiredFields) {
      const key = Object.keys(body).find((k) => match(k, field))
      const detail = `"${field}" is required by this service's request schema.`
      if ((key === undefined || body[key] === null) && refuses(options, 'required', field, detail))
        return invalid(detail)
    }
  }
  return { ok: true, input }
}

function refuses(options: ValidateOptions, rule: RefusalRule, path: string, detail: string): boolean {
  return options.refuses?.({ rule, path, detail }) ?? true
}

/** Asks `options.inspect` about an attribute value as sent; a detail it returns refuses the body. */
function inspect(options: ValidateOptions, path: string, value: unknown): void {
  const detail = options.inspect?.(path, value)
  if (detail !== undefined) throw new Invalid(detail)
}

function syntax(detail: string): ValidationFailure {
  return { ok: false, status: 400, scimType: 'invalidSyntax', detail }
}

function invalid(detail: string): ValidationFailure {
  return { ok: false, status: 400, scimType: 'invalidValue', detail }
}

/** Whether a body key names an attribute: ignoring case (RFC 7643 §2.1). */
function match(key: string, name: string): boolean {
  return key.toLowerCase() === name.toLowerCase()
}

const CORE_USER_URN_LOWER = CORE_USER_URN.toLowerCase()

/** RFC 7643 §3: `schemas` is REQUIRED, lists the core User URN and only URNs this service knows (`known`). */
function checkSchemas(schemas: unknown, known: ReadonlySet<string>): ValidationFailure | undefined {
  if (schemas === undefined || schemas === null) return syntax('"schemas" is required.')
  if (!Array.isArray(schemas) || schemas.length === 0)
    return syntax('"schemas" must be a non-empty array of schema URNs.')
  if (!schemas.every((s) => typeof s === 'string')) return syntax('"schemas" must contain only strings.')
  const lower = (schemas as string[]).map((s) => s.toLowerCase())
  if (!lower.includes(CORE_USER_URN_LOWER)) return syntax(`"schemas" must include "${CORE_USER_URN}".`)
  const unknown = (schemas as string[]).find((s) => !known.has(s.toLowerCase()))
  if (unknown !== undefined) return syntax(`"schemas" lists an unknown schema "${unknown}".`)
  return undefined
}

function extensionInput(
  value: unknown,
  attributes: AttributeDefinition[],
  required: string[],
  urn: string,
  options: ValidateOptions,
): { cleared: boolean; values: Map<string, unknown> } {
  const values = new Map<string, unknown>()
  inspect(options, urn, value)
  if (value === null) return { cleared: true, values }
  if (!isObj(value)) throw new Invalid(`"${urn}" must be an object.`)
  for (const [key, sub] of Object.entries(value)) {
    const definition = definitionNamed(attributes, key)
    if (!definition || definition.mutability === 'readOnly') continue
    inspect(options, `${urn}:${definition.name}`, sub)
    values.set(definition.name, attributeValue(definition, sub, `${urn}:${definition.name}`, undefined, options))
  }
  for (const name of required) {
    const present = values.get(name)
    const detail = `"${urn}:${name}" is required.`
    if ((present === undefined || present === null) && refuses(options, 'required', `${urn}:${name}`, detail))
      throw new Invalid(detail)
  }
  return { cleared: false, values }
}

/** The normalised value of one attribute, `null` to clear; throws `Invalid` on a wrong type. */
function attributeValue(
  definition: AttributeDefinition,
  value: unknown,
  path: string,
  requiredSubs: string[] | undefined,
  options: ValidateOptions,
): unknown {
  if (value === null) return null
  if (!definition.multiValued) {
    const single = singleValue(definition, value, path, requiredSubs, options)
    return isObj(single) && Object.keys(single).length === 0 ? null : single
  }
  if (!Array.isArray(value)) throw new Invalid(`"${path}" is multi-valued and must be an array.`)
  const items: unknown[] = []
  const constraints = options.constraints ?? null
  for (const [i, item] of value.entries()) {
    if (item === null) throw new Invalid(`"${path}[${i}]" must not be null.`)
    // An element left empty (no known sub-attribute) is kept as sent: clients compare lists item by item.
    const normalised = singleValue(definition, item, `${path}[${i}]`, requiredSubs, options)
    // A constrained server stores no empty value (RFC 7644 §3.12: a value it cannot store is an invalidValue).
    if (
      constraints?.refuseEmptyItems &&
      definition.type === 'complex' &&
      isObj(normalised) &&
      Object.keys(normalised).length === 0
    ) {
      throw new Invalid(
        `"${path}[${i}]" is empty: each value of "${path}" needs at least one of its sub-attributes ` +
          `(${(definition.subAttributes ?? []).map((s) => s.name).join(', ')}).`,
      )
    }
    items.push(normalised)
  }
  if (constraints?.oneValuePerType) refuseRepeatedTypes(definition, items, path)
  const primaries = items.filter((item) => isObj(item) && item.primary === true).length
  const primaryDetail = `"${path}": the primary attribute value "true" MUST appear no more than once (RFC 7643 §2.4).`
  if (primaries > 1 && refuses(options, 'primary', path, primaryDetail)) throw new Invalid(primaryDetail)
  return items
}

function singleValue(
  definition: AttributeDefinition,
  value: unknown,
  path: string,
  requiredSubs: string[] | undefined,
  options: ValidateOptions,
): unknown {
  switch (definition.type) {
    case 'string':
    case 'reference':
    case 'binary':
    case 'dateTime':
      if (typeof value !== 'string') throw new Invalid(`"${path}" must be a string.`)
      refuseLongString(value, path, options.constraints ?? null)
      return value
    case 'boolean':
      if (typeof value !== 'boolean') throw new Invalid(`"${path}" must be a boolean.`)
      return value
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new Invalid(`"${path}" must be an integer.`)
      return value
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Invalid(`"${path}" must be a number.`)
      return value
    case 'complex':
      return complexValue(definition, value, path, requiredSubs, options)
  }
}

function complexValue(
  definition: AttributeDefinition,
  value: unknown,
  path: string,
  requiredSubs: string[] | undefined,
  options: ValidateOptions,
): Obj {
  if (!isObj(value)) throw new Invalid(`"${path}" must be an object.`)
  const out: Obj = {}
  for (const [key, sub] of Object.entries(value)) {
    const subDefinition = definition.subAttributes && definitionNamed(definition.subAttributes, key)
    // readOnly sub-attributes (e.g. the enterprise manager.displayName) are ignored like readOnly attributes.
    if (!subDefinition || subDefinition.mutability === 'readOnly') continue
    inspect(options, `${path}.${subDefinition.name}`, sub)
    if (sub === null || out[subDefinition.name] !== undefined) continue
    const normalised = attributeValue(subDefinition, sub, `${path}.${subDefinition.name}`, undefined, options)
    if (normalised !== null) out[subDefinition.name] = normalised
  }
  for (const name of requiredSubs ?? []) {
    const detail = `"${path}.${name}" is required.`
    if (out[name] === undefined && refuses(options, 'required', `${path}.${name}`, detail)) throw new Invalid(detail)
  }
  return out
}

/** A constrained server's string limit: a longer value is refused, naming the attribute and the limit. */
function refuseLongString(value: string, path: string, constraints: ServerConstraints | null): void {
  const max = constraints?.maxStringLength ?? null
  if (max === null || value.length <= max) return
  const length = characterCount(value)
  if (length > max)
    throw new Invalid(`"${path}" is ${length} characters long; this service stores at most ${max} characters.`)
}

/** A constrained server stores one value per `type` of a multi-valued complex attribute (`type` ignoring case). */
function refuseRepeatedTypes(definition: AttributeDefinition, items: unknown[], path: string): void {
  if (definition.type !== 'complex' || !(definition.subAttributes ?? []).some((s) => s.name === 'type')) return
  const seen = new Map<string, number>()
  for (const [i, item] of items.entries()) {
    const type = isObj(item) ? item.type : undefined
    if (typeof type !== 'string') continue
    const first = seen.get(type.toLowerCase())
    if (first !== undefined)
      throw new Invalid(
        `"${path}[${first}]" and "${path}[${i}]" both have type "${type}": ` +
          `this service stores at most one value of "${path}" per type.`,
      )
    seen.set(type.toLowerCase(), i)
  }
}
