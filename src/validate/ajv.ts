import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import * as addFormatsModule from 'ajv-formats'
import type { JsonSchema } from '../openapi/json-schema.ts'

// ajv-formats ships CJS with a default export; under NodeNext the callable is on `.default`.
type AddFormats = typeof import('ajv-formats').default
const addFormats = (addFormatsModule as unknown as { default: AddFormats }).default

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true })
addFormats(ajv)

const cache = new WeakMap<object, ValidateFunction>()

/** Compiles once per schema object (schemas come from one dereferenced document, so identity is stable). */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  let fn = cache.get(schema)
  if (!fn) {
    fn = ajv.compile(schema)
    cache.set(schema, fn)
  }
  return fn
}

export interface SchemaVerdict {
  valid: boolean
  /** One line per violation, e.g. `Response body /emails/0/value must be string`. */
  errors: string[]
}

/** Validates `data` and maps ajv's errors to readable lines (prism's convertAjvErrors). */
export function validateAgainst(schema: JsonSchema, data: unknown, what = 'Body'): SchemaVerdict {
  const fn = compileSchema(schema)
  if (fn(data)) return { valid: true, errors: [] }
  return { valid: false, errors: (fn.errors ?? []).map((e) => describe(e, what)) }
}

function describe(e: ErrorObject, what: string): string {
  const where = e.instancePath || '/'
  const extra =
    e.keyword === 'additionalProperties'
      ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
      : ''
  return `${what} ${where} ${e.message ?? e.keyword}${extra}`
}
