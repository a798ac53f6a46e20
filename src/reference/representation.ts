import { cloneJson } from '../scim/clone-json.ts'
import { CORE_USER_URN } from '../scim/core-schema.ts'
import type { Flavor } from './flavor.ts'
import type { StoredUser } from './store.ts'

type Obj = Record<string, unknown>

/** `meta.version` of a stored user: a weak entity tag (RFC 7644 §3.14). */
export function versionOf(user: StoredUser): string {
  return `W/"${user.version}"`
}

/**
 * The full User resource as GET returns it: `schemas`, `id`, attributes in schema order, extensions,
 * `meta`. `password` (returned "never") is left out.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-4.1
 */
export function toResource(user: StoredUser, flavor: Flavor, baseUrl: string): Obj {
  // `schemas` first: the core URN and each extension whose attributes are present (RFC 7643 §3).
  const schemas = [CORE_USER_URN]
  for (const extension of flavor.extensions) if (user.data[extension.urn] !== undefined) schemas.push(extension.urn)
  const resource: Obj = { schemas, id: user.id }
  for (const definition of flavor.attributes) {
    if (definition.returned === 'never') continue
    const value = user.data[definition.name]
    if (value !== undefined) resource[definition.name] = cloneJson(value)
  }
  if (user.groups.length > 0) resource.groups = cloneJson(user.groups)
  for (const extension of flavor.extensions) {
    const value = user.data[extension.urn]
    if (value !== undefined) resource[extension.urn] = cloneJson(value)
  }
  resource.meta = {
    resourceType: 'User',
    created: user.created,
    lastModified: new Date(user.lastModified).toISOString(),
    location: `${baseUrl}/Users/${encodeURIComponent(user.id)}`,
    version: versionOf(user),
  }
  return resource
}

/** Sets `schemas` to the core URN plus each extension URN whose attributes are present (RFC 7643 §3), as first key. */
export function withSchemas(resource: Obj, flavor: Flavor): Obj {
  const { schemas: _ignored, ...rest } = resource
  const present = flavor.extensions.filter((e) => rest[e.urn] !== undefined).map((e) => e.urn)
  return { schemas: [CORE_USER_URN, ...present], ...rest }
}
