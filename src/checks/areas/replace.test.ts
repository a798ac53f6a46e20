import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import type { AttributeDefinition } from '../../scim/attribute.ts'
import type { CheckContext } from '../context.ts'
import type { CheckDefinition, CheckUsers } from '../define-check.ts'
import { CORE_USER_URN } from '../../scim/core-schema.ts'
import {
  correctServer,
  fakeContext,
  judgeCase,
  RFC_ATTRIBUTES,
  scimError,
  storedUser,
  usersOf,
  type Answer,
  type Serve,
} from '../../../test/support/fake-target.ts'
import { expectFinding } from '../../../test/support/expect-finding.ts'
import {
  caseInsensitiveNames,
  emptyArrayClears,
  idempotent,
  idempotentStatus,
  longStringsExact,
  nullClears,
  omittedAttributes,
  passwordNotReturned,
  primaryOnce,
  responseMatchesGet,
  unicodeExact,
  valuesReplaced,
  wholeBodyEcho,
  wholeBodyEchoMutability,
  whitespaceKept,
} from './replace.ts'

/**
 * Given/want tables for the replace area (RFC 7644 §3.5.1; RFC 7643 §2.1, §2.4, §2.5, §4.1.1; RFC 9110 §9.2.2):
 * a correct server passes, the violation is graded at the check's level, a refusal caused by something else is
 * inconclusive, and a default the server assigns is observed where the rule allows one.
 */

type Body = Record<string, unknown>
type Users = Record<string, Body>

let generic: VendorProfile
let cube: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
  cube = await loadProfile({ vendor: 'cube', validate: false })
})

/** judgeCase with the case's type taken from the check alone (a literal tuple is not widened to an array). */
const judge = <C>(check: CheckDefinition<C>, ctx: CheckContext, users: CheckUsers, input: NoInfer<C>) =>
  judgeCase(check, ctx, users, input)

const idOf = (request: SendOptions) => /\/Users\/([^/?]+)/.exec(request.path)?.[1] ?? ''
const sentOf = (request: SendOptions) => (request.json ?? {}) as Body

/** Attribute names as RFC 7643 spells them, by their lower-cased form. */
const SPELLING = new Map([...RFC_ATTRIBUTES.values()].map((d) => [d.name.toLowerCase(), d.name]))

/** A body with every attribute name spelled as the schema spells it (RFC 7643 §2.1: names are case-insensitive). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [SPELLING.get(k.toLowerCase()) ?? k, canonical(v)]))
}

/**
 * A correct server except for what `alter` does to each user it stores (the PUT response shows the
 * altered user too), and the PUTs `refuse` answers instead (it sees the body as sent).
 */
function serving(
  users: Users,
  alter: (stored: Body, sent: Body) => Body = (stored) => stored,
  refuse: (sent: Body) => Answer | undefined = () => undefined,
): Serve {
  const correct = correctServer(users)
  return (sent) => {
    if (sent.method === 'PUT') {
      const refusal = refuse(sentOf(sent))
      if (refusal) return refusal
    }
    const request = sent.method === 'PUT' ? { ...sent, json: canonical(sent.json) } : sent
    const answer = correct(request)
    if (request.method !== 'PUT' || answer.status !== 200) return answer
    const id = idOf(request)
    users[id] = alter(users[id], sentOf(request))
    return { status: 200, body: users[id] }
  }
}

/** A string attribute definition, for a server's /Schemas. */
const stringDef = (name: string, over: Partial<AttributeDefinition> = {}): AttributeDefinition => ({
  name,
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...over,
})

/** White space trimmed from every string, at any depth. */
function trimmed(value: unknown): unknown {
  if (typeof value === 'string') return value.trim()
  if (Array.isArray(value)) return value.map(trimmed)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trimmed(v)]))
  return value
}

/** Refuses any PUT carrying a string longer than `max` characters (a constrained server, RFC 7644 §3.12). */
const longRefused =
  (max: number) =>
  (sent: Body): Answer | undefined =>
    JSON.stringify(sent)
      .match(/"([^"\\]|\\.)*"/g)
      ?.some((s) => s.length - 2 > max)
      ? scimError(400, 'invalidValue', `a string is longer than ${max} characters`)
      : undefined

/** Refuses any PUT carrying a null or [] anywhere (the fault null-refused). */
const clearingRefused = (sent: Body): Answer | undefined =>
  /:null|:\[\]/.test(JSON.stringify(sent)) ? scimError(400, 'invalidValue', 'must not be null') : undefined

