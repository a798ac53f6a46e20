import fc from 'fast-check'
import type { Exchange } from '../../http/exchange.ts'
import { getAttr } from '../compare.ts'
import type { CheckContext } from '../context.ts'
import { caseVariant } from '../areas/uniqueness.ts'
import { describeRefusal } from './attribution.ts'
import { validPayloads } from './payloads.ts'
import { bodyObject, is2xx, statusOf } from './requests.ts'
import {
  applyRefusal,
  applyWrite,
  at,
  type Body,
  dataDiffers,
  describeAnswer,
  free,
  freedNames,
  Halt,
  isUniquenessRefusal,
  type Model,
  nameKey,
  observeGet,
  type SequenceRule,
  type SequenceRun,
  type Slot,
  userNameOf,
} from './sequence-model.ts'

/**
 * The commands of put.sequence.* (fast-check `fc.commands`): each names its users and values abstractly
 * (a pick among the live users, a freed name…), resolved against the model when it runs, and ends with a
 * GET of the user it touched, so that every answer is compared with the model. The focus commands set up
 * what they need themselves (a rename before a name is taken, two changes before an old version is sent),
 * so that one command reaches its rule whatever came before it.
 */

type Cmd = fc.AsyncCommand<Model, SequenceRun>

/** At most this many users in one sequence (the setup's two, and POSTs). */
const MAX_SLOTS = 5

const live = (m: Readonly<Model>) => m.slots.filter((s) => s.state === 'live')
const pickOf = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]
const quoted = (s: string) => JSON.stringify(s)

/** `body` with its userName (any case of the key) set to `userName`, or left out when null. */
function withUserName(body: Body, userName: string | null): Body {
  const out = Object.fromEntries(Object.entries(body).filter(([k]) => k.toLowerCase() !== 'username'))
  return userName === null ? out : { ...out, userName }
}

abstract class Step implements Cmd {
  check(m: Readonly<Model>): boolean {
    return m.stopped === null && this.applies(m)
  }
  protected abstract applies(m: Readonly<Model>): boolean
  abstract run(m: Model, r: SequenceRun): Promise<void>
  abstract toString(): string
}

/** A PUT then a GET of the same user; the model learns the write or the refusal. */
export async function write(
  r: SequenceRun,
  slot: Slot,
  body: Body,
  action: string,
  expected: string,
  headers: Record<string, string> = {},
): Promise<{ put: { e: Exchange; step: number }; get: { e: Exchange; step: number }; accepted: boolean }> {
  const put = await r.put(slot, body, action, expected, headers)
  const accepted = is2xx(put.e)
  if (accepted && Object.keys(headers).length === 0) r.model.putAccepted = true
  const get = await r.get(
    slot,
    accepted ? `200 with the values the PUT of ${at(put.step)} stored` : `200, unchanged by the refused PUT`,
  )
  if (accepted) applyWrite(r, slot, body, put, get)
  else applyRefusal(r, slot, body, put, get)
  return { put, get, accepted }
}

/** A rename to the payload's own (fresh) userName, with its other values. */
const rename = (r: SequenceRun, slot: Slot, p: Body) =>
  write(
    r,
    slot,
    p,
    `renaming ${slot.label} to ${quoted(userNameOf(p))}`,
    '200, then a GET shows the values sent (RFC 7644 §3.5.1)',
  )

/** A new test user (POST /Users through the pool's ledger), then a GET of it; null when the POST created none. */
export async function createSlot(
  r: SequenceRun,
  body: Body,
  action: string,
  expected: string,
  origin: 'setup' | 'history',
): Promise<{ post: { e: Exchange; step: number }; slot: Slot | null }> {
  const m = r.model
  const posted = await r.ctx.users.postUser(body)
  if (!posted) {
    m.stopped = 'the pool creates no more test users (--user-id, or the run is stopping)'
    throw new Halt(m.stopped)
  }
  const label = `u${m.slots.length + 1}`
  let slot: Slot | null = null
  if (posted.id !== null) {
    slot = {
      label,
      id: posted.id,
      state: 'live',
      userName: userNameOf(body),
      nameFrom: origin,
      nameHow: origin === 'setup' ? 'since its creation' : 'created with it',
      formerNames: [],
      seen: [],
      writes: [],
      expect: null,
      created: null,
      lastModified: null,
      deletedAt: null,
    }
    // In the model before anything can halt: the cleanup deletes every slot.
    m.slots.push(slot)
  }
  const step = r.record(`POST /Users ${action}`, expected, posted.exchange, slot?.label ?? null)
  if (!slot) return { post: { e: posted.exchange, step }, slot }
  if (origin === 'history') slot.nameHow = `created with it at ${at(step)}`
  const get = await r.get(slot, '200 with the new user')
  applyWrite(r, slot, body, { e: posted.exchange, step }, get)
  return { post: { e: posted.exchange, step }, slot }
}

