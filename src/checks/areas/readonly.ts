import fc from 'fast-check'
import { scimUserAttribute } from '../../generate/scim-user.ts'
import type { Exchange } from '../../http/exchange.ts'
import { differs, getAttr, isUnassigned, sameRepresentation } from '../compare.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { defineCheck, verdict, violation, type Verdict } from '../define-check.ts'
import {
  describeRefusal,
  isMutability400,
  isMutabilityVariant,
  refusedByConstraint,
  sendControl,
  type Control,
} from '../probes/attribution.ts'
import { firstSeen } from '../probes/first-seen.ts'
import { validPayloads } from '../probes/payloads.ts'
import { declaredWith } from '../probes/server-schemas.ts'
import { bodyObject, describeStatus, getUser, is2xx, noResponse, putUser, statusOf } from '../probes/requests.ts'

type Body = Record<string, unknown>

/** The readOnly attributes of a User a client may send (RFC 7644 §3.5.1: "Any values provided SHALL be ignored"). */
type ReadOnlyName = 'id' | 'meta' | 'groups'

const DECOY_META = {
  resourceType: 'Group',
  created: '2001-01-01T00:00:00Z',
  lastModified: '2001-01-01T00:00:00Z',
  location: 'https://decoy.invalid/Users/decoy',
  version: 'W/"decoy"',
}

/** Two DateTime values are the same instant (or the same value, when one is not a DateTime). */
function sameInstant(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'string' || typeof b !== 'string') return false
  return !Number.isNaN(Date.parse(a)) && Date.parse(a) === Date.parse(b)
}

interface Probed {
  ctx: CheckContext
  users: CheckUsers
  body: Body
  decoy: string
  before: Exchange
  put: Exchange
  get: Exchange
}

/** How each readOnly attribute is sent, and how a stored change shows (a description, or null). */
const READ_ONLY: Record<
  ReadOnlyName,
  { what: string; send: (body: Body, decoy: string) => Body; changed: (p: Probed) => Promise<string | null> }
> = {
  id: {
    what: 'an id different from the path',
    send: (body, decoy) => ({ ...body, id: decoy }),
    async changed({ ctx, users, body, decoy, put, get }) {
      if (statusOf(get) === 404) {
        // The user moved to the decoy id: delete it there too, so the target is left as it was found, but
        // only when a GET there shows the userName this PUT sent (the decoy may be a real user's id).
        if (await ctx.users.adopt(decoy, String(getAttr(body, 'userName')))) await ctx.users.removeOne(decoy)
        return 'the user is no longer found at its id after the PUT (GET answered 404)'
      }
      if (getAttr(bodyObject(get), 'id') !== users.ids[0])
        return `the GET after the PUT shows id ${JSON.stringify(getAttr(bodyObject(get), 'id'))}`
      const returned = getAttr(bodyObject(put), 'id')
      if (is2xx(put) && returned !== undefined && returned !== users.ids[0])
        return `the PUT response shows id ${JSON.stringify(returned)}`
      return null
    },
  },
  meta: {
    what: 'a decoy meta (created, lastModified, resourceType, location, version)',
    send: (body) => ({ ...body, meta: DECOY_META }),
    async changed({ users, before, get }) {
      const b = firstSeen(users, 'meta', getAttr(bodyObject(before), 'meta'))
      const a = getAttr(bodyObject(get), 'meta')
      const changed: string[] = []
      if (!sameInstant(getAttr(a, 'created'), getAttr(b, 'created')))
        changed.push(
          `meta.created ${JSON.stringify(getAttr(b, 'created'))} became ${JSON.stringify(getAttr(a, 'created'))}`,
        )
      if (getAttr(a, 'resourceType') === DECOY_META.resourceType) changed.push('meta.resourceType became "Group"')
      if (sameInstant(getAttr(a, 'lastModified'), DECOY_META.lastModified))
        changed.push('meta.lastModified took the decoy value')
      if (String(getAttr(a, 'location') ?? '').includes('decoy.invalid'))
        changed.push('meta.location took the decoy URL')
      if (getAttr(a, 'version') === DECOY_META.version) changed.push('meta.version took the decoy value')
      return changed.length > 0 ? changed.join('; ') : null
    },
  },
  groups: {
    what: 'groups (a membership)',
    send: (body, decoy) => ({ ...body, groups: [{ value: decoy, display: 'decoy group' }] }),
    async changed({ ctx, users, before, get }) {
      const b = firstSeen(users, 'groups', getAttr(bodyObject(before), 'groups'))
      const a = getAttr(bodyObject(get), 'groups')
      if (isUnassigned(b) && isUnassigned(a)) return null
      return sameRepresentation({ groups: b }, { groups: a }, ctx.attribute).length > 0
        ? `groups changed from ${JSON.stringify(b ?? [])} to ${JSON.stringify(a ?? [])}`
        : null
    },
  },
}

