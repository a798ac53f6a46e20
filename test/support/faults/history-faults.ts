import type { RequestBody } from '../../../src/reference/body.ts'
import type { StoredUser } from '../../../src/reference/store.ts'
import { CORE_USER_URN } from '../../../src/scim/core-schema.ts'
import { fault, isObj, type Obj } from './fault.ts'

/**
 * Faults of a user's history (put.sequence.*, RFC 7644 §3.4.2.2, §3.12, §3.14; RFC 7643 §3.1, §4.1.1) and of
 * concurrent writers (put.concurrency.*): stale indexes and caches, writes before validation, versions reused,
 * and check-then-write windows of one event-loop tick (the sequential checks never see a window: their
 * requests come one at a time). Built from test/proof/sequence-faults.test.ts and test/proof/race-hooks.ts.
 */

const key = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '')
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** The userName a list request filters by (`userName eq "x"`), or null. */
function filtered(query: URLSearchParams): string | null {
  const match = /^userName eq "(.*)"$/i.exec(query.get('filter') ?? '')
  return match ? match[1].replace(/\\(.)/g, '$1') : null
}

/** Appends users to a filtered list response (what a stale search index would list). */
function listAlso(body: unknown, users: StoredUser[]): void {
  const list = body as { Resources?: Obj[]; totalResults?: number }
  const resources = list.Resources ?? []
  for (const u of users)
    if (!resources.some((r) => r.id === u.id))
      resources.push({ schemas: [CORE_USER_URN], id: u.id, userName: u.data.userName })
  list.Resources = resources
  list.totalResults = resources.length
}

/** The stored attribute names in the order the request body lists them (names case-insensitive), then the rest. */
function inBodyOrder(body: RequestBody, names: string[]): string[] {
  let sent: string[] = []
  try {
    sent = body.kind === 'ok' ? Object.keys(JSON.parse(body.text ?? '{}')).map((k) => k.toLowerCase()) : []
  } catch {}
  const rank = (name: string) => {
    const i = sent.indexOf(name.toLowerCase())
    return i === -1 ? sent.length : i
  }
  return [...names].sort((a, b) => rank(a) - rank(b))
}

/** History faults: stale state a later request of the same client sees. */
export const HISTORY_FAULTS = {
  'partial-write-on-refusal': fault(
    'a PUT stores its plain attributes before validating the body: a PUT refused 400 has already changed the user',
    () => ({
      body: ({ operation, body, target, exchange }) => {
        if (operation !== 'replace' || !target || !isObj(body)) return undefined
        const data = { ...target.data }
        for (const name of ['displayName', 'nickName', 'title', 'emails', 'name', 'active', 'externalId'])
          if (name in body) data[name] = body[name]
        exchange.server.store.save({ ...target, data })
        return undefined
      },
    }),
  ),
  'partial-write-on-conflict': fault(
    'validation after writing: a PUT refused 409 (userName taken) has already stored its other attributes',
    () => ({
      body: ({ exchange, operation, body, target }) => {
        if (operation !== 'replace' || !target || !isObj(body)) return undefined
        const taken = exchange.server.store
          .all()
          .some((u) => u.id !== target.id && key(u.data.userName) === key(body.userName))
        if (!taken) return undefined
        for (const [name, value] of Object.entries(body))
          if (!['schemas', 'userName', 'id', 'meta', 'groups'].includes(name)) target.data[name] = value
        return undefined
      },
    }),
  ),
  'uniqueness-index-not-renamed': fault(
    'a uniqueness index written at creation and never updated by a rename: the old userName stays blocked and' +
      ' the new one is free for anyone else to take',
    () => {
      const index = new Map<string, unknown>()
      return {
        write: (call) => {
          if (call.operation === 'create') index.set(call.next.id, call.next.data.userName)
        },
        uniqueness: ({ userName, other }) =>
          index.has(other.id) ? key(index.get(other.id)) === key(userName) : undefined,
      }
    },
  ),
  'filter-keeps-former-names': fault(
    'a search index that adds a user’s new userName on a rename but never drops the old one',
    () => {
      const former = new Map<string, Set<string>>()
      return {
        write: (call) => {
          if (call.operation !== 'replace' || key(call.previous.data.userName) === key(call.next.data.userName)) return
          const names = former.get(call.previous.id) ?? new Set()
          names.add(key(call.previous.data.userName))
          former.set(call.previous.id, names)
        },
        response: ({ exchange, response }) => {
          const name = exchange.route === 'users' && exchange.method === 'GET' ? filtered(exchange.query) : null
          if (name === null || response.status !== 200) return
          const users = exchange.server.store.all().filter((u) => former.get(u.id)?.has(key(name)))
          listAlso(response.body, users)
        },
      }
    },
  ),
  'version-alternates': fault(
    'a version that alternates between two values (a flag, not a counter): after two changes the first version' +
      ' names a new content, and an If-Match with it passes (a lost update)',
    () => ({
      write: (call) => {
        if (call.operation === 'replace') call.next.version = (call.previous.version % 2) + 1
      },
    }),
  ),
} as const

/** Race faults: a check-then-write window of one event-loop tick at one place only. */
export const RACE_FAULTS = {
  'race-username': fault(
    'the userName uniqueness check and the write are not atomic: a tick between them (PUT and POST without' +
      ' If-Match), so two writers of one new userName both pass the check and both store it',
    // After the uniqueness check, before the save. Not for a conditional PUT: its If-Match was checked
    // before too, and a window there is race-if-match's.
    () => ({
      write: async (call) => {
        if (call.operation !== 'delete' && call.exchange.headers['if-match'] === undefined) await tick()
      },
    }),
  ),
  'race-username-post': fault(
    'POST /Users checks userName uniqueness, then inserts a tick later (PUT is atomic)',
    () => ({
      write: async (call) => {
        if (call.operation === 'create') await tick()
      },
    }),
  ),
  'race-if-match': fault(
    'If-Match is compared, then the replace is written a tick later: two PUTs with the same current ETag both' +
      ' pass and both are performed (the lost update)',
    // The comparison (`correct`) is made before the hook is called; the hook only delays what follows.
    () => ({
      ifMatch: async () => {
        await tick()
        return undefined
      },
    }),
  ),
  'race-replace-interleaved': fault(
    'a replace is written into the stored user one attribute at a time, in the order the body lists them, a' +
      ' tick between attributes: two PUTs at once leave some attributes of one body and some of the other',
    // The version and userName move first, in the checks' own turn, so If-Match and uniqueness still hold.
    () => ({
      write: async (call) => {
        if (call.operation !== 'replace') return
        const live = call.previous
        const next = call.next
        call.save = false
        call.shown = live
        live.version = next.version
        live.lastModified = next.lastModified
        live.data.userName = next.data.userName
        for (const k of Object.keys(live.data)) if (!(k in next.data)) delete live.data[k]
        for (const k of inBodyOrder(call.exchange.body, Object.keys(next.data))) {
          if (k === 'userName') continue
          await tick()
          live.data[k] = next.data[k]
        }
      },
    }),
  ),
} as const
