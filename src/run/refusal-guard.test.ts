import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Answer,
  correctServer,
  fakeContext,
  scimError,
  storedUser,
  usersOf,
} from '../../test/support/fake-target.ts'
import type { CheckContext, CheckUsers } from '../checks/context.ts'
import { verdict, type Verdict } from '../checks/define-check.ts'
import { REFUSAL_RULE } from '../checks/probes/refusal-unchanged.ts'
import type { SendOptions } from '../http/client.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import { CHECKS } from '../checks/index.ts'
import { refusalUnchanged } from '../checks/areas/invalid.ts'
import type { ServerHooks } from '../reference/hooks.ts'
import { startReferenceServer } from '../reference/server.ts'
import { buildConfig } from './config.ts'
import { createContext } from './context.ts'
import { RefusalGuard, withSideEffects } from './refusal-guard.ts'
import { runCheck } from './run-check.ts'

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

type Users = Record<string, Record<string, unknown>>
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const OLD = { displayName: 'Old Name', emails: [{ value: 'old@example.com', type: 'work' }], active: true }
/** A refused body: no userName (a correct server answers 400), new values everywhere else. */
const INVALID = { schemas: [CORE], displayName: 'New Name', emails: [{ value: 'new@example.com', type: 'work' }] }
const VALID = { ...INVALID, userName: 'scimc-unit-u1@example.com' }

/** The JSON object a request carried (a raw body parsed), or `{}`. */
function bodyOf(request: SendOptions): Record<string, unknown> {
  if (typeof request.rawBody !== 'string') return (request.json ?? {}) as Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(request.rawBody)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}

/** A server that validates after writing: a refused PUT's attributes (userName aside) are stored first. */
const partialWrite =
  (users: Users) =>
  (request: SendOptions, correct: Answer): Answer | undefined => {
    if (request.method !== 'PUT' || correct.status < 400 || correct.status === 404) return undefined
    const id = /\/Users\/([^/?]+)/.exec(request.path)![1]
    const { userName: _u, id: _i, meta: _m, ...values } = bodyOf(request)
    users[id] = { ...users[id], ...values }
    return undefined
  }

/** The guard in front of a fake target (no runner): its requests are in `ctx.sent`. */
function guarded(users: Users, change?: (request: SendOptions, correct: Answer) => Answer | undefined) {
  const given = usersOf(users)
  const ctx = fakeContext({ profile: generic, serve: correctServer(users, change) })
  const guard = new RefusalGuard(ctx, (o) => ctx.client.send(o))
  guard.track(given)
  const put = (body: unknown, extra: Partial<SendOptions> = {}, id = 'u1') =>
    guard.request({ method: 'PUT', path: ctx.users.userPath(id), json: body, ...extra })
  const get = (extra: Partial<SendOptions> = {}) =>
    guard.request({ method: 'GET', path: ctx.users.userPath('u1'), ...extra })
  return { ctx, guard, put, get, given }
}

const outcomes = (vs: Verdict[]) => vs.map((v) => v.outcome)

