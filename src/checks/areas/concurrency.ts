import fc from 'fast-check'
import { mix } from '../../generate/mix-seed.ts'
import { minimalScimUser, userName as userNames } from '../../generate/scim-user.ts'
import type { SendOptions } from '../../http/client.ts'
import type { Exchange } from '../../http/exchange.ts'
import { differs, getAttr, isUnassigned } from '../compare.ts'
import { type CheckContext, type CheckUsers, type PostedUser, testUserPrefix } from '../context.ts'
import { defineCheck } from '../define-check.ts'
import type { AttributeDiff } from '../types.ts'
import { type Control, describeRefusal, sendControl } from '../probes/attribution.ts'
import { ownState } from '../probes/own-state.ts'
import { fullPayloads, learnedConstraints, validPayloads } from '../probes/payloads.ts'
import { type Attempt, attemptsOf, fireTogether, type RaceStep, racing, repeatRace } from '../probes/race.ts'
import {
  bodyObject,
  describeStatus,
  getUser,
  is2xx,
  noResponse,
  putUser,
  scimTypeOf,
  statusOf,
} from '../probes/requests.ts'

type Body = Record<string, unknown>
type Progress = NonNullable<SendOptions['onProgress']>

/**
 * Concurrent writers (issue 14): requests fired at the same instant on separate connections, each race
 * repeated (bounded by --runs) and judged attempt by attempt. Each check owns the race-only part of its
 * rule: when the same requests sent one after the other break the rule too, the sequential check owns
 * that (put.uniqueness.*, put.etag.stale-if-match-412) and the attempt is not judged here.
 */

/** Attempts per race, before --runs: enough that a check-then-write window of a tick is found in nearly every run. */
const ATTEMPTS = { rename: 15, post: 10, ifMatch: 15, wholeBody: 10 }
/** PUTs fired at once at one user by put.concurrency.whole-body. */
const WRITERS = 3

const UNIQUE_RULE =
  'RFC 7643 §4.1.1: userName "MUST be unique across the service provider\'s entire set of Users. This attribute is' +
  ' REQUIRED and is case insensitive."'

/** The prefix validPayloads gives the check in progress: the run's mark, and a tag of the check. */
function namePrefix(ctx: CheckContext): string {
  return `${testUserPrefix(ctx.run.runId)}${mix(0, ctx.checkId).toString(36).slice(0, 5)}-`
}

/** Fresh userNames of the check in progress, within the server's learned constraints. */
function freshNames(ctx: CheckContext): fc.Arbitrary<string> {
  const prefix = namePrefix(ctx)
  return userNames(ctx.profile, { ...learnedConstraints(ctx, prefix), userNamePrefix: prefix })
}

/**
 * One input per attempt, drawn from the check's own seed (the run's seed mixed with the check id, as the
 * runner reports it), so `--seed` replays the same values; never shrunk: a race is made smaller by luck only.
 */
function perAttempt<T>(ctx: CheckContext, attempts: number, one: fc.Arbitrary<T>): T[] {
  return fc.sample(one, { seed: mix(ctx.run.seed, ctx.checkId), numRuns: attemptsOf(ctx, attempts) })
}

const put = (ctx: CheckContext, id: string, json: unknown, headers?: Record<string, string>): SendOptions => ({
  method: 'PUT',
  path: ctx.users.userPath(id),
  json,
  contentType: ctx.profile.requestMediaType,
  ...(headers ? { headers } : {}),
})

/** userName comparison of RFC 7643 §4.1.1: case insensitive. */
const sameName = (a: unknown, b: string) =>
  typeof a === 'string' && a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase()
const userNameOf = (e: Exchange | null) => (e ? getAttr(bodyObject(e), 'userName') : undefined)
/** A GET that shows the user holding `name`. */
const holds = (get: Exchange | null, name: string) =>
  get !== null && statusOf(get) === 200 && sameName(userNameOf(get), name)
