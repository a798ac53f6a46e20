import fc from 'fast-check'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { faultHooks } from '../../test/support/faults/index.ts'
import type { CheckContext } from '../checks/context.ts'
import { defineCheck, verdict } from '../checks/define-check.ts'
import { getUser, putUser, statusOf } from '../checks/probes/requests.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { startReferenceServer, type ReferenceServer } from '../reference/server.ts'
import { CORE_USER_URN } from '../scim/core-schema.ts'
import { BlankUserNameTurn, carriesBlankUserName } from './blank-username.ts'
import { buildConfig } from './config.ts'
import { createContext } from './context.ts'
import { runCheck } from './run-check.ts'

// A server that stores userName "" (RFC 7643 §4.1.1 broken) and keeps userName unique: while one check's user
// holds "", another check's "" PUT is a 409 uniqueness, a refusal for another reason.
let server: ReferenceServer
let ctx: CheckContext

beforeAll(async () => {
  const profile = await loadProfile({ vendor: 'cube' })
  server = await startReferenceServer({ profile, token: 't0k', hooks: faultHooks(['username-cleared']) })
  const config = buildConfig({ vendor: 'cube', token: 't0k', runs: '1', reportDir: mkdtempSync(join(tmpdir(), 'b-')) })
  ctx = await createContext(config, server.origin)
})
afterAll(async () => {
  await ctx?.client.close()
  await server?.close()
})

const blank = (id: string) => ({ schemas: [CORE_USER_URN], userName: '', emails: [{ value: `${id}@example.com` }] })

/** Two checks at once: the first stores "" and goes on (one GET); the second sends "" once the first's is stored. */
async function twoChecks(turns: [BlankUserNameTurn, BlankUserNameTurn]) {
  let stored!: () => void
  const storedOnce = new Promise<void>((resolve) => (stored = resolve))
  const seen: string[] = []
  const first = defineCheck({
    id: 'put.invalid.synthetic-stores-blank',
    title: 'synthetic',
    level: 'MUST',
    source: 'test',
    area: 'invalid',
    rule: 'test',
    users: 1,
    async run(c, users) {
      const put = await putUser(c, users.ids[0], blank(users.ids[0]))
      stored()
      const get = await getUser(c, users.ids[0])
      const shown = (get.response?.body as { userName?: string } | undefined)?.userName
      seen.push(`first: GET shows ${JSON.stringify(shown)}`)
      return verdict('passed', `${statusOf(put)}`, [put, get])
    },
  })
  const second = defineCheck({
    ...first,
    id: 'put.invalid.synthetic-meets-blank',
    async run(c, users) {
      await storedOnce
      const put = await putUser(c, users.ids[0], blank(users.ids[0]))
      seen.push(`second: ${statusOf(put)}`)
      return verdict('passed', `${statusOf(put)}`, [put])
    },
  })
  const results = await Promise.all([
    runCheck(first, ctx, [], { blankUserName: turns[0] }),
    runCheck(second, ctx, [], { blankUserName: turns[1] }),
  ])
  return { results, seen }
}

