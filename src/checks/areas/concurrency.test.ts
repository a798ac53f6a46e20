import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Answer,
  fakeContext,
  judgeCase,
  scimError,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import type { CheckDefinition } from '../define-check.ts'
import { ifMatchRace, usernameRace, usernameRacePost, wholeBody } from './concurrency.ts'

let profile: VendorProfile
beforeAll(async () => {
  profile = await loadProfile({ vendor: 'generic', validate: false })
})

type Body = Record<string, unknown>

/**
 * A scripted Users endpoint whose faults can be race-only: the fake answers requests one at a time, so a
 * racing request (one that carries `onProgress`, i.e. was fired with others) is let through where a real
 * server with a check-then-write window would let it through. `'race'` breaks the rule for racing requests
 * only, `'always'` for every request, `'never'` keeps it.
 */
interface Model {
  /** userName uniqueness (409 uniqueness) broken. @defaultValue 'never' */
  duplicates?: 'never' | 'race' | 'always'
  /** If-Match (412) not evaluated. @defaultValue 'never' */
  ifMatchIgnored?: 'never' | 'race' | 'always'
  /** Racing PUTs after the first store only their userName: the user ends a mix. */
  mixes?: boolean
  /** A PUT answers 200 but keeps the stored userName. */
  keepsUserName?: boolean
  /** Tells the request's progress as the client would: `apart` as if --concurrency 1 kept the requests apart. */
  progress?: 'apart'
  /** Alters an answer (a constraint, a 5xx) before it goes out; undefined keeps it. */
  change?: (r: SendOptions, correct: Answer) => Answer | undefined
}

function modelServer(users: Record<string, Body>, model: Model = {}) {
  const versions: Record<string, number> = {}
  let posted = 0
  let clock = 0
  let racingPuts = 0
  const broken = (mode: Model['duplicates'], r: SendOptions) =>
    mode === 'always' || (mode === 'race' && r.onProgress !== undefined)
  const tag = (id: string) => `W/"${versions[id] ?? 1}"`
  const taken = (name: unknown, except?: string) =>
    Object.entries(users).some(
      ([id, u]) => id !== except && String(u.userName).toLowerCase() === String(name).toLowerCase(),
    )
  const answer = (r: SendOptions): Answer => {
    const id = /\/Users\/([^/?]+)/.exec(r.path)?.[1]
    const sent = (r.json ?? {}) as Body
    const { id: _i, meta: _m, groups: _g, ...data } = sent
    if (!id && r.method === 'POST') {
      if (taken(sent.userName) && !broken(model.duplicates, r)) return scimError(409, 'uniqueness')
      const created = `p${++posted}`
      users[created] = { ...data, id: created }
      return { status: 201, body: users[created] }
    }
    if (!id || !users[id]) return scimError(404)
    if (r.method === 'GET') return { status: 200, body: users[id], headers: { etag: tag(id) } }
    if (r.method === 'DELETE') {
      delete users[id]
      return { status: 204 }
    }
    const ifMatch = r.headers?.['if-match']
    if (ifMatch !== undefined && ifMatch !== tag(id) && !broken(model.ifMatchIgnored, r)) return scimError(412)
    if (taken(sent.userName, id) && !broken(model.duplicates, r)) return scimError(409, 'uniqueness')
    const racing = r.onProgress !== undefined
    if (model.mixes && racing && racingPuts++ % 3 !== 0) users[id] = { ...users[id], userName: sent.userName }
    else users[id] = { ...data, id, ...(model.keepsUserName ? { userName: users[id].userName } : {}) }
    versions[id] = (versions[id] ?? 1) + 1
    return { status: 200, body: users[id], headers: { etag: tag(id) } }
  }
  return (r: SendOptions): Answer => {
    if (model.progress === 'apart') {
      r.onProgress?.('sent', clock++)
      r.onProgress?.('answered', clock++)
    }
    const correct = answer(r)
    return model.change?.(r, correct) ?? correct
  }
}

/** Runs the check's one case (its attempts, --runs 5 in the fake) on the model server. */
async function run<C>(check: CheckDefinition<C>, model: Model = {}, tweak?: (ctx: CheckContext) => CheckContext) {
  const stored = { u1: storedUser('u1'), u2: storedUser('u2') }
  const serve = modelServer(stored, model)
  const etag = check.id === ifMatchRace.id
  const base = fakeContext({
    profile,
    checkId: check.id,
    serve,
    serviceProviderConfig: etag ? { etag: { supported: true } } : null,
  })
  const ctx = tweak ? tweak(base) : base
  const users: CheckUsers = usersOf(check.users === 1 ? { u1: storedUser('u1') } : stored)
  const verdict = await judgeCase(check, ctx, users, undefined as C)
  return { verdict, sent: base.sent }
}

/** A shell parameter expansion, `${name}`. */
const shell = (expansion: string) => `$${'{'}${expansion}}`

/** Refuses with 400 invalidValue the racing PUTs whose count (from 0) `which` picks. */
function refuseRacing(which: (n: number) => boolean): Model['change'] {
  let n = 0
  return (r) => (r.method === 'PUT' && r.onProgress && which(n++) ? scimError(400, 'invalidValue') : undefined)
}