const shown = (get: Exchange) =>
  statusOf(get) === 200 ? `200, userName ${JSON.stringify(userNameOf(get) ?? null)}` : describeStatus(get)
/** A refusal that says the userName is taken: 409 (RFC 7644 §3.12 Table 8), or scimType uniqueness (Table 9). */
const conflict = (e: Exchange) => statusOf(e) === 409 || scimTypeOf(e) === 'uniqueness'

const apart = (what: string, exchanges: Exchange[]): Attempt => ({
  outcome: 'untested',
  apart: true,
  why: `${what} were never in flight together (--concurrency or --rate kept them apart): nothing raced`,
  exchanges,
})

/** One racer of a race for a userName: its request, and the same request alone with a fresh userName. */
interface Racer {
  label: string
  exchange: Exchange
  control: () => Promise<Control>
}

/**
 * A race for one userName that stored no duplicate: held when every refusal said the name was taken, or
 * (other status) the same request with a fresh userName alone is accepted; else a refusal of the server's
 * own (the control refused too) left nothing to race for.
 */
async function settleNameRace(racers: Racer[], exchanges: Exchange[], anyHolds: boolean): Promise<Attempt> {
  const how = racers.map((r) => `${r.label} ${describeStatus(r.exchange)}`).join(' + ')
  // A success that stored no userName raced for nothing: what a 2xx stores is put.replace.*'s to judge.
  if (!anyHolds && racers.some((r) => is2xx(r.exchange)))
    return {
      outcome: 'untested',
      why: `${how}, and no user holds the userName after them: nothing was stored to race for`,
      exchanges,
    }
  const unexplained = racers.find((r) => !is2xx(r.exchange) && !conflict(r.exchange))
  if (!unexplained) return { outcome: 'held', how, exchanges }
  const { control, accepted } = await unexplained.control()
  if (accepted) return { outcome: 'held', how: `${how} (alone, with a fresh userName: accepted)`, exchanges }
  return {
    outcome: 'untested',
    why:
      `the ${unexplained.label} answered ${describeRefusal(unexplained.exchange)}, and the same request with a fresh` +
      ` userName alone was refused too (${describeStatus(control)}): a constraint of the server's own, no race`,
    exchanges: [...exchanges, control],
    traits: { 'constraint.userName': describeRefusal(control) },
  }
}

/**
 * Two PUTs fired at the same instant give two test users one new userName: at most one may store it.
 * A lost race is confirmed by the same renames sent one after the other with another fresh userName:
 * refused then, the uniqueness check is only not atomic (this rule); accepted, put.uniqueness.* owns it.
 */
export const usernameRace = defineCheck({
  id: 'put.concurrency.username-race',
  title: 'Two PUTs racing to give two users one new userName: at most one user holds it',
  level: 'MUST',
  source: 'RFC 7643 §4.1.1; RFC 7644 §3.12',
  area: 'concurrency',
  rule:
    `${UNIQUE_RULE} Two PUTs that give two users the same new userName at the same instant: at most one may` +
    ' store it, the other is refused (RFC 7644 §3.12: 409 uniqueness).',
  users: 2,
  run: (ctx, users) => {
    const names = perAttempt(ctx, ATTEMPTS.rename, fc.tuple(freshNames(ctx), freshNames(ctx)))
    return repeatRace(
      ctx,
      {
        attempts: names.length,
        what: 'two PUTs giving two users one new userName',
        ids: { U1: users.ids[0], U2: users.ids[1] },
      },
      (i) => renameAttempt(ctx, users, names[i][0], names[i][1]),
    )
  },
})