/** One readOnly probe: the GETs around a PUT carrying the value, what it changed, and the control of a refusal. */
interface ReadOnlyProbe {
  name: ReadOnlyName
  before: Exchange
  put: Exchange
  get: Exchange
  /** The stored change the value made, or null. */
  problem: string | null
  /** The same PUT without the readOnly value, sent when the PUT was refused other than with 400 mutability. */
  control: Control | null
}

const exchangesOf = (p: ReadOnlyProbe) => [p.before, p.put, p.get, ...(p.control ? [p.control.control] : [])]

async function probeReadOnly(
  ctx: CheckContext,
  users: CheckUsers,
  name: ReadOnlyName,
  body: Body,
  decoy: string,
): Promise<ReadOnlyProbe | Verdict> {
  const id = users.ids[0]
  const before = await getUser(ctx, id)
  const put = await putUser(ctx, id, READ_ONLY[name].send(body, decoy))
  const get = await getUser(ctx, id)
  noResponse([before, put, get])
  const unseen = [before, get].find((e) => statusOf(e) !== 200 && !(e === get && name === 'id' && statusOf(e) === 404))
  if (unseen)
    return verdict(
      'inconclusive',
      `the GET of the test user ${unseen === before ? 'before' : 'after'} the PUT answered ` +
        `${describeStatus(unseen)}, so there is no stored state to judge`,
      [before, put, get],
    )
  const problem = await READ_ONLY[name].changed({ ctx, users, body, decoy, before, put, get })
  // Attribution by control: a refusal is the readOnly value's only when the same PUT without it is accepted.
  const control = problem || is2xx(put) || isMutability400(put) ? null : await sendControl(() => putUser(ctx, id, body))
  return { name, before, put, get, problem, control }
}

const traitOf = (p: ReadOnlyProbe, value: string) => ({ [`readOnly.${p.name}`]: value })

/** The control was refused too: the refusal is the server's own constraint, not the readOnly value's. */
function constraintOf(p: ReadOnlyProbe): Verdict | null {
  if (!p.control || p.control.accepted) return null
  return refusedByConstraint({
    what: `the PUT carrying ${READ_ONLY[p.name].what}`,
    without: `the same PUT without ${p.name}`,
    refused: p.put,
    control: p.control.control,
    exchanges: exchangesOf(p),
    key: 'put-body',
  })
}

/**
 * RFC 7644 §3.5.1 (readOnly values "SHALL be ignored") and RFC 7643 §3.1 (meta "SHALL be ignored when
 * provided by clients"): whatever the answer, the value is never stored. A 2xx that ignores it, a 400
 * mutability (§3.12's own example) and a refusal that is the value's (the same PUT without it accepted) all
 * keep the rule; put.readonly.refusal-mutability grades the kind of refusal.
 */
function judgeStored(p: ReadOnlyProbe): Verdict {
  const what = READ_ONLY[p.name].what
  if (p.problem)
    return violation(
      {
        received: `${p.problem} (the PUT carrying ${what} answered ${describeStatus(p.put)})`,
        expected:
          `${p.name} ignored: readOnly values SHALL be ignored (RFC 7644 §3.5.1), ` +
          'or the PUT refused with 400 mutability (RFC 7644 §3.12)',
        fix: 'Drop readOnly attributes from PUT bodies before storing.',
      },
      exchangesOf(p),
      { focus: 1 },
    )
  if (is2xx(p.put)) return verdict('passed', `${what} ignored`, exchangesOf(p), { traits: traitOf(p, 'ignored') })
  const constraint = constraintOf(p)
  if (constraint) return constraint
  return verdict(
    'passed',
    `the PUT carrying ${what} was refused with ${describeStatus(p.put)} and nothing was stored` +
      (p.control ? ' (put.readonly.refusal-mutability judges the kind of refusal)' : ''),
    exchangesOf(p),
    { traits: traitOf(p, `refused (${describeStatus(p.put)})`) },
  )
}

