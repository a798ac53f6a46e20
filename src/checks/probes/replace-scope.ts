import type { AttributeDefinition } from '../../scim/attribute.ts'
import { childPath, getAttr, isObject } from '../compare.ts'
import type { CheckContext } from '../context.ts'
import { serverDeclares } from './server-schemas.ts'
import { freeTextSlots, itemTextSlots, requestProperties } from './slots.ts'

/**
 * What a replace must store and a GET must show: the attributes and string slots the vendor documents, the server
 * declares (an attribute it does not declare is unknown to it; RFC 7644 is silent on those), clients may write and a
 * GET returns (RFC 7643 §7 mutability and returned).
 */

type Body = Record<string, unknown>
type Characteristics = AttributeDefinition | undefined

/** RFC 7643 §7: "never" is in no response, "request" only in the response to the request that named it. */
export const notReturnedByDefault = (def: Characteristics): boolean =>
  def?.returned === 'never' || def?.returned === 'request'
/** RFC 7643 §7 readOnly: "The attribute SHALL NOT be modified"; the server maintains it (id, meta, an updatedAt). */
export const readOnly = (def: Characteristics): boolean => def?.mutability === 'readOnly'
/** Whether a GET after a replace must show the value sent: client-writable and returned by default. */
export const storedAndShown = (def: Characteristics): boolean => !readOnly(def) && !notReturnedByDefault(def)

/** The lower-cased attributes a replace need not store as sent: not client-writable, or not returned by default. */
export function notCompared(ctx: CheckContext): Set<string> {
  const skip = new Set(['schemas', 'id', 'meta', 'groups', 'password'])
  for (const name of Object.keys(requestProperties(ctx.profile))) {
    if (!storedAndShown(ctx.attribute(name))) skip.add(name.toLowerCase())
  }
  return skip
}

/** `value` without the attributes, at any depth, whose characteristics `drop` (a comparison must not see them). */
export function without(
  ctx: CheckContext,
  value: unknown,
  drop: (def: Characteristics) => boolean,
  path = '',
): unknown {
  if (Array.isArray(value)) return value.map((item) => without(ctx, item, drop, path))
  if (!isObject(value)) return value
  return Object.fromEntries(
    Object.entries(value).flatMap(([name, v]) => {
      const at = path ? childPath(path, name) : name
      return drop(ctx.attribute(at)) ? [] : [[name, without(ctx, v, drop, at)]]
    }),
  )
}

/**
 * Only the attributes the vendor's schema documents and, when the server publishes /Schemas, that the
 * server declares: anything else in a payload is an unknown attribute to it, not the server's to store.
 */
export function documented(ctx: CheckContext, body: Body): Body {
  const known = new Set(Object.keys(requestProperties(ctx.profile)).map((k) => k.toLowerCase()))
  return Object.fromEntries(Object.entries(body).filter(([k]) => known.has(k.toLowerCase()) && serverDeclares(ctx, k)))
}

/**
 * Whether the server's /Schemas declares an attribute path (`name.givenName`, `<urn>:role`); true when
 * it publishes none. A sub-attribute it does not declare is an unknown attribute to it (RFC 7644 §3.5.1 is
 * silent on those).
 */
export function declaresPath(ctx: CheckContext, path: string): boolean {
  const declared = ctx.discovery.declared
  return !declared || declared.has(path.toLowerCase())
}

/** Every value a slot holds in a resource (several for a multi-valued item slot `[attribute, '[]', sub]`). */
export function valuesAt(resource: unknown, slot: string[]): unknown[] {
  const top = getAttr(resource, slot[0])
  if (slot.length === 1) return [top]
  if (slot[1] === '[]') return Array.isArray(top) ? top.map((item) => getAttr(item, slot[2])) : [undefined]
  return [getAttr(top, slot[1])]
}

/** The characteristics path of a slot: `name.givenName`, `roles.value`. */
export const pathOf = (slot: string[]): string => slot.filter((s) => s !== '[]').join('.')
/** How a slot reads in a message: `name.givenName`, `roles[].value`. */
export const labelOf = (slot: string[]): string => slot.join('.').replace('.[].', '[].')

/**
 * The string slots a replace must store and show: documented by the vendor, declared by the server,
 * client-writable and returned; `withItems` adds the sub-attributes of multi-valued items.
 */
export function textSlots(ctx: CheckContext, withItems: boolean): string[][] {
  const skip = notCompared(ctx)
  return [...freeTextSlots(ctx.profile), ...(withItems ? itemTextSlots(ctx.profile) : [])].filter(
    (slot) =>
      serverDeclares(ctx, slot[0]) &&
      !skip.has(slot[0].toLowerCase()) &&
      (slot.length === 1 || declaresPath(ctx, pathOf(slot))) &&
      storedAndShown(ctx.attribute(pathOf(slot))),
  )
}
