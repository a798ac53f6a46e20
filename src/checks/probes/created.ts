import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import type { CheckContext } from '../context.ts'
import { getAttr } from '../compare.ts'
import { verdict, type Verdict } from '../define-check.ts'
import { bodyObject, getUser, is2xx, statusOf } from './requests.ts'

/**
 * Made-up ids for a PUT on an unknown id: random v4 UUIDs, unbiased and never shrunk. fast-check's bias and
 * shrinking lead to the same few ids (00000000-0000-4000-8000-000000000000) in every run, so runs at once
 * against one server (shards, or a server that creates a user on such a PUT) would draw the id another run's
 * PUT just created. The id's value is no part of any rule: a smaller one explains nothing.
 */
export function unknownIds(): fc.Arbitrary<string> {
  return fc.noShrink(fc.noBias(fc.uuid({ version: 4 })))
}

/**
 * The verdict when a GET of a made-up id finds a user: no PUT is sent there (the harness never writes to a
 * user it did not create), so the case never reached the rule: inconclusive, not a pass.
 */
export function unknownIdOccupied(id: string, get: Exchange): Verdict {
  const what = get.response ? `answered ${get.response.status}` : `failed (${get.error?.message})`
  return verdict(
    'inconclusive',
    `a GET of the random id ${id} ${what} instead of 404, so the harness sent no PUT there ` +
      '(it never writes to a user it did not create)',
    [get],
  )
}

/** What {@link findCreated} concluded about a PUT on an unknown id. */
export interface CreatedSearch {
  /** The users the PUT created, as far as the harness can tell (each deleted again, or left to the ledger's sweep). */
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
 * `userName` equals the sent one (RFC 7643 §4.1.1: "case insensitive"). Such a user is deleted again
 * only when the harness can adopt it as its own (see `TestUsers.adopt`: a GET shows the sent userName,
 * and the id is not one listed before the run, a test user or the `--user-id` user), written to the
 * run's ledger first: a server that ignores the filter, or answers with another user's id, never
 * makes the harness touch a user it did not create.
 */
export async function findCreated(
  ctx: CheckContext,
  id: string,
  put: Exchange,
  userName: string,
): Promise<CreatedSearch> {
  const exchanges: Exchange[] = []
  const candidates = new Map<string, string>()
  const sameUserName = (resource: unknown): boolean => {
    const name = getAttr(resource, 'userName')
    return typeof name === 'string' && name.toLowerCase() === userName.toLowerCase()
  }

  const get = await getUser(ctx, id)
  exchanges.push(get)
  if (statusOf(get) === 200 && getAttr(bodyObject(get), 'id') === id)
    candidates.set(id, 'a GET of the id answers 200 with it')

  // A server may store the user under an id of its own and say so in the response: trusted only if that user
  // carries the sent userName.
  const returnedId = getAttr(bodyObject(put), 'id')
  if (is2xx(put) && typeof returnedId === 'string' && returnedId !== id)
    candidates.set(returnedId, `the response's id ${returnedId} holds userName ${JSON.stringify(userName)}`)

  let ruledOut = false
  let why = '/ServiceProviderConfig does not declare filter support, so no search for the userName was made'
  if (ctx.discovery.capabilities?.filter) {
    const list = await ctx.client.send({
      method: 'GET',
      path: ctx.users.usersPath(),
      query: { filter: `userName eq "${userName.replace(/["\\]/g, '\\$&')}"` },
    })
    exchanges.push(list)
    const search = readSearch(list, sameUserName)
    ruledOut = search.conclusive
    why = search.why
    for (const resource of search.matches) {
      const found = getAttr(resource, 'id')
      if (typeof found === 'string' && !candidates.has(found))
        candidates.set(found, `a search for userName ${JSON.stringify(userName)} finds id ${found}`)
    }
  }
  const outcomes: string[] = []
  for (const [created, how] of candidates) {
    // Users that existed before (listed before the run, test users, --user-id) were not created by this PUT.
    if (created !== id && ctx.users.isKnown(created)) continue
    // Deleted only when adopted with evidence (the sent userName, an id never seen before); nothing else is touched.
    const adopted = await ctx.users.adopt(created, userName)
    const outcome = adopted ? await ctx.users.removeOne(created) : null
    const fate =
      outcome === 'removed'
        ? 'deleted again'
        : outcome === null
          ? 'left in place: a GET does not show the sent userName, so the harness does not delete it'
          : `not deleted (${outcome}), left to the end-of-run sweep`
    outcomes.push(`${how}; ${fate}`)
  }
  if (outcomes.length === 0) return { created: null, ruledOut, why, exchanges }
  return { created: { how: outcomes.join('; ') }, ruledOut: true, why: '', exchanges }
}

/**
 * Reads a `userName eq` search (RFC 7644 §3.4.2 ListResponse). It is conclusive when the answer holds
 * every user that could match: the server applied the filter (every Resource matches), or it returned
 * its whole list in one page (totalResults not above the Resources given).
 */
function readSearch(
  list: Exchange,
  matches: (resource: unknown) => boolean,
): { matches: unknown[]; conclusive: boolean; why: string } {
  const body = bodyObject(list)
  if (statusOf(list) !== 200 || !body)
    return {
      matches: [],
      conclusive: false,
      why:
        `the search for the userName answered ${statusOf(list) ?? 'nothing'}` +
        (body ? '' : ' without a JSON ListResponse'),
    }
  const resources = getAttr(body, 'Resources') ?? []
  const total = getAttr(body, 'totalResults')
  if (!Array.isArray(resources))
    return {
      matches: [],
      conclusive: false,
      why: 'the search for the userName answered a body whose Resources is not an array',
    }
  const found = resources.filter(matches)
  const filtered =
    found.length === resources.length && (resources.length > 0 || !(typeof total === 'number' && total > 0))
  const whole = typeof total === 'number' && total <= resources.length
  if (filtered || whole) return { matches: found, conclusive: true, why: '' }
  return {
    matches: found,
    conclusive: false,
    why:
      'the search for the userName ignored the filter and returned one page of the users, ' +
      `${resources.length} of ${typeof total === 'number' ? total : 'an unknown total'}`,
  }
}