const BODY: Body = {
  schemas: [CORE_USER_URN],
  userName: 'scimc-unit-a@example.com',
  displayName: 'Ada',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  roles: [{ value: 'admin' }, { value: 'dev' }],
}

describe('put.replace.values-stored (RFC 7644 §3.5.1)', () => {
  const noMiddle = new Map([...RFC_ATTRIBUTES].filter(([path]) => path !== 'name.middlename'))
  test.each([
    { given: 'a correct server', serve: (u: Users) => serving(u), body: BODY, declared: null, want: 'passed' },
    {
      given: 'displayName not stored',
      serve: (u: Users) => serving(u, ({ displayName, ...rest }) => rest),
      body: BODY,
      declared: null,
      want: 'failed',
      lost: 'displayName',
    },
    {
      given: 'one role of two not stored',
      serve: (u: Users) => serving(u, (s) => ({ ...s, roles: [{ value: 'admin' }] })),
      body: BODY,
      declared: null,
      want: 'failed',
      lost: 'roles',
    },
    // Trimming is put.replace.whitespace-kept's warning, wherever it sits, never a lost value.
    {
      given: 'white space trimmed at the top level, in a sub-attribute and in a multi-valued item',
      serve: (u: Users) => serving(u, (s) => trimmed(s) as Body),
      body: { ...BODY, displayName: ' Ada ', name: { givenName: 'Ada\t' }, roles: [{ value: ' admin' }] },
      declared: null,
      want: 'passed',
    },
    {
      given: 'a value stored in NFC where NFD was sent',
      serve: (u: Users) => serving(u, (s) => ({ ...s, displayName: 'Zo\u00eb' })),
      body: { ...BODY, displayName: 'Zoe\u0308' },
      declared: null,
      want: 'passed',
    },
    // The constrained server: emails cleared with [] get a default made from userName (§3.5.1 "MAY assign a
    // default value", not a lost value).
    {
      given: 'emails sent as [] and defaulted from userName',
      serve: (u: Users) => serving(u, (s) => ({ ...s, emails: [{ value: s.userName, primary: true }] })),
      body: { ...BODY, emails: [] },
      declared: null,
      want: 'passed',
    },
    // RFC 7644 is silent on unknown attributes: a sub-attribute the server does not declare
    // is unknown to it, not a lost value.
    {
      given: 'a sub-attribute the server does not declare, not stored',
      serve: (u: Users) => serving(u, (s) => ({ ...s, name: { givenName: 'Ada', familyName: 'Lovelace' } }) as Body),
      body: { ...BODY, name: { givenName: 'Ada', familyName: 'Lovelace', middleName: 'King' } },
      declared: noMiddle,
      want: 'passed',
    },
    {
      given: 'a PUT refused for a string over the server’s limit',
      serve: (u: Users) => serving(u, undefined, longRefused(10)),
      body: { ...BODY, displayName: 'A'.repeat(50) },
      declared: null,
      want: 'inconclusive',
    },
  ])('$given → $want', async ({ serve, body, declared, want, lost }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: serve(users), declared })
    const v = await judge(valuesReplaced, ctx, usersOf(users), body)
    expect(v.outcome, v.message).toBe(want)
    if (lost)
      expectFinding(v, {
        received: `GET after PUT differs for ${lost} (`,
        expected: /^the values provided \(RFC 7644 §3\.5\.1\), compared by SCIM rules/,
        fix: 'Store every provided value as sent',
      })
    if (want === 'inconclusive') expect(Object.keys(v.traits ?? {})).toEqual(['constraint.payload'])
    if (declared) expect(v.traits).toHaveProperty(['unknown.name.middleName'])
  })
})