const PUT_409 = (r: SendOptions) => r.method === 'PUT' && r.onProgress !== undefined

describe('given/want: put.concurrency.username-race (MUST: at most one of two racing renames stores the name)', () => {
  test.each<{ name: string; model: Model; want: string; message?: RegExp; traits?: Record<string, RegExp> }>([
    {
      name: 'a correct server: one PUT wins, the other 409 uniqueness',
      model: {},
      want: 'passed',
      traits: { 'race.lost': /^0 of 5$/, 'race.held': /PUT of user 1 200 \+ PUT of user 2 409 uniqueness \(5×\)/ },
    },
    {
      name: 'racing renames both stored, one after the other refused: the race is lost',
      model: { duplicates: 'race' },
      want: 'failed',
      message: /200 and 200 for two PUTs fired at once, and both users now hold userName .*\(lost 5 of 5 races\)/,
      traits: { 'race.lost': /^5 of 5$/ },
    },
    {
      name: 'duplicates stored one after the other too: put.uniqueness.* owns it',
      model: { duplicates: 'always' },
      want: 'inconclusive',
      message: /not a race \(put\.uniqueness\.username-conflict judges a duplicate stored\)/,
    },
    {
      name: 'the loser refused 400 invalidValue, its rename alone accepted: the rule held',
      model: { change: (r) => (PUT_409(r) && r.path.endsWith('/u2') ? scimError(400, 'invalidValue') : undefined) },
      want: 'passed',
      traits: { 'race.held': /400 invalidValue \(alone, with a fresh userName: accepted\)/ },
    },
    {
      name: 'both renames answered 200, neither stored (put.replace.* judges that)',
      model: { keepsUserName: true },
      want: 'inconclusive',
      message: /no user holds the userName after them: nothing was stored to race for/,
    },
    {
      name: 'every rename refused 400 mutability (not this rule)',
      model: {
        change: (r) =>
          r.method === 'PUT' && !String((r.json as Body).userName).endsWith(`u1@example.com`)
            ? scimError(400, 'mutability')
            : undefined,
      },
      want: 'inconclusive',
      message: /a constraint of the server's own/,
      traits: { 'constraint.userName': /400 mutability/ },
    },
    {
      name: 'a 500 for the losing PUT: put.status.no-5xx judges it',
      model: { change: (r, c) => (PUT_409(r) && c.status === 409 ? scimError(500) : undefined) },
      want: 'inconclusive',
      message: /answered 500 to PUT \/Users\/u2 \(put\.status\.no-5xx judges server errors\)/,
      traits: { 'race.not-judged': /5 met a 5xx/ },
    },
    {
      name: '--concurrency 1 kept the PUTs apart: nothing raced',
      model: { progress: 'apart', duplicates: 'race' },
      want: 'inconclusive',
      message: /never in flight together/,
    },
  ])('$name → $want', async ({ model, want, message, traits }) => {
    const { verdict } = await run(usernameRace, model)
    expect(verdict.outcome, verdict.message).toBe(want)
    if (message) expect(verdict.message).toMatch(message)
    for (const [key, value] of Object.entries(traits ?? {})) expect(verdict.traits?.[key]).toMatch(value)
  })

  test('a lost race is a story: the racing PUTs share a number, the script fires them with & and wait', async () => {
    const { verdict } = await run(usernameRace, { duplicates: 'race' })
    const story = verdict.story!
    expect(story.steps.map((s) => [s.n, s.parallel ?? null])).toEqual([
      [1, 1],
      [2, 1],
      [3, null],
      [4, null],
      [5, null],
      [6, null],
    ])
    expect(story.steps[5]).toMatchObject({ expected: '409 uniqueness: $U1 holds it', received: /^409 uniqueness/ })
    const lines = story.script.split('\n')
    expect(lines[0]).toBe('#!/usr/bin/env bash')
    expect(story.script).toContain(
      `: "${shell('SCIM_BASE:?set SCIM_BASE to the SCIM base URL')}" "${shell('SCIM_TOKEN:?set SCIM_TOKEN')}"`,
    )
    expect(story.script).toContain(`U1="${shell('U1:-u1')}"`)
    const racing = lines.filter((l) => l.endsWith(' &'))
    expect(racing).toHaveLength(2)
    for (const l of racing) expect(l).toMatch(/^curl -sS -i -X PUT "\$SCIM_BASE"'\/Users\/'"\$U[12]" .*--data-raw/)
    expect(lines[lines.indexOf(racing[1]) + 1]).toBe('wait')
    expect(story.script).not.toContain('127.0.0.1')
  })
})