/** A valid payload and a decoy id (a random UUID, never a user of the run). */
const withDecoy = (ctx: CheckContext) => fc.tuple(validPayloads(ctx), fc.uuid({ version: 4 }))

/** Sends the readOnly value and judges what was stored (RFC 7644 §3.5.1). */
async function judgeIgnored(ctx: CheckContext, users: CheckUsers, name: ReadOnlyName, [body, decoy]: [Body, string]) {
  const p = await probeReadOnly(ctx, users, name, body, decoy)
  return 'put' in p ? judgeStored(p) : p
}

export const idIgnored = defineCheck({
  id: 'put.readonly.id-ignored',
  title: 'An id in the body that differs from the path does not change the resource id',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1; RFC 7643 §3.1',
  area: 'readonly',
  rule:
    'readOnly: Any values provided SHALL be ignored. ' +
    '(RFC 7643 §3.1: id is readOnly, assigned by the service provider.)',
  users: 1,
  maxRuns: 10,
  cases: withDecoy,
  run: (ctx, users, input) => judgeIgnored(ctx, users, 'id', input),
})

export const metaIgnored = defineCheck({
  id: 'put.readonly.meta-ignored',
  title: 'meta in the body (created, resourceType, location) is not stored',
  level: 'MUST',
  source: 'RFC 7643 §3.1; RFC 7644 §3.5.1',
  area: 'readonly',
  rule: 'meta: This attribute SHALL be ignored when provided by clients.',
  users: 1,
  maxRuns: 5,
  cases: withDecoy,
  run: (ctx, users, input) => judgeIgnored(ctx, users, 'meta', input),
})

export const groupsIgnored = defineCheck({
  id: 'put.readonly.groups-ignored',
  title: 'groups in the body changes no membership',
  level: 'MUST',
  source: 'RFC 7643 §4.1.2; RFC 7644 §3.5.1',
  area: 'readonly',
  rule:
    'groups: ... group membership changes MUST be applied via the "Group" Resource. ' +
    'The attribute is readOnly: values provided SHALL be ignored.',
  users: 1,
  maxRuns: 5,
  cases: withDecoy,
  run: (ctx, users, input) => judgeIgnored(ctx, users, 'groups', input),
})

/**
 * RFC 7644 §3.5.1: a readOnly value is ignored, or refused with 400 `mutability` as RFC 7644
 * §3.12's own PUT example does ("Attribute 'id' is readOnly"). A refusal of another kind that is the
 * value's (the same PUT without it accepted) departs from both.
 */