/** RFC 7644 §3.6: every operation on a deleted user answers 404. */
function judgeDeleted(r: SequenceRun, slot: Slot, step: number, e: Exchange, op: 'GET' | 'PUT'): void {
  const status = statusOf(e) ?? 0
  if (status === 404) {
    r.pass('deleted-stays-gone', step, `${op} on a deleted user answered 404`)
    return
  }
  // A PUT refused for its body (400, 409), or by a server that has accepted no PUT of this sequence (its media
  // type, its method): the refusal may come before the id is looked up, so it says nothing of the deleted user.
  const refusedAnyway =
    op === 'PUT' && status >= 400 && status < 500 && (status === 400 || status === 409 || !r.model.putAccepted)
  if (status === 429 || refusedAnyway) {
    r.judgements.push({
      rule: 'deleted-stays-gone',
      step,
      outcome: 'inconclusive',
      note:
        status === 429
          ? `the ${op} on the deleted user was throttled (429): not an answer about the user`
          : `the PUT on the deleted user answered ${describeRefusal(e)}: ` +
            'refused for its request, perhaps before the id was looked up',
      traits: status === 429 ? {} : { 'constraint.deleted-put': describeRefusal(e) },
    })
    return
  }
  const back = status >= 200 && status < 300
  if (back) slot.state = 'retired'
  r.judge({
    rule: 'deleted-stays-gone',
    step,
    outcome: 'violated',
    note: 'a deleted user answered',
    finding: {
      received: `${op} /Users/{${slot.label}} at ${at(step)} answered ${describeAnswer(e)}, after the DELETE of ${at(
        slot.deletedAt ?? step,
      )} succeeded${back && op === 'PUT' ? ': the deleted user is back' : ''}`,
      expected:
        'RFC 7644 §3.6: the service provider "MUST return a 404 (Not Found) error code for all operations ' +
        'associated with the previously deleted resource"',
      fix: back
        ? 'Once a DELETE succeeded, answer 404 for its id (a soft-deleted user too), and never bring it back on PUT'
        : 'Answer 404 for the id of a deleted user',
    },
  })
}

/** The ids a list response shows, or null when it is not a list. */
function listIds(e: Exchange): string[] | null {
  const resources = getAttr(bodyObject(e), 'Resources')
  if (statusOf(e) !== 200) return null
  if (resources === undefined) return []
  return Array.isArray(resources) ? resources.map((x) => String(getAttr(x, 'id'))) : null
}

/** RFC 7644 §3.6: "Service providers MUST omit the resource from future query results." */
async function findDeleted(r: SequenceRun, slot: Slot): Promise<void> {
  const { e, step } = await r.find(slot.userName, `200 without ${slot.label} (deleted at ${at(slot.deletedAt!)})`)
  const ids = listIds(e)
  if (ids === null) {
    r.traits['sequence.filter'] = `a filter by userName answered ${describeAnswer(e)}`
    return
  }
  if (ids.includes(slot.id)) {
    r.judge({
      rule: 'deleted-stays-gone',
      step,
      outcome: 'violated',
      note: 'a deleted user listed',
      finding: {
        received:
          `GET /Users?filter=userName eq ${quoted(slot.userName)} at ${at(step)} lists ${slot.label}, ` +
          `deleted at ${at(slot.deletedAt!)}`,
        expected: 'RFC 7644 §3.6: "Service providers MUST omit the resource from future query results"',
        fix: 'Remove a deleted user from the search index (or filter soft-deleted users out of every query)',
      },
    })
    return
  }
  if (r.model.filterWorks) r.pass('deleted-stays-gone', step, 'the deleted user is left out of a filtered list')
  else
    r.judgements.push({
      rule: 'deleted-stays-gone',
      step,
      outcome: 'inconclusive',
      note: 'no filter by userName has listed a live user yet: an empty list is no evidence',
    })
}

/** Whether a filter by the slot's userName lists it (evidence that an empty list means something). */
async function probeFilter(r: SequenceRun, slot: Slot): Promise<void> {
  const { e } = await r.find(slot.userName, `200, listing ${slot.label}`)
  if (listIds(e)?.includes(slot.id)) r.model.filterWorks = true
}

/**
 * DELETE of a live user, a GET of its id, and (with filtering) a filtered list by its last userName;
 * `thenPut`: a PUT on its id too, once the GET answered 404 (never a write to an id that might be someone's).
 */