async function renameAttempt(ctx: CheckContext, users: CheckUsers, name: string, fresh: string): Promise<Attempt> {
  const [u1, u2] = users.ids
  const renamed = (i: number, to: string) => ({ ...ownState(ctx, users, i), userName: to })
  const { results: puts, together } = await fireTogether(
    users.ids.map((id, i) => racing(ctx, put(ctx, id, renamed(i, name)))),
  )
  noResponse(puts)
  if (together === false) return apart('the two PUTs', puts)
  const gets = [await getUser(ctx, u1), await getUser(ctx, u2)]
  noResponse(gets)
  const exchanges = [...puts, ...gets]
  if (!(holds(gets[0], name) && holds(gets[1], name)))
    return settleNameRace(
      puts.map((exchange, i) => ({
        label: `PUT of user ${i + 1}`,
        exchange,
        control: () => sendControl(() => putUser(ctx, users.ids[i], renamed(i, fresh))),
      })),
      exchanges,
      holds(gets[0], name) || holds(gets[1], name),
    )
  // Both hold it. The same two renames one after the other, to another fresh userName: is the check only not atomic?
  const first = await putUser(ctx, u1, renamed(0, fresh))
  const second = await putUser(ctx, u2, renamed(1, fresh))
  noResponse([first, second])
  const alone = [first, second]
  if (!is2xx(first) || is2xx(second))
    return {
      outcome: 'untested',
      why: is2xx(second)
        ? `both users hold ${JSON.stringify(name)}, and the same renames sent one after the other stored a duplicate` +
          ' too: not a race (put.uniqueness.username-conflict judges a duplicate stored)'
        : `both users hold ${JSON.stringify(name)}, but the control rename alone answered ${describeRefusal(first)}`,
      exchanges: [...exchanges, ...alone],
    }
  const race = (u: string) => `PUT /Users/$${u} renaming it to ${JSON.stringify(name)}`
  const atMostOne = 'at most one of the two racing PUTs succeeds; the other is refused with 409 uniqueness'
  const oneHolds = `at most one of the two users holds ${JSON.stringify(name)}`
  const steps: RaceStep[] = [
    {
      exchange: puts[0],
      action: race('U1'),
      expected: atMostOne,
      received: describeStatus(puts[0]),
      parallel: true,
    },
    {
      exchange: puts[1],
      action: race('U2'),
      expected: atMostOne,
      received: describeStatus(puts[1]),
      parallel: true,
    },
    { exchange: gets[0], action: 'GET /Users/$U1', expected: oneHolds, received: shown(gets[0]) },
    { exchange: gets[1], action: 'GET /Users/$U2', expected: oneHolds, received: shown(gets[1]) },
    {
      exchange: first,
      action: `PUT /Users/$U1 renaming it to ${JSON.stringify(fresh)}, alone`,
      expected: '200: the userName is free',
      received: describeStatus(first),
    },
    {
      exchange: second,
      action: `PUT /Users/$U2 renaming it to ${JSON.stringify(fresh)}, after it`,
      expected: '409 uniqueness: $U1 holds it',
      received: describeRefusal(second),
    },
  ]
  return {
    outcome: 'lost',
    finding: {
      received:
        `${describeStatus(puts[0])} and ${describeStatus(puts[1])} for two PUTs fired at once, and both users` +
        ` now hold userName ${JSON.stringify(name)}; the same renames one after the other are refused` +
        ` (${describeStatus(second)})`,
      expected:
        `one user holds ${JSON.stringify(name)}, the other PUT is refused with 409 uniqueness` +
        ' (RFC 7643 §4.1.1; RFC 7644 §3.12)',
      fix: 'Make the uniqueness check and the write one atomic step (a unique index on the lower-cased userName).',
    },
    steps,
  }
}

/**
 * A PUT that renames a test user races a POST that creates a user with the same userName: at most one of
 * them may hold it. The POST goes through the pool's ledger, and the user it creates is deleted after.
 */
