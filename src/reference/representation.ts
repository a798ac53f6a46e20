import { cloneJson } from '../scim/clone-json.ts'
import { CORE_USER_URN } from '../scim/core-schema.ts'
import type { Flavor } from './flavor.ts'
import type { StoredUser } from './store.ts'

type Obj = Record<string, unknown>

/** `meta.version` of a stored user: a weak entity tag (RFC 7644 §3.14). */
export function versionOf(user: StoredUser): string {
  return `W/"${user.version}"`
}

let lastTime = Number.NaN
let lastIso = ''

/** Epoch milliseconds as an ISO 8601 string; remembers the last one, since a user is often shown twice in a row. */
function isoTime(ms: number): string {
  if (ms !== lastTime) {
    lastIso = new Date(ms).toISOString()
    lastTime = ms
  }
  return lastIso
}

/** `meta.location` of a stored user (and the Location header of a POST). */
export function locationOf(user: StoredUser, baseUrl: string): string {
  return `${baseUrl}/Users/${encodeURIComponent(user.id)}`
}

/**
 * The full User resource as GET returns it: `schemas`, `id`, attributes in schema order, extensions,
 * `meta`. `password` (returned "never") is left out. Its values are deep copies of the stored ones unless
 * `copy` is false, for a caller that only serializes the resource and lets nothing alter it.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-4.1
 */
export function toResource(user: StoredUser, flavor: Flavor, baseUrl: string, copy = true): Obj {
  const copyOf = copy ? cloneJson : <T>(value: T): T => value
  // `schemas` first, built in place (no copy of the resource to reorder its keys).
  const resource: Obj = { schemas: schemasOf(user.data, flavor), id: user.id }
  for (const definition of flavor.attributes) {
    if (definition.returned === 'never') continue
    const value = user.data[definition.name]
    if (value !== undefined) resource[definition.name] = copyOf(value)
  }
  if (user.groups.length > 0) resource.groups = copyOf(user.groups)
  for (const extension of flavor.extensions) {
    const value = user.data[extension.urn]
    if (value !== undefined) resource[extension.urn] = copyOf(value)
  }
  resource.meta = {
    resourceType: 'User',
    created: user.created,
    lastModified: isoTime(user.lastModified),
    location: locationOf(user, baseUrl),
    version: versionOf(user),
  }
  return resource
}

/** Sets `schemas` to the core URN plus each extension URN whose attributes are present (RFC 7643 §3), as first key. */
export function withSchemas(resource: Obj, flavor: Flavor): Obj {
  const { schemas: _ignored, ...rest } = resource
  return { schemas: schemasOf(rest, flavor), ...rest }
}

/** The core URN plus each extension URN whose attributes `data` holds (RFC 7643 §3). */
function schemasOf(data: Obj, flavor: Flavor): string[] {
  const schemas = [CORE_USER_URN]
  for (const extension of flavor.extensions) if (data[extension.urn] !== undefined) schemas.push(extension.urn)
  return schemas
}