export const refusalMutability = defineCheck({
  id: 'put.readonly.refusal-mutability',
  title: 'A PUT carrying id, meta or groups is accepted with the value ignored, or refused with 400 mutability',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1; RFC 7644 §3.12',
  area: 'readonly',
  rule:
    'readOnly: Any values provided SHALL be ignored. (RFC 7644 §3.12 shows the one refusal: ' +
    '400 with scimType "mutability", "Attribute \'id\' is readOnly".)',
  users: 1,
  maxRuns: 6,
  cases: (ctx) =>
    fc.tuple(fc.constantFrom<ReadOnlyName>('id', 'meta', 'groups'), validPayloads(ctx), fc.uuid({ version: 4 })),
  async run(ctx, users, [name, body, decoy]) {
    const p = await probeReadOnly(ctx, users, name, body, decoy)
    if (!('put' in p)) return p
    const what = READ_ONLY[name].what
    if (p.problem)
      return verdict(
        'inconclusive',
        `the PUT carrying ${what} stored it (put.readonly.${name}-ignored judges that)`,
        exchangesOf(p),
      )
    if (is2xx(p.put)) return verdict('passed', `${what} ignored`, exchangesOf(p))
    if (isMutability400(p.put))
      return verdict('passed', `${what} refused with ${describeStatus(p.put)}`, exchangesOf(p))
    const constraint = constraintOf(p)
    if (constraint) return constraint
    if (isMutabilityVariant(ctx, p.put))
      return verdict(
        'passed',
        `${what} refused with ${describeStatus(p.put)} (the vendor's error format carries no scimType), ` +
          'and accepted without it',
        exchangesOf(p),
      )
    return violation(
      {
        received:
          `${describeRefusal(p.put)} for a PUT carrying ${what}; ` +
          `the same PUT without ${name} was accepted (${describeStatus(p.control!.control)})`,
        expected: 'the value ignored (2xx, RFC 7644 §3.5.1), or 400 with scimType "mutability" (RFC 7644 §3.12)',
        fix: 'Ignore readOnly attributes in a PUT body, or refuse them as RFC 7644 §3.12 shows.',
      },
      exchangesOf(p),
      { focus: 1 },
    )
  },
})

/** Attributes the server's /Schemas declares immutable, among those the vendor documents (the core User has none). */
const immutableNames = (ctx: CheckContext) =>
  declaredWith(ctx, (n) => ctx.discovery.declared!.get(n.toLowerCase())!.mutability === 'immutable')

type ImmutableCase = [Body, string, unknown, unknown]

/** The attempt to change an immutable attribute that holds a value, and the control of a refusal. */
interface ImmutableProbe {
  name: string
  current: unknown
  attempt: Exchange
  /** The new value was stored. */
  changed: boolean
  control: Control | null
  exchanges: Exchange[]
}

async function probeImmutable(
  ctx: CheckContext,
  users: CheckUsers,
  [body, name, first, second]: ImmutableCase,
): Promise<ImmutableProbe | Verdict> {
  if (isUnassigned(first) || isUnassigned(second) || differs(first, second, name, ctx.attribute) === null)
    return verdict('inconclusive', `the case drew no two different values of ${name}`, [])
  const id = users.ids[0]
  const before = await getUser(ctx, id)
  noResponse([before])
  const existing = getAttr(bodyObject(before), name)
  // §3.5.1 applies a value to an immutable attribute that has none: give it one first.
  const setting = isUnassigned(existing) ? await putUser(ctx, id, { ...body, [name]: first }) : null
  const settled = setting ? await getUser(ctx, id) : null
  const prior = [before, ...(setting ? [setting] : []), ...(settled ? [settled] : [])]
  noResponse(prior)
  if (setting && !is2xx(setting))
    return verdict(
      'inconclusive',
      `setting ${name} the first time answered ${describeRefusal(setting)}, so there is no value to keep`,
      prior,
    )
  const current = settled ? getAttr(bodyObject(settled), name) : existing
  if (isUnassigned(current))
    return verdict('inconclusive', `${name} holds no value, so a new one SHALL be applied (RFC 7644 §3.5.1)`, prior)
  if (differs(second, current, name, ctx.attribute) === null)
    return verdict('inconclusive', `${name} already holds the value the case would try`, prior)
  const attempt = await putUser(ctx, id, { ...body, [name]: second })
  const after = await getUser(ctx, id)
  noResponse([attempt, after])
  const changed = differs(second, getAttr(bodyObject(after), name), name, ctx.attribute) === null
  // Attribution by control: a refusal is the immutable value's only when the same PUT keeping the value is accepted.
  const control =
    changed || is2xx(attempt) || isMutability400(attempt)
      ? null
      : await sendControl(() => putUser(ctx, id, { ...body, [name]: current }))
  const exchanges = [...prior, attempt, after, ...(control ? [control.control] : [])]
  return { name, current, attempt, changed, control, exchanges }
}

function immutableConstraint(p: ImmutableProbe): Verdict | null {
  if (!p.control || p.control.accepted) return null
  return refusedByConstraint({
    what: `the PUT changing the immutable ${p.name}`,
    without: `the same PUT with ${p.name} unchanged`,
    refused: p.attempt,
    control: p.control.control,
    exchanges: p.exchanges,
    key: 'put-body',
  })
}