export const usernameRacePost = defineCheck({
  id: 'put.concurrency.username-race-post',
  title: 'A PUT and a POST racing for one new userName: at most one user holds it',
  level: 'MUST',
  source: 'RFC 7643 §4.1.1; RFC 7644 §3.12',
  area: 'concurrency',
  rule:
    `${UNIQUE_RULE} A PUT that renames a user and a POST that creates one with the same userName, at the same` +
    ' instant: at most one may store it, the other is refused (RFC 7644 §3.12: 409 uniqueness).',
  users: 1,
  run: (ctx, users) => {
    const minimal = minimalScimUser(ctx.profile, { userNamePrefix: namePrefix(ctx) })
    const inputs = perAttempt(ctx, ATTEMPTS.post, fc.tuple(freshNames(ctx), freshNames(ctx), minimal))
    return repeatRace(
      ctx,
      { attempts: inputs.length, what: 'a PUT and a POST for one new userName', ids: { U1: users.ids[0] } },
      (i) => postAttempt(ctx, users, ...inputs[i], i % 2 === 1),
    )
  },
})

async function postAttempt(
  ctx: CheckContext,
  users: CheckUsers,
  name: string,
  fresh: string,
  minimal: Body,
  postFirst: boolean,
): Promise<Attempt> {
  const id = users.ids[0]
  const renamed = (to: string) => ({ ...ownState(ctx, users), userName: to })
  const created: string[] = []
  const post = async (to: string, onProgress?: SendOptions['onProgress']): Promise<PostedUser | null> => {
    const posted = await ctx.users.postUser({ ...minimal, userName: to }, onProgress ? { onProgress } : {})
    if (posted?.id) created.push(posted.id)
    return posted
  }
  try {
    // Every other attempt starts the POST first: a window in one path only is found when that path goes first.
    const starts = [racing(ctx, put(ctx, id, renamed(name))), (onProgress: Progress) => post(name, onProgress)]
    const fired = await fireTogether<Exchange | PostedUser | null>(postFirst ? starts.reverse() : starts)
    if (postFirst) fired.results.reverse()
    const [putExchange, posted] = fired.results as [Exchange, PostedUser | null]
    if (posted === null)
      return {
        outcome: 'skipped',
        why: 'Skipped: the harness creates no user in this run (--user-id), so no POST can race.',
      }
    noResponse([putExchange, posted.exchange])
    const raced = [putExchange, posted.exchange]
    if (fired.together === false) return apart('the PUT and the POST', raced)
    if (is2xx(posted.exchange) && posted.id === null)
      return {
        outcome: 'untested',
        why: `the POST answered ${describeStatus(posted.exchange)} without a new user of its own to read`,
        exchanges: raced,
      }
    const getPut = await getUser(ctx, id)
    const getNew = posted.id === null ? null : await getUser(ctx, posted.id)
    noResponse([getPut, ...(getNew ? [getNew] : [])])
    const exchanges = [...raced, getPut, ...(getNew ? [getNew] : [])]
    if (!(holds(getPut, name) && holds(getNew, name)))
      return settleNameRace(
        [
          {
            label: 'PUT',
            exchange: putExchange,
            control: () => sendControl(() => putUser(ctx, id, renamed(fresh))),
          },
          {
            label: 'POST',
            exchange: posted.exchange,
            control: async () => {
              const alone = await post(fresh)
              return { control: alone?.exchange ?? posted.exchange, accepted: alone?.id != null }
            },
          },
        ],
        exchanges,
        holds(getPut, name) || holds(getNew, name),
      )
    // Both hold it. The same PUT, then the same POST, one after the other: is the check only not atomic?
    const first = await putUser(ctx, id, renamed(fresh))
    noResponse([first])
    const second = is2xx(first) ? await post(fresh) : null
    if (second) noResponse([second.exchange])
    const alone = [first, ...(second ? [second.exchange] : [])]
    if (!second || second.id !== null)
      return {
        outcome: 'untested',
        why: second
          ? `both users hold ${JSON.stringify(name)}, and a POST of a userName a user holds is accepted even one` +
            ' after the other: not a race (no check of PUT judges POST; see the trait uniqueness.post)'
          : `both users hold ${JSON.stringify(name)}, but the control PUT alone answered ${describeRefusal(first)}`,
        exchanges: [...exchanges, ...alone],
        ...(second
          ? {
              traits: { 'uniqueness.post': `${describeStatus(second.exchange)} for a POST of a userName a user holds` },
            }
          : {}),
      }
    const atMostOne = 'at most one of the PUT and the POST succeeds; the other is refused with 409 uniqueness'
    const oneHolds = `at most one user holds ${JSON.stringify(name)}`
    const steps: RaceStep[] = [
      {
        exchange: putExchange,
        action: `PUT /Users/$U1 renaming it to ${JSON.stringify(name)}`,
        expected: atMostOne,
        received: describeStatus(putExchange),
        parallel: true,
      },
      {
        exchange: posted.exchange,
        action: `POST /Users creating a user with userName ${JSON.stringify(name)}`,
        expected: atMostOne,
        received: describeStatus(posted.exchange),
        parallel: true,
      },
      { exchange: getPut, action: 'GET /Users/$U1', expected: oneHolds, received: shown(getPut) },
      {
        exchange: getNew!,
        action: 'GET /Users/$NEW (the user the POST created)',
        expected: oneHolds,
        received: shown(getNew!),
      },
      {
        exchange: first,
        action: `PUT /Users/$U1 renaming it to ${JSON.stringify(fresh)}, alone`,
        expected: '200: the userName is free',
        received: describeStatus(first),
      },
      {
        exchange: second.exchange,
        action: `POST /Users with userName ${JSON.stringify(fresh)}, after it`,
        expected: '409 uniqueness: $U1 holds it',
        received: describeRefusal(second.exchange),
      },
    ]
    return {
      outcome: 'lost',
      finding: {
        received:
          `PUT ${describeStatus(putExchange)} and POST ${describeStatus(posted.exchange)} fired at once, and` +
          ` two users now hold userName ${JSON.stringify(name)}; one after the other, the POST is refused` +
          ` (${describeStatus(second.exchange)})`,
        expected:
          `one user holds ${JSON.stringify(name)}, the other request is refused with 409 uniqueness` +
          ' (RFC 7643 §4.1.1; RFC 7644 §3.12)',
        fix: 'Make the uniqueness check and the write one atomic step, for PUT and POST alike (a unique index).',
      },
      steps,
      ids: { NEW: posted.id! },
    }
  } finally {
    for (const user of created) await ctx.users.removeOne(user)
  }
}