describe('refusal guard: a refused PUT of any check is followed by a GET that must show the user as before', () => {
  test('a server that writes part of the body before refusing: violated, the facts as fields', async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users, partialWrite(users))
    await g.put(INVALID)
    const [v] = g.guard.take()
    expect(v.outcome).toBe('violated')
    expect(v.finding?.received).toMatch(/^after a 400 invalidValue refusal, a GET shows displayName, emails changed/)
    expect(v.finding?.expected).toContain(REFUSAL_RULE.id)
    expect(v.diff?.map((d) => d.attribute)).toEqual(['displayName', 'emails'])
    expect(v.traits).toEqual({ sideEffect: REFUSAL_RULE.id })
    expect(g.ctx.sent.map((e) => e.request.method)).toEqual(['PUT', 'GET'])
  })

  test('a correct server: the refusal is judged (one GET) and held', async () => {
    const g = guarded({ u1: storedUser('u1', OLD) })
    await g.put(INVALID)
    expect(outcomes(g.guard.take())).toEqual(['passed'])
    expect(g.ctx.sent.map((e) => e.request.method)).toEqual(['PUT', 'GET'])
    // The GET is the new baseline: the next refusal is judged against it.
    await g.put(INVALID)
    expect(outcomes(g.guard.take())).toEqual(['passed'])
    expect(g.guard.stats).toEqual({ judged: 2, unjudged: 0 })
  })

  test('a 5xx is not this rule (put.status.no-5xx owns it): no GET, no verdict', async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users, (r) => (r.method === 'PUT' ? scimError(500) : undefined))
    await g.put(INVALID)
    expect(g.guard.take()).toEqual([])
    expect(g.ctx.sent).toHaveLength(1)
  })

  test('401 and 403 must change nothing either (RFC 9110 §15.5.2: "has not been applied")', async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users, (r) => {
      if (r.auth !== 'none') return undefined
      partialWrite(users)(r, scimError(401))
      return scimError(401)
    })
    await g.put(VALID, { auth: 'none' })
    expect(outcomes(g.guard.take())).toEqual(['violated'])
  })

  test('after a 2xx write the baseline is unknown until the check GETs the user again', async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users, partialWrite(users))
    await g.put(VALID)
    await g.put({ ...INVALID, displayName: 'Newer' })
    expect(g.guard.take()).toEqual([])
    expect(g.guard.stats).toEqual({ judged: 0, unjudged: 1 })
    // A GET with a query or another credential shows no whole representation: still unknown.
    await g.get({ query: { attributes: 'userName' } })
    await g.put({ ...INVALID, displayName: 'Newest' })
    expect(g.guard.take()).toEqual([])
    await g.get()
    await g.put({ ...INVALID, displayName: 'Last' })
    expect(outcomes(g.guard.take())).toEqual(['violated'])
    expect(g.guard.stats).toEqual({ judged: 1, unjudged: 2 })
  })

  test('a creation answer proves only the values it shows: a value it left out is not judged', async () => {
    // The POST answered without `active`, which the server shows (a default) on GET; the refused PUT sends it too.
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users)
    const { active: _a, ...answered } = users.u1
    g.guard.track({ ids: ['u1'], created: [answered] })
    await g.put({ ...INVALID, displayName: 'Old Name', emails: OLD.emails, active: true })
    expect(outcomes(g.guard.take())).toEqual(['passed'])
  })

  test("a change not the PUT's (another writer, a replica catching up): a trait, not blamed", async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users, (r) => {
      if (r.method === 'PUT') users.u1 = { ...users.u1, displayName: 'Set by someone else' }
      return undefined
    })
    await g.get()
    await g.put(INVALID)
    const [v] = g.guard.take()
    expect(v.outcome).toBe('passed')
    expect(v.traits?.['sideEffect.other']).toMatch(
      /^displayName changed after a 400 refusal, not to a value the PUT sent/,
    )
  })

  test('one item of a multi-valued attribute stored from the refused PUT: violated', async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users, (r) => {
      if (r.method === 'PUT') users.u1 = { ...users.u1, emails: [...OLD.emails, { value: 'new@example.com' }] }
      return undefined
    })
    await g.get()
    await g.put({ ...INVALID, emails: [{ value: 'new@example.com', type: 'work' }, { value: 'x@example.com' }] })
    const [v] = g.guard.take()
    expect(v.outcome).toBe('violated')
    expect(v.diff?.[0].note).toMatch(/now with the PUT's \{"value":"new@example.com"\}$/)
  })

  test('a creation answer without sub-attributes the GET adds (primary): the same values, not a change', async () => {
    const users: Users = {
      u1: storedUser('u1', { emails: [{ value: 'old@example.com', type: 'work', primary: true }] }),
    }
    const g = guarded(users)
    g.guard.track({ ids: ['u1'], created: [{ ...users.u1, emails: OLD.emails }] })
    await g.put({ schemas: [CORE], emails: OLD.emails })
    expect(outcomes(g.guard.take())).toEqual(['passed'])
  })

  test('only meta moved: passed, with a sideEffect.meta trait (no value changed)', async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users, (r) => {
      if (r.method !== 'PUT') return undefined
      users.u1 = { ...users.u1, meta: { ...(users.u1.meta as object), lastModified: '2024-02-01T00:00:00Z' } }
      return undefined
    })
    await g.get()
    await g.put(INVALID)
    const [v] = g.guard.take()
    expect(v.outcome).toBe('passed')
    expect(v.traits?.['sideEffect.meta']).toMatch(/^meta\.lastModified 2024-01-01T00:00:00Z → 2024-02-01T00:00:00Z/)
  })

  test('another write to the user in flight: not judged (the GET could show that write)', async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users, partialWrite(users))
    await Promise.all([g.put(INVALID), g.put(VALID)])
    expect(g.guard.take()).toEqual([])
    expect(g.ctx.sent.map((e) => e.request.method)).toEqual(['PUT', 'PUT'])
  })

  test("only the check's own test users: a refused PUT on another id sends nothing more", async () => {
    const users: Users = { u1: storedUser('u1', OLD), other: storedUser('other', OLD) }
    const ctx = fakeContext({ profile: generic, serve: correctServer(users, partialWrite(users)) })
    const guard = new RefusalGuard(ctx, (o) => ctx.client.send(o))
    guard.track(usersOf({ u1: users.u1 }))
    await guard.request({ method: 'PUT', path: ctx.users.userPath('other'), json: INVALID })
    expect(guard.take()).toEqual([])
    expect(ctx.sent).toHaveLength(1)
  })

  test('a user the check deletes through its pool is forgotten', async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const ctx = fakeContext({ profile: generic, serve: correctServer(users, partialWrite(users)) })
    const guard = new RefusalGuard(ctx, (o) => ctx.client.send(o))
    guard.track(usersOf(users))
    await guard.pool().removeOne('u1')
    users.u1 = storedUser('u1', { displayName: 'A new user under the old id' })
    await guard.request({ method: 'PUT', path: ctx.users.userPath('u1'), json: INVALID })
    expect(guard.take()).toEqual([])
    // The pool's other members still answer, bound to the pool.
    expect(guard.pool().userPath('x')).toBe(ctx.users.userPath('x'))
  })

  test("the rule's owner check judges its own refusals: the guard sends no GET of its own there", async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const ctx = fakeContext({ profile: generic, serve: correctServer(users, partialWrite(users)) })
    const guard = new RefusalGuard(ctx, (o) => ctx.client.send(o), REFUSAL_RULE.id)
    guard.track(usersOf(users))
    await guard.request({ method: 'PUT', path: ctx.users.userPath('u1'), json: INVALID })
    expect(guard.take()).toEqual([])
    expect(ctx.sent).toHaveLength(1)
  })

  test('a write elsewhere than /Users (e.g. /Bulk) forgets every baseline', async () => {
    const users: Users = { u1: storedUser('u1', OLD) }
    const g = guarded(users, partialWrite(users))
    await g.guard.request({ method: 'POST', path: '/Bulk', json: {} })
    await g.put(INVALID)
    expect(g.guard.take()).toEqual([])
    // A POST /Users (a new user) or a PUT on another user does not.
    await g.get()
    await g.guard.request({ method: 'POST', path: g.ctx.users.usersPath(), json: VALID })
    await g.guard.request({ method: 'PUT', path: g.ctx.users.userPath('someone-else'), json: VALID })
    await g.put({ ...INVALID, displayName: 'Another Name' })
    expect(outcomes(g.guard.take())).toEqual(['violated'])
  })
})

