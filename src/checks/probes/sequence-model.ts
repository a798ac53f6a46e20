import type { SendOptions } from '../../http/client.ts'
import type { Exchange } from '../../http/exchange.ts'
import { differs, getAttr, isUnassigned, kindOf, sameRepresentation } from '../compare.ts'
import type { CheckContext } from '../context.ts'
import type { AttributeDiff, Finding, StoryStep } from '../types.ts'
import { describeRefusal } from './attribution.ts'
import { declaresPath, documented, notCompared } from './replace-scope.ts'
import { bodyObject, noResponse, scimTypeOf, statusOf } from './requests.ts'

/**
 * The in-memory model of put.sequence.*: what RFC 7643/7644 say the service must hold after each step of
 * a sequence of POST / PUT / GET / DELETE on the harness's own test users, and the judgements of every
 * rule the sequence met. Each step's answer is compared with the model by the replace checks' rules
 * (src/checks/compare.ts): names case-insensitive, caseExact per attribute, absent = null = [],
 * multi-valued as sets, and an omitted attribute is unknown (RFC 7644 §3.5.1: cleared, or a default).
 */

export type Body = Record<string, unknown>

/** The rules a sequence judges: one check each (src/checks/areas/sequence.ts). */
export const SEQUENCE_RULES = [
  'deleted-stays-gone',
  'refused-put-changes-nothing',
  'get-shows-last-write',
  'username-taken',
  'username-freed',
  'filter-current',
  'created-fixed',
  'last-modified-monotonic',
  'version-not-reused',
  'old-etag-refused',
] as const
export type SequenceRule = (typeof SEQUENCE_RULES)[number]

/** What one step concluded about one rule. */
export interface Judgement {
  rule: SequenceRule
  /** Index in {@link SequenceRun.steps} of the step that showed it. */
  step: number
  outcome: 'passed' | 'violated' | 'inconclusive'
  note: string
  finding?: Finding
  traits?: Record<string, string>
  diff?: AttributeDiff[]
}

/** A representation of a test user a GET showed, and its entity tag. */
export interface Seen {
  step: number
  body: Body
  tag: string | null
}

/** One test user of the sequence, as the model holds it. */
export interface Slot {
  /** `u1`, `u2`…: how steps and the replay script name it. */
  label: string
  id: string
  /** `retired`: the server did something the model cannot follow (a rule broken): only deleted at the end. */
  state: 'live' | 'deleted' | 'retired'
  /** Its userName as the last GET showed it. */
  userName: string
  /** How it came by that userName: at its creation by the setup, or by the sequence's history. */
  nameFrom: 'setup' | 'history'
  /** How the history gave it its name (`renamed at step 3`). */
  nameHow: string
  /** Names it held and gave up by a successful rename. */
  formerNames: { name: string; step: number }[]
  /** Every GET that showed it, in order. */
  seen: Seen[]
  /** The steps of its successful writes (POST, PUT). */
  writes: number[]
  /**
   * The attributes the last successful write provided and the server acknowledged (its response, or the
   * first GET after it), the write's step, the number of GETs before it (the history), and the step of
   * the GET that was the acknowledgement (never judged against itself).
   */
  expect: { body: Body; step: number; history: number; ackStep: number | null } | null
  created: { value: unknown; step: number } | null
  lastModified: { value: string; at: number; step: number } | null
  deletedAt: number | null
}

export interface Model {
  slots: Slot[]
  /** userNames given up by a rename or a delete, that no user of the sequence holds since. */
  freed: { name: string; how: string; step: number }[]
  /** A filter by a user's current userName listed it: an empty list is evidence. */
  filterWorks: boolean
  etag: boolean
  filter: boolean
  /** Why the sequence stopped (a 5xx, the rule under test broken, no more test users), or null. */
  stopped: string | null
  /** A plain PUT (no If-Match) of the sequence was accepted: the server takes such requests. */
  putAccepted: boolean
}

/** Thrown to end a sequence at once (its rule broken, a 5xx): the runner catches it. */
export class Halt extends Error {}