/** SCIM-PUT-RULES 17: ETag checks run only when /ServiceProviderConfig declares etag.supported. */
function etagSkip(ctx: CheckContext): string | null {
  if (!ctx.discovery.capabilities) return '/ServiceProviderConfig is unavailable, so ETag support is unknown'
  return ctx.discovery.capabilities.etag ? null : '/ServiceProviderConfig does not declare etag.supported true'
}
const etagOf = (e: Exchange): string | undefined => e.response?.headers.etag
/** Answers to a PUT whose If-Match no longer matches: 412 (RFC 7644 §3.14), or 409 (Table 8: a version conflict). */
const preconditionFailed = (e: Exchange) => statusOf(e) === 412 || statusOf(e) === 409

/**
 * Two PUTs of different bodies carrying the same current If-Match, at the same instant: the first to be
 * performed changes the version, so the other's precondition is false and it MUST NOT be performed (the
 * lost update). A lost race is confirmed by a PUT alone with the now stale ETag: refused, If-Match is
 * evaluated but not atomically with the write (this rule); accepted, put.etag.stale-if-match-412 owns it.
 */
export const ifMatchRace = defineCheck({
  id: 'put.concurrency.if-match-race',
  title: 'Two PUTs racing with the same current If-Match: at most one succeeds, the other 412',
  level: 'MUST',
  source: 'RFC 7644 §3.14; RFC 9110 §13.1.1',
  area: 'concurrency',
  rule:
    'RFC 9110 §13.1.1: an origin server MUST NOT perform the requested method if the If-Match condition evaluates' +
    ' to false (If-Match prevents the "lost update" of parallel writers). Two PUTs with the same current ETag:' +
    ' once one is performed the other no longer matches, so at most one succeeds; the other answers 412.',
  skipIf: etagSkip,
  users: 1,
  run: (ctx, users) => {
    // Two valid bodies (different userNames): each changes the user, so each changes its version.
    const pairs = perAttempt(ctx, ATTEMPTS.ifMatch, fc.tuple(validPayloads(ctx), validPayloads(ctx)))
    return repeatRace(
      ctx,
      { attempts: pairs.length, what: 'two PUTs with the same current If-Match', ids: { U1: users.ids[0] } },
      (i) => ifMatchAttempt(ctx, users.ids[0], pairs[i]),
    )
  },
})

