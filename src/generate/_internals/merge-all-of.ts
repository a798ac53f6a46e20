import type { JsonSchema } from '../../openapi/json-schema.ts'

const cache = new WeakMap<JsonSchema, JsonSchema>()

/**
 * Folds `allOf` into one schema so a generator sees one object: properties merged per name
 * (a name in two branches keeps both constraints), `required` united, bounds tightened,
 * `type` and `enum` intersected. A value of the result satisfies every branch for the keywords
 * the generator reads; anything else is taken from the first branch that states it.
 */
export function mergeAllOf(schema: JsonSchema): JsonSchema {
  if (!schema.allOf || schema.allOf.length === 0) return schema
  const cached = cache.get(schema)
  if (cached) return cached
  const { allOf, ...own } = schema
  let out: JsonSchema = own
  for (const branch of allOf) out = mergeTwo(out, mergeAllOf(branch))
  cache.set(schema, out)
  return out
}

function mergeTwo(a: JsonSchema, b: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...a }
  for (const [key, value] of Object.entries(b)) {
    if (value === undefined) continue
    const mine = out[key]
    if (mine === undefined) {
      out[key] = value
      continue
    }
    switch (key) {
      case 'properties': {
        const props: Record<string, JsonSchema> = { ...(mine as Record<string, JsonSchema>) }
        for (const [name, sub] of Object.entries(value as Record<string, JsonSchema>)) {
          props[name] = props[name] ? mergeTwo(mergeAllOf(props[name]), mergeAllOf(sub)) : sub
        }
        out.properties = props
        break
      }
      case 'required':
        out.required = [...new Set([...(mine as string[]), ...(value as string[])])]
        break
      case 'type': {
        const left = Array.isArray(mine) ? mine : [mine]
        const right = Array.isArray(value) ? value : [value]
        // `integer` satisfies `number`, so the intersection keeps the narrower one.
        const both = left.filter((t) => right.includes(t) || (t === 'integer' && right.includes('number')))
        for (const t of right)
          if (t === 'integer' && left.includes('number') && !both.includes('integer')) both.push('integer')
        out.type = both.length === 1 ? both[0] : both
        break
      }
      case 'enum':
        out.enum = (mine as unknown[]).filter((v) =>
          (value as unknown[]).some((w) => JSON.stringify(v) === JSON.stringify(w)),
        )
        break
      case 'minimum':
      case 'exclusiveMinimum':
      case 'minLength':
      case 'minItems':
      case 'minProperties':
        out[key] = Math.max(mine as number, value as number)
        break
      case 'maximum':
      case 'exclusiveMaximum':
      case 'maxLength':
      case 'maxItems':
      case 'maxProperties':
        out[key] = Math.min(mine as number, value as number)
        break
      case 'uniqueItems':
      case 'readOnly':
      case 'writeOnly':
        out[key] = mine === true || value === true
        break
      case 'items':
        out.items = mergeTwo(mergeAllOf(mine as JsonSchema), mergeAllOf(value as JsonSchema))
        break
      case 'additionalProperties':
        if (mine === false || value === false) out.additionalProperties = false
        else if (typeof mine === 'object' && typeof value === 'object')
          out.additionalProperties = mergeTwo(mine as JsonSchema, value as JsonSchema)
        else out.additionalProperties = (typeof mine === 'object' ? mine : value) as JsonSchema | boolean
        break
      case 'anyOf':
      case 'oneOf':
        // Two alternations of the same kind: every pair of branches (a oneOf pair may then match twice;
        // the compiler filters oneOf values against the original schema).
        out[key] = (mine as JsonSchema[]).flatMap((m) => (value as JsonSchema[]).map((v) => ({ allOf: [m, v] })))
        break
      default:
        break // first branch wins (descriptions, formats, const)
    }
  }
  return out
}
