/** A JSON Schema (2020-12) object, as ajv compiles it. Kept loose on purpose: OpenAPI schemas carry many keywords. */
export interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  allOf?: JsonSchema[]
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  format?: string
  additionalProperties?: boolean | JsonSchema
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  readOnly?: boolean
  writeOnly?: boolean
  deprecated?: boolean
  description?: string
  [keyword: string]: unknown
}
