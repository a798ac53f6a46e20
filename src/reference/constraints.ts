/**
 * The input limits of a strict but RFC-conformant SCIM server, such as those built with well-known
 * libraries: not faults, but choices RFC 7644 leaves to the service provider. A value the service
 * cannot store is refused with 400 `invalidValue` (RFC 7644 §3.12), and a cleared attribute may be
 * given a default (RFC 7644 §3.5.1: the service provider "MAY assign a default value").
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.12
 */
export interface ServerConstraints {
  /**
   * Longest string value stored, in characters (Unicode code points); a longer one is refused with 400
   * `invalidValue`, naming the attribute and the limit. `null` for no limit.
   * @defaultValue 100
   */
  maxStringLength: number | null
  /**
   * At most one value per `type` (compared ignoring case) in a multi-valued complex attribute whose
   * items have a `type` sub-attribute (emails, phoneNumbers, addresses, ims, photos, entitlements,
   * roles, x509Certificates): two values of one type are refused with 400 `invalidValue`.
   * @defaultValue true
   */
  oneValuePerType: boolean
  /**
   * An empty complex value (`{}`, or one with no sub-attribute the service knows) in a multi-valued
   * attribute is refused with 400 `invalidValue` instead of being stored as sent.
   * @defaultValue true
   */
  refuseEmptyItems: boolean
  /**
   * When `emails` ends up unassigned (omitted, `null` or `[]`), the service stores
   * `[{ value: <userName>, primary: true }]` if `userName` looks like an email address.
   * @defaultValue true
   */
  emailsFromUserName: boolean
}

/** The limits `constrained: true` switches on. */
export const DEFAULT_CONSTRAINTS: Readonly<ServerConstraints> = Object.freeze({
  maxStringLength: 100,
  oneValuePerType: true,
  refuseEmptyItems: true,
  emailsFromUserName: true,
})

/** `constrained` as `ReferenceServerOptions` takes it → the limits in force, or null for none. */
export function resolveConstraints(
  constrained: boolean | Partial<ServerConstraints> | undefined,
): ServerConstraints | null {
  if (constrained === undefined || constrained === false) return null
  if (constrained === true) return { ...DEFAULT_CONSTRAINTS }
  const resolved = { ...DEFAULT_CONSTRAINTS, ...constrained }
  const max = resolved.maxStringLength
  if (max !== null && (!Number.isInteger(max) || max < 1))
    throw new TypeError(`constraints.maxStringLength must be a whole number of at least 1 or null, got ${String(max)}.`)
  return resolved
}

/** The length of a string in characters (code points), as a database column limit counts it. */
export function characterCount(value: string): number {
  let count = 0
  for (const _ of value) count += 1
  return count
}

/** Whether a userName looks like an email address (something@domain.tld, no white space). */
export function looksLikeEmail(value: unknown): value is string {
  return typeof value === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(value)
}