async function ifMatchAttempt(ctx: CheckContext, id: string, bodies: Body[]): Promise<Attempt> {
  const before = await getUser(ctx, id)
  noResponse([before])
  const tag = etagOf(before)
  if (!tag)
    return {
      outcome: 'untested',
      why: 'the GET carries no ETag to send (put.etag.header judges that)',
      exchanges: [before],
    }
  const { results: puts, together } = await fireTogether(
    bodies.map((body) => racing(ctx, put(ctx, id, body, { 'if-match': tag }))),
  )
  noResponse(puts)
  if (together === false) return apart('the two conditional PUTs', [before, ...puts])
  const after = await getUser(ctx, id)
  noResponse([after])
  const exchanges = [before, ...puts, after]
  const how = puts.map(describeStatus).join(' + ')
  const succeeded = puts.filter(is2xx)
  if (succeeded.length === 1) {
    const loser = puts.find((p) => !is2xx(p))!
    if (preconditionFailed(loser)) return { outcome: 'held', how, exchanges }
    const { control, accepted } = await sendControl(() => putUser(ctx, id, bodies[puts.indexOf(loser)]))
    if (accepted) return { outcome: 'held', how: `${how} (the body alone, without If-Match: accepted)`, exchanges }
    return {
      outcome: 'untested',
      why:
        `one conditional PUT answered ${describeRefusal(loser)}, and its body alone without If-Match was refused` +
        ` too (${describeStatus(control)}): a constraint of the server's own, no race`,
      exchanges: [...exchanges, control],
      traits: { 'constraint.put-body': describeRefusal(control) },
    }
  }
  if (succeeded.length === 0)
    return {
      outcome: 'untested',
      why:
        `both PUTs carrying the current ETag ${tag} were refused (${how}): none succeeded to race` +
        ' (put.etag.current-if-match judges a refused current If-Match)',
      exchanges,
    }
  const now = etagOf(after)
  if (!now || now === tag)
    return {
      outcome: 'untested',
      why:
        `both PUTs succeeded, but the ETag is ${now ? 'still' : 'gone, was'} ${tag} after them: no version to race` +
        ' for (put.etag.changes judges that)',
      exchanges,
    }
  // Both succeeded: a PUT alone with the ETag the race made stale tells a race from If-Match not enforced at all.
  const stale = await putUser(ctx, id, bodies[0], { headers: { 'if-match': tag } })
  noResponse([stale])
  if (!preconditionFailed(stale))
    return {
      outcome: 'untested',
      why:
        `both conditional PUTs succeeded, and a PUT alone with the stale ETag ${tag} answered` +
        ` ${describeStatus(stale)}` +
        ' too: not a race (put.etag.stale-if-match-412 judges a stale If-Match)',
      exchanges: [...exchanges, stale],
    }
  const expected = 'one of the two succeeds; the other answers 412 Precondition Failed: the ETag changed with the first'
  const steps: RaceStep[] = [
    { exchange: before, action: 'GET /Users/$U1', expected: '200 with an ETag', received: `200, ETag ${tag}` },
    ...puts.map((p, i) => ({
      exchange: p,
      action: `PUT /Users/$U1 with If-Match ${tag}, body ${i + 1} (userName ${JSON.stringify(bodies[i].userName)})`,
      expected,
      received: `${describeStatus(p)}${etagOf(p) ? `, ETag ${etagOf(p)}` : ''}`,
      parallel: true,
    })),
    {
      exchange: after,
      action: 'GET /Users/$U1',
      expected: 'the user as the one successful PUT left it',
      received: `${shown(after)}, ETag ${now}`,
    },
    {
      exchange: stale,
      action: `PUT /Users/$U1 with If-Match ${tag} again, alone`,
      expected: '412: the ETag is stale',
      received: describeRefusal(stale),
    },
  ]
  return {
    outcome: 'lost',
    finding: {
      received:
        `${how} for two PUTs of different bodies fired at once with the same If-Match ${tag}: both were performed,` +
        ` so one replace was lost (the user shows userName ${JSON.stringify(userNameOf(after) ?? null)});` +
        ` alone, a PUT with that ETag is refused (${describeStatus(stale)})`,
      expected:
        'one PUT succeeds and the other answers 412 Precondition Failed (RFC 9110 §13.1.1: the method MUST NOT be' +
        ' performed when If-Match no longer matches; RFC 7644 §3.14)',
      fix: 'Compare If-Match with the version and write in one atomic step (a compare-and-set on the version).',
    },
    steps,
  }
}