/** userName comparison as RFC 7643 §4.1.1 has it: case insensitive. */
export const nameKey = (value: unknown): string =>
  typeof value === 'string' ? value.normalize('NFC').trim().toLowerCase() : ''

export const userNameOf = (body: unknown): string => {
  const v = getAttr(body, 'userName')
  return typeof v === 'string' ? v : ''
}

const metaOf = (body: unknown, field: string): unknown => getAttr(getAttr(body, 'meta'), field)

/** `200`, `409 uniqueness ("…")`, `204`: a short account of an answer for a story step. */
export function describeAnswer(e: Exchange): string {
  const status = statusOf(e)
  if (status === null) return 'no response'
  if (status >= 400) return describeRefusal(e)
  const body = bodyObject(e)
  const resources = getAttr(body, 'Resources')
  if (Array.isArray(resources)) {
    const ids = resources.map((r) => getAttr(r, 'id'))
    return `${status}, ${resources.length} resource(s)${ids.length > 0 ? `: ${ids.map(String).join(', ')}` : ''}`
  }
  const userName = getAttr(body, 'userName')
  return body && typeof userName === 'string' ? `${status}, userName ${JSON.stringify(userName)}` : String(status)
}

const ETAG_HEADER = 'etag'
/** The entity tag of a representation: the ETag header, else meta.version (RFC 7643 §3.1: the same value). */
export function tagOf(e: Exchange): string | null {
  const header = e.response?.headers[ETAG_HEADER]
  if (typeof header === 'string' && header !== '') return header
  const version = metaOf(bodyObject(e), 'version')
  return typeof version === 'string' && version !== '' ? version : null
}

/** The attributes of a body a replace must store and a GET must show (the replace checks' scope). */
export function comparable(ctx: CheckContext, body: Body): Body {
  const skip = notCompared(ctx)
  return Object.fromEntries(Object.entries(documented(ctx, body)).filter(([k]) => !skip.has(k.toLowerCase())))
}

const options = (ctx: CheckContext) => ({ declared: (path: string) => declaresPath(ctx, path) })

/** Two shown values are the same value under SCIM's rules (each direction, as for two representations). */
function sameValue(ctx: CheckContext, name: string, a: unknown, b: unknown): boolean {
  return differs(a, b, name, ctx.attribute, options(ctx)) === null && differs(b, a, name, ctx.attribute) === null
}

/** The attributes of `sent` the server acknowledged exactly (`ack` shows them as sent). */
export function acknowledged(ctx: CheckContext, sent: Body, ack: unknown): Body {
  return Object.fromEntries(
    Object.entries(comparable(ctx, sent)).filter(
      ([k, v]) => !isUnassigned(v) && differs(v, getAttr(ack, k), k, ctx.attribute, options(ctx)) === null,
    ),
  )
}

/** The user data of two representations differ (meta aside): a new state of the resource. */
export function dataDiffers(ctx: CheckContext, a: Body, b: Body): boolean {
  return sameRepresentation(a, b, ctx.attribute, new Set(['meta'])).length > 0
}

/**
 * A stale read: attributes whose GET value is not the one the last write stored but one an earlier GET
 * showed (the state before that write). A value that matches nothing shown before is a lost value
 * (put.replace.values-stored judges it), not a stale one.
 */
export function staleAttributes(ctx: CheckContext, slot: Slot, get: Body): { attribute: string; step: number }[] {
  const expect = slot.expect
  if (!expect) return []
  const out: { attribute: string; step: number }[] = []
  for (const [name, value] of Object.entries(expect.body)) {
    const shown = getAttr(get, name)
    const note = differs(value, shown, name, ctx.attribute, options(ctx))
    if (note === null || kindOf(note) !== 'lost') continue
    const earlier = slot.seen
      .slice(0, expect.history)
      .reverse()
      .find((s) => sameValue(ctx, name, getAttr(s.body, name), shown))
    if (earlier) out.push({ attribute: name, step: earlier.step })
  }
  return out
}