describe('put.replace.whitespace-kept (RFC 7644 §3.5.1, RFC 7643 §2.3.1)', () => {
  const slots = [['displayName'], ['name', 'givenName'], ['roles', '[]', 'value']]
  test.each(
    slots.flatMap((slot) => [
      { given: 'stored as sent', slot, serve: (u: Users) => serving(u), want: 'passed' },
      { given: 'trimmed', slot, serve: (u: Users) => serving(u, (s) => trimmed(s) as Body), want: 'warned' },
    ]),
  )('$slot: $given → $want', async ({ slot, serve, want }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: serve(users) })
    const v = await judge(whitespaceKept, ctx, usersOf(users), [BODY, slot, '  Ada '])
    expect(v.outcome, v.message).toBe(want)
    if (want === 'warned')
      expectFinding(v, {
        received: `${slot.join('.').replace('.[].', '[].')} stored as `,
        expected: '"  Ada ", white space at the ends included (RFC 7643 §2.3.1; RFC 7644 §3.5.1)',
        fix: 'Store strings as sent, without trimming them',
      })
  })

  test.each([
    // Nothing stored: the rule is not reached; the server's input rule is a trait.
    {
      given: 'white space at the ends refused, the same value without it accepted',
      refuse: (sent: Body) => (/"\s|\s"/.test(JSON.stringify(sent)) ? scimError(400, 'invalidValue') : undefined),
      trait: 'constraint.whitespace-at-ends',
    },
    {
      given: 'the payload refused either way',
      refuse: () => scimError(400, 'invalidValue'),
      trait: 'constraint.payload',
    },
  ])('$given → inconclusive ($trait)', async ({ refuse, trait }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: serving(users, undefined, refuse) })
    const v = await judge(whitespaceKept, ctx, usersOf(users), [BODY, ['displayName'], ' Ada '])
    expect(v.outcome, v.message).toBe('inconclusive')
    expect(Object.keys(v.traits ?? {})).toEqual([trait])
  })

  test('a value lost altogether is put.replace.values-stored’s: inconclusive here', async () => {
    const users = { u1: storedUser('u1') }
    const serve = serving(users, ({ displayName, ...rest }) => rest)
    const v = await judge(whitespaceKept, fakeContext({ profile: generic, serve }), usersOf(users), [
      BODY,
      ['displayName'],
      ' Ada ',
    ])
    expect(v.outcome).toBe('inconclusive')
  })

  test('slots include multi-valued items; cube has none of those, only its name sub-attributes', () => {
    const sample = (profile: VendorProfile) =>
      new Set(
        fc
          .sample(whitespaceKept.cases!(fakeContext({ profile, serve: () => ({ status: 500 }) }), usersOf({})), {
            numRuns: 200,
            seed: 1,
          })
          .map(([, slot]) => slot.join('.')),
      )
    expect(sample(generic)).toContain('roles.[].value')
    expect(sample(generic)).toContain('addresses.[].locality')
    expect(sample(cube)).toEqual(new Set(['name.givenName', 'name.familyName']))
  })
})

describe('put.replace.response-matches-get (RFC 7644 §3.5.1)', () => {
  const secret = stringDef('secretCode', { returned: 'request' })
  const withSecret = new Map([...RFC_ATTRIBUTES, ['secretcode', secret]])
  /** Answers each accepted PUT with `answer(stored, sent)` instead of the stored user. */
  const answering =
    (answer: (stored: Body, sent: Body) => Answer): ((u: Users) => Serve) =>
    (users) => {
      const correct = correctServer(users)
      return (request) => {
        const a = correct(request)
        return request.method === 'PUT' && a.status === 200 ? answer(a.body as Body, sentOf(request)) : a
      }
    }
  test.each([
    { given: 'the PUT response is the stored user', serve: (u: Users) => serving(u), declared: null, want: 'passed' },
    {
      given: 'the PUT response is not what a GET shows',
      serve: answering((stored) => ({ status: 200, body: { ...stored, displayName: 'Old' } })),
      declared: null,
      want: 'warned',
    },
    // RFC 7643 §7: "request" is returned in the response to the PUT that set it, not by a GET.
    {
      given: 'a returned "request" attribute only in the PUT response',
      serve: (u: Users) =>
        answering((stored, sent) => ({ status: 200, body: { ...stored, secretCode: sent.secretCode } }))(u),
      declared: withSecret,
      want: 'passed',
    },
    {
      given: 'a 204 without a body',
      serve: answering(() => ({ status: 204 })),
      declared: null,
      want: 'inconclusive',
    },
    {
      given: 'the PUT refused for the server’s own limit',
      serve: (u: Users) => serving(u, undefined, longRefused(2)),
      declared: null,
      want: 'inconclusive',
    },
  ])('$given → $want', async ({ serve, declared, want }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: serve(users), declared })
    const v = await judge(responseMatchesGet, ctx, usersOf(users), { ...BODY, secretCode: 'x1' })
    expect(v.outcome, v.message).toBe(want)
    if (want === 'warned')
      expectFinding(v, {
        received: 'the PUT response and the GET right after it differ in displayName',
        expected: 'the PUT response is the stored resource (RFC 7644 §3.5.1: "the entire resource")',
        fix: /as stored/,
      })
  })
})

