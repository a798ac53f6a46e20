import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { defineCheck, findingText, verdict, violation } from '../checks/define-check.ts'
import { putUser, statusOf } from '../checks/probes/requests.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { startReferenceServer, type ReferenceServer } from '../reference/server.ts'
import { buildConfig } from './config.ts'
import type { CheckContext } from '../checks/context.ts'
import { createContext } from './context.ts'
import { runCheck } from './run-check.ts'
import { SINGLE_CASE } from '../checks/types.ts'
import { caseInProgress } from './send-gate.ts'
import type { SendOptions } from '../http/client.ts'
import { CheckCrashedError } from '../errors.ts'
import { mix } from '../generate/mix-seed.ts'

let server: ReferenceServer
let ctx: CheckContext

beforeAll(async () => {
  server = await startReferenceServer({ profile: await loadProfile({ vendor: 'cube' }), token: 't0k', etag: true })
  const config = buildConfig({
    vendor: 'cube',
    token: 't0k',
    seed: '7',
    runs: '40',
    reportDir: mkdtempSync(join(tmpdir(), 'run-check-')),
  })
  ctx = await createContext(config, server.origin)
})
afterAll(async () => {
  await ctx?.client.close()
  await server?.close()
})

/** A synthetic rule the reference server cannot satisfy for long displayNames: fails, so the runner must shrink. */
const noLongDisplayName = defineCheck({
  id: 'put.replace.synthetic-short-display-name',
  title: 'synthetic',
  level: 'MUST',
  source: 'test',
  area: 'replace',
  rule: 'test',
  users: 1,
  cases: () => fc.string({ minLength: 0, maxLength: 40 }),
  async run(c, users, displayName) {
    const put = await putUser(c, users.ids[0], {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: `scimc-synthetic-${users.ids[0]}@example.com`,
      displayName,
    })
    return displayName.length >= 5
      ? verdict('failed', `long: ${displayName.length}`, [put])
      : verdict('passed', `${statusOf(put)}`, [put])
  },
})

