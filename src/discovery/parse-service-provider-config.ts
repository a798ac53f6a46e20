import { asJson, isObject, isTrue, member, text, type JsonObject } from './_internals/json.ts'

/**
 * What a service provider says it supports, from `GET /ServiceProviderConfig`. Every flag is true
 * only when the server declares `"supported": true`; absent, malformed or false all read as
 * unsupported (unknown), so a check that depends on a feature is skipped rather than failed.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-5
 */
export interface Capabilities {
  patch: boolean
  bulk: boolean
  filter: boolean
  changePassword: boolean
  sort: boolean
  /** Versioning with ETags (RFC 7644 §3.14). Decide from this declaration, never from a header. */
  etag: boolean
  /** The `type` of each declared scheme (e.g. `oauthbearertoken`, `httpbasic`), or its `name` when it has no type. */
  authenticationSchemes: string[]
  /** True when the body was a JSON object, i.e. something that could be a ServiceProviderConfig. */
  recognized: boolean
  /** The body as received. */
  raw: unknown
}

const FEATURES = ['patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag'] as const

/**
 * Reads a ServiceProviderConfig body without throwing: garbage (null, an HTML page, wrong types)
 * yields every feature unsupported and `recognized: false`. Attribute names match case-insensitively
 * (RFC 7643 §2.1); a ListResponse wrapping one config is unwrapped.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-5
 */
export function parseServiceProviderConfig(body: unknown): Capabilities {
  const config = unwrap(asJson(body))
  const supported = (feature: string): boolean => {
    const entry = config ? member(config, feature) : undefined
    return isObject(entry) && isTrue(member(entry, 'supported'))
  }
  const [patch, bulk, filter, changePassword, sort, etag] = FEATURES.map(supported)
  return {
    patch,
    bulk,
    filter,
    changePassword,
    sort,
    etag,
    authenticationSchemes: config ? schemes(member(config, 'authenticationSchemes')) : [],
    recognized: config !== undefined,
    raw: body,
  }
}

/** The config object itself; some servers answer with a ListResponse holding it. */
function unwrap(json: unknown): JsonObject | undefined {
  if (!isObject(json)) return undefined
  const resources = member(json, 'Resources')
  const looksLikeConfig = FEATURES.some((f) => member(json, f) !== undefined)
  if (!looksLikeConfig && Array.isArray(resources) && resources.length === 1 && isObject(resources[0]))
    return resources[0]
  return json
}

function schemes(value: unknown): string[] {
  if (!Array.isArray(value)) return []
  const out: string[] = []
  for (const scheme of value) {
    if (!isObject(scheme)) continue
    const label = text(member(scheme, 'type')) ?? text(member(scheme, 'name'))
    if (label !== undefined && !out.includes(label)) out.push(label)
  }
  return out
}