describe('put.replace.omitted-attributes (RFC 7644 §3.5.1 MAY)', () => {
  const full: Body = { ...BODY, title: 'Dr', emails: [{ value: 'ada@example.com' }] }
  test.each([
    { given: 'omitted attributes cleared', serve: (u: Users) => serving(u), want: 'passed', trait: 'cleared' },
    {
      given: 'omitted attributes retained',
      serve: (u: Users) => serving(u, (s, sent) => ({ ...s, title: sent.title ?? 'Dr' })),
      want: 'observed',
      trait: 'retained',
    },
    {
      given: 'emails defaulted from userName (as on the first PUT too)',
      serve: (u: Users) => serving(u, (s) => ({ ...s, emails: [{ value: s.userName, primary: true }] })),
      want: 'observed',
      trait: 'defaulted',
    },
    {
      given: 'every PUT refused for the server’s own limit',
      serve: (u: Users) => serving(u, undefined, longRefused(2)),
      want: 'inconclusive',
      trait: undefined,
    },
  ])('$given → $want', async ({ serve, want, trait }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: serve(users) })
    const omit = trait === 'defaulted' ? ['emails'] : ['title']
    const v = await judge(omittedAttributes, ctx, usersOf(users), [full, omit])
    expect(v.outcome, v.message).toBe(want)
    if (trait) expect(v.traits?.[`omitted.${omit[0]}`]).toBe(trait)
  })
})

describe('put.replace.null-clears and put.replace.empty-array-clears (RFC 7644 §3.5.1, RFC 7643 §2.5)', () => {
  const full: Body = { ...BODY, title: 'Dr', active: false, emails: [{ value: 'ada@example.com' }] }
  const other: Body = { ...BODY, title: 'Prof', active: true, emails: [{ value: 'lovelace@example.com' }] }
  /** Keeps the old value of `name` when the PUT sends it null or []. */
  const survives = (name: string) => (u: Users) => {
    const old: Record<string, unknown> = {}
    return serving(u, (stored, sent) => {
      const value = sent[name]
      if (value === null || (Array.isArray(value) && value.length === 0)) return { ...stored, [name]: old[name] }
      old[name] = stored[name]
      return stored
    })
  }
  /** Assigns `value` to `name` whenever the PUT leaves it unassigned. */
  const defaults = (name: string, value: (stored: Body) => unknown) => (u: Users) =>
    serving(u, (stored) =>
      stored[name] === undefined || stored[name] === null || (Array.isArray(stored[name]) && !stored[name].length)
        ? { ...stored, [name]: value(stored) }
        : stored,
    )
  test.each([
    { kind: 'null', given: 'null clears', name: 'title', serve: (u: Users) => serving(u), want: 'passed' },
    { kind: '[]', given: '[] clears', name: 'emails', serve: (u: Users) => serving(u), want: 'passed' },
    {
      kind: 'null',
      given: 'the old value survives null',
      name: 'title',
      serve: survives('title'),
      want: 'warned',
      received: 'title still holding the value from before a PUT with null',
    },
    {
      kind: '[]',
      given: 'the old values survive []',
      name: 'emails',
      serve: survives('emails'),
      want: 'warned',
      received: 'emails still holding the value from before a PUT with []',
    },
    {
      kind: 'null',
      given: 'null refused with 400, the same PUT without the attribute accepted',
      name: 'title',
      serve: (u: Users) => serving(u, undefined, clearingRefused),
      want: 'warned',
      received: '400 invalidValue for a PUT with null for title; the same PUT leaving them out answered 200',
    },
    {
      kind: '[]',
      given: '[] refused with 400, the same PUT without the attribute accepted',
      name: 'emails',
      serve: (u: Users) => serving(u, undefined, clearingRefused),
      want: 'warned',
      received: '400 invalidValue for a PUT with [] for emails; the same PUT leaving them out answered 200',
    },
    {
      kind: 'null',
      given: 'every PUT refused (a string over the server’s limit)',
      name: 'title',
      serve: (u: Users) => serving(u, undefined, longRefused(2)),
      want: 'inconclusive',
    },
    {
      kind: '[]',
      given: 'every PUT refused (a string over the server’s limit)',
      name: 'emails',
      serve: (u: Users) => serving(u, undefined, longRefused(2)),
      want: 'inconclusive',
    },
    {
      kind: '[]',
      given: 'emails defaulted from userName (the constrained server)',
      name: 'emails',
      serve: defaults('emails', (s) => [{ value: s.userName, primary: true }]),
      want: 'observed',
    },
    // The default equals the value held before; setting another value and clearing again tells them apart.
    {
      kind: 'null',
      given: 'active defaulted to true (false before)',
      name: 'active',
      serve: defaults('active', () => true),
      want: 'observed',
    },
    {
      kind: 'null',
      given: 'active kept when sent null',
      name: 'active',
      serve: survives('active'),
      want: 'warned',
      received: 'active still holding the value from before a PUT with null',
    },
  ])('$kind: $given → $want', async ({ kind, name, serve, want, received }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: serve(users) })
    const v = await judge(kind === 'null' ? nullClears : emptyArrayClears, ctx, usersOf(users), [full, other, [name]])
    expect(v.outcome, v.message).toBe(want)
    if (want === 'observed') expect(v.traits?.[`cleared.${name}`]).toBe('defaulted')
    if (received?.includes('still holding'))
      expectFinding(v, {
        received,
        expected: /^the attribute cleared \(RFC 7643 §2\.5: .*\), or a default assigned \(RFC 7644 §3\.5\.1\)$/,
        fix: `Treat ${kind} as "no value"`,
      })
    else if (received)
      expectFinding(v, {
        received,
        expected: `${kind} accepted as "no value" (RFC 7644 §3.5.1: clients MAY send it to clear an attribute)`,
        fix: `Treat ${kind} as the attribute unassigned`,
      })
  })

  test('active true before and defaulted to true: told apart from the old value by a second round', async () => {
    const users = { u1: storedUser('u1') }
    const serve = serving(users, (stored) => (stored.active == null ? { ...stored, active: true } : stored))
    const ctx = fakeContext({ profile: generic, serve })
    const v = await judge(nullClears, ctx, usersOf(users), [{ ...full, active: true }, other, ['active']])
    expect(v.outcome, v.message).toBe('observed')
  })
})

