import type { AttributeDefinition, SchemaDefinition } from '../scim/attribute.ts'

const CORE_USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'

/** Options of {@link userAttributeCharacteristics}. */
export interface UserAttributeConstraints {
  /**
   * URNs of the User's schema extensions, e.g. from the User entry of `/ResourceTypes`.
   * @defaultValue every schema whose id contains `:extension:` and ends with `:User`
   */
  extensions?: readonly string[]
}

/**
 * Indexes the User attributes a server declares by lower-cased path: core attributes by name
 * (`username`, `name.givenname`, `emails.value`), extension attributes behind their URN
 * (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeenumber`, `<urn>:manager.value`).
 * Other resources' schemas (Group, ...) are left out. The common attributes `id`, `externalId` and
 * `meta` belong to no schema and appear only if the server lists them. The first declaration of a
 * path wins.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-8.7.1
 */
export function userAttributeCharacteristics(
  schemas: readonly SchemaDefinition[],
  constraints: UserAttributeConstraints = {},
): Map<string, AttributeDefinition> {
  const out = new Map<string, AttributeDefinition>()
  const add = (key: string, definition: AttributeDefinition) => {
    if (!out.has(key)) out.set(key, definition)
  }
  const extensions = constraints.extensions?.map((u) => u.toLowerCase())
  const isExtension = (id: string) =>
    extensions
      ? extensions.includes(id)
      : id !== CORE_USER_URN.toLowerCase() && id.includes(':extension:') && id.endsWith(':user')
  for (const schema of schemas) {
    const id = schema.id.toLowerCase()
    const prefix = id === CORE_USER_URN.toLowerCase() ? '' : isExtension(id) ? `${id}:` : null
    if (prefix === null) continue
    for (const attribute of schema.attributes) {
      const path = `${prefix}${attribute.name.toLowerCase()}`
      add(path, attribute)
      for (const sub of attribute.subAttributes ?? []) add(`${path}.${sub.name.toLowerCase()}`, sub)
    }
  }
  return out
}