describe("withSideEffects: the rule's own level grades it, whatever the check's", () => {
  const broken = verdict('violated', 'partial write', [], { traits: { sideEffect: REFUSAL_RULE.id } })
  test.each<{ name: string; own: Verdict; want: string; message: string }>([
    { name: 'a pass becomes a failure', own: verdict('passed', 'held', []), want: 'failed', message: 'partial write' },
    { name: 'a warning (SHOULD) too', own: verdict('warned', 'w', []), want: 'failed', message: 'partial write' },
    {
      name: 'an inconclusive case too',
      own: verdict('inconclusive', 'i', []),
      want: 'failed',
      message: 'partial write',
    },
    { name: 'a failure keeps its own finding', own: verdict('failed', 'own', []), want: 'failed', message: 'own' },
  ])('$name', ({ own, want, message }) => {
    const v = withSideEffects(own, [broken])
    expect(v.outcome).toBe(want)
    expect(v.message).toBe(message)
    expect(v.traits?.sideEffect).toBe(REFUSAL_RULE.id)
  })

  test('a refusal that changed nothing leaves the verdict as it was (its meta trait joins)', () => {
    const own = verdict('warned', 'w', [], { traits: { a: 'b' } })
    expect(withSideEffects(own, [])).toBe(own)
    const meta = verdict('passed', 'ok', [], { traits: { 'sideEffect.meta': 'moved' } })
    expect(withSideEffects(own, [meta])).toMatchObject({
      outcome: 'warned',
      traits: { a: 'b', 'sideEffect.meta': 'moved' },
    })
  })
})

/** A fake-target context whose pool hands out the users of `users` (the runner creates users through it). */
function poolContext(users: Users, ctx: CheckContext): CheckContext {
  const pool = Object.create(ctx.users) as CheckContext['users']
  pool.create = async (count: number): Promise<CheckUsers> =>
    usersOf(Object.fromEntries(Object.entries(users).slice(0, count)))
  return { ...ctx, users: pool }
}