describe('put.replace.unicode-exact and put.replace.long-strings-exact (RFC 7643 §2.3.1)', () => {
  const mangle = (s: string) => s.replace(/[^\x00-\x7F]/gu, '?')
  test.each([
    { given: 'stored as sent', alter: (s: string) => s, want: 'passed', trait: undefined },
    { given: 'stored in NFC', alter: (s: string) => s.normalize('NFC'), want: 'passed', trait: 'NFC' },
    { given: 'stored in NFD', alter: (s: string) => s.normalize('NFD'), want: 'passed', trait: 'NFD' },
    { given: 'non-ASCII replaced by ?', alter: mangle, want: 'failed', trait: undefined },
    // Refused with a short ASCII value too: the server's own constraint, not this rule.
    { given: 'refused whatever the value', alter: null, want: 'inconclusive', trait: undefined },
  ])('unicode: $given → $want', async ({ alter, want, trait }) => {
    const users = { u1: storedUser('u1') }
    const serve = alter
      ? serving(users, (s) => ({ ...s, displayName: alter(s.displayName as string) }))
      : serving(users, undefined, () => scimError(400, 'invalidValue'))
    const ctx = fakeContext({ profile: generic, serve })
    const v = await judge(unicodeExact, ctx, usersOf(users), [BODY, ['displayName'], 'Zoë e\u0301 \u00e9'])
    expect(v.outcome, v.message).toBe(want)
    expect(v.traits?.['strings.normalisation']).toBe(trait)
    if (want === 'failed')
      expectFinding(v, {
        received: 'displayName stored as "Zo? e? ?" (sent 8 characters, stored 8)',
        expected: '"Zoë e\u0301 \u00e9" exactly (RFC 7644 §3.5.1; RFC 7643 §2.3.1)',
        fix: /without re-encoding or replacing characters/,
      })
  })

  const long = 'x'.repeat(300)
  test.each([
    { given: 'stored whole', serve: (u: Users) => serving(u), want: 'passed' },
    {
      given: 'truncated to 255',
      serve: (u: Users) => serving(u, (s) => ({ ...s, displayName: (s.displayName as string).slice(0, 255) })),
      want: 'failed',
    },
    // RFC 7644 §3.12: a value the service cannot store is refused with invalidValue: its own limit, a trait;
    // nothing was stored, so the rule was not reached.
    {
      given: 'refused over 100 characters, a short value accepted',
      serve: (u: Users) => serving(u, undefined, longRefused(100)),
      want: 'inconclusive',
    },
    {
      given: 'refused with a short value too',
      serve: (u: Users) => serving(u, undefined, () => scimError(400, 'invalidValue')),
      want: 'inconclusive',
    },
  ])('long: $given → $want', async ({ serve, want }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: serve(users) })
    const v = await judge(longStringsExact, ctx, usersOf(users), [BODY, ['displayName'], long])
    expect(v.outcome, v.message).toBe(want)
    if (want === 'failed')
      expectFinding(v, {
        received: /^displayName stored as "x{119}… \(sent 300 characters, stored 255\)$/,
        expected: /^"x{119}… exactly \(RFC 7644 §3\.5\.1; RFC 7643 §2\.3\.1\)$/,
        fix: /without truncating/,
      })
    if (want === 'inconclusive') expect(Object.keys(v.traits ?? {})).toHaveLength(1)
  })

  test('only slots the server declares, accepts from clients and returns are probed (RFC 7643 §7)', () => {
    // A server whose /Schemas declares nickName as its only free-text attribute, and name as readOnly.
    const declared = new Map(
      [...RFC_ATTRIBUTES].filter(([path]) => !['displayname', 'title', 'name'].includes(path.split('.')[0])),
    )
    declared.set('name', { ...RFC_ATTRIBUTES.get('name')!, mutability: 'readOnly' })
    const ctx = fakeContext({ profile: generic, serve: () => ({ status: 500 }), declared })
    expect(unicodeExact.skipIf!(ctx)).toBeNull()
    const slots = fc.sample(unicodeExact.cases!(ctx, usersOf({})), { numRuns: 30, seed: 1 }).map(([, s]) => s.join('.'))
    expect(new Set(slots)).toEqual(new Set(['nickName']))
    declared.delete('nickname')
    expect(unicodeExact.skipIf!(fakeContext({ profile: generic, serve: () => ({ status: 500 }), declared }))).toMatch(
      /no free-text string attribute/,
    )
  })

  test('the values carry no white space at their ends (trimming is put.replace.whitespace-kept’s)', () => {
    const ctx = fakeContext({ profile: generic, serve: () => ({ status: 500 }) })
    for (const check of [unicodeExact, longStringsExact])
      for (const [, , value] of fc.sample(check.cases!(ctx, usersOf({})), { numRuns: 50, seed: 3 }))
        expect(value).toBe(value.trim())
  })
})