async function remove(r: SequenceRun, slot: Slot, thenPut: Body | null = null): Promise<void> {
  const m = r.model
  // The control of a later PUT on the deleted id: a PUT of the same body is accepted while the user lives.
  if (thenPut && !m.putAccepted) await rename(r, slot, thenPut)
  if (slot.state !== 'live') return
  if (m.filter && !m.filterWorks) await probeFilter(r, slot)
  const { e, step } = await r.send(`DELETE /Users/{${slot.label}}`, '204 (RFC 7644 §3.6)', {
    method: 'DELETE',
    path: r.ctx.users.userPath(slot.id),
  })
  if (!is2xx(e)) {
    r.traits['sequence.delete'] = `DELETE of a test user answered ${describeAnswer(e)}`
    const get = await r.get(slot, '200: the refused DELETE removed nothing')
    if (statusOf(get.e) === 404) {
      slot.state = 'deleted'
      slot.deletedAt = step
    } else observeGet(r, slot, get.step, get.e)
    return
  }
  slot.state = 'deleted'
  slot.deletedAt = step
  free(m, slot.userName, `given up by the DELETE of ${slot.label} at ${at(step)}`, step)
  const get = await r.get(slot, `404: ${slot.label} was deleted (RFC 7644 §3.6)`)
  judgeDeleted(r, slot, get.step, get.e, 'GET')
  if (m.filter && slot.state === 'deleted') await findDeleted(r, slot)
  if (thenPut && slot.state === 'deleted' && statusOf(get.e) === 404) await putDeleted(r, slot, thenPut)
}

/** A PUT on a deleted user's id (after a GET of it answered 404): 404, and the user stays gone (RFC 7644 §3.6). */
async function putDeleted(r: SequenceRun, slot: Slot, body: Body): Promise<void> {
  const put = await r.put(
    slot,
    body,
    `of ${slot.label}, deleted at ${at(slot.deletedAt!)}`,
    '404: a deleted user is never written nor created again (RFC 7644 §3.6, §3.5.1)',
  )
  judgeDeleted(r, slot, put.step, put.e, 'PUT')
}

/** A holder of a userName that the history gave it (a rename first, when none has one yet). */
async function historyHolder(r: SequenceRun, candidates: Slot[], pick: number, q: Body): Promise<Slot | null> {
  const ready = candidates.find((s) => s.nameFrom === 'history')
  if (ready) return ready
  const holder = pickOf(candidates, pick)
  await rename(r, holder, q)
  return holder.state === 'live' && holder.nameFrom === 'history' ? holder : null
}

/**
 * RFC 7643 §4.1.1: the userName a user holds by history (a rename, a POST, a refused rename) is never
 * stored for a second user. A userName held since creation is put.uniqueness.*'s.
 */
function judgeTaken(r: SequenceRun, holder: Slot, name: string, by: string, e: Exchange, get: Exchange | null) {
  const step = r.steps.length - 1
  const stored = get ? userNameOf(bodyObject(get)) : ''
  const duplicate = get !== null && statusOf(get) === 200 && nameKey(stored) === nameKey(holder.userName)
  if (!duplicate) {
    if (holder.nameFrom === 'history')
      r.pass('username-taken', step, `${describeAnswer(e)} for ${holder.label}'s userName, nothing stored`)
    return
  }
  for (const s of r.model.slots)
    if (s.state === 'live' && nameKey(s.userName) === nameKey(holder.userName)) s.state = 'retired'
  holder.state = 'retired'
  if (holder.nameFrom !== 'history') {
    r.judgements.push({
      rule: 'username-taken',
      step,
      outcome: 'inconclusive',
      note: 'a userName held since creation was stored twice (put.uniqueness.username-conflict judges that)',
    })
    return
  }
  r.judge({
    rule: 'username-taken',
    step,
    outcome: 'violated',
    note: 'duplicate userName stored',
    finding: {
      received: `${by} with userName ${quoted(name)} answered ${describeAnswer(e)}, and the GET of ${at(
        step,
      )} shows it holds that userName, which ${holder.label} holds too (${holder.nameHow})`,
      expected:
        'userName "MUST be unique across the service provider\'s entire set of Users" and is case insensitive ' +
        '(RFC 7643 §4.1.1): 409 uniqueness, nothing stored',
      fix: "Check uniqueness against every user's current userName, as renames and refused renames left it",
    },
  })
}

/**
 * A freed userName (given up by a rename or a DELETE, held by no user since) asked for again: accepted,
 * or refused as reserved (RFC 7644 §3.12 Table 9 uniqueness: "already in use or are reserved"), a MAY.
 * A refusal of another kind counts only when the same request with a fresh userName is accepted.
 */
function judgeFreed(
  r: SequenceRun,
  freed: Model['freed'][number],
  how: string,
  e: Exchange,
  holds: boolean | null,
  control: { e: Exchange; accepted: boolean } | null,
): void {
  const step = r.steps.length - 1
  if (is2xx(e)) {
    if (holds) r.pass('username-freed', step, `the freed userName ${quoted(freed.name)} was accepted again`)
    else
      r.judgements.push({
        rule: 'username-freed',
        step,
        outcome: 'inconclusive',
        note: `${how} with the freed userName answered ${describeAnswer(e)}, but the user does not show it`,
      })
    return
  }
  if (statusOf(e) === 429) {
    r.judgements.push({ rule: 'username-freed', step, outcome: 'inconclusive', note: `${how} was throttled (429)` })
    return
  }
  if (control && !control.accepted) {
    r.judgements.push({
      rule: 'username-freed',
      step,
      outcome: 'inconclusive',
      note:
        `${how} with the freed userName answered ${describeRefusal(e)}, and the same with a fresh userName ` +
        `was refused too (${describeRefusal(control.e)}): the server's own constraint`,
      traits: { 'constraint.sequence-body': describeRefusal(control.e) },
    })
    return
  }
  r.judge({
    rule: 'username-freed',
    step,
    outcome: 'violated',
    note: 'freed userName refused',
    traits: { 'sequence.freed-userName': `refused (${describeRefusal(e)}) after it was ${freed.how}` },
    finding: {
      received:
        `${how} with userName ${quoted(freed.name)}, ${freed.how} and held by no user since, ` +
        `answered ${describeRefusal(e)}${control ? ', while the same with a fresh userName was accepted' : ''}`,
      expected:
        'a userName no user holds is free again, unless the service provider reserves it (RFC 7644 §3.12 ' +
        'Table 9, uniqueness: "already in use or are reserved"): recorded, not a deviation',
    },
  })
}

