import { NO_CONSTRAINTS, type ServerConstraints, type UserPool } from '../checks/context.ts'
import { ForeignUserError, NotEnoughUsers } from './test-users.ts'
import { HarnessError, oneLine, TransportError } from '../errors.ts'
import type { ScimClient } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'
import { acceptedState } from '../profile/accepted-state.ts'
import type { JsonSchema } from '../openapi/json-schema.ts'
import { topLevelProperties, type VendorProfile } from '../profile/vendor-profile.ts'

/**
 * Learning the server's input constraints before the checks, by control experiments on one confirmed
 * test user: its accepted state (the base) is PUT first, then the base with exactly one stress at a
 * time. A stress the base-PUT control accepts and the stressed PUT answers with 400 and an error body
 * (RFC 7644 §3.12) is a constraint of the server, a choice the RFC leaves to it; the generator then keeps
 * every check's payloads within it. Anything else (a 5xx, another status, a refused control) teaches
 * nothing: put.status.no-5xx and the checks meet and judge it themselves.
 */

type Body = Record<string, unknown>

/** Lengths tried for a free-text attribute, longest first: 1024 is the generator's own default cap. */
export const LENGTH_STEPS = [1024, 256, 100, 64, 32] as const

/** Free-text attributes a length is tried in, in order: the first the vendor's request schema has as a plain string. */
const FREE_TEXT: readonly (readonly string[])[] = [
  ['displayName'],
  ['name', 'givenName'],
  ['nickName'],
  ['title'],
  ['name', 'familyName'],
  ['externalId'],
]

/** Multi-valued attributes whose items the generator gives a canonical `type` (RFC 7643 §4.1.2), preferred first. */
const TYPED = ['emails', 'phoneNumbers', 'ims', 'photos', 'addresses'] as const

/** Non-ASCII included, no white space at the ends: a length is counted in code points, as the generator counts it. */
const TEXT_PATTERN = Array.from('AdaLovelace-Zoë-山田-')

/** `length` code points of readable text. */
export function textOf(length: number): string {
  return Array.from({ length }, (_, i) => TEXT_PATTERN[i % TEXT_PATTERN.length]).join('')
}

/** What one PUT of an experiment taught. */
type Answer =
  | { kind: 'accepted'; exchange: Exchange }
  | { kind: 'refused'; why: string }
  | { kind: 'other'; why: string }

const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A key of `body` matching `name` ignoring case (RFC 7643 §2.1), or `name` itself. */
function keyOf(body: Body, name: string): string {
  return Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name
}

/** The base of the experiments: the user's accepted state (see {@link acceptedState}). */
export const baseOf = acceptedState

/** The item schema of a multi-valued complex attribute of the vendor's request, or null. */
function itemSchema(profile: VendorProfile, name: string): JsonSchema | null {
  const schema = Object.entries(topLevelProperties(profile.requestSchema)).find(
    ([n]) => n.toLowerCase() === name.toLowerCase(),
  )?.[1]
  const items = schema?.items
  return schema?.type === 'array' && items && typeof items === 'object' && !Array.isArray(items) && items.properties
    ? items
    : null
}

/** The first free-text attribute of {@link FREE_TEXT} that the vendor's request schema has as a plain string. */
export function freeTextPath(profile: VendorProfile): readonly string[] | null {
  const properties = topLevelProperties(profile.requestSchema)
  const lookup = (schema: JsonSchema | undefined, name: string) =>
    Object.entries(schema?.properties ?? {}).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1]
  for (const path of FREE_TEXT) {
    let schema: JsonSchema | undefined = lookup({ properties }, path[0])
    for (const segment of path.slice(1)) schema = schema?.type === 'object' ? lookup(schema, segment) : undefined
    if (
      schema?.type === 'string' &&
      schema.readOnly !== true &&
      schema.format === undefined &&
      schema.enum === undefined &&
      schema.pattern === undefined &&
      schema.maxLength === undefined
    )
      return path
  }
  return null
}

/**
 * The first attribute of {@link TYPED} whose items have a `type` sub-attribute in the vendor's request
 * schema; else `emails` where the schema has its items (RFC 7643 §4.1.2 gives them a `type`: the control,
 * two values of different types, tells whether the server takes it at all).
 */
function typedAttribute(profile: VendorProfile): string | null {
  const declared = TYPED.find((name) => itemSchema(profile, name)?.properties?.type !== undefined)
  return declared ?? (itemSchema(profile, 'emails')?.properties?.value ? 'emails' : null)
}

/** An item of a multi-valued attribute for the experiments: a value of its kind, derived from the user's userName. */
function itemOf(attribute: string, letter: string, userName: string): Body {
  const local = userName.split('@')[0]
  switch (attribute) {
    case 'emails':
      return { value: `${letter}.${local}@example.com` }
    case 'phoneNumbers':
      return { value: `tel:+1-201-555-010${letter.charCodeAt(0) % 10}` }
    case 'photos':
      return { value: `https://example.com/${letter}.png` }
    case 'addresses':
      return { locality: `Town ${letter.toUpperCase()}` }
    default:
      return { value: `${letter}-${local}` }
  }
}

