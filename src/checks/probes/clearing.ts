import type { Exchange } from '../../http/exchange.ts'
import { differs, getAttr, isObject, isUnassigned } from '../compare.ts'
import type { CheckContext } from '../context.ts'
import type { Verdict } from '../define-check.ts'
import { refusedAnyway } from './attribution.ts'
import { storedAndShown } from './replace-scope.ts'
import { bodyObject, getUser, is2xx, putUser } from './requests.ts'
import { serverDeclares } from './server-schemas.ts'
import { multiValuedOptional, READ_ONLY, singleValuedOptional } from './slots.ts'

/**
 * Clearing and omitting attributes (RFC 7644 §3.5.1; RFC 7643 §2.5): set them first with values only,
 * then PUT them as null/[] (or leave them out), and read what became of each one.
 */

type Body = Record<string, unknown>

/** What a PUT that cleared or omitted an attribute left of it. */
export type Fate = 'cleared' | 'retained' | 'defaulted'

/**
 * The value without its unassigned parts (null, [], {}), at any depth, and with at most one `primary: true`
 * per list (RFC 7643 §2.4): a body that sets only real values, as a base for clearing or omitting them.
 */
export function valuesOnly(value: unknown): unknown {
  if (Array.isArray(value)) {
    let primary = false
    return value
      .map(valuesOnly)
      .filter((v) => !isUnassigned(v))
      .map((v) => {
        if (!isObject(v) || v.primary !== true) return v
        const first = !primary
        primary = true
        return first ? v : { ...v, primary: false }
      })
  }
  if (!isObject(value)) return value
  return Object.fromEntries(
    Object.entries(value)
      .map(([k, v]) => [k, valuesOnly(v)] as const)
      .filter(([, v]) => !isUnassigned(v)),
  )
}

/** Every string in a value, at any depth. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(stringsIn)
  return isObject(value) ? Object.values(value).flatMap(stringsIn) : []
}

/**
 * What became of attribute `name` after a PUT that cleared or omitted it: `cleared`; `retained` (every
 * value still the one held before the PUT, a warning when null/[] was sent: RFC 7643 §2.5); or `defaulted`, a
 * value the server assigned (RFC 7644 §3.5.1 "MAY assign a default value"): one the attribute did not
 * hold before, or one derived from what the same PUT sent (e.g. `emails` made from `userName`).
 */
export function fateOf(ctx: CheckContext, name: string, before: unknown, after: unknown, sent: Body): Fate {
  if (isUnassigned(after)) return 'cleared'
  const others = new Set(
    stringsIn(
      Object.entries(sent).flatMap(([k, v]) => (k.toLowerCase() === name.toLowerCase() || k === 'schemas' ? [] : [v])),
    ).map((s) => s.toLowerCase()),
  )
  const leaves = stringsIn(after)
  if (leaves.length > 0 && leaves.every((s) => others.has(s.toLowerCase()))) return 'defaulted'
  return !isUnassigned(before) && differs(after, before, name, ctx.attribute) === null ? 'retained' : 'defaulted'
}

/** One attribute that held a value before the clearing PUT, and its fate after it. */
export interface AttributeFate {
  name: string
  before: unknown
  after: unknown
  fate: Fate
}

/** What one clearing round saw: the clearing body, each attribute that held a value and its fate. */
export interface ClearRound {
  clearing: Body
  fates: AttributeFate[]
  /** The PUT that set the values, the GET, the clearing PUT, the GET after it. */
  exchanges: Exchange[]
}

/** The clearing PUT refused while the same PUT leaving the attributes out was accepted: null/[] was refused. */
export interface ClearingRefused {
  refused: Exchange
  control: Exchange
  /** The PUT that set the values, the GET, the refused clearing PUT, its control. */
  exchanges: Exchange[]
}

/**
 * PUT `full`, GET, PUT it again with `names` as null/[], GET. A refused clearing PUT is judged by its
 * control, the same PUT with `names` left out: accepted → {@link ClearingRefused} (the refusal is the
 * null's/[]'s); refused too → the server's own constraint (an inconclusive verdict).
 */
export async function clearRound(
  ctx: CheckContext,
  userId: string,
  full: Body,
  names: string[],
  kind: 'null' | 'empty-array',
): Promise<ClearRound | ClearingRefused | Verdict> {
  const empty = kind === 'null' ? 'null' : '[]'
  const first = await putUser(ctx, userId, full)
  if (!is2xx(first))
    return refusedAnyway('payload', 'the PUT that sets the attributes before clearing them was refused', first)
  const before = await getUser(ctx, userId)
  const clearing: Body = { ...full }
  for (const n of names) clearing[n] = kind === 'null' ? null : []
  const put = await putUser(ctx, userId, clearing)
  if (!is2xx(put)) {
    const leftOut = Object.fromEntries(Object.entries(full).filter(([k]) => !names.includes(k)))
    const control = await putUser(ctx, userId, leftOut)
    const exchanges = [first, before, put, control]
    if (!is2xx(control))
      return refusedAnyway(
        'payload',
        `the PUT was refused with ${empty} for ${names.join(', ')} and with them left out`,
        put,
        exchanges,
      )
    return { refused: put, control, exchanges }
  }
  const get = await getUser(ctx, userId)
  const fates = names
    .filter((n) => !isUnassigned(getAttr(bodyObject(before), n)))
    .map((name) => {
      const was = getAttr(bodyObject(before), name)
      const after = getAttr(bodyObject(get), name)
      return { name, before: was, after, fate: fateOf(ctx, name, was, after, clearing) }
    })
  return { clearing, fates, exchanges: [first, before, put, get] }
}

/**
 * The optional top-level attributes a PUT can clear with null (single-valued) or [] (multi-valued) and a
 * GET then shows: documented by the vendor, declared by the server, client-writable and returned.
 */
export function clearable(ctx: CheckContext, kind: 'null' | 'empty-array'): string[] {
  return (kind === 'null' ? singleValuedOptional(ctx.profile) : multiValuedOptional(ctx.profile)).filter(
    (name) => serverDeclares(ctx, name) && !READ_ONLY.has(name.toLowerCase()) && storedAndShown(ctx.attribute(name)),
  )
}