/** Makes a freed userName when there is none: a rename of another user (or of `taker`), or a DELETE. */
async function ensureFreed(r: SequenceRun, taker: Slot | null, via: 'rename' | 'delete', pick: number, q: Body) {
  if (freedNames(r.model).length > 0) return
  const others = live(r.model).filter((s) => s !== taker)
  if (via === 'delete' && others.length > 0 && taker !== null) await remove(r, pickOf(others, pick))
  else if (others.length > 0) await rename(r, pickOf(others, pick), q)
  else if (taker) await rename(r, taker, q)
}

class WriteCmd extends Step {
  constructor(
    readonly pick: number,
    readonly target: 'fresh' | 'same' | 'missing',
    readonly p: Body,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return live(m).length > 0
  }
  async run(m: Model, r: SequenceRun) {
    const slot = pickOf(live(m), this.pick)
    if (this.target === 'fresh') await rename(r, slot, this.p)
    else if (this.target === 'same')
      await write(
        r,
        slot,
        withUserName(this.p, slot.userName),
        'with new values, its userName kept',
        '200, then a GET shows the values sent (RFC 7644 §3.5.1)',
      )
    else
      await write(
        r,
        slot,
        withUserName(this.p, null),
        'without userName',
        '400: userName is required (RFC 7643 §4.1.1, RFC 7644 §3.5.1); nothing changes',
      )
  }
  toString() {
    return `put(${this.pick},${this.target})`
  }
}

class ReadCmd extends Step {
  constructor(readonly pick: number) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return m.slots.some((s) => s.state !== 'retired')
  }
  async run(m: Model, r: SequenceRun) {
    const slot = pickOf(
      m.slots.filter((s) => s.state !== 'retired'),
      this.pick,
    )
    if (slot.state === 'deleted') {
      const get = await r.get(slot, `404: ${slot.label} was deleted at ${at(slot.deletedAt!)} (RFC 7644 §3.6)`)
      judgeDeleted(r, slot, get.step, get.e, 'GET')
      return
    }
    const get = await r.get(slot, `200 with the values of ${at(slot.expect?.step ?? 0)}`)
    observeGet(r, slot, get.step, get.e)
  }
  toString() {
    return `get(${this.pick})`
  }
}

class RemoveCmd extends Step {
  constructor(
    readonly pick: number,
    readonly thenPut: Body | null = null,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return live(m).length > 0
  }
  async run(m: Model, r: SequenceRun) {
    await remove(r, pickOf(live(m), this.pick), this.thenPut)
  }
  toString() {
    return `delete(${this.pick}${this.thenPut ? ',put' : ''})`
  }
}

/** A GET, a PUT (once a GET answered 404: never a write to an id that may be another's) or a list of a deleted user. */
class TouchDeletedCmd extends Step {
  constructor(
    readonly pick: number,
    readonly how: 'get' | 'put' | 'find',
    readonly p: Body,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return m.slots.some((s) => s.state === 'deleted') && (this.how !== 'find' || m.filter)
  }
  async run(m: Model, r: SequenceRun) {
    const slot = pickOf(
      m.slots.filter((s) => s.state === 'deleted'),
      this.pick,
    )
    if (this.how === 'find') return findDeleted(r, slot)
    const get = await r.get(slot, `404: ${slot.label} was deleted at ${at(slot.deletedAt!)} (RFC 7644 §3.6)`)
    judgeDeleted(r, slot, get.step, get.e, 'GET')
    if (this.how === 'put' && statusOf(get.e) === 404) await putDeleted(r, slot, this.p)
  }
  toString() {
    return `touchDeleted(${this.pick},${this.how})`
  }
}

/**
 * A user's history in one command: a rename, a refused rename (to another user's userName: 409 on a
 * correct server), a second rename. Every meta rule then has a change, a refusal and reads to judge.
 */
