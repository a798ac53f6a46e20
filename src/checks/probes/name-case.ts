import { isObject } from '../compare.ts'

/**
 * Attribute names in another case (RFC 7643 §2.1: "Attribute names are case insensitive"): a body renamed
 * to a case variant, and where a stored resource spells a name otherwise than it should.
 */

/** Renames keys to a case variant, recursively, except `schemas` and URN keys (left as sent). */
export function recase(value: unknown, flip: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => recase(v, flip))
  if (!isObject(value)) return value
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k === 'schemas' || /^urn:/i.test(k) ? k : flip(k), recase(v, flip)]),
  )
}

/** The spellings of every attribute name in a resource, by lower-cased path (items of a list share their path). */
function spellings(value: unknown, path = '', out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  if (Array.isArray(value)) for (const item of value) spellings(item, path, out)
  else if (isObject(value))
    for (const [key, v] of Object.entries(value)) {
      if (!path && key.toLowerCase() === 'meta') continue
      const at = `${path}${path ? '.' : ''}${key.toLowerCase()}`
      if (!out.has(at)) out.set(at, new Set())
      out.get(at)!.add(key)
      spellings(v, at, out)
    }
  return out
}

/**
 * Where the resource stored from case-variant names spells an attribute otherwise than the resource stored
 * from the camelCase names (`UserName` kept as a key of its own), or holds two spellings of one name.
 */
export function spellingDivergence(canonical: unknown, variant: unknown): string[] {
  const want = spellings(canonical)
  const out: string[] = []
  for (const [path, got] of spellings(variant)) {
    const names = [...got]
    if (names.length > 1) out.push(`${names.join(' and ')} held side by side`)
    else if (want.has(path) && !want.get(path)!.has(names[0]))
      out.push(`${names[0]} kept as sent (the camelCase PUT stores ${[...want.get(path)!][0]})`)
  }
  return out
}