describe('the run’s turn to hold a blank userName', () => {
  test('one turn for the run: the second "" waits until the first user has its userName back', async () => {
    const turn = new BlankUserNameTurn()
    const { results, seen } = await twoChecks([turn, turn])
    expect(results.map((r) => r.message)).toEqual(['200', '200'])
    expect(seen).toEqual(['first: GET shows ""', 'second: 200'])
    expect(server.users()).toEqual([])
  })

  test('a turn each (the checks unaware of each other): the second meets the first one\'s "" as a 409', async () => {
    const { results } = await twoChecks([new BlankUserNameTurn(), new BlankUserNameTurn()])
    expect(results.map((r) => r.message)).toEqual(['200', '409'])
    expect(server.users()).toEqual([])
  })

  test('a refused "" gives the turn back at once: a check waiting on another\'s "" is not kept waiting', async () => {
    const profile = await loadProfile({ vendor: 'cube' })
    const strict = await startReferenceServer({ profile, token: 't0k' })
    const config = buildConfig({
      vendor: 'cube',
      token: 't0k',
      runs: '1',
      reportDir: mkdtempSync(join(tmpdir(), 'b-')),
    })
    const c = await createContext(config, strict.origin)
    try {
      let [answered, firstDone]: (() => void)[] = []
      const secondAnswered = new Promise<void>((resolve) => (answered = resolve))
      const firstAnswered = new Promise<void>((resolve) => (firstDone = resolve))
      const check = (id: string, before: () => Promise<void>, after: () => Promise<void>) =>
        defineCheck({
          id,
          title: 'synthetic',
          level: 'MUST',
          source: 'test',
          area: 'invalid',
          rule: 'test',
          users: 1,
          async run(cc, users) {
            await before()
            const put = await putUser(cc, users.ids[0], blank(users.ids[0]))
            await after()
            return verdict('passed', `${statusOf(put)}`, [put])
          },
        })
      const none = () => Promise.resolve()
      const turn = new BlankUserNameTurn()
      // The second sends its "" once the first's was refused, and the first's case ends only once the second's
      // was answered: had the refusal kept the turn, never.
      const results = await Promise.all([
        runCheck(
          check('put.invalid.synthetic-a', none, () => {
            firstDone()
            return secondAnswered
          }),
          c,
          [],
          { blankUserName: turn },
        ),
        runCheck(
          check(
            'put.invalid.synthetic-b',
            () => firstAnswered,
            async () => answered(),
          ),
          c,
          [],
          {
            blankUserName: turn,
          },
        ),
      ])
      expect(results.map((r) => r.message)).toEqual(['400', '400'])
    } finally {
      await c.client.close()
      await strict.close()
    }
  })

  test('only PUTs setting userName (any case) to a blank string take the turn', () => {
    const put = (json: unknown, rawBody?: string) => ({ method: 'PUT', path: '/Users/x', json, rawBody })
    expect(carriesBlankUserName(put({ userName: '' }))).toBe(true)
    expect(carriesBlankUserName(put({ UserName: '  ' }))).toBe(true)
    expect(carriesBlankUserName(put(undefined, '{"username":""}'))).toBe(true)
    // A key spelled with a JSON escape is still userName once parsed.
    expect(carriesBlankUserName(put(undefined, '{"user\\u004eame":" "}'))).toBe(true)
    expect(carriesBlankUserName(put(undefined, '{"userName":"\\t\\u00a0 \\n"}'))).toBe(true)
    expect(carriesBlankUserName(put(undefined, '{"userName":"\u3000"}'))).toBe(true)
    expect(carriesBlankUserName(put(undefined, '{"userName":"\\b"}'))).toBe(false)
    expect(carriesBlankUserName(put(undefined, `{"displayName":"${'x'.repeat(1000)}", "userName": "a"}`))).toBe(false)
    expect(carriesBlankUserName(put({ userName: 'a' }))).toBe(false)
    expect(carriesBlankUserName(put({ userName: null }))).toBe(false)
    expect(carriesBlankUserName(put(undefined, '{"userName":'))).toBe(false)
    expect(carriesBlankUserName(put([{ userName: '' }]))).toBe(false)
  })

  test('a raw body is judged as its parsed form is, whatever its white space and escapes', () => {
    const text = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u3000', '\u2028', 'a', '"', '\\') })
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('userName', 'USERNAME', 'displayName', ''), text), (body) => {
        const raw = JSON.stringify(body)
        const parsed = carriesBlankUserName({ method: 'PUT', path: '/Users/x', json: body })
        expect(carriesBlankUserName({ method: 'PUT', path: '/Users/x', rawBody: raw })).toBe(parsed)
        // The same body with every character of its strings escaped as \uXXXX.
        const escaped = raw.replace(
          /[\s\u00a0\u3000\u2028a]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        )
        expect(carriesBlankUserName({ method: 'PUT', path: '/Users/x', rawBody: escaped })).toBe(parsed)
      }),
    )
  })
})