describe('runCheck', () => {
  test('a failing property is shrunk to the smallest case, with seed, path, request and curl', async () => {
    const before = server.users().length
    const result = await runCheck(noLongDisplayName, ctx)
    expect(result.status).toBe('failed')
    expect(result.message).toBe('long: 5')
    expect(result.seed).toBe(7)
    expect(result.path).toMatch(/^\d+(:\d+)*$/)
    expect(JSON.parse(result.counterexample!.request.body!).displayName).toHaveLength(5)
    expect(result.reproduce).toContain('curl')
    expect(result.reproduce).toContain('$SCIM_TOKEN')
    expect(result.reproduce).not.toContain('t0k')
    expect(result.requests).toBeGreaterThan(1)
    // The check's test user was deleted again.
    expect(server.users()).toHaveLength(before)
  })

  test("a violation's facts reach the result as fields (received, expected, fix)", async () => {
    const withFinding = defineCheck({
      ...noLongDisplayName,
      cases: () => fc.string({ minLength: 5, maxLength: 9 }),
      async run(c, users, displayName) {
        const put = await putUser(c, users.ids[0], {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `scimc-synthetic-${users.ids[0]}@example.com`,
          displayName,
        })
        const finding = {
          received: `displayName of ${displayName.length} (x)`,
          expected: 'at most 4',
          fix: 'cut it',
        }
        return violation(finding, [put])
      },
    })
    const result = await runCheck(withFinding, ctx, [
      { label: 'the token', value: 's3cret', placeholder: '[redacted]' },
    ])
    expect(result.status).toBe('failed')
    expect(result.finding).toEqual({ received: 'displayName of 5 (x)', expected: 'at most 4', fix: 'cut it' })
    expect(result.message).toBe(findingText({ received: 'displayName of 5 (x)', expected: 'at most 4', fix: 'cut it' }))
    const short = defineCheck({ ...noLongDisplayName, cases: () => fc.string({ maxLength: 4 }) })
    const passing = await runCheck(short, { ...ctx, run: { ...ctx.run, runs: 3 } })
    expect(passing.status).toBe('passed')
    expect(passing.finding).toBeUndefined()
  })

  test('shrinking stops after --max-shrinks tries, and the result says so', async () => {
    // Every case fails, so the first run fails and everything after it is a shrink try.
    const alwaysFails = defineCheck({ ...noLongDisplayName, cases: () => fc.string({ minLength: 30, maxLength: 40 }) })
    const capped = await runCheck(alwaysFails, { ...ctx, run: { ...ctx.run, maxShrinks: 3 } })
    expect(capped.status).toBe('failed')
    expect(capped.numRuns).toBe(4)
    expect(capped.message).toContain('Shrinking stopped after 3 tries (--max-shrinks)')
    const none = await runCheck(alwaysFails, { ...ctx, run: { ...ctx.run, maxShrinks: 0 } })
    expect(none.numRuns).toBe(1)
    const free = await runCheck(alwaysFails, ctx)
    expect(free.numRuns).toBeGreaterThan(4)
    expect(free.message).toBe('long: 30')
  })

  test('shrinking never trades a failure for a warning', async () => {
    // Long names fail, short ones only warn: the smallest failing case is 10 characters, not a 1-character warning.
    const graded = defineCheck({
      ...noLongDisplayName,
      cases: () => fc.integer({ min: 0, max: 40 }).map((n) => 'x'.repeat(n)),
      async run(c, users, displayName) {
        const put = await putUser(c, users.ids[0], {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `scimc-synthetic-${users.ids[0]}@example.com`,
          displayName,
        })
        if (displayName.length >= 10) return verdict('failed', `long: ${displayName.length}`, [put])
        return displayName.length >= 1
          ? verdict('warned', `short: ${displayName.length}`, [put])
          : verdict('passed', 'empty', [put])
      },
    })
    const result = await runCheck(graded, ctx)
    expect(result.status).toBe('failed')
    expect(result.message).toBe('long: 10')
  })

  test('a warning does not end the search: a later case that fails is found and reported', async () => {
    // The first case warns; only a later, larger case fails, which shrinking the warning (towards smaller) never tries.
    let first: number | undefined
    const warnsFirst = defineCheck({
      ...noLongDisplayName,
      cases: () => fc.nat(1000),
      async run(_c, _u, n) {
        first ??= n
        if (n === first) return verdict('warned', 'the first case warns', [])
        return n > first ? verdict('failed', `fails above ${first}`, []) : verdict('passed', 'fine', [])
      },
    })
    const result = await runCheck(warnsFirst, ctx)
    expect(result.status).toBe('failed')
    expect(result.message).toBe(`fails above ${first}`)
  })

  test('a warning alone is found again with the same seed and shrunk', async () => {
    const warnsOnLong = defineCheck({
      ...noLongDisplayName,
      cases: () => fc.integer({ min: 0, max: 40 }),
      async run(_c, _u, n) {
        return n >= 7 ? verdict('warned', `warn: ${n}`, []) : verdict('passed', 'fine', [])
      },
    })
    const result = await runCheck(warnsOnLong, ctx)
    expect(result.status).toBe('warned')
    expect(result.message).toBe('warn: 7')
  })

  test('the same seed replays the same counterexample', async () => {
    const a = await runCheck(noLongDisplayName, ctx)
    const b = await runCheck(noLongDisplayName, ctx)
    expect(b.path).toBe(a.path)
    expect(JSON.parse(b.counterexample!.request.body!).displayName).toBe(
      JSON.parse(a.counterexample!.request.body!).displayName,
    )
  })

  test('a check that does not apply is skipped with its reason, and creates no user', async () => {
    const before = server.users().length
    const result = await runCheck({ ...noLongDisplayName, skipIf: () => 'the server declares no such thing' }, ctx)
    expect(result).toMatchObject({
      status: 'skipped',
      message: 'the server declares no such thing',
      counterexample: null,
    })
    expect(server.users()).toHaveLength(before)
  })

  test('observations are kept as the outcome when nothing fails', async () => {
    const observing = defineCheck({
      ...noLongDisplayName,
      cases: undefined,
      async run() {
        return verdict('observed', 'seen', [], { traits: { 'x.y': 'z' } })
      },
    })
    expect(await runCheck(observing, ctx)).toMatchObject({ status: 'observed', traits: { 'x.y': 'z' }, numRuns: 1 })
  })
})