/** What to keep of a refusal: status, scimType and the server's own `detail`, on one line. */
function refusal(exchange: Exchange): string {
  const body = exchange.response?.body
  const scimType = isObject(body) && typeof body.scimType === 'string' ? ` ${body.scimType}` : ''
  const detail = isObject(body) && typeof body.detail === 'string' ? `: ${oneLine(body.detail)}` : ''
  const line = `${exchange.response?.status}${scimType}${detail}`
  return line.length > 200 ? `${line.slice(0, 199)}…` : line
}

/** The error body a 400 must carry to count as the server's refusal: a SCIM Error (§3.12) or problem details. */
function isErrorBody(body: unknown): boolean {
  if (!isObject(body)) return false
  const schemas = body.schemas
  return (
    (Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && /:api:messages:2\.0:Error$/i.test(s))) ||
    typeof body.detail === 'string' ||
    'status' in body
  )
}

function classify(exchange: Exchange): Answer {
  const status = exchange.response?.status
  if (status === undefined) return { kind: 'other', why: `the PUT failed (${exchange.error?.message})` }
  if (status >= 200 && status < 300) return { kind: 'accepted', exchange }
  if (status === 400 && isErrorBody(exchange.response?.body)) return { kind: 'refused', why: refusal(exchange) }
  return { kind: 'other', why: `the PUT answered ${status}` }
}

/** Where the experiments run: a confirmed test user (or the `--user-id` user) as the server returned it. */
export interface LearnTarget {
  /** Path of the user, `…/Users/{id}`. */
  path: string
  /** Its representation as the server returned it after creation. */
  representation: Body
}

/**
 * Runs the control experiments on one user and says what the server refused. Sends at most a dozen
 * PUTs (and a GET); leaves the user in some state of the experiments (delete or restore it after).
 */
export async function learnConstraints(
  client: ScimClient,
  profile: VendorProfile,
  target: LearnTarget,
): Promise<ServerConstraints> {
  const learned: ServerConstraints = {
    maxLength: null,
    oneValuePerType: false,
    noEmptyItems: false,
    defaults: {},
    traits: {},
    notes: [],
  }
  const base = baseOf(profile, target.representation)
  const userName = String(base[keyOf(base, 'userName')] ?? '')
  const put = async (body: Body): Promise<Answer> =>
    classify(await client.send({ method: 'PUT', path: target.path, json: body, contentType: profile.requestMediaType }))
  const note = (what: string) => learned.notes.push(`constraints: ${what}`)

  const control = await put(base)
  if (control.kind !== 'accepted') {
    note(
      `a PUT of the test user's own accepted state was refused (${control.why}), ` +
        'so no input constraint could be learned',
    )
    return learned
  }

  // A length cap (RFC 7644 §3.12 invalidValue for a value the service cannot store): the longest step accepted.
  const textPath = freeTextPath(profile)
  if (textPath !== null) {
    const where = textPath.join('.')
    const withText = (text: string): Body => {
      if (textPath.length === 1) return { ...base, [keyOf(base, textPath[0])]: text }
      const key = keyOf(base, textPath[0])
      const parent = isObject(base[key]) ? (base[key] as Body) : {}
      return { ...base, [key]: { ...parent, [keyOf(parent, textPath[1])]: text } }
    }
    let refused: { length: number; why: string } | null = null
    for (const length of LENGTH_STEPS) {
      const answer = await put(withText(textOf(length)))
      if (answer.kind === 'accepted') {
        if (refused !== null) {
          learned.maxLength = length
          learned.traits['constraint.maxLength'] = `${length} (${refused.length} refused in ${where}: ${refused.why})`
        }
        break
      }
      if (answer.kind === 'other') {
        note(`${length} characters in ${where}: ${answer.why}; no length limit learned`)
        break
      }
      refused = { length, why: answer.why }
      if (length === LENGTH_STEPS[LENGTH_STEPS.length - 1])
        note(
          `even ${length} characters in ${where} were refused (${answer.why}): ` +
            'the attribute itself is refused, not its length; no length limit learned',
        )
    }
  }

  // At most one value per `type` in a multi-valued attribute: the control has two types, the stress one type twice.
  const typed = typedAttribute(profile)
  if (typed !== null) {
    const key = keyOf(base, typed)
    const [a, b] = [itemOf(typed, 'a', userName), itemOf(typed, 'b', userName)]
    const distinct = await put({
      ...base,
      [key]: [
        { ...a, type: 'work' },
        { ...b, type: 'home' },
      ],
    })
    if (distinct.kind === 'accepted') {
      const same = await put({
        ...base,
        [key]: [
          { ...a, type: 'work' },
          { ...b, type: 'work' },
        ],
      })
      if (same.kind === 'refused') {
        learned.oneValuePerType = true
        learned.traits['constraint.type-unique'] = `${typed} (two values of type "work" refused: ${same.why})`
      } else if (same.kind === 'other') note(`two ${typed} values of one type: ${same.why}; nothing learned`)
    } else note(`two ${typed} values of different types were refused (${distinct.why}); one value per type not tried`)
  }

  // An empty complex item: the base's own items (or one accepted item), then the same with `{}` added; only
  // where the vendor's document requires no sub-attribute of the items (else `{}` breaks the document, not a limit).
  const free = (name: string) => {
    const items = itemSchema(profile, name)
    return items !== null && (items.required ?? []).length === 0
  }
  const multi = (['emails', ...TYPED] as const).find(free) ?? null
  if (multi !== null) {
    const key = keyOf(base, multi)
    const own = Array.isArray(base[key]) && (base[key] as unknown[]).length > 0 ? (base[key] as unknown[]) : null
    const items = own ?? [itemOf(multi, 'a', userName)]
    const accepted = own !== null || (await put({ ...base, [key]: items })).kind === 'accepted'
    if (accepted) {
      const empty = await put({ ...base, [key]: [...items, {}] })
      if (empty.kind === 'refused') {
        learned.noEmptyItems = true
        learned.traits['constraint.no-empty-items'] = `${multi} (an item {} refused: ${empty.why})`
      } else if (empty.kind === 'other') note(`an empty ${multi} item: ${empty.why}; nothing learned`)
    }
  }

  // A default assigned when an attribute is omitted (RFC 7644 §3.5.1 "MAY assign a default value"): emails,
  // set to a value of the harness's first, so that a default is told apart from the old value.
  const emailsKey = keyOf(base, 'emails')
  if (itemSchema(profile, 'emails')) {
    const set = [{ ...itemOf('emails', 'c', userName), ...(primaryOf(profile) ? { primary: true } : {}) }]
    if ((await put({ ...base, [emailsKey]: set })).kind === 'accepted') {
      const { [emailsKey]: _omitted, ...without } = base
      const cleared = await put(without)
      if (cleared.kind === 'accepted') {
        const shown = await shownAfter(client, target.path, cleared.exchange)
        const emails = isObject(shown) ? shown[keyOf(shown, 'emails')] : undefined
        const unassigned = emails === undefined || emails === null || (Array.isArray(emails) && emails.length === 0)
        if (!unassigned && JSON.stringify(emails) !== JSON.stringify(set)) {
          learned.defaults.emails = emails
          const described = JSON.stringify(emails).split(JSON.stringify(userName).slice(1, -1)).join('<userName>')
          learned.traits['constraint.default.emails'] =
            `${described.length > 160 ? `${described.slice(0, 159)}…` : described} assigned when emails is omitted`
        }
      }
    }
  }
  return learned
}