/**
 * A partial write: attributes of a refused PUT's body that the GET after it shows as sent, while the GET
 * before it did not. Attributes the body left out are not compared (what a PUT does to them is the
 * service provider's choice, RFC 7644 §3.5.1).
 */
export function partialWrite(ctx: CheckContext, sent: Body, before: Body, after: Body): string[] {
  return Object.entries(comparable(ctx, sent))
    .filter(
      ([k, v]) =>
        !isUnassigned(v) &&
        differs(v, getAttr(after, k), k, ctx.attribute, options(ctx)) === null &&
        differs(v, getAttr(before, k), k, ctx.attribute, options(ctx)) !== null,
    )
    .map(([k]) => k)
}

/** A DateTime as epoch milliseconds, and whether it carries fractions of a second (RFC 7643 §2.3.5). */
function instant(value: string): { ms: number; fine: boolean } {
  return { ms: Date.parse(value), fine: /T\d\d:\d\d:\d\d[.,]\d/.test(value) }
}

/**
 * `a` compared with `b` at the coarser precision of the two (a store may keep whole seconds while a
 * response shows milliseconds): negative when `a` is earlier, 0 when the same instant.
 */
function compareInstants(a: string, b: string): number {
  const [x, y] = [instant(a), instant(b)]
  if (x.fine && y.fine) return x.ms - y.ms
  return Math.floor(x.ms / 1000) - Math.floor(y.ms / 1000)
}

/** Two DateTime values are the same instant (or the same text, when one is not a DateTime). */
function sameInstant(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'string' || typeof b !== 'string') return false
  return !Number.isNaN(Date.parse(a)) && !Number.isNaN(Date.parse(b)) && compareInstants(a, b) === 0
}

/** A fresh model for a sequence on `ctx`'s target. */
export function newModel(ctx: CheckContext): Model {
  return {
    slots: [],
    freed: [],
    filterWorks: false,
    etag: ctx.discovery.capabilities?.etag ?? false,
    filter: ctx.discovery.capabilities?.filter ?? false,
    stopped: null,
    putAccepted: false,
  }
}

/**
 * The system under test, as the commands drive it: sends each request through the check's client, keeps
 * every exchange as a numbered story step, and collects the judgements. `rule` is the check's: the
 * sequence halts as soon as it is broken (nothing later can make the story shorter).
 */
export class SequenceRun {
  readonly steps: StoryStep[] = []
  readonly exchanges: Exchange[] = []
  /** Per step: the slot a POST of that step created (the replay script captures its id). */
  readonly creates: (string | null)[] = []
  readonly judgements: Judgement[] = []
  readonly traits: Record<string, string> = {}

  constructor(
    readonly ctx: CheckContext,
    readonly rule: SequenceRule,
    readonly model: Model,
  ) {}

  /** The step label of an id (`{u1}`) for actions. */
  labelOf(id: string): string {
    return this.model.slots.find((s) => s.id === id)?.label ?? id
  }

  /** Records an exchange as the next step; a 5xx ends the sequence (put.status.no-5xx judges it). */
  record(action: string, expected: string, exchange: Exchange, creates: string | null = null): number {
    noResponse([exchange])
    const n = this.steps.length
    this.steps.push({ n: n + 1, action, expected, received: describeAnswer(exchange) })
    this.exchanges.push(exchange)
    this.creates.push(creates)
    if ((statusOf(exchange) ?? 0) >= 500) {
      this.model.stopped = `the server answered ${statusOf(exchange)} at step ${n + 1} (${action})`
      throw new Halt(this.model.stopped)
    }
    return n
  }

  async send(action: string, expected: string, options: SendOptions): Promise<{ e: Exchange; step: number }> {
    const e = await this.ctx.client.send(options)
    return { e, step: this.record(action, expected, e) }
  }