describe('put.replace.idempotent and put.replace.idempotent-status (RFC 9110 §9.2.2)', () => {
  const updatedAt: AttributeDefinition = { ...stringDef('updatedAt', { mutability: 'readOnly' }), type: 'dateTime' }
  const withUpdatedAt = new Map([...RFC_ATTRIBUTES, ['updatedat', updatedAt]])
  const counting = (answer: (n: number, sent: Body) => Answer): Serve => {
    let n = 0
    return (request) => answer(++n, sentOf(request))
  }
  test.each([
    {
      given: 'the same representation twice',
      serve: () => counting((_n, sent) => ({ status: 200, body: { ...sent, id: 'u1' } })),
      declared: null,
      want: { idempotent: 'passed', status: 'passed' },
    },
    {
      given: '200 then 409',
      serve: () =>
        counting((n, sent) => (n === 1 ? { status: 200, body: { ...sent, id: 'u1' } } : scimError(409, 'uniqueness'))),
      declared: null,
      want: { idempotent: 'inconclusive', status: 'warned' },
      received: { status: '200 then 409 uniqueness for the same PUT' },
    },
    {
      given: 'a readOnly updatedAt that moves',
      serve: () =>
        counting((n, sent) => ({ status: 200, body: { ...sent, id: 'u1', updatedAt: `2024-01-0${n}T00:00:00Z` } })),
      declared: withUpdatedAt,
      want: { idempotent: 'passed', status: 'passed' },
    },
    {
      given: 'a different displayName the second time',
      serve: () => counting((n, sent) => ({ status: 200, body: { ...sent, id: 'u1', displayName: `v${n}` } })),
      declared: null,
      want: { idempotent: 'failed', status: 'passed' },
      received: { idempotent: 'the second identical PUT returned a different resource (displayName)' },
    },
    {
      given: 'the first PUT refused (the server’s own limit)',
      serve: () => counting(() => scimError(400, 'invalidValue')),
      declared: null,
      want: { idempotent: 'inconclusive', status: 'inconclusive' },
    },
  ])('$given → $want', async ({ serve, declared, want, received }) => {
    const run = (check: typeof idempotent) =>
      judge(check, fakeContext({ profile: generic, serve: serve(), declared }), usersOf({ u1: {} }), BODY)
    const [a, b] = [await run(idempotent), await run(idempotentStatus)]
    expect({ idempotent: a.outcome, status: b.outcome }).toEqual(want)
    if (received?.idempotent)
      expectFinding(a, {
        received: received.idempotent,
        expected: 'the same representation (RFC 9110 §9.2.2: PUT is idempotent)',
      })
    if (received?.status)
      expectFinding(b, {
        received: received.status,
        expected: 'the same outcome both times (RFC 9110 §9.2.2: PUT is idempotent)',
        fix: 'Answer a repeated PUT as the first one',
      })
  })
})