function primaryOf(profile: VendorProfile): boolean {
  return itemSchema(profile, 'emails')?.properties?.primary !== undefined
}

/** The representation after a PUT: its response body when it carries the user, else a GET. */
async function shownAfter(client: ScimClient, path: string, put: Exchange): Promise<Body | null> {
  const body = put.response?.body
  if (isObject(body) && Object.keys(body).some((k) => k.toLowerCase() === 'username')) return body
  const get = await client.send({ method: 'GET', path })
  return get.response?.status === 200 && isObject(get.response.body) ? get.response.body : null
}

/**
 * Creates one test user through `users`, learns on it and deletes it again (a `--user-id` user is put
 * back to its state first). A target that gives no test user teaches nothing (a note says why: the
 * checks report the refusal in their own terms); a foreign user or a lost target stops as usual.
 */
export async function learnWithTestUser(
  client: ScimClient,
  profile: VendorProfile,
  users: UserPool,
  options: { borrowed?: boolean } = {},
): Promise<ServerConstraints> {
  let created: Awaited<ReturnType<UserPool['create']>>
  try {
    created = await users.create(1, 'constraints')
  } catch (error) {
    if (error instanceof ForeignUserError || error instanceof TransportError) throw error
    if (!(error instanceof HarnessError) && !(error instanceof NotEnoughUsers)) throw error
    return { ...NO_CONSTRAINTS, notes: [`constraints: not learned, no test user to learn on (${oneLine(error)})`] }
  }
  const target = { path: users.userPath(created.ids[0]), representation: created.created[0] }
  try {
    const learned = await learnConstraints(client, profile, target)
    if (options.borrowed)
      await client.send({
        method: 'PUT',
        path: target.path,
        json: baseOf(profile, target.representation),
        contentType: profile.requestMediaType,
      })
    return learned
  } finally {
    await users.remove(created)
  }
}

const learnedPerRun = new Map<string, Promise<ServerConstraints>>()

/**
 * Learns once per `key` (a run and its target) in this process: the suite files a worker runs share
 * the result (vitest runs them in one module graph). A failed learning is not kept.
 */
export function learnOnce(key: string, learn: () => Promise<ServerConstraints>): Promise<ServerConstraints> {
  let learning = learnedPerRun.get(key)
  if (!learning) {
    learning = learn()
    learnedPerRun.set(key, learning)
    learning.catch(() => learnedPerRun.delete(key))
  }
  return learning
}