  get(slot: Slot, expected: string): Promise<{ e: Exchange; step: number }> {
    return this.send(`GET /Users/{${slot.label}}`, expected, {
      method: 'GET',
      path: this.ctx.users.userPath(slot.id),
    })
  }

  put(slot: Slot, body: Body, action: string, expected: string, headers: Record<string, string> = {}) {
    return this.send(`PUT /Users/{${slot.label}} ${action}`, expected, {
      method: 'PUT',
      path: this.ctx.users.userPath(slot.id),
      json: body,
      contentType: this.ctx.profile.requestMediaType,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
    })
  }

  /** `GET /Users?filter=userName eq "…"` (RFC 7644 §3.4.2.2). */
  find(userName: string, expected: string) {
    const filter = `userName eq "${userName.replace(/["\\]/g, '\\$&')}"`
    return this.send(`GET /Users?filter=${filter}`, expected, {
      method: 'GET',
      path: this.ctx.users.usersPath(),
      query: { filter },
    })
  }

  judge(j: Judgement): void {
    this.judgements.push(j)
    Object.assign(this.traits, j.traits)
    if (j.rule === this.rule && j.outcome === 'violated') {
      this.model.stopped = `${j.rule} broken at step ${j.step + 1}`
      throw new Halt(this.model.stopped)
    }
  }

  /** A rule held at this step. */
  pass(rule: SequenceRule, step: number, note: string): void {
    this.judgements.push({ rule, step, outcome: 'passed', note })
  }
}

/** The step (1-based) for messages. */
export const at = (step: number) => `step ${step + 1}`

/** `a, b, c and 4 more`: a list for a message, cut after `max` items. */
export function listed(items: readonly string[], max = 4): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}

/**
 * What a representation of a live user shows of its history: meta.created never moves (RFC 7643 §3.1),
 * meta.lastModified never goes back.
 */
export function observeMeta(run: SequenceRun, slot: Slot, step: number, body: Body): void {
  const created = metaOf(body, 'created')
  if (!isUnassigned(created)) {
    if (!slot.created) slot.created = { value: created, step }
    else if (sameInstant(created, slot.created.value))
      run.pass('created-fixed', step, `meta.created unchanged since ${at(slot.created.step)}`)
    else
      run.judge({
        rule: 'created-fixed',
        step,
        outcome: 'violated',
        note: 'meta.created moved',
        finding: {
          received: `meta.created ${JSON.stringify(created)} for ${slot.label} at ${at(step)}; it was ${JSON.stringify(
            slot.created.value,
          )} at ${at(slot.created.step)}`,
          expected:
            'meta.created never changes: "The DateTime that the resource was added to the service provider" ' +
            '(RFC 7643 §3.1)',
          fix: 'Set meta.created once, when the user is created; no PUT, GET or refused request may change it',
        },
      })
  }
  const modified = metaOf(body, 'lastModified')
  const time = typeof modified === 'string' ? Date.parse(modified) : Number.NaN
  if (typeof modified !== 'string' || Number.isNaN(time)) return
  const was = slot.lastModified
  if (was && compareInstants(modified, was.value) < 0)
    run.judge({
      rule: 'last-modified-monotonic',
      step,
      outcome: 'violated',
      note: 'meta.lastModified went back',
      finding: {
        received:
          `meta.lastModified ${JSON.stringify(modified)} for ${slot.label} at ${at(step)}, ` +
          `earlier than ${JSON.stringify(was.value)} shown at ${at(was.step)}`,
        expected:
          'never earlier than a value already shown: "The most recent DateTime that the details of this ' +
          'resource were updated" (RFC 7643 §3.1)',
        fix: 'Keep lastModified from the store that holds the latest write, and never set it from an older state',
      },
    })
  else if (was) run.pass('last-modified-monotonic', step, 'meta.lastModified did not go back')
  if (!was || time >= was.at) slot.lastModified = { value: modified, at: time, step }
}

/**
 * A GET of a live user: its meta (created, lastModified), its version (a tag shown again for a different
 * content, after another one), the last write's values (a stale read), then the model learns its userName.
 */
