/** A plain JSON object (not null, not an array). */
export type JsonObject = Record<string, unknown>

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A member by attribute name, matched case-insensitively: RFC 7643 §2.1 makes attribute names
 * case-insensitive, and servers do send `Resources` as `resources` or `etag` as `eTag`.
 * An exact match wins over a case variant.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-2.1
 */
export function member(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name]
  const lower = name.toLowerCase()
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower)
  return key === undefined ? undefined : object[key]
}

/** JSON `true`, or the string "true" in any case (some servers quote booleans); anything else is false. */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true')
}

/** A non-empty string, trimmed; undefined for anything else. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

/** The strings of an array, trimmed and non-empty; undefined when the value is not an array. */
export function texts(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined
  return value.map(text).filter((s): s is string => s !== undefined)
}

/**
 * A discovery body as the client recorded it: already-parsed JSON, or text that may hold JSON
 * (a server that answers with a non-JSON content type). Text that is not JSON (an HTML error page)
 * becomes undefined.
 */
export function asJson(body: unknown): unknown {
  if (typeof body !== 'string') return body
  try {
    return JSON.parse(body) as unknown
  } catch {
    return undefined
  }
}