/**
 * N PUTs of different whole bodies to one user at the same instant: each replace is whole (RFC 7644
 * §3.5.1), so afterwards the user equals one of the bodies, never attributes of one and of another.
 * Judged on the attributes every accepted body provides with different values, each stored value traced
 * to the body it came from; values that match no body are the replace checks' to judge, not a mix.
 */
export const wholeBody = defineCheck({
  id: 'put.concurrency.whole-body',
  title: 'PUTs racing on one user leave one of their bodies whole, never a mix of two',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'concurrency',
  rule:
    'RFC 7644 §3.5.1: "Any values provided SHALL replace the existing attribute values." A PUT replaces the' +
    ' whole resource: after PUTs of different bodies at the same instant, the user equals one of them, never' +
    ' some attributes of one body and some of another.',
  users: 1,
  run: (ctx, users) => {
    const bodies = fc.array(fullPayloads(ctx), { minLength: WRITERS, maxLength: WRITERS })
    const sets = perAttempt(ctx, ATTEMPTS.wholeBody, bodies)
    return repeatRace(
      ctx,
      { attempts: sets.length, what: `${WRITERS} PUTs of different bodies to one user`, ids: { U1: users.ids[0] } },
      (i) => wholeBodyAttempt(ctx, users.ids[0], sets[i]),
    )
  },
})

/** Top-level names that are not user data a PUT replaces. */
const NOT_DATA = new Set(['schemas', 'id', 'meta', 'groups', 'password'])

