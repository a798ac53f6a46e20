import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext } from '../../run/context.ts'
import { UserLedger } from '../../run/ledger.ts'
import { getAttr } from '../compare.ts'
import { bodyObject, getUser, is2xx, statusOf } from './requests.ts'

/** What {@link findCreated} concluded about a PUT on an unknown id. */
export interface CreatedSearch {
  /** The users the PUT created, as far as the harness could tell (each one deleted again, or left in the ledger for the sweep). */
  created: { how: string } | null
  /**
   * True when a `userName eq` search was made and its answer lets the harness rule out a user it did
   * not see; false when creation cannot be ruled out (`why` says why).
   */
  ruledOut: boolean
  why: string
  exchanges: Exchange[]
}

/**
 * After a PUT on an unknown id: did it create a user? A user counts as created only on evidence that
 * it is the one this PUT sent: a GET of the unknown id answering 200 with that `id`, or a user whose
 * `userName` equals the sent one (RFC 7643 §4.1.1: "case insensitive") and who is not one of the
 * harness's own test users nor the `--user-id` user. Only what is counted is deleted, written to the
 * run's ledger first so the end-of-run sweep retries a DELETE that fails: a server that ignores the
 * filter never makes the harness touch a user it did not create.
 */
export async function findCreated(ctx: CheckContext, id: string, put: Exchange, userName: string): Promise<CreatedSearch> {
  const exchanges: Exchange[] = []
  const counted = new Map<string, string>()
  const protectedIds = ownUserIds(ctx)
  const sameUserName = (resource: unknown): boolean => {
    const name = getAttr(resource, 'userName')
    return typeof name === 'string' && name.toLowerCase() === userName.toLowerCase()
  }

  const get = await getUser(ctx, id)
  exchanges.push(get)
  if (statusOf(get) === 200 && getAttr(bodyObject(get), 'id') === id && !protectedIds.has(id)) counted.set(id, 'a GET of the id answers 200 with it')

  // A server may store the user under an id of its own and say so in the response; trusted only if that user carries the sent userName.
  const returnedId = getAttr(bodyObject(put), 'id')
  if (is2xx(put) && typeof returnedId === 'string' && returnedId !== id && !protectedIds.has(returnedId)) {
    const other = await getUser(ctx, returnedId)
    exchanges.push(other)
    const body = bodyObject(other)
    if (statusOf(other) === 200 && getAttr(body, 'id') === returnedId && sameUserName(body)) counted.set(returnedId, `the response's id ${returnedId} holds userName ${JSON.stringify(userName)}`)
  }

  let ruledOut = false
  let why = '/ServiceProviderConfig does not declare filter support, so no search for the userName was made'
  if (ctx.discovery.capabilities?.filter) {
    const list = await ctx.client.send({ method: 'GET', path: ctx.users.usersPath(), query: { filter: `userName eq "${userName.replace(/["\\]/g, '\\$&')}"` } })
    exchanges.push(list)
    const search = readSearch(list, sameUserName)
    ruledOut = search.conclusive
    why = search.why
    for (const resource of search.matches) {
      const found = getAttr(resource, 'id')
      if (typeof found === 'string' && !protectedIds.has(found) && !counted.has(found)) counted.set(found, `a search for userName ${JSON.stringify(userName)} finds id ${found}`)
    }
  }
  if (counted.size === 0) return { created: null, ruledOut, why, exchanges }

  const ledger = new UserLedger(ctx.config.reportDir, ctx.config.runId)
  const outcomes: string[] = []
  for (const [created, how] of counted) {
    ledger.created(created, userName)
    const deleted = await ctx.client.send({ method: 'DELETE', path: ctx.users.userPath(created) })
    const status = statusOf(deleted)
    // Same rule as TestUsers.remove: 2xx or 404 is gone; anything else stays in the ledger for the sweep.
    const gone = status !== null && ((status >= 200 && status < 300) || status === 404)
    if (gone) ledger.removed(created)
    outcomes.push(`${how}; ${gone ? 'deleted again' : `DELETE answered ${status ?? 'nothing'}, left to the end-of-run sweep`}`)
  }
  return { created: { how: outcomes.join('; ') }, ruledOut: true, why: '', exchanges }
}

/** Ids the harness must never delete here: its own live test users (the run's ledger) and the `--user-id` user. */
function ownUserIds(ctx: CheckContext): Set<string> {
  const ids = new Set(new UserLedger(ctx.config.reportDir, ctx.config.runId).leftovers().map((u) => u.id))
  if (ctx.config.userId !== null) ids.add(ctx.config.userId)
  return ids
}

/**
 * Reads a `userName eq` search (RFC 7644 §3.4.2 ListResponse). It is conclusive when the answer holds
 * every user that could match: the server applied the filter (every Resource matches), or it returned
 * its whole list in one page (totalResults not above the Resources given).
 */
function readSearch(list: Exchange, matches: (resource: unknown) => boolean): { matches: unknown[]; conclusive: boolean; why: string } {
  const body = bodyObject(list)
  if (statusOf(list) !== 200 || !body) return { matches: [], conclusive: false, why: `the search for the userName answered ${statusOf(list) ?? 'nothing'}${body ? '' : ' without a JSON ListResponse'}` }
  const resources = getAttr(body, 'Resources') ?? []
  const total = getAttr(body, 'totalResults')
  if (!Array.isArray(resources)) return { matches: [], conclusive: false, why: 'the search for the userName answered a body whose Resources is not an array' }
  const found = resources.filter(matches)
  const filtered = found.length === resources.length && (resources.length > 0 || !(typeof total === 'number' && total > 0))
  const whole = typeof total === 'number' && total <= resources.length
  if (filtered || whole) return { matches: found, conclusive: true, why: '' }
  return { matches: found, conclusive: false, why: `the search for the userName ignored the filter and returned one page of the users, ${resources.length} of ${typeof total === 'number' ? total : 'an unknown total'}` }
}