export function observeGet(run: SequenceRun, slot: Slot, step: number, e: Exchange): void {
  // A retired user's state is unknown to the model: nothing it shows is judged any more.
  if (slot.state !== 'live') return
  const body = bodyObject(e)
  if (statusOf(e) !== 200 || !body) {
    slot.state = 'retired'
    run.traits['sequence.lost-user'] = `GET of a live test user answered ${describeAnswer(e)}`
    return
  }
  observeMeta(run, slot, step, body)
  const tag = tagOf(e)
  if (run.model.etag && tag !== null) judgeVersion(run, slot, step, body, tag)
  if (slot.expect && slot.expect.ackStep !== step) {
    const stale = staleAttributes(run.ctx, slot, body)
    if (stale.length > 0) {
      slot.state = 'retired'
      const write = slot.expect.step
      run.judge({
        rule: 'get-shows-last-write',
        step,
        outcome: 'violated',
        note: 'stale read',
        diff: stale.map((s) => ({
          attribute: s.attribute,
          sent: getAttr(slot.expect!.body, s.attribute),
          stored: getAttr(body, s.attribute),
          note: `the value shown at ${at(s.step)}`,
        })),
        finding: {
          received: `GET of ${slot.label} at ${at(step)} shows ${listed(
            stale.map((s) => `${s.attribute} as at ${at(s.step)}`),
          )}, not as the successful PUT of ${at(write)} stored it`,
          expected:
            'the values of the last successful write: "Any values provided SHALL replace the existing ' +
            'attribute values" (RFC 7644 §3.5.1)',
          fix: 'Serve reads from the store the writes go to (invalidate any cache on PUT)',
        },
      })
      return
    }
    if (Object.keys(slot.expect.body).length > 0)
      run.pass('get-shows-last-write', step, `shows the values of ${at(slot.expect.step)}`)
  }
  slot.seen.push({ step, body, tag })
  slot.userName = userNameOf(body)
  if (slot.userName === '') slot.state = 'retired'
}

/** RFC 9110 §8.8.3: a version shown again after another one, for a different content, is reused. */
function judgeVersion(run: SequenceRun, slot: Slot, step: number, body: Body, tag: string): void {
  const last = slot.seen.at(-1)
  if (!last || last.tag === null || last.tag === tag) return
  const lastOther = slot.seen.findLastIndex((s) => s.tag !== null && s.tag !== tag)
  const reused = slot.seen.slice(0, lastOther).find((s) => s.tag === tag && dataDiffers(run.ctx, s.body, body))
  if (!reused) {
    run.pass('version-not-reused', step, `a new version ${tag}`)
    return
  }
  run.judge({
    rule: 'version-not-reused',
    step,
    outcome: 'violated',
    note: 'version reused',
    finding: {
      received: `GET of ${slot.label} at ${at(step)} shows version ${tag} again, the version of ${at(
        reused.step,
      )}, for a different content (after version ${last.tag})`,
      expected:
        'a version names one state of the resource: meta.version "must be the same as the entity-tag (ETag)" ' +
        '(RFC 7643 §3.1), and an entity tag differentiates representations (RFC 9110 §8.8.3)',
      fix:
        'Never hand out an entity tag again for another state of the user ' +
        '(a counter that only grows, or a hash of the content)',
    },
  })
}

/** Names a userName freed (given up), unless a user of the sequence holds it again. */
export function free(model: Model, name: string, how: string, step: number): void {
  if (name === '' || holder(model, name)) return
  model.freed = model.freed.filter((f) => nameKey(f.name) !== nameKey(name))
  model.freed.push({ name, how, step })
}

/** The live or retired slot holding `name` (retired ones may hold anything they last showed). */
export function holder(model: Model, name: string, except?: Slot): Slot | undefined {
  return model.slots.find((s) => s !== except && s.state !== 'deleted' && nameKey(s.userName) === nameKey(name))
}

/** Freed names no user of the sequence holds now. */
export function freedNames(model: Model): Model['freed'] {
  return model.freed.filter((f) => !holder(model, f.name))
}

