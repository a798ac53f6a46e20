import type { AttributeDefinition } from '../scim/attribute.ts'
import { COMMON_ATTRIBUTE_DEFS, CORE_USER_URN, findAttributeIn } from '../scim/core-schema.ts'
import { MAX_RESULTS } from './discovery.ts'
import type { Flavor } from './flavor.ts'
import type { StoredUser } from './store.ts'

export type UserFilter = (user: StoredUser) => boolean

const COMPARISON = /^\s*(\S+)\s+(eq|ne|co|sw|ew)\s+("(?:[^"\\]|\\.)*"|true|false|null|-?\d+(?:\.\d+)?)\s*$/i
const PRESENT = /^\s*(\S+)\s+pr\s*$/i

/**
 * Parses the one-comparison filters the server supports (`userName eq "x"`, also `ne co sw ew pr`) on
 * `id` and single-valued simple attributes; returns an error message for anything else.
 * String comparisons ignore case unless the attribute is caseExact (RFC 7644 §3.4.2.2).
 */
export function parseFilter(filter: string, flavor: Flavor): UserFilter | string {
  const present = PRESENT.exec(filter)
  const comparison = COMPARISON.exec(filter)
  const path = present?.[1] ?? comparison?.[1]
  if (path === undefined) return `Unsupported filter "${filter}": use <attribute> eq "<value>".`
  const name = path.toLowerCase().startsWith(`${CORE_USER_URN.toLowerCase()}:`)
    ? path.slice(CORE_USER_URN.length + 1)
    : path
  const definition = findAttributeIn([COMMON_ATTRIBUTE_DEFS[0], ...flavor.attributes], name)
  if (!definition || definition.multiValued || definition.type === 'complex' || definition.returned === 'never') {
    return `Unsupported filter attribute "${path}".`
  }
  const attributeOf = (user: StoredUser) => (definition.name === 'id' ? user.id : user.data[definition.name])
  if (present) return (user) => attributeOf(user) !== undefined
  const [, , op, literal] = comparison!
  const expected: unknown = JSON.parse(literal)
  return (user) => compare(definition, attributeOf(user), op.toLowerCase(), expected)
}

function compare(definition: AttributeDefinition, actual: unknown, op: string, expected: unknown): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const a = definition.caseExact ? actual : actual.toLowerCase()
    const e = definition.caseExact ? expected : expected.toLowerCase()
    if (op === 'eq') return a === e
    if (op === 'ne') return a !== e
    if (op === 'co') return a.includes(e)
    if (op === 'sw') return a.startsWith(e)
    if (op === 'ew') return a.endsWith(e)
  }
  if (op === 'eq') return actual === expected || (actual === undefined && expected === null)
  if (op === 'ne') return !(actual === expected || (actual === undefined && expected === null))
  return false
}

/** `startIndex` (1-based, default 1) and `count` (default and maximum MAX_RESULTS; negative: 0), RFC 7644 §3.4.2.4. */
export function pageOf(query: URLSearchParams): { startIndex: number; count: number } {
  const start = Number.parseInt(query.get('startIndex') ?? '', 10)
  const count = Number.parseInt(query.get('count') ?? '', 10)
  return {
    startIndex: Number.isFinite(start) && start >= 1 ? start : 1,
    count: Number.isFinite(count) ? Math.min(Math.max(count, 0), MAX_RESULTS) : MAX_RESULTS,
  }
}