describe('put.replace.case-insensitive-names (RFC 7643 §2.1)', () => {
  /** A server that knows names only as the schema spells them: UserName is no userName to it. */
  const caseSensitive = (u: Users) =>
    serving(u, undefined, (sent) => (typeof sent.userName === 'string' ? undefined : scimError(400, 'invalidValue')))
  /** A schemaless store: keeps every key as sent, so UserName is a key of its own. */
  const schemaless = (u: Users): Serve => {
    const correct = correctServer(u)
    return (request) => {
      if (request.method !== 'PUT') return correct(request)
      const id = idOf(request)
      const { id: _i, meta: _m, ...rest } = sentOf(request)
      u[id] = { ...rest, id, meta: u[id].meta }
      return { status: 200, body: u[id] }
    }
  }
  test.each([
    { given: 'a correct server', serve: (u: Users) => serving(u), want: 'passed' },
    {
      given: 'UserName not understood (400)',
      serve: caseSensitive,
      want: 'warned',
      received: /^400 invalidValue for a payload with capital-cased attribute names; .* camelCase names answered 200$/,
    },
    {
      given: 'UserName stored as a key of its own',
      serve: schemaless,
      want: 'warned',
      received: /^after a PUT with capital-cased names, GET differs .* stores: .*UserName kept as sent/,
    },
    {
      given: 'refused for a long string, whatever the case of the names',
      serve: (u: Users) => serving(u, undefined, longRefused(10)),
      want: 'inconclusive',
    },
  ])('$given → $want', async ({ serve, want, received }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: serve(users) })
    const body = want === 'inconclusive' ? { ...BODY, displayName: 'A'.repeat(50) } : BODY
    const v = await judge(caseInsensitiveNames, ctx, usersOf(users), [body, 'capital'])
    expect(v.outcome, v.message).toBe(want)
    if (received) expectFinding(v, { received, expected: /whatever the case of the names \(RFC 7643 §2\.1\)$/ })
    if (want === 'passed') expect(v.message).toMatch(/stored as the camelCase attributes are/)
    if (want === 'inconclusive') expect(v.traits).toHaveProperty(['constraint.payload'])
  })

  test('the message of a schemaless store names the key it kept', async () => {
    const users = { u1: storedUser('u1') }
    const correct = correctServer(users)
    const serve: Serve = (request) => {
      if (request.method !== 'PUT') return correct(request)
      const { id: _i, meta: _m, ...rest } = sentOf(request)
      users.u1 = { ...rest, id: 'u1', meta: users.u1.meta }
      return { status: 200, body: users.u1 }
    }
    const v = await judge(caseInsensitiveNames, fakeContext({ profile: generic, serve }), usersOf(users), [
      BODY,
      'capital',
    ])
    expect(v.message).toMatch(/UserName kept as sent \(the camelCase PUT stores userName\)/)
  })
})

describe('put.replace.password-not-returned (RFC 7643 §4.1.1)', () => {
  test.each([
    { given: 'password dropped from every representation', serve: (u: Users) => serving(u), want: 'passed' },
    {
      given: 'password echoed',
      serve: (u: Users) => serving(u, (s, sent) => ({ ...s, password: sent.password })),
      want: 'failed',
    },
    {
      given: 'the PUT refused (the server’s own limit)',
      serve: (u: Users) => serving(u, undefined, () => scimError(400, 'invalidValue')),
      want: 'inconclusive',
    },
  ])('$given → $want', async ({ serve, want }) => {
    const users = { u1: storedUser('u1') }
    // The correct server stores what it is sent: a correct one never returns password.
    const drop =
      (s: Serve): Serve =>
      (r) => {
        const a = s(r)
        if (typeof a.body !== 'object' || a.body === null || want === 'failed') return a
        const { password: _p, ...rest } = a.body as Body
        return { ...a, body: rest }
      }
    const ctx = fakeContext({ profile: generic, serve: drop(serve(users)) })
    const v = await judge(passwordNotReturned, ctx, usersOf(users), [BODY, 'Pw1!correct-horse'])
    expect(v.outcome, v.message).toBe(want)
    if (want === 'failed')
      expectFinding(v, {
        received: 'password returned in the PUT and GET response',
        expected: 'password never returned (RFC 7643 §4.1.1: returned "never")',
        fix: /Drop password/,
      })
  })
})