/** The model learns a successful write: what it must show from now on, and the names it gave up or took. */
export function applyWrite(
  run: SequenceRun,
  slot: Slot,
  sent: Body,
  write: { e: Exchange; step: number },
  get: { e: Exchange; step: number },
): void {
  const model = run.model
  const response = bodyObject(write.e)
  if (response && (statusOf(write.e) ?? 0) < 300 && slot.state === 'live') observeMeta(run, slot, write.step, response)
  const before = slot.userName
  const ackIsResponse = response !== null && (getAttr(response, 'id') !== undefined || userNameOf(response) !== '')
  const ack = ackIsResponse ? response : bodyObject(get.e)
  slot.writes.push(write.step)
  slot.expect = {
    body: acknowledged(run.ctx, sent, ack),
    step: write.step,
    history: slot.seen.length,
    ackStep: ackIsResponse ? null : get.step,
  }
  observeGet(run, slot, get.step, get.e)
  if (slot.state === 'retired') return
  if (nameKey(slot.userName) !== nameKey(before)) {
    slot.formerNames.push({ name: before, step: write.step })
    slot.nameFrom = 'history'
    slot.nameHow = `took it at ${at(write.step)}`
    free(model, before, `given up by ${slot.label}'s rename at ${at(write.step)}`, write.step)
  }
  model.freed = model.freed.filter((f) => nameKey(f.name) !== nameKey(slot.userName))
}

/**
 * The model learns a refused PUT: nothing may have changed (RFC 7644 §3.12: the request was refused; RFC
 * 9110 §13.1.1 for a failed precondition). A rename refused leaves the user with its name, now by history.
 */
export function applyRefusal(
  run: SequenceRun,
  slot: Slot,
  sent: Body,
  put: { e: Exchange; step: number },
  get: { e: Exchange; step: number },
): void {
  const shown = slot.seen.at(-1)
  const before = shown?.body ?? {}
  const after = bodyObject(get.e)
  if (statusOf(get.e) === 200 && after) {
    const written = partialWrite(run.ctx, sent, before, after)
    if (written.length > 0) {
      slot.state = 'retired'
      run.judge({
        rule: 'refused-put-changes-nothing',
        step: get.step,
        outcome: 'violated',
        note: 'partial write',
        diff: written.map((attribute) => ({
          attribute,
          sent: getAttr(sent, attribute),
          stored: getAttr(after, attribute),
          note: 'stored by the refused PUT',
        })),
        finding: {
          received: `PUT of ${at(put.step)} answered ${describeRefusal(put.e)}, yet the GET of ${at(
            get.step,
          )} shows what it sent for ${listed(written)}`,
          expected: `a refused PUT changes nothing: the user as ${
            shown ? `the GET of ${at(shown.step)}` : 'before'
          } showed it (RFC 7644 §3.12; RFC 9110 §13.1.1: a failed precondition MUST NOT perform the method)`,
          fix: 'Validate the whole request (schema, uniqueness, preconditions) before writing any of it, or roll back',
        },
      })
      // The user now holds values of a refused body: no later comparison may read them as a stale state.
      return
    }
    run.pass('refused-put-changes-nothing', get.step, `nothing changed after ${describeRefusal(put.e)}`)
  }
  const renamed = userNameOf(sent) !== '' && nameKey(userNameOf(sent)) !== nameKey(slot.userName)
  observeGet(run, slot, get.step, get.e)
  if (renamed && slot.state === 'live' && nameKey(userNameOf(after)) === nameKey(slot.userName)) {
    slot.nameFrom = 'history'
    slot.nameHow = `kept it through the refused rename of ${at(put.step)}`
  }
}

/** A scimType of `uniqueness`, or a 409: the server says the userName is taken (or reserved, RFC 7644 Table 9). */
export const isUniquenessRefusal = (e: Exchange): boolean => statusOf(e) === 409 || scimTypeOf(e) === 'uniqueness'