const IMMUTABLE_RULE =
  'If the attribute is immutable, the input value(s) MUST match, or HTTP status code 400 SHOULD be returned ' +
  'with a "scimType" error code of "mutability".'

function immutableSkip(ctx: CheckContext): string | null {
  return immutableNames(ctx).length > 0 ? null : 'the server declares no immutable attribute the vendor documents'
}

/** A valid payload, an attribute the server declares immutable, and two values of it. */
function immutableCases(ctx: CheckContext): fc.Arbitrary<ImmutableCase> {
  return fc
    .constantFrom(...immutableNames(ctx))
    .chain((name) =>
      fc.tuple(
        validPayloads(ctx),
        fc.constant(name),
        scimUserAttribute(ctx.profile, [name]),
        scimUserAttribute(ctx.profile, [name]),
      ),
    )
}

const focusOn = (p: ImmutableProbe) => ({ focus: p.exchanges.indexOf(p.attempt) })

/**
 * RFC 7644 §3.5.1: for immutable attributes "the input value(s) MUST match":
 * a changed value stored fails. Only attributes the server declares immutable are probed.
 */
export const immutableUnchanged = defineCheck({
  id: 'put.readonly.immutable-unchanged',
  title: 'An immutable attribute is not changed by PUT',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'readonly',
  rule: IMMUTABLE_RULE,
  skipIf: immutableSkip,
  users: 1,
  maxRuns: 5,
  cases: immutableCases,
  async run(ctx, users, input) {
    const p = await probeImmutable(ctx, users, input)
    if (!('attempt' in p)) return p
    if (p.changed)
      return violation(
        {
          received:
            `${describeStatus(p.attempt)}, and ${p.name} changed ` +
            `from ${JSON.stringify(p.current)} to the value sent`,
          expected: 'the value kept: the input value of an immutable attribute MUST match (RFC 7644 §3.5.1)',
          fix: 'Refuse changes to immutable attributes with 400 mutability.',
        },
        p.exchanges,
        focusOn(p),
      )
    const constraint = immutableConstraint(p)
    if (constraint) return constraint
    return verdict('passed', `${p.name} kept (${describeStatus(p.attempt)})`, p.exchanges)
  },
})

/**
 * RFC 7644 §3.5.1: a changed immutable value is answered "400 ... with a scimType error code of mutability" (SHOULD).
 */
export const immutableMutability = defineCheck({
  id: 'put.readonly.immutable-mutability',
  title: 'A PUT changing an immutable attribute is refused with 400 mutability',
  level: 'SHOULD',
  source: 'RFC 7644 §3.5.1',
  area: 'readonly',
  rule: IMMUTABLE_RULE,
  skipIf: immutableSkip,
  users: 1,
  maxRuns: 5,
  cases: immutableCases,
  async run(ctx, users, input) {
    const p = await probeImmutable(ctx, users, input)
    if (!('attempt' in p)) return p
    if (p.changed)
      return verdict(
        'inconclusive',
        `the new ${p.name} was stored (put.readonly.immutable-unchanged judges that)`,
        p.exchanges,
      )
    if (isMutability400(p.attempt))
      return verdict('passed', `${describeStatus(p.attempt)} for a changed immutable ${p.name}`, p.exchanges)
    const constraint = immutableConstraint(p)
    if (constraint) return constraint
    if (isMutabilityVariant(ctx, p.attempt))
      return verdict(
        'passed',
        `${describeStatus(p.attempt)} for a changed immutable ${p.name} ` +
          "(the vendor's error format carries no scimType), and the same PUT keeping the value accepted",
        p.exchanges,
      )
    return violation(
      {
        received: `${describeRefusal(p.attempt)} for a changed immutable ${p.name} (the value was kept)`,
        expected: '400 with scimType "mutability" (RFC 7644 §3.5.1)',
      },
      p.exchanges,
      focusOn(p),
    )
  },
})

export const READONLY_CHECKS = [
  idIgnored,
  metaIgnored,
  groupsIgnored,
  refusalMutability,
  immutableUnchanged,
  immutableMutability,
]