describe('runCheck: the check contract (issue 12)', () => {
  const synthetic = (level: 'MUST' | 'SHOULD' | 'MAY', run: (n: number) => ReturnType<typeof verdict>) =>
    defineCheck({
      ...noLongDisplayName,
      level,
      users: 0,
      cases: () => fc.integer({ min: 0, max: 40 }),
      run: async (_c, _u, n) => run(n),
    })

  test.each([
    { level: 'MUST', want: 'failed' },
    { level: 'SHOULD', want: 'warned' },
    { level: 'MAY', want: 'observed' },
  ] as const)('a violated $level rule is graded $want, from the level alone', async ({ level, want }) => {
    const check = synthetic(level, (n) =>
      n >= 3 ? verdict('violated', `broken at ${n}`, []) : verdict('passed', 'held', []),
    )
    const result = await runCheck(check, ctx)
    expect(result.status).toBe(want)
    if (want !== 'observed') expect(result.message).toBe('broken at 3')
  })

  test('no case reached the rule: inconclusive with the reason, never a pass, no case exercised', async () => {
    const check = synthetic('MUST', () => verdict('inconclusive', 'every PUT was refused with 400 invalidValue', []))
    const result = await runCheck(check, ctx)
    expect(result.status).toBe('inconclusive')
    expect(result.message).toMatch(/^No case of \d+ reached the rule: every PUT was refused with 400 invalidValue$/)
    expect(result.exercised).toBe(0)
    expect(result.numRuns).toBeGreaterThan(1)
  })

  test('one exercised case is enough to pass; the result counts the exercised cases', async () => {
    const check = synthetic('MUST', (n) =>
      n % 2 === 0 ? verdict('passed', 'held', []) : verdict('inconclusive', 'odd', []),
    )
    const result = await runCheck(check, ctx)
    expect(result.status).toBe('passed')
    expect(result.exercised).toBeGreaterThan(0)
    expect(result.exercised).toBeLessThan(result.numRuns)
  })

  test('a case whose request was still 429 when its retries ran out is inconclusive, in every check', async () => {
    const check = defineCheck({
      ...noLongDisplayName,
      cases: undefined,
      async run(c, users) {
        const put = await putUser(c, users.ids[0], { schemas: [] })
        const limited = {
          ...put,
          response: { ...put.response!, status: 429 },
          rateLimited: { retries: 8, waitedMs: 120_000, retryAfter: '15', exhausted: true },
        }
        return verdict('violated', 'would fail', [limited])
      },
    })
    for (const judgesServerErrors of [false, true]) {
      const result = await runCheck({ ...check, judgesServerErrors }, ctx)
      expect(result.status).toBe('inconclusive')
      expect(result.message).toMatch(/still answered 429 \(rate limited\) to PUT \/.* after 8 retries over 120\.0 s/)
    }
  })

  test('a case that met a 5xx is inconclusive in every check but put.status.no-5xx', async () => {
    const check = defineCheck({
      ...noLongDisplayName,
      cases: undefined,
      async run(c, users) {
        // The reference server answers a body that is not JSON with 400; rewrite it to look like a 500.
        const put = await putUser(c, users.ids[0], { schemas: [] })
        const broken = { ...put, response: { ...put.response!, status: 503 } }
        return verdict('violated', 'would fail', [broken])
      },
    })
    const other = await runCheck(check, ctx)
    expect(other.status).toBe('inconclusive')
    expect(other.message).toMatch(/answered 503 to PUT \/.*put\.status\.no-5xx/)
    const owner = await runCheck({ ...check, judgesServerErrors: true }, ctx)
    expect(owner.status).toBe('failed')
  })

  test.each([
    { kind: 'a property check', cases: () => fc.nat(5) },
    { kind: 'a single-case check', cases: undefined },
  ])(
    '$kind that throws is a harness error (CheckCrashedError), never a finding, and deletes its users',
    async ({ cases }) => {
      const before = server.users().length
      const crashing = defineCheck({
        ...noLongDisplayName,
        cases,
        async run() {
          throw new TypeError("Cannot read properties of undefined (reading 'emails')")
        },
      })
      const error = await runCheck(crashing, ctx).then(
        () => null,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(CheckCrashedError)
      expect((error as Error).message).toBe(
        'put.replace.synthetic-short-display-name crashed (a harness bug, not a finding): ' +
          "Cannot read properties of undefined (reading 'emails')",
      )
      expect(server.users()).toHaveLength(before)
    },
  )
})

describe('runCheck in lanes: the cases of the seed run at once, the verdict as one lane finds it', () => {
  /** What must not depend on the lanes: the verdict, where it was found, and what it shows. */
  const verdictOf = (r: Awaited<ReturnType<typeof runCheck>>) => ({
    status: r.status,
    message: r.message,
    path: r.path,
    exercised: r.exercised,
    traits: r.traits,
    displayName: r.counterexample ? JSON.parse(r.counterexample.request.body!).displayName : null,
  })
  /** A check judged from its case alone, on the reference server (one PUT per case, on the lane's own user). */
  const judgedBy = (judge: (name: string) => ReturnType<typeof verdict>, cases = () => fc.string({ maxLength: 40 })) =>
    defineCheck({
      ...noLongDisplayName,
      cases,
      async run(c, users, displayName: string) {
        const put = await putUser(c, users.ids[0], {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `scimc-synthetic-${users.ids[0]}@example.com`,
          displayName,
        })
        const v = judge(displayName)
        return { ...v, exchanges: [put], traits: { 'len.last': String(displayName.length) } }
      },
    })

  test.each([
    {
      kind: 'a failure, shrunk',
      judge: (s: string) => (s.length >= 5 ? verdict('failed', `long: ${s.length}`, []) : verdict('passed', 'ok', [])),
    },
    {
      kind: 'a late failure after warnings',
      judge: (s: string) =>
        s.length >= 30
          ? verdict('failed', `long: ${s.length}`, [])
          : s.length >= 3
            ? verdict('warned', `warn: ${s.length}`, [])
            : verdict('passed', 'ok', []),
    },
    {
      kind: 'a warning alone',
      judge: (s: string) => (s.length >= 9 ? verdict('warned', `w ${s.length}`, []) : verdict('passed', 'ok', [])),
    },
    { kind: 'a pass', judge: () => verdict('passed', 'ok', []) },
    { kind: 'no case reaching the rule', judge: (s: string) => verdict('inconclusive', `refused ${s.length > 3}`, []) },
    {
      kind: 'a failure at one rare case',
      judge: (s: string) => (s.includes('a') ? verdict('failed', `has an a: ${s}`, []) : verdict('passed', 'ok', [])),
    },
  ])('$kind: the same status, message, path and counterexample with 1 lane and with 4', async ({ judge }) => {
    const check = judgedBy(judge)
    const before = server.users().length
    const one = await runCheck(check, ctx, [], { lanes: 1 })
    const four = await runCheck(check, ctx, [], { lanes: 4 })
    expect(verdictOf(four)).toEqual(verdictOf(one))
    // Without a failure every case of the seed ran in both (lanes past a failure may run a few more).
    if (one.status !== 'failed') expect(four.numRuns).toBe(one.numRuns)
    // Every lane's test user is deleted again.
    expect(server.users()).toHaveLength(before)
  })

  test('a verdict that depends on what the user held before: shrunk from the state right after the case', async () => {
    // Like a server that answers a PUT with the user as it was before: the same PUT again shows no change.
    const held = new Map<string, string>()
    const check = defineCheck({
      ...noLongDisplayName,
      cases: () => fc.string({ maxLength: 40 }),
      async run(c, users, displayName: string) {
        const put = await putUser(c, users.ids[0], {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `scimc-synthetic-${users.ids[0]}@example.com`,
          displayName,
        })
        const before = held.get(users.ids[0]) ?? ''
        held.set(users.ids[0], displayName)
        return before !== displayName && displayName.length >= 3
          ? verdict('failed', `changed to ${displayName.length}`, [put])
          : verdict('passed', 'unchanged', [put])
      },
    })
    const one = await runCheck(check, ctx, [], { lanes: 1 })
    const four = await runCheck(check, ctx, [], { lanes: 4 })
    expect(one.status).toBe('failed')
    expect(verdictOf(four)).toEqual(verdictOf(one))
  })

  test('the lanes run at once, each on test users of its own, created and deleted in parallel', async () => {
    let inFlight = 0
    let most = 0
    const owners = new Set<string>()
    const check = defineCheck({
      ...noLongDisplayName,
      cases: () => fc.nat(100),
      async run(c, users) {
        owners.add(users.ids[0])
        inFlight++
        most = Math.max(most, inFlight)
        const get = await c.client.send({ method: 'GET', path: c.users.userPath(users.ids[0]) })
        inFlight--
        return verdict('passed', `${statusOf(get)}`, [get])
      },
    })
    const before = server.users().length
    const result = await runCheck(check, { ...ctx, run: { ...ctx.run, runs: 12 } }, [], { lanes: 3 })
    expect(result).toMatchObject({ status: 'passed', numRuns: 12, exercised: 12 })
    expect(most).toBe(3)
    expect(owners.size).toBe(3)
    expect(server.users()).toHaveLength(before)
  })

  test('a lane that takes several cases in a row while another is held runs each case of the seed once', async () => {
    // One lane's first case waits until the other lane has run three in a row: the case streams of the lanes
    // (src/run/case-stream.ts) must hand out a case drawn while its lane was busy.
    const seen: number[] = []
    let first: string | null = null
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const check = defineCheck({
      ...noLongDisplayName,
      cases: () => fc.nat(1_000_000),
      async run(c, users, n) {
        first ??= users.ids[0]
        if (users.ids[0] !== first) await held
        const get = await c.client.send({ method: 'GET', path: c.users.userPath(users.ids[0]) })
        seen.push(n)
        if (seen.length === 3) release()
        return verdict('passed', `${statusOf(get)}`, [get])
      },
    })
    const runs = 10
    const result = await runCheck(check, { ...ctx, run: { ...ctx.run, runs } }, [], { lanes: 2 })
    expect(result).toMatchObject({ status: 'passed', numRuns: runs, exercised: runs })
    const seed = fc.sample(fc.nat(1_000_000), { seed: mix(ctx.run.seed, check.id), numRuns: runs })
    expect([...seen].sort((a, b) => a - b)).toEqual([...seed].sort((a, b) => a - b))
  })

  test('a lane that crashes is a harness error for the check, and every lane deletes its users', async () => {
    const before = server.users().length
    const crashing = defineCheck({
      ...noLongDisplayName,
      cases: () => fc.nat(100),
      async run(_c, _u, n) {
        if (n % 3 === 0) throw new TypeError('boom')
        return verdict('passed', 'ok', [])
      },
    })
    const error = await runCheck(crashing, ctx, [], { lanes: 4 }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(CheckCrashedError)
    expect(server.users()).toHaveLength(before)
  })

  test('--path replays its one case without lanes', async () => {
    const check = judgedBy((s) =>
      s.length >= 5 ? verdict('failed', `long: ${s.length}`, []) : verdict('passed', 'ok', []),
    )
    const found = await runCheck(check, ctx, [], { lanes: 4 })
    const replayed = await runCheck(check, { ...ctx, run: { ...ctx.run, path: found.path } }, [], { lanes: 4 })
    expect(replayed).toMatchObject({ status: 'failed', numRuns: 1, message: found.message })
  })
})

describe("runCheck: each case's requests tagged with the case's fast-check path (the HAR's _case)", () => {
  /** The cases of the checks below: what fast-check replays at a path is checked against what was sent. */
  const names = () => fc.string({ maxLength: 40 })
  const judgedBy = (judge: (name: string) => ReturnType<typeof verdict>) =>
    defineCheck({
      ...noLongDisplayName,
      cases: names,
      async run(c, users, displayName: string) {
        const put = await putUser(c, users.ids[0], {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `scimc-synthetic-${users.ids[0]}@example.com`,
          displayName,
        })
        return { ...judge(displayName), exchanges: [put] }
      },
    })
  /** The run's context with a client that records each request's displayName and the case in progress. */
  function recording(base: CheckContext = ctx) {
    const sent: { tag: string | null; displayName: unknown }[] = []
    const client = {
      ...base.client,
      send: (o: SendOptions) => {
        sent.push({
          tag: caseInProgress(),
          displayName: (o.json as { displayName?: unknown } | undefined)?.displayName,
        })
        return base.client.send(o)
      },
    }
    return { sent, ctx: { ...base, client } }
  }
  /** The case fast-check tries at `path` of the check's seed (`--path`): the value there, whatever the property. */
  function valueAt(seed: number, path: string): string {
    let value: string | null = null
    fc.check(
      fc.property(names(), (v) => {
        value = v
        return false
      }),
      { seed, path, endOnFailure: true },
    )
    return value!
  }
  const failure = (s: string) =>
    s.length >= 5 ? verdict('failed', `long: ${s.length}`, []) : verdict('passed', 'ok', [])
  const warning = (s: string) => (s.length >= 9 ? verdict('warned', `w ${s.length}`, []) : verdict('passed', 'ok', []))

  test.each([
    { kind: 'a failure, shrunk', judge: failure, lanes: 1, status: 'failed' },
    { kind: 'a failure found in lanes, shrunk', judge: failure, lanes: 4, status: 'failed' },
    { kind: 'a warning, searched again and shrunk', judge: warning, lanes: 1, status: 'warned' },
    { kind: 'a warning found in lanes, shrunk', judge: warning, lanes: 4, status: 'warned' },
  ])('$kind: every case tagged with the path fast-check replays it at; the result names its case', async (t) => {
    const { sent, ctx: recorded } = recording()
    const result = await runCheck(judgedBy(t.judge), recorded, [], { lanes: t.lanes })
    expect(result.status).toBe(t.status)
    // The result's case is the one its path names, the counterexample's.
    expect(result.path).toMatch(/^\d+:\d+(:\d+)*$/)
    expect(result.case).toBe(result.path)
    const ofCase = sent.filter((s) => s.tag === result.case)
    expect(ofCase.map((s) => s.displayName)).toEqual([JSON.parse(result.counterexample!.request.body!).displayName])
    // One PUT a case: each tag once, and each the path of the very value sent under it.
    const tags = sent.map((s) => s.tag)
    expect(tags.every((tag) => tag !== null)).toBe(true)
    expect(new Set(tags).size).toBe(tags.length)
    for (const s of sent) expect(s.displayName, s.tag!).toBe(valueAt(result.checkSeed!, s.tag!))
  })

  test('--path replays its one case under that path', async () => {
    const check = judgedBy(failure)
    const found = await runCheck(check, ctx)
    const { sent, ctx: recorded } = recording({ ...ctx, run: { ...ctx.run, path: found.path } })
    const replayed = await runCheck(check, recorded)
    expect(replayed).toMatchObject({ status: 'failed', path: found.path, case: found.path })
    expect(sent.map((s) => s.tag)).toEqual([found.path])
  })

  test('a check of one case: its requests and its result tagged single', async () => {
    const { sent, ctx: recorded } = recording()
    const single = defineCheck({
      ...noLongDisplayName,
      cases: undefined,
      async run(c, users) {
        const get = await c.client.send({ method: 'GET', path: c.users.userPath(users.ids[0]) })
        return verdict('passed', `${statusOf(get)}`, [get])
      },
    })
    const result = await runCheck(single, recorded)
    expect(result).toMatchObject({ status: 'passed', case: SINGLE_CASE })
    expect(sent.map((s) => s.tag)).toEqual([SINGLE_CASE])
  })
})