class HistoryCmd extends Step {
  constructor(
    readonly pick: number,
    readonly holderPick: number,
    readonly p: Body,
    readonly q: Body,
    readonly s: Body,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return live(m).length > 0
  }
  async run(m: Model, r: SequenceRun) {
    const slot = pickOf(live(m), this.pick)
    await rename(r, slot, this.p)
    const others = live(m).filter((o) => o !== slot)
    if (others.length > 0 && slot.state === 'live') {
      const holder = pickOf(others, this.holderPick)
      const res = await write(
        r,
        slot,
        withUserName(this.q, holder.userName),
        `giving ${slot.label} userName ${quoted(holder.userName)}, ${holder.label}'s`,
        `409 uniqueness: ${holder.label} holds it (RFC 7643 §4.1.1); nothing changes`,
      )
      judgeTaken(r, holder, holder.userName, `PUT of ${slot.label} at ${at(res.put.step)}`, res.put.e, res.get.e)
    }
    if (slot.state === 'live') await rename(r, slot, this.s)
  }
  toString() {
    return `history(${this.pick},${this.holderPick})`
  }
}

/**
 * The refusals a correct server gives, one after the other on one user: another user's userName (409),
 * no userName (400), and with ETags an If-Match from before a change (412). Each must change nothing.
 */
class RefusalsCmd extends Step {
  constructor(
    readonly pick: number,
    readonly holderPick: number,
    readonly p: Body,
    readonly q: Body,
    readonly s: Body,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return live(m).length > 0
  }
  async run(m: Model, r: SequenceRun) {
    const slot = pickOf(live(m), this.pick)
    const others = live(m).filter((o) => o !== slot)
    if (others.length > 0) {
      const holder = pickOf(others, this.holderPick)
      const res = await write(
        r,
        slot,
        withUserName(this.p, holder.userName),
        `giving ${slot.label} userName ${quoted(holder.userName)}, ${holder.label}'s`,
        `409 uniqueness: ${holder.label} holds it (RFC 7643 §4.1.1); nothing changes`,
      )
      judgeTaken(r, holder, holder.userName, `PUT of ${slot.label} at ${at(res.put.step)}`, res.put.e, res.get.e)
    }
    if (slot.state === 'live')
      await write(
        r,
        slot,
        withUserName(this.q, null),
        'without userName',
        '400: userName is required (RFC 7643 §4.1.1, RFC 7644 §3.5.1); nothing changes',
      )
    const tag = slot.seen.at(-1)?.tag
    if (!m.etag || !tag || slot.state !== 'live') return
    const change = await rename(r, slot, this.s)
    if (slot.state !== 'live' || !change.accepted || slot.seen.at(-1)?.tag === tag) return
    await write(
      r,
      slot,
      this.q,
      `with If-Match ${tag}, its version before ${at(change.put.step)}`,
      '412 Precondition Failed (RFC 9110 §13.1.1); nothing changes',
      { 'If-Match': tag },
    )
  }
  toString() {
    return `refusals(${this.pick},${this.holderPick})`
  }
}

/** A PUT giving one user the userName another holds by history (a rename first when none does). */
class TakeNameCmd extends Step {
  constructor(
    readonly pick: number,
    readonly holderPick: number,
    readonly variant: 'exact' | 'case',
    readonly p: Body,
    readonly q: Body,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return live(m).length >= 2
  }
  async run(m: Model, r: SequenceRun) {
    const taker = pickOf(live(m), this.pick)
    const holder = await historyHolder(
      r,
      live(m).filter((s) => s !== taker),
      this.holderPick,
      this.q,
    )
    if (!holder || taker.state !== 'live') return
    const name = this.variant === 'case' ? caseVariant(holder.userName) : holder.userName
    const res = await write(
      r,
      taker,
      withUserName(this.p, name),
      `giving ${taker.label} userName ${quoted(name)}, ${holder.label}'s`,
      `409 uniqueness: ${holder.label} holds ${quoted(holder.userName)} (${holder.nameHow}); ` +
        'nothing changes (RFC 7643 §4.1.1)',
    )
    judgeTaken(r, holder, name, `PUT of ${taker.label} at ${at(res.put.step)}`, res.put.e, res.get.e)
  }
  toString() {
    return `takeName(${this.pick},${this.holderPick},${this.variant})`
  }
}

/** A PUT giving a user a freed userName (a rename or a DELETE first when none is free). */
class TakeFreedCmd extends Step {
  constructor(
    readonly pick: number,
    readonly via: 'rename' | 'delete',
    readonly p: Body,
    readonly q: Body,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return live(m).length > 0
  }
  async run(m: Model, r: SequenceRun) {
    const taker = pickOf(live(m), this.pick)
    await ensureFreed(r, taker, this.via, this.pick, this.q)
    const candidates = freedNames(m)
    if (candidates.length === 0 || taker.state !== 'live') return
    const freed = pickOf(candidates, this.pick)
    const res = await write(
      r,
      taker,
      withUserName(this.p, freed.name),
      `giving ${taker.label} the freed userName ${quoted(freed.name)}`,
      `200: it was ${freed.how}, and no user holds it`,
    )
    const how = `PUT of ${taker.label} at ${at(res.put.step)}`
    const holds = nameKey(userNameOf(bodyObject(res.get.e))) === nameKey(freed.name)
    if (res.accepted || isUniquenessRefusal(res.put.e) || taker.state !== 'live')
      return judgeFreed(r, freed, how, res.put.e, holds, null)
    const control = await write(
      r,
      taker,
      this.p,
      'with the same values and a fresh userName (the control)',
      '200: nothing else in the body is refused',
    )
    judgeFreed(r, freed, how, res.put.e, holds, { e: control.put.e, accepted: control.accepted })
  }
  toString() {
    return `takeFreed(${this.pick},${this.via})`
  }
}