describe('runCheck: the guard in every check', () => {
  // A SHOULD check of another area whose refused PUTs carry new values (its own rule: no internals in errors).
  const noInternals = CHECKS.find((c) => c.id === 'put.errors.no-internals')!
  const run = (change?: (request: SendOptions, correct: Answer) => Answer | undefined, partial = false) => {
    const users: Users = { u1: storedUser('u1', OLD), u2: storedUser('u2', OLD) }
    const ctx = fakeContext({ profile: generic, serve: correctServer(users, partial ? partialWrite(users) : change) })
    return runCheck(noInternals, poolContext(users, ctx))
  }

  test("a partial write on refusal fails a SHOULD check at the rule's level (MUST), its facts as fields", async () => {
    expect(noInternals.level).toBe('SHOULD')
    const result = await run(undefined, true)
    expect(result.status).toBe('failed')
    expect(result.finding?.received).toMatch(/^after a 4\d\d .*refusal, a GET shows .* changed/)
    expect(result.finding?.expected).toContain(`${REFUSAL_RULE.id}, MUST`)
    expect(result.traits?.sideEffect).toBe(REFUSAL_RULE.id)
    expect(result.exchanges?.map((e) => e.request.method)).toContain('GET')
  })

  test("a correct server: no side-effect finding, and the guard GETs are counted as the check's requests", async () => {
    const result = await run()
    expect(result.status).toBe('passed')
    expect(result.traits?.sideEffect).toBeUndefined()
    expect(result.requests).toBeGreaterThan(result.numRuns)
  })

  test("a refusal answered 5xx stays put.status.no-5xx's: the case is inconclusive, not a side effect", async () => {
    const users: Users = { u1: storedUser('u1', OLD), u2: storedUser('u2', OLD) }
    const serve = correctServer(users, (r, correct) => {
      if (r.method !== 'PUT' || correct.status < 400) return undefined
      partialWrite(users)(r, correct)
      return scimError(503)
    })
    const result = await runCheck(noInternals, poolContext(users, fakeContext({ profile: generic, serve })))
    expect(result.traits?.sideEffect).toBeUndefined()
    expect(result.status).not.toBe('failed')
  })
})

describe('the reference server (correct, with ETags, constrained): no side-effect finding', () => {
  test.each([
    { vendor: 'cube', etag: false, constrained: false },
    { vendor: 'generic', etag: true, constrained: false },
    { vendor: 'lightdash', etag: false, constrained: true },
    { vendor: 'maia', etag: true, constrained: true },
  ] as const)('$vendor (etag: $etag, constrained: $constrained)', async ({ vendor, etag, constrained }) => {
    const profile = await loadProfile({ vendor })
    const server = await startReferenceServer({ profile, token: 't0k', etag, constrained })
    const config = buildConfig({
      vendor,
      token: 't0k',
      seed: '11',
      runs: '20',
      reportDir: mkdtempSync(join(tmpdir(), 'rg-')),
    })
    const ctx = await createContext(config, server.origin)
    try {
      const result = await runCheck(refusalUnchanged, ctx)
      expect(result.status, result.message).toBe('passed')
      expect(result.exercised).toBeGreaterThan(5)
      expect(result.traits?.sideEffect).toBeUndefined()
      expect(result.traits?.['sideEffect.meta']).toBeUndefined()
    } finally {
      await ctx.client.close()
      await server.close()
    }
  })
})

/**
 * The fault to add to the matrix as `partial-write-on-refusal`: the values a PUT carries for a few plain
 * attributes are stored before the request is validated, so a PUT refused for its userName, its schemas
 * or a uniqueness conflict still changes them.
 */
const PARTIAL_WRITE: ServerHooks = {
  name: 'partial-write-on-refusal',
  body({ operation, body, target, exchange }) {
    if (operation !== 'replace' || !target || typeof body !== 'object' || body === null || Array.isArray(body)) return
    const data = { ...target.data }
    for (const name of ['displayName', 'nickName', 'title', 'emails', 'name', 'active', 'externalId'])
      if (name in body) data[name] = (body as Record<string, unknown>)[name]
    exchange.server.store.save({ ...target, data })
    return undefined
  },
}

describe('the reference server with a partial write before validation (hooks, no change to src/reference)', () => {
  test.each([
    { vendor: 'cube', id: REFUSAL_RULE.id },
    { vendor: 'generic', id: REFUSAL_RULE.id },
    // Another area's SHOULD check: its refused PUTs carry new values, and the guard judges them.
    { vendor: 'cube', id: 'put.errors.no-internals' },
  ] as const)('$vendor: $id fails with the side-effect finding', async ({ vendor, id }) => {
    const check = id === REFUSAL_RULE.id ? refusalUnchanged : CHECKS.find((c) => c.id === id)!
    const profile = await loadProfile({ vendor })
    const server = await startReferenceServer({ profile, token: 't0k', hooks: [PARTIAL_WRITE] })
    const config = buildConfig({
      vendor,
      token: 't0k',
      seed: '11',
      runs: '20',
      reportDir: mkdtempSync(join(tmpdir(), 'rg-')),
    })
    const ctx = await createContext(config, server.origin)
    try {
      const result = await runCheck(check, ctx)
      expect(result.status, result.message).toBe('failed')
      expect(result.traits?.sideEffect).toBe(REFUSAL_RULE.id)
      expect(result.finding?.received).toMatch(/^after a 4\d\d .*refusal, a GET shows .* changed/)
    } finally {
      await ctx.client.close()
      await server.close()
    }
  })
})
