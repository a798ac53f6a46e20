import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Answer,
  correctServer,
  fakeContext,
  judgeCase,
  scimError,
  storedUser,
  usersOf,
} from '../../../test/support/fake-target.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import type { ProbeCase } from '../probes/mixed-cases.ts'
import { REFUSAL_RULE } from '../probes/refusal-unchanged.ts'
import { refusalUnchanged } from './invalid.ts'

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

type Users = Record<string, Record<string, unknown>>
type Change = (request: SendOptions, correct: Answer, users: Users) => Answer | undefined
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const OLD = { displayName: 'Old Name', emails: [{ value: 'old@example.com', type: 'work' }] }
const NEW = { displayName: 'New Name', emails: [{ value: 'new@example.com', type: 'work' }] }

/** An invalid PUT of the kind the check draws: new values everywhere, no userName (a 400 on a correct server). */
const MISSING: ProbeCase = {
  label: 'userName missing',
  kind: 'username-missing',
  body: JSON.stringify({ schemas: [CORE], ...NEW }),
  contentType: 'application/scim+json',
}

const bodyOf = (r: SendOptions): Record<string, unknown> => JSON.parse(String(r.rawBody ?? '{}'))
const isPut = (r: SendOptions) => r.method === 'PUT'

/** Writes the body's values (userName aside) before answering the refusal. */
const writesFirst: Change = (r, correct, users) => {
  if (!isPut(r) || correct.status < 400) return undefined
  const { userName: _u, ...values } = bodyOf(r)
  users.u1 = { ...users.u1, ...values }
  return undefined
}

/** Writes the body's values, then answers `answer`: a refusal decided after the write. */
const writesThen =
  (answer: Answer): Change =>
  (r, _c, users) => {
    if (!isPut(r)) return undefined
    writesFirst(r, { status: 400 }, users)
    return answer
  }

async function run(change?: Change, input: ProbeCase = MISSING) {
  const users: Users = { u1: storedUser('u1', OLD), u2: storedUser('u2', OLD) }
  // The fake reads `json`; the check sends the raw body, so the fake is given it parsed.
  const correct = correctServer(users)
  const serve = (r: SendOptions) => {
    const request = isPut(r) ? { ...r, json: safeParse(r) } : r
    const answer = correct(request)
    return change?.(r, answer, users) ?? answer
  }
  return judgeCase(refusalUnchanged, fakeContext({ profile: generic, serve }), usersOf(users), input)
}

function safeParse(r: SendOptions): unknown {
  try {
    return bodyOf(r)
  } catch {
    return {}
  }
}

describe('given/want: put.invalid.refusal-unchanged (MUST: a refused PUT changes nothing)', () => {
  test.each<{ name: string; change?: Change; input?: ProbeCase; want: string; message?: RegExp }>([
    { name: 'a correct server: 400, the user as before', want: 'passed' },
    {
      name: 'the values stored before the 400 (validation after writing)',
      change: writesFirst,
      want: 'failed',
      message: /^Received: after a 400 invalidValue refusal, a GET shows displayName, emails changed/,
    },
    {
      name: 'stored before a 409 (the uniqueness check after the write)',
      change: writesThen(scimError(409, 'uniqueness')),
      want: 'failed',
    },
    {
      name: 'one value cleared by a refused PUT (an omitted attribute dropped before refusing)',
      change: (r, c, users) => {
        if (!isPut(r) || c.status < 400) return undefined
        const { displayName: _d, ...rest } = users.u1
        users.u1 = rest
        return undefined
      },
      input: { ...MISSING, body: JSON.stringify({ schemas: [CORE], emails: OLD.emails }) },
      want: 'failed',
      message: /displayName changed/,
    },
    {
      name: 'the invalid PUT accepted: no refusal to judge (put.invalid.* judges that)',
      change: (r) => (isPut(r) ? { status: 200, body: storedUser('u1', NEW) } : undefined),
      want: 'inconclusive',
    },
    {
      name: 'a 500: put.status.no-5xx owns it',
      change: writesThen(scimError(500)),
      want: 'inconclusive',
    },
    {
      name: 'the user gone after the refusal (GET 404): nothing to compare',
      change: (r, _c, users) => {
        if (isPut(r)) delete users.u1
        return isPut(r) ? scimError(400, 'invalidValue') : undefined
      },
      want: 'inconclusive',
    },
  ])('$name → $want', async ({ change, input, want, message }) => {
    const v = await run(change, input)
    expect(v.outcome, v.message).toBe(want)
    if (message) expect(v.message).toMatch(message)
    if (want === 'failed') {
      expect(v.finding?.expected).toContain(REFUSAL_RULE.id)
      expect(v.traits?.sideEffect).toBe(REFUSAL_RULE.id)
    }
  })

  test('only meta moved is recorded as the sideEffect.meta trait', async () => {
    const v = await run((r, _c, users) => {
      const meta = { ...(users.u1.meta as object), lastModified: '2025-01-01T00:00:00Z' }
      if (isPut(r)) users.u1 = { ...users.u1, meta }
      return undefined
    })
    expect(v.outcome).toBe('passed')
    expect(v.traits?.['sideEffect.meta']).toMatch(/^meta\.lastModified .* after a 400 refusal, no value changed$/)
  })
})
