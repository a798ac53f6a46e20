import { cloneJson } from '../scim/clone-json.ts'
import { CORE_USER_URN } from '../scim/core-schema.ts'
import type { Flavor } from './flavor.ts'
import { withSchemas } from './representation.ts'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Attributes returned whatever `attributes`/`excludedAttributes` say (returned "always", RFC 7643 §3.1). */
const ALWAYS = ['schemas', 'id']

/**
 * Applies the `attributes` or `excludedAttributes` query parameter to one resource. Names and
 * paths are matched ignoring case; `name.givenName` and fully qualified URN paths are understood.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.9
 */
export function projectResource(resource: Obj, query: URLSearchParams, flavor: Flavor): Obj {
  const attributes = listParam(query, 'attributes')
  const excluded = listParam(query, 'excludedAttributes')
  if (attributes.length > 0) {
    const out: Obj = {}
    for (const name of ALWAYS) if (resource[name] !== undefined) out[name] = resource[name]
    for (const path of attributes) {
      const segments = resolvePath(path, flavor)
      if (segments) include(resource, out, segments)
    }
    return withSchemas(pruneEmptyItems(out), flavor)
  }
  if (excluded.length > 0) {
    const out = cloneJson(resource)
    for (const path of excluded) {
      const segments = resolvePath(path, flavor)
      if (segments && !ALWAYS.includes(segments[0].toLowerCase())) exclude(out, segments)
    }
    return withSchemas(out, flavor)
  }
  return resource
}

function listParam(query: URLSearchParams, name: string): string[] {
  const key = [...query.keys()].find((k) => k.toLowerCase() === name.toLowerCase())
  if (key === undefined) return []
  return query
    .getAll(key)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
}

/** Splits `[urn:]attr[.sub]` into key segments; a fully qualified extension path keeps its URN as the first segment. */
function resolvePath(path: string, flavor: Flavor): string[] | null {
  const lower = path.toLowerCase()
  if (lower === CORE_USER_URN.toLowerCase()) return null
  if (lower.startsWith(`${CORE_USER_URN.toLowerCase()}:`)) return path.slice(CORE_USER_URN.length + 1).split('.')
  for (const extension of flavor.extensions) {
    const urn = extension.urn.toLowerCase()
    if (lower === urn) return [extension.urn]
    if (lower.startsWith(`${urn}:`)) return [extension.urn, ...path.slice(urn.length + 1).split('.')]
  }
  return /^urn:/i.test(path) ? null : path.split('.')
}

function keyOf(object: Obj, segment: string): string | undefined {
  const lower = segment.toLowerCase()
  return Object.keys(object).find((k) => k.toLowerCase() === lower)
}

/** Copies the value at `segments` of `source` into `target`, through arrays of complex values. */
function include(source: Obj, target: Obj, segments: string[]): void {
  const key = keyOf(source, segments[0])
  if (key === undefined) return
  const value = source[key]
  const rest = segments.slice(1)
  if (rest.length === 0) {
    target[key] = cloneJson(value)
    return
  }
  if (Array.isArray(value)) {
    const existing = Array.isArray(target[key]) ? (target[key] as Obj[]) : value.map(() => ({}))
    value.forEach((item, i) => {
      if (isObj(item)) include(item, existing[i], rest)
    })
    // Items stay index-aligned while several sub-attribute paths merge; pruneEmptyItems drops the empty ones.
    if (existing.some((item) => Object.keys(item).length > 0)) target[key] = existing
    return
  }
  if (isObj(value)) {
    const nested = isObj(target[key]) ? (target[key] as Obj) : {}
    include(value, nested, rest)
    if (Object.keys(nested).length > 0) target[key] = nested
  }
}

function pruneEmptyItems(object: Obj): Obj {
  for (const [key, value] of Object.entries(object)) {
    if (Array.isArray(value)) object[key] = value.filter((item) => !isObj(item) || Object.keys(item).length > 0)
  }
  return object
}

function exclude(target: Obj, segments: string[]): void {
  const key = keyOf(target, segments[0])
  if (key === undefined) return
  const rest = segments.slice(1)
  if (rest.length === 0) {
    delete target[key]
    return
  }
  const value = target[key]
  if (Array.isArray(value)) for (const item of value) if (isObj(item)) exclude(item, rest)
  if (isObj(value)) exclude(value, rest)
}
