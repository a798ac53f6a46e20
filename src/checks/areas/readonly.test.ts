import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Answer,
  correctServer,
  fakeContext,
  judgeCase,
  RFC_ATTRIBUTES,
  type Serve,
  scimError,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import { idOf } from '../../../test/support/fake-versions.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import { CORE_USER_URN } from '../../scim/core-schema.ts'
import type { CheckDefinition } from '../define-check.ts'
import {
  groupsIgnored,
  idIgnored,
  immutableMutability,
  immutableUnchanged,
  metaIgnored,
  refusalMutability,
} from './readonly.ts'

type Body = Record<string, unknown>
type Users = Record<string, Record<string, unknown>>
type Change = (request: SendOptions, correct: Answer) => Answer | undefined
type ReadOnlyName = 'id' | 'meta' | 'groups'

let generic: VendorProfile
let maia: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
  maia = await loadProfile({ vendor: 'maia', validate: false })
})

const BODY: Body = { schemas: [CORE_USER_URN], userName: 'scimc-unit-new@example.com', displayName: 'New' }
const DECOY = '0f8fad5b-d9cb-469f-a165-70867728950e'
const LONG = '"displayName" is 120 characters long; this service stores at most 100 characters.'
const sent = (r: SendOptions) => (r.json ?? {}) as Body
const carries = (name: ReadOnlyName) => (r: SendOptions) => r.method === 'PUT' && name in sent(r)

/** Every PUT refused for a constraint of the server's own, whatever it carries. */
const refused: Change = (r) => (r.method === 'PUT' ? scimError(400, 'invalidValue', LONG) : undefined)
/** A PUT carrying `name` refused with `status scimType`; the same PUT without it accepted. */
const refusesCarrying =
  (name: ReadOnlyName, status: number, scimType?: string): Change =>
  (r) =>
    carries(name)(r) ? scimError(status, scimType, `${name} is readOnly`) : undefined

/** Faults: the readOnly value from the body stored. */
function storing(name: ReadOnlyName): (users: Users) => Serve {
  return (users) => {
    const inner = correctServer(users)
    return (r) => {
      const answer = inner(r)
      const id = idOf(r)
      if (!id || !carries(name)(r) || answer.status >= 300) return answer
      const stored = users[id]
      if (name === 'id') {
        delete users[id]
        users[sent(r).id as string] = { ...stored, id: sent(r).id }
        return { status: 200, body: users[sent(r).id as string] }
      }
      if (name === 'meta') stored.meta = { ...(stored.meta as Body), created: (sent(r).meta as Body).created as string }
      if (name === 'groups') stored.groups = sent(r).groups
      return { status: 200, body: stored }
    }
  }
}

type Checked = CheckDefinition<[Body, string]> | typeof refusalMutability
/** put.readonly.refusal-mutability draws which readOnly attribute to send; the MUST checks each send their own. */
const drawsName = (check: Checked): check is typeof refusalMutability => check === refusalMutability

interface Row {
  check: Checked
  name: ReadOnlyName
  given: string
  serve?: (users: Users) => Serve
  change?: Change
  maia?: boolean
  want: string
  message?: RegExp
  traits?: Record<string, string>
  /** The fields of the finding a violation carries (strings or `expect.stringMatching`). */
  finding?: Record<string, unknown>
}

async function judge(row: Row) {
  const users: Users = { u1: storedUser('u1', { displayName: 'Old' }) }
  const serve = row.serve ? row.serve(users) : correctServer(users, row.change)
  const ctx = fakeContext({ profile: row.maia ? maia : generic, serve })
  if (drawsName(row.check))
    return judgeCase<[ReadOnlyName, Body, string]>(row.check, ctx, usersOf(users), [row.name, BODY, DECOY])
  return judgeCase<[Body, string]>(row.check, ctx, usersOf(users), [BODY, DECOY])
}

const must = { id: idIgnored, meta: metaIgnored, groups: groupsIgnored }