describe('put.replace.whole-body-echo and -mutability (RFC 7644 §3.5.1, §3.12)', () => {
  /** Refuses a PUT that carries `id` with `status`/`scimType`, and serves it without. */
  const refusingReadOnly = (status: number, scimType?: string) => (u: Users) =>
    serving(u, undefined, (sent) => ('id' in sent ? scimError(status, scimType) : undefined))
  test.each([
    { given: 'the echo accepted', serve: (u: Users) => serving(u), want: ['passed', 'passed'] },
    {
      given: 'the echo refused with 400 mutability, accepted without id, meta and groups',
      serve: refusingReadOnly(400, 'mutability'),
      want: ['inconclusive', 'warned'],
      received:
        '400 mutability for a PUT of the body GET returned; without id, meta and groups the same body answered 200',
    },
    {
      given: 'the echo refused with 400 invalidSyntax, accepted without id, meta and groups',
      serve: refusingReadOnly(400, 'invalidSyntax'),
      want: ['failed', 'inconclusive'],
      received:
        '400 invalidSyntax for a PUT of the body GET returned; without id, meta and groups the same body answered 200',
    },
    // The server refuses its own representation for another reason (e.g. a response without schemas).
    {
      given: 'refused with and without the readOnly attributes',
      serve: (u: Users) => serving(u, undefined, () => scimError(400, 'invalidSyntax')),
      want: ['inconclusive', 'inconclusive'],
    },
    {
      given: 'a GET without a JSON resource',
      serve: (u: Users): Serve => {
        const s = serving(u)
        return (r) => (r.method === 'GET' ? { status: 200 } : s(r))
      },
      want: ['skipped', 'skipped'],
    },
  ])('$given → $want', async ({ serve, want, received }) => {
    const outcomes = []
    const expected = {
      [wholeBodyEcho.id]: '200 (RFC 7644 §3.5.1: readOnly values in the body SHALL be ignored)',
      [wholeBodyEchoMutability.id]: /^200 \(RFC 7644 §3\.5\.1: clients MAY send all attributes; .*unchanged\)$/,
    }
    for (const check of [wholeBodyEcho, wholeBodyEchoMutability]) {
      const users = { u1: storedUser('u1', { displayName: 'Ada' }) }
      const ctx = fakeContext({ profile: generic, serve: serve(users) })
      const v = await judge(check, ctx, usersOf(users), undefined)
      outcomes.push(v.outcome)
      if (received && (v.outcome === 'failed' || v.outcome === 'warned'))
        expectFinding(v, { received, expected: expected[check.id], fix: /Ignore id, meta and groups/ })
    }
    expect(outcomes).toEqual(want)
  })
})

describe('put.replace.primary-once (RFC 7643 §2.4)', () => {
  const primaries = (sent: Body) =>
    Array.isArray(sent.emails) ? sent.emails.filter((e) => (e as Body).primary === true).length : 0
  test.each([
    {
      given: 'two primaries refused with 400, one accepted',
      serve: (u: Users) =>
        serving(u, undefined, (s) => (primaries(s) > 1 ? scimError(400, 'invalidValue') : undefined)),
      want: 'passed',
      trait: 'rejected (400 invalidValue)',
    },
    {
      given: 'normalised to one primary',
      serve: (u: Users) =>
        serving(u, (s) => ({
          ...s,
          emails: (s.emails as Body[]).map((e, i) => ({ ...e, primary: i === 0 })),
        })),
      want: 'passed',
      trait: 'normalised',
    },
    {
      given: 'both primaries stored',
      serve: (u: Users) => serving(u),
      want: 'failed',
      trait: undefined,
      received: '2 values of emails with primary true in the PUT response',
    },
    {
      given: 'refused with one primary too (the server’s own limit)',
      serve: (u: Users) => serving(u, undefined, () => scimError(400, 'invalidValue')),
      want: 'inconclusive',
      trait: undefined,
    },
  ])('$given → $want', async ({ serve, want, trait, received }) => {
    const users = { u1: storedUser('u1') }
    const ctx = fakeContext({ profile: generic, serve: serve(users) })
    const v = await judge(primaryOnce, ctx, usersOf(users), [BODY, 'emails'])
    expect(v.outcome, v.message).toBe(want)
    expect(v.traits?.['primary.twoInRequest.emails']).toBe(trait)
    if (received)
      expectFinding(v, {
        received,
        expected: 'at most one (RFC 7643 §2.4: the primary value "true" MUST appear no more than once)',
        fix: /400 invalidValue, or keep one primary/,
      })
  })
})