/** A POST of a new user: a fresh userName, one another user holds by history, or a freed one. */
class CreateCmd extends Step {
  constructor(
    readonly target: 'fresh' | 'taken' | 'freed',
    readonly pick: number,
    readonly variant: 'exact' | 'case',
    readonly p: Body,
    readonly q: Body,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return m.slots.length < MAX_SLOTS && (this.target === 'fresh' || live(m).length > 0)
  }
  async run(m: Model, r: SequenceRun) {
    const label = `u${m.slots.length + 1}`
    if (this.target === 'fresh') {
      await createSlot(r, this.p, `creating ${label}`, '201 with the new user (RFC 7644 §3.3)', 'history')
      return
    }
    if (this.target === 'taken') {
      const holder = await historyHolder(r, live(m), this.pick, this.q)
      if (!holder || m.slots.length >= MAX_SLOTS) return
      const name = this.variant === 'case' ? caseVariant(holder.userName) : holder.userName
      const made = await createSlot(
        r,
        withUserName(this.p, name),
        `creating a user with ${holder.label}'s userName ${quoted(name)}`,
        `409 uniqueness: ${holder.label} holds ${quoted(holder.userName)} (${holder.nameHow}) (RFC 7644 §3.3)`,
        'history',
      )
      if (is2xx(made.post.e) && !made.slot) {
        m.stopped = `the POST of ${at(made.post.step)} answered ${describeAnswer(made.post.e)} without a new user`
        throw new Halt(m.stopped)
      }
      const get = made.slot ? (r.exchanges.at(-1) ?? null) : null
      judgeTaken(r, holder, name, `the POST of ${at(made.post.step)}`, made.post.e, get)
      return
    }
    await ensureFreed(r, null, 'rename', this.pick, this.q)
    const candidates = freedNames(m)
    if (candidates.length === 0 || m.slots.length >= MAX_SLOTS) return
    const freed = pickOf(candidates, this.pick)
    const made = await createSlot(
      r,
      withUserName(this.p, freed.name),
      `creating a user with the freed userName ${quoted(freed.name)}`,
      `201: it was ${freed.how}, and no user holds it (RFC 7644 §3.3)`,
      'history',
    )
    const how = `the POST of ${at(made.post.step)}`
    if (made.slot || isUniquenessRefusal(made.post.e) || is2xx(made.post.e))
      return judgeFreed(r, freed, how, made.post.e, made.slot !== null, null)
    if (m.slots.length >= MAX_SLOTS) return
    const control = await createSlot(
      r,
      this.q,
      'with the same values and a fresh userName (the control)',
      '201: nothing else in the body is refused',
      'history',
    )
    judgeFreed(r, freed, how, made.post.e, false, { e: control.post.e, accepted: control.slot !== null })
  }
  toString() {
    return `post(${this.target},${this.pick},${this.variant})`
  }
}

/** Two commands as one (a focus that reaches its rule both by PUT and by POST): each runs if it applies. */
class BothCmd extends Step {
  constructor(
    readonly first: Step,
    readonly second: Step,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return this.first.check(m) || this.second.check(m)
  }
  async run(m: Model, r: SequenceRun) {
    if (this.first.check(m)) await this.first.run(m, r)
    if (this.second.check(m)) await this.second.run(m, r)
  }
  toString() {
    return `${this.first}+${this.second}`
  }
}

const both = (first: fc.Arbitrary<Step>, second: fc.Arbitrary<Step>): fc.Arbitrary<Cmd> =>
  fc.tuple(first, second).map(([a, b]) => new BothCmd(a, b))

