import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext } from '../../run/context.ts'
import { bodyObject, getUser, is2xx, statusOf } from './requests.ts'

/** After a PUT on an unknown id: did it create a user? Cleans up what it finds (the target is left as it was found). */
export async function findCreated(ctx: CheckContext, id: string, put: Exchange, userName: string): Promise<{ how: string; exchanges: Exchange[] } | null> {
  const exchanges: Exchange[] = []
  const ids = new Set<string>()
  const get = await getUser(ctx, id)
  exchanges.push(get)
  if (statusOf(get) === 200) ids.add(id)
  const returnedId = bodyObject(put)?.id
  if (is2xx(put) && typeof returnedId === 'string' && returnedId !== id) {
    const other = await getUser(ctx, returnedId)
    exchanges.push(other)
    if (statusOf(other) === 200) ids.add(returnedId)
  }
  if (ctx.discovery.capabilities?.filter) {
    const list = await ctx.client.send({ method: 'GET', path: ctx.users.usersPath(), query: { filter: `userName eq "${userName.replace(/["\\]/g, '\\$&')}"` } })
    exchanges.push(list)
    const resources = bodyObject(list)?.Resources
    if (Array.isArray(resources)) for (const r of resources) if (r && typeof r.id === 'string') ids.add(r.id)
  }
  if (ids.size === 0) return null
  for (const created of ids) await ctx.client.send({ method: 'DELETE', path: ctx.users.userPath(created) })
  return { how: `found by ${[...ids].map((i) => `id ${i}`).join(', ')}; deleted again`, exchanges }
}