const rows: Row[] = [
  // put.readonly.{id,meta,groups}-ignored (MUST, RFC 7644 §3.5.1): the value is never stored.
  ...(['id', 'meta', 'groups'] as const).flatMap((name): Row[] => [
    { check: must[name], name, given: 'a correct server', want: 'passed', traits: { [`readOnly.${name}`]: 'ignored' } },
    {
      check: must[name],
      name,
      given: 'the value stored',
      serve: storing(name),
      want: 'failed',
      finding: {
        received: expect.stringMatching(/ \(the PUT carrying .* answered 200\)$/),
        expected: expect.stringMatching(
          new RegExp(`^${name} ignored: readOnly values SHALL be ignored \\(RFC 7644 §3\\.5\\.1\\)`),
        ),
        fix: 'Drop readOnly attributes from PUT bodies before storing.',
      },
    },
    {
      check: must[name],
      name,
      given: '400 mutability (RFC 7644 §3.12)',
      change: refusesCarrying(name, 400, 'mutability'),
      want: 'passed',
    },
    {
      check: must[name],
      name,
      given: '400 invalidValue that is the value’s (the PUT without it accepted): nothing stored',
      change: refusesCarrying(name, 400, 'invalidValue'),
      want: 'passed',
      traits: { [`readOnly.${name}`]: 'refused (400 invalidValue)' },
    },
    {
      check: must[name],
      name,
      given: 'every PUT refused (a constraint, the constrained server)',
      change: refused,
      want: 'inconclusive',
      message: /refused too/,
      traits: { 'constraint.put-body': `400 invalidValue (${JSON.stringify(LONG)})` },
    },
  ]),
  // put.readonly.refusal-mutability (SHOULD): ignored, or refused with 400 mutability.
  ...(['id', 'meta', 'groups'] as const).flatMap((name): Row[] => [
    { check: refusalMutability, name, given: 'a correct server', want: 'passed' },
    {
      check: refusalMutability,
      name,
      given: '400 mutability',
      change: refusesCarrying(name, 400, 'mutability'),
      want: 'passed',
    },
    {
      check: refusalMutability,
      name,
      given: '400 invalidValue that is the value’s',
      change: refusesCarrying(name, 400, 'invalidValue'),
      want: 'warned',
      finding: {
        received: expect.stringMatching(new RegExp(`^400 invalidValue .* without ${name} was accepted \\(200\\)$`)),
        expected: expect.stringMatching(/400 with scimType "mutability" \(RFC 7644 §3\.12\)$/),
      },
    },
    {
      check: refusalMutability,
      name,
      given: '400 without scimType that is the value’s',
      change: refusesCarrying(name, 400),
      want: 'warned',
    },
    {
      check: refusalMutability,
      name,
      given: 'every PUT refused (a constraint)',
      change: refused,
      want: 'inconclusive',
    },
    {
      check: refusalMutability,
      name,
      given: 'the value stored (the MUST check’s finding)',
      serve: storing(name),
      want: 'inconclusive',
      message: new RegExp(`put\\.readonly\\.${name}-ignored`),
    },
  ]),
  {
    check: refusalMutability,
    name: 'id',
    given: 'maia (problem details, no scimType): a 400 for the id, the PUT without it accepted',
    maia: true,
    change: refusesCarrying('id', 400),
    want: 'passed',
  },
  {
    check: refusalMutability,
    name: 'id',
    given: 'maia (problem details): every PUT refused (a constraint)',
    maia: true,
    change: refused,
    want: 'inconclusive',
  },
  {
    check: idIgnored,
    name: 'id',
    given: 'maia (problem details): every PUT refused (a constraint)',
    maia: true,
    change: refused,
    want: 'inconclusive',
  },
]

describe('readOnly checks: given a server, want a graded verdict (RFC 7644 §3.5.1)', () => {
  test.each(rows)('$check.id ($name): $given → $want', async (row) => {
    const v = await judge(row)
    expect(v.outcome, v.message).toBe(row.want)
    if (row.message) expect(v.message).toMatch(row.message)
    if (row.traits) expect(v.traits).toEqual(row.traits)
    // A violation carries its facts as data (issue 13); nothing else does.
    if (v.outcome === 'failed' || v.outcome === 'warned') expect(v.finding).toMatchObject(row.finding ?? {})
    else expect(v.finding).toBeUndefined()
  })

  test('a user moved to the decoy id is adopted and deleted there, and the check fails', async () => {
    const v = await judge({ check: idIgnored, name: 'id', given: '', serve: storing('id'), want: 'failed' })
    expect(v.finding?.received).toMatch(/^the user is no longer found at its id after the PUT/)
  })
})

/** RFC 7643 characteristics with externalId declared immutable, as a server's /Schemas would. */
function immutableExternalId() {
  const declared = new Map(RFC_ATTRIBUTES)
  declared.set('externalid', { ...declared.get('externalid')!, mutability: 'immutable' })
  return declared
}