/** A PUT with If-Match: the user's current version, or one from before its last two changes. */
class ConditionalCmd extends Step {
  constructor(
    readonly pick: number,
    readonly which: 'current' | 'old',
    readonly p: Body,
    readonly q: Body,
    readonly s: Body,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return m.etag && live(m).length > 0
  }
  async run(m: Model, r: SequenceRun) {
    const slot = pickOf(live(m), this.pick)
    if (this.which === 'current') {
      const tag = slot.seen.at(-1)?.tag
      if (!tag) return
      await write(
        r,
        slot,
        this.p,
        `with If-Match ${tag}, its current version`,
        '200 (RFC 7644 §3.14), or 412 if its version moved since the GET',
        { 'If-Match': tag },
      )
      return
    }
    const oldTag = () => {
      const current = slot.seen.at(-1)
      return slot.seen.find(
        (e) =>
          e.tag !== null &&
          current !== undefined &&
          slot.writes.filter((w) => w > e.step).length >= 2 &&
          dataDiffers(r.ctx, e.body, current.body),
      )
    }
    if (!oldTag()) {
      await rename(r, slot, this.p)
      if (slot.state === 'live') await rename(r, slot, this.q)
    }
    const old = oldTag()
    if (slot.state !== 'live') return
    if (!old?.tag) {
      r.judgements.push({
        rule: 'old-etag-refused',
        step: r.steps.length - 1,
        outcome: 'inconclusive',
        note: 'no version two changes old could be made (the PUTs were refused, or the GETs carry no version)',
      })
      return
    }
    const since = slot.writes.filter((w) => w > old.step).map((w) => w + 1)
    const res = await write(
      r,
      slot,
      this.s,
      `with If-Match ${old.tag}, the version of ${at(old.step)}`,
      `412 Precondition Failed: ${slot.label} changed since (steps ${since.join(', ')}); ` +
        'nothing changes (RFC 9110 §13.1.1)',
      { 'If-Match': old.tag },
    )
    const status = statusOf(res.put.e) ?? 0
    if (status === 412 || status === 409) {
      r.pass('old-etag-refused', res.put.step, `${status} for a version two changes old`)
      return
    }
    if (!res.accepted) {
      r.judgements.push({
        rule: 'old-etag-refused',
        step: res.put.step,
        outcome: 'inconclusive',
        note:
          `the PUT with an old If-Match answered ${describeRefusal(res.put.e)} ` +
          '(put.etag.stale-if-match-412 judges the status of a refusal)',
      })
      return
    }
    r.judge({
      rule: 'old-etag-refused',
      step: res.put.step,
      outcome: 'violated',
      note: 'old If-Match accepted',
      finding: {
        received:
          `PUT of ${slot.label} with If-Match ${old.tag}, the version of ${at(old.step)} before the changes ` +
          `of steps ${since.join(', ')}, answered ${describeAnswer(res.put.e)}: a lost update`,
        expected:
          'RFC 9110 §13.1.1: when If-Match matches no current entity tag, the origin server "MUST NOT perform ' +
          'the requested method" and answers 412 (RFC 7644 §3.14)',
        fix: 'Compare If-Match with the current version, and never give a version again to a later state of the user',
      },
    })
  }
  toString() {
    return `ifMatch(${this.pick},${this.which})`
  }
}

/** A filter by a userName the user gave up (after a rename), and by its current one (the control). */
class FindCmd extends Step {
  constructor(
    readonly pick: number,
    readonly p: Body,
  ) {
    super()
  }
  protected applies(m: Readonly<Model>) {
    return m.filter && live(m).length > 0
  }
  async run(m: Model, r: SequenceRun) {
    const slot = pickOf(live(m), this.pick)
    const former = () => slot.formerNames.findLast((f) => nameKey(f.name) !== nameKey(slot.userName))
    if (!former()) await rename(r, slot, this.p)
    const gaveUp = former()
    if (!gaveUp || slot.state !== 'live') return
    const byFormer = await r.find(
      gaveUp.name,
      `200 without ${slot.label}: it gave that userName up at ${at(gaveUp.step)} (RFC 7644 §3.4.2.2)`,
    )
    const byCurrent = await r.find(slot.userName, `200, listing ${slot.label}`)
    const [formerIds, currentIds] = [listIds(byFormer.e), listIds(byCurrent.e)]
    if (currentIds?.includes(slot.id)) m.filterWorks = true
    if (formerIds?.includes(slot.id)) {
      r.judge({
        rule: 'filter-current',
        step: byFormer.step,
        outcome: 'violated',
        note: 'listed under a former userName',
        finding: {
          received: `GET /Users?filter=userName eq ${quoted(gaveUp.name)} at ${at(byFormer.step)} lists ${
            slot.label
          }, which gave that userName up at ${at(gaveUp.step)} (it holds ${quoted(slot.userName)})`,
          expected:
            'RFC 7644 §3.4.2.2: "When specified, only those resources matching the filter expression ' +
            'SHALL be returned"',
          fix: 'Update the search index (or cache) on every PUT that changes userName',
        },
      })
      return
    }
    if (formerIds === null || currentIds === null) {
      const e = formerIds === null ? byFormer.e : byCurrent.e
      r.traits['sequence.filter'] = `a filter by userName answered ${describeAnswer(e)}`
      r.judgements.push({
        rule: 'filter-current',
        step: byCurrent.step,
        outcome: 'inconclusive',
        note: `a filter by userName answered ${describeAnswer(e)}`,
      })
    } else if (currentIds.includes(slot.id))
      r.pass('filter-current', byCurrent.step, 'listed under its current userName only')
    else
      r.judgements.push({
        rule: 'filter-current',
        step: byCurrent.step,
        outcome: 'inconclusive',
        note: `the filter by its current userName does not list ${slot.label} either: no evidence in an empty list`,
      })
  }
  toString() {
    return `find(${this.pick})`
  }
}

const pick = fc.nat({ max: 7 })