async function wholeBodyAttempt(ctx: CheckContext, id: string, bodies: Body[]): Promise<Attempt> {
  const { results: puts, together } = await fireTogether(bodies.map((body) => racing(ctx, put(ctx, id, body))))
  noResponse(puts)
  if (together === false) return apart(`the ${bodies.length} PUTs`, puts)
  const after = await getUser(ctx, id)
  noResponse([after])
  const exchanges = [...puts, after]
  const how = puts.map(describeStatus).join(' + ')
  const accepted = bodies.map((_, i) => i).filter((i) => is2xx(puts[i]))
  if (accepted.length < 2) {
    const refused = puts.find((p) => !is2xx(p))!
    return {
      outcome: 'untested',
      why:
        `only ${accepted.length} of ${bodies.length} PUTs ${accepted.length === 1 ? 'was' : 'were'} accepted` +
        ` (${describeRefusal(refused)}): no replaces raced`,
      exchanges,
    }
  }
  if (statusOf(after) !== 200)
    return { outcome: 'untested', why: `the GET after the PUTs answered ${describeStatus(after)}`, exchanges }
  const stored = bodyObject(after)
  const sources = traceSources(
    ctx,
    accepted.map((i) => bodies[i]),
    stored,
  ).map((s) => ({
    ...s,
    from: s.from.map((k) => accepted[k]),
  }))
  if (sources.length < 2)
    return {
      outcome: 'untested',
      why: 'the stored user shows fewer than two attributes that tell the accepted bodies apart',
      exchanges,
    }
  const common = sources.reduce((acc, s) => acc.filter((i) => s.from.includes(i)), accepted)
  if (common.length > 0) return { outcome: 'held', how, exchanges }
  const byBody = new Map<number, string[]>()
  for (const s of sources) byBody.set(s.from[0], [...(byBody.get(s.from[0]) ?? []), s.attribute])
  const named = (names: string[]) =>
    names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`
  const parts = [...byBody]
    .sort((a, b) => a[1].length - b[1].length)
    .map(([i, names]) => `${named(names)} from PUT ${i + 1}`)
  const diff: AttributeDiff[] = sources.map((s) => ({
    attribute: s.attribute,
    sent: getAttr(bodies[s.from[0]], s.attribute),
    stored: getAttr(stored, s.attribute),
    note: `the value of PUT ${s.from.map((i) => i + 1).join(' or ')}`,
  }))
  const expected = 'the user as one whole body leaves it (each PUT replaces the whole user)'
  const steps: RaceStep[] = [
    ...puts.map((p, i) => ({
      exchange: p,
      action: `PUT /Users/$U1 with body ${i + 1} (userName ${JSON.stringify(bodies[i].userName)})`,
      expected,
      received: describeStatus(p),
      parallel: true,
    })),
    {
      exchange: after,
      action: 'GET /Users/$U1',
      expected: `the user equals one of bodies ${accepted.map((i) => i + 1).join(', ')} whole`,
      received: parts.join('; '),
    },
  ]
  return {
    outcome: 'lost',
    finding: {
      received: `${how} for ${bodies.length} PUTs fired at once, and the user now shows ${parts.join(' and ')}`,
      expected: 'the user as one of the accepted PUTs left it, whole (RFC 7644 §3.5.1: a PUT replaces the resource)',
      fix: "Apply a PUT's attributes in one transaction, or hold the user for the whole replace.",
    },
    steps,
    diff,
  }
}

/**
 * For each attribute every body provides with a value no other body has, which bodies (indexes) the
 * stored value matches by SCIM's comparison rules; attributes whose stored value matches none are left out.
 */
function traceSources(ctx: CheckContext, bodies: Body[], stored: Body | null): { attribute: string; from: number[] }[] {
  const names = Object.keys(bodies[0]).filter((name) => !NOT_DATA.has(name.toLowerCase()))
  const out: { attribute: string; from: number[] }[] = []
  for (const name of names) {
    const values = bodies.map((b) => getAttr(b, name))
    if (values.some(isUnassigned)) continue
    const distinct = values.every((v, i) =>
      values.every((w, j) => i === j || (differs(v, w, name, ctx.attribute) && differs(w, v, name, ctx.attribute))),
    )
    if (!distinct) continue
    const from = values.flatMap((v, i) => (differs(v, getAttr(stored, name), name, ctx.attribute) === null ? [i] : []))
    if (from.length > 0) out.push({ attribute: name, from })
  }
  return out
}

export const CONCURRENCY_CHECKS = [usernameRace, usernameRacePost, ifMatchRace, wholeBody]