describe('given/want: put.concurrency.username-race-post (MUST: a racing PUT and POST never both hold it)', () => {
  test.each<{ name: string; model: Model; want: string; message?: RegExp }>([
    { name: 'a correct server: the POST refused 409 uniqueness', model: {}, want: 'passed' },
    {
      name: 'both stored when racing, the POST refused one after the other',
      model: { duplicates: 'race' },
      want: 'failed',
      message: /PUT 200 and POST 201 fired at once, and two users now hold userName/,
    },
    {
      name: 'a POST with a duplicate accepted even alone: not a race',
      model: { duplicates: 'always' },
      want: 'inconclusive',
      message: /a POST of a userName a user holds is accepted even one after the other: not a race/,
    },
    {
      name: 'every POST refused 400, a fresh userName too (a constraint, not this rule)',
      model: { change: (r) => (r.method === 'POST' ? scimError(400, 'invalidValue') : undefined) },
      want: 'inconclusive',
      message: /the POST answered 400 invalidValue, .* refused too \(400 invalidValue\): a constraint/,
    },
  ])('$name → $want', async ({ model, want, message }) => {
    const { verdict } = await run(usernameRacePost, model)
    expect(verdict.outcome, verdict.message).toBe(want)
    if (message) expect(verdict.message).toMatch(message)
  })

  test('the created users are deleted through the pool, and a run that creates none skips', async () => {
    const removed: string[] = []
    const { verdict } = await run(usernameRacePost, { duplicates: 'race' }, (ctx) => ({
      ...ctx,
      users: {
        ...ctx.users,
        removeOne: async (id) => {
          removed.push(id)
          return 'removed'
        },
      },
    }))
    expect(verdict.outcome).toBe('failed')
    expect(removed.length).toBeGreaterThanOrEqual(5)
    expect(verdict.story?.script).toContain(`NEW="${shell('NEW:-p1')}"`)
    const skipped = await run(usernameRacePost, {}, (ctx) => ({
      ...ctx,
      users: { ...ctx.users, postUser: async () => null },
    }))
    expect(skipped.verdict.outcome).toBe('skipped')
    expect(skipped.verdict.message).toMatch(/--user-id/)
  })
})

describe('given/want: put.concurrency.if-match-race (MUST: one of two PUTs with the same If-Match succeeds)', () => {
  test.each<{ name: string; model: Model; want: string; message?: RegExp }>([
    { name: 'a correct server: 200 and 412', model: {}, want: 'passed' },
    {
      name: 'both performed when racing, a stale If-Match refused alone: the lost update',
      model: { ifMatchIgnored: 'race' },
      want: 'failed',
      message: /200 \+ 200 for two PUTs of different bodies fired at once with the same If-Match W\/"1"/,
    },
    {
      name: 'If-Match ignored even alone: put.etag.stale-if-match-412 owns it',
      model: { ifMatchIgnored: 'always' },
      want: 'inconclusive',
      message: /not a race \(put\.etag\.stale-if-match-412 judges a stale If-Match\)/,
    },
    {
      name: 'every conditional PUT refused 412 (a strong comparison of weak tags)',
      model: { change: (r) => (r.headers?.['if-match'] ? scimError(412) : undefined) },
      want: 'inconclusive',
      message: /put\.etag\.current-if-match judges a refused current If-Match/,
    },
    {
      name: 'the loser refused 409 (Table 8: a version conflict)',
      model: { change: (_r, c) => (c.status === 412 ? scimError(409) : undefined) },
      want: 'passed',
    },
  ])('$name → $want', async ({ model, want, message }) => {
    const { verdict } = await run(ifMatchRace, model)
    expect(verdict.outcome, verdict.message).toBe(want)
    if (message) expect(verdict.message).toMatch(message)
  })

  test('skipped unless /ServiceProviderConfig declares ETags', () => {
    const ctx = fakeContext({ profile, serve: modelServer({}), serviceProviderConfig: { etag: { supported: false } } })
    expect(ifMatchRace.skipIf?.(ctx)).toMatch(/does not declare etag\.supported true/)
  })
})

describe('given/want: put.concurrency.whole-body (MUST: racing replaces leave one body whole)', () => {
  test.each<{ name: string; model: Model; want: string; message?: RegExp }>([
    { name: 'a correct server: the last body whole', model: {}, want: 'passed' },
    {
      name: 'racing PUTs interleaved: userName of one body, the rest of another',
      model: { mixes: true },
      want: 'failed',
      message: /the user now shows userName from PUT 3 and externalId, name, displayName and \d+ more from PUT 1/,
    },
    {
      name: 'two of three bodies refused (a constraint): no replaces raced',
      model: { change: refuseRacing((n) => n % 3 !== 0) },
      want: 'inconclusive',
      message: /only 1 of 3 PUTs was accepted \(400 invalidValue\): no replaces raced/,
    },
  ])('$name → $want', async ({ model, want, message }) => {
    const { verdict } = await run(wholeBody, model)
    expect(verdict.outcome, verdict.message).toBe(want)
    if (message) expect(verdict.message).toMatch(message)
  })

  test('a mix names each attribute with the PUT whose value it shows', async () => {
    const { verdict } = await run(wholeBody, { mixes: true })
    expect(verdict.diff?.find((d) => d.attribute === 'userName')?.note).toBe('the value of PUT 3')
    expect(verdict.diff?.some((d) => d.note === 'the value of PUT 1')).toBe(true)
    expect(verdict.story?.steps.filter((s) => s.parallel === 1)).toHaveLength(3)
  })
})
