import { asJson, isObject, isTrue, member, text } from './_internals/json.ts'

/** One resource type a server declares (RFC 7643 §6). */
export interface ResourceType {
  name: string
  /** Relative endpoint, e.g. `/Users`. */
  endpoint: string | null
  /** The core schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`. */
  schema: string | null
  schemaExtensions: { schema: string; required: boolean }[]
}

/**
 * Reads a `GET /ResourceTypes` body without throwing (a ListResponse, a bare array, or one resource
 * type); entries without a `name` or `id` are dropped. The User's extensions feed
 * `userAttributeCharacteristics(schemas, { extensions })`:
 * `parseResourceTypes(body).find((t) => t.name === 'User')?.schemaExtensions.map((e) => e.schema)`.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-6
 */
export function parseResourceTypes(body: unknown): ResourceType[] {
  const json = asJson(body)
  const resources = isObject(json) ? member(json, 'Resources') : undefined
  const entries = Array.isArray(json)
    ? json
    : Array.isArray(resources)
      ? resources
      : isObject(json) && member(json, 'endpoint') !== undefined
        ? [json]
        : []
  const out: ResourceType[] = []
  for (const entry of entries) {
    if (!isObject(entry)) continue
    const name = text(member(entry, 'name')) ?? text(member(entry, 'id'))
    if (name === undefined) continue
    const extensions = member(entry, 'schemaExtensions')
    out.push({
      name,
      endpoint: text(member(entry, 'endpoint')) ?? null,
      schema: text(member(entry, 'schema')) ?? null,
      schemaExtensions: (Array.isArray(extensions) ? extensions : []).filter(isObject).flatMap((e) => {
        const schema = text(member(e, 'schema'))
        return schema === undefined ? [] : [{ schema, required: isTrue(member(e, 'required')) }]
      }),
    })
  }
  return out
}