/** A server holding externalId "first" for u1; `onChange` answers a PUT changing it (undefined: a correct replace). */
function immutableServer(users: Users, onChange: (r: SendOptions) => Answer | 'store' | undefined): Serve {
  const inner = correctServer(users)
  return (r) => {
    const current = users.u1?.externalId
    if (r.method === 'PUT' && current !== undefined && sent(r).externalId !== current) {
      const answer = onChange(r)
      if (answer !== 'store') return answer ?? inner({ ...r, json: { ...sent(r), externalId: current } })
    }
    return inner(r)
  }
}

describe('immutable checks: given a server declaring externalId immutable (RFC 7644 §3.5.1)', () => {
  const judgeImmutable = async (
    check: typeof immutableUnchanged,
    onChange: (r: SendOptions) => Answer | 'store' | undefined,
    options: { values?: [string, string]; refuseAll?: boolean } = {},
  ) => {
    const users: Users = { u1: storedUser('u1', { externalId: 'first' }) }
    const server = immutableServer(users, onChange)
    const serve: Serve = (r) => (options.refuseAll ? refused(r, { status: 0 }) : undefined) ?? server(r)
    const ctx = fakeContext({ profile: generic, serve, declared: immutableExternalId() })
    expect(check.skipIf?.(ctx)).toBeNull()
    const [first, second] = options.values ?? ['first', 'second']
    return judgeCase(check, ctx, usersOf(users), [BODY, 'externalId', first, second])
  }

  test.each<{
    given: string
    onChange: (r: SendOptions) => Answer | 'store' | undefined
    refuseAll?: boolean
    want: string[]
  }>([
    {
      given: '400 mutability, the value kept',
      onChange: () => scimError(400, 'mutability'),
      want: ['passed', 'passed'],
    },
    { given: 'the new value stored', onChange: () => 'store' as const, want: ['failed', 'inconclusive'] },
    { given: '200, the value kept', onChange: () => undefined, want: ['passed', 'warned'] },
    {
      given: '400 invalidValue that is the value’s (the PUT keeping it accepted)',
      onChange: () => scimError(400, 'invalidValue'),
      want: ['passed', 'warned'],
    },
    {
      given: 'every PUT refused (a constraint)',
      onChange: () => undefined,
      refuseAll: true,
      want: ['inconclusive', 'inconclusive'],
    },
  ])('$given → unchanged $want.0, mutability $want.1', async ({ onChange, refuseAll, want }) => {
    const unchanged = await judgeImmutable(immutableUnchanged, onChange, { refuseAll })
    const mutability = await judgeImmutable(immutableMutability, onChange, { refuseAll })
    expect([unchanged.outcome, mutability.outcome], `${unchanged.message}\n${mutability.message}`).toEqual(want)
  })

  test('a case with two equal values never reaches the rule', async () => {
    const v = await judgeImmutable(immutableUnchanged, () => 'store', { values: ['same', 'same'] })
    expect(v.outcome).toBe('inconclusive')
  })

  test('the finding names the attribute and the stored change', async () => {
    const v = await judgeImmutable(immutableUnchanged, () => 'store')
    expect(v.finding).toEqual({
      received: '200, and externalId changed from "first" to the value sent',
      expected: 'the value kept: the input value of an immutable attribute MUST match (RFC 7644 §3.5.1)',
      fix: 'Refuse changes to immutable attributes with 400 mutability.',
    })
  })

  test('a refusal other than 400 mutability that is the change’s: the finding says what came back', async () => {
    const v = await judgeImmutable(immutableMutability, () => scimError(400, 'invalidValue'))
    expect(v.outcome).toBe('warned')
    expect(v.finding).toEqual({
      received: '400 invalidValue for a changed immutable externalId (the value was kept)',
      expected: '400 with scimType "mutability" (RFC 7644 §3.5.1)',
    })
  })

  test('both skip where no immutable attribute is declared', () => {
    const ctx = fakeContext({ profile: generic, serve: correctServer({}), declared: new Map(RFC_ATTRIBUTES) })
    expect(immutableUnchanged.skipIf?.(ctx)).toMatch(/no immutable attribute/)
    expect(immutableMutability.skipIf?.(ctx)).toMatch(/no immutable attribute/)
  })
})