/**
 * The values a command sends: valid payloads within the learned constraints, not shrunk (a story is about
 * which commands, on which users, in which order; shrinking each value would cost a sequence per try).
 */
const bodies = (ctx: CheckContext): fc.Arbitrary<Body> => fc.noShrink(validPayloads(ctx) as fc.Arbitrary<Body>)
const variant = fc.constantFrom<'exact' | 'case'>('exact', 'case')

/** The arbitraries of every command, with their weights in a random sequence. */
function commandArbitraries(ctx: CheckContext): { arbitrary: fc.Arbitrary<Cmd>; weight: number }[] {
  const body = bodies(ctx)
  const out: { arbitrary: fc.Arbitrary<Cmd>; weight: number }[] = [
    {
      weight: 5,
      arbitrary: fc
        .tuple(pick, fc.constantFrom<'fresh' | 'same' | 'missing'>('fresh', 'fresh', 'same', 'missing'), body)
        .map(([n, t, p]) => new WriteCmd(n, t, p)),
    },
    { weight: 2, arbitrary: pick.map((n) => new ReadCmd(n)) },
    { weight: 1, arbitrary: pick.map((n) => new RemoveCmd(n)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(pick, fc.constantFrom<'get' | 'put' | 'find'>('get', 'put', 'find'), body)
        .map(([n, h, p]) => new TouchDeletedCmd(n, h, p)),
    },
    { weight: 1, arbitrary: focusArbitrary(ctx, 'username-taken') },
    { weight: 1, arbitrary: focusArbitrary(ctx, 'username-freed') },
    {
      weight: 1,
      arbitrary: fc.tuple(pick, variant, body, body).map(([n, v, p, q]) => new CreateCmd('fresh', n, v, p, q) as Cmd),
    },
  ]
  if (ctx.discovery.capabilities?.etag)
    out.push({
      weight: 1,
      arbitrary: fc
        .tuple(pick, fc.constantFrom<'current' | 'old'>('current', 'old'), body, body, body)
        .map(([n, w, p, q, s]) => new ConditionalCmd(n, w, p, q, s)),
    })
  if (ctx.discovery.capabilities?.filter)
    out.push({ weight: 1, arbitrary: fc.tuple(pick, body).map(([n, p]) => new FindCmd(n, p)) })
  return out
}

/**
 * The command that reaches `rule` by itself (whatever ran before it): the one every sequence of the
 * rule's check starts with.
 */
export function focusArbitrary(ctx: CheckContext, rule: SequenceRule): fc.Arbitrary<Cmd> {
  const body = bodies(ctx)
  const history = fc.tuple(pick, pick, body, body, body).map(([n, h, p, q, s]) => new HistoryCmd(n, h, p, q, s) as Cmd)
  switch (rule) {
    case 'deleted-stays-gone':
      return fc.tuple(pick, body).map(([n, p]) => new RemoveCmd(n, p))
    case 'refused-put-changes-nothing':
      return fc.tuple(pick, pick, body, body, body).map(([n, h, p, q, s]) => new RefusalsCmd(n, h, p, q, s) as Cmd)
    case 'username-taken':
      return both(
        fc.tuple(pick, pick, variant, body, body).map((a) => new TakeNameCmd(...a)),
        fc.tuple(pick, variant, body, body).map(([h, v, s, t]) => new CreateCmd('taken', h, v, s, t)),
      )
    case 'username-freed':
      return both(
        fc
          .tuple(pick, fc.constantFrom<'rename' | 'delete'>('rename', 'delete'), body, body)
          .map(([n, via, p, q]) => new TakeFreedCmd(n, via, p, q)),
        fc.tuple(pick, variant, body, body).map(([n, v, s, t]) => new CreateCmd('freed', n, v, s, t)),
      )
    case 'filter-current':
      return fc.tuple(pick, body).map(([n, p]) => new FindCmd(n, p))
    case 'old-etag-refused':
      return fc.tuple(pick, body, body, body).map(([n, p, q, s]) => new ConditionalCmd(n, 'old', p, q, s))
    default:
      return history
  }
}

/** A sequence's input: the setup's two users, the focus command, and the random commands. */
export interface SequenceCase {
  setup: [Body, Body]
  focus: Cmd
  rest: Iterable<Cmd>
}

/** Commands per random sequence: follows --runs (4 at the default 50), at least 1 and at most 6. */
export const sequenceLength = (ctx: CheckContext): number => Math.max(1, Math.min(6, Math.ceil(ctx.run.runs / 15)))

/**
 * The sequences of `rule`'s check: the focus command first (always: every sequence reaches the rule, and a
 * shrunk story keeps the command that shows it), then random commands, which shrinking drops.
 */
export function sequenceCases(ctx: CheckContext, rule: SequenceRule): fc.Arbitrary<SequenceCase> {
  const body = bodies(ctx)
  return fc.record({
    setup: fc.tuple(body, body),
    focus: focusArbitrary(ctx, rule),
    rest: fc.commands([fc.oneof(...commandArbitraries(ctx))], { maxCommands: sequenceLength(ctx) }),
  })
}
