import type { Exchange } from '../../http/exchange.ts'
import { isObject } from '../compare.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { verdict, type Verdict } from '../define-check.ts'
import { refusedAnyway } from './attribution.ts'
import { bodyObject, describeStatus, getUser, is2xx, putUser } from './requests.ts'
import { readOnly } from './replace-scope.ts'
import { READ_ONLY } from './slots.ts'

/**
 * The request sequences the replace checks share. Each returns its exchanges, or a verdict instead when
 * the sequence never reached a rule (a valid payload refused: the server's own constraint).
 */

type Body = Record<string, unknown>

/** Whether a step returned a verdict instead of its exchanges. */
export const isVerdict = (v: unknown): v is Verdict => isObject(v) && typeof v.outcome === 'string'

/** PUT then GET; a verdict instead when the PUT of this valid payload was refused (the server's own constraint). */
export async function replaceThenGet(
  ctx: CheckContext,
  id: string,
  body: unknown,
): Promise<{ put: Exchange; get: Exchange } | Verdict> {
  const put = await putUser(ctx, id, body)
  if (!is2xx(put))
    return refusedAnyway('payload', 'the PUT of a valid payload was refused, so nothing was stored to judge', put)
  return { put, get: await getUser(ctx, id) }
}

/** The same PUT sent twice; a verdict instead when the first was refused (the server's own constraint). */
export async function samePutTwice(ctx: CheckContext, id: string, body: Body): Promise<[Exchange, Exchange] | Verdict> {
  const first = await putUser(ctx, id, body)
  if (!is2xx(first)) return refusedAnyway('payload', 'the PUT of a valid payload was refused', first)
  return [first, await putUser(ctx, id, body)]
}

/** The test user's GET body PUT back; `control` is there when the echo was refused and its control accepted. */
export interface Echo {
  get: Exchange
  put: Exchange
  control?: Exchange
}

/**
 * Echoes the test user's GET body back. When the echo is refused, the control is the same body without
 * the readOnly attributes (id, meta, groups and any the server declares readOnly): only if that is
 * accepted was the refusal about them; else the server refuses its own representation for another reason.
 */
export async function echo(ctx: CheckContext, users: CheckUsers): Promise<Echo | Verdict> {
  const get = await getUser(ctx, users.ids[0])
  const body = bodyObject(get)
  // A failed precondition, not a PUT behaviour: there is nothing to echo.
  if (!body)
    return verdict(
      'skipped',
      `GET of the test user answered ${describeStatus(get)} without a JSON resource, so there was no body to echo back`,
      [get],
    )
  const put = await putUser(ctx, users.ids[0], body)
  if (is2xx(put)) return { get, put }
  const writable = Object.fromEntries(
    Object.entries(body).filter(([k]) => !READ_ONLY.has(k.toLowerCase()) && !readOnly(ctx.attribute(k))),
  )
  const control = await putUser(ctx, users.ids[0], writable)
  if (!is2xx(control))
    return refusedAnyway('echo', 'the GET body was refused with and without its readOnly attributes', put, [
      get,
      put,
      control,
    ])
  return { get, put, control }
}
