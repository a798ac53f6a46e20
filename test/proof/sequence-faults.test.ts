import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { SEQUENCE_CHECKS } from '../../src/checks/areas/sequence.ts'
import type { CheckResult } from '../../src/checks/types.ts'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import type { ServerHooks } from '../../src/reference/hooks.ts'
import { startReferenceServer } from '../../src/reference/server.ts'
import type { StoredUser } from '../../src/reference/store.ts'
import { buildConfig, DEFAULT_RUNS } from '../../src/run/config.ts'
import { runChecks } from '../../src/run/run-checks.ts'
import { CORE_USER_URN } from '../../src/scim/core-schema.ts'
import { faultHooks } from '../support/faults/index.ts'

/**
 * Issue 14 (items 1, 4, 6): the history faults put.sequence.* exists for, built as hooks of the reference
 * server (the project's fault catalogue takes them over; see the report of the sequence work), each found
 * by its own check at the default --runs on every vendor, with a story shrunk to the setup and one command,
 * and no other put.sequence.* check failing or warning except where the same misbehaviour breaks its rule
 * too (listed with the fault).
 */

const key = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '')
type Hooks = () => ServerHooks[]

/** The userName a list request filters by (`userName eq "x"`), or null. */
function filtered(query: URLSearchParams): string | null {
  const match = /^userName eq "(.*)"$/i.exec(query.get('filter') ?? '')
  return match ? match[1].replace(/\\(.)/g, '$1') : null
}

/** Appends users to a filtered list response (what a stale search index would list). */
function listAlso(body: unknown, users: StoredUser[]): void {
  const list = body as { Resources?: Record<string, unknown>[]; totalResults?: number }
  const resources = list.Resources ?? []
  for (const u of users)
    if (!resources.some((r) => r.id === u.id))
      resources.push({ schemas: [CORE_USER_URN], id: u.id, userName: u.data.userName })
  list.Resources = resources
  list.totalResults = resources.length
}

/** The faults, each with the check that must catch it, its grade, and other sequence checks its behaviour breaks. */
const FAULTS: { name: string; hooks: Hooks; etag?: boolean; check: string; grade: string; also?: string[] }[] = [
  {
    // A soft delete that a PUT on the id undoes: GET answers 404, but a PUT stores the user back (200).
    name: 'resurrect-on-put',
    check: 'put.sequence.deleted-stays-gone',
    grade: 'failed',
    hooks: () => {
      const deleted = new Map<string, StoredUser>()
      return [
        {
          write: (call) => {
            if (call.operation === 'delete') deleted.set(call.previous.id, call.previous)
          },
          target: ({ exchange, id, correct }) => {
            const ghost = deleted.get(id)
            if (correct || !ghost || exchange.method !== 'PUT') return undefined
            exchange.server.store.save(ghost)
            deleted.delete(id)
            return ghost
          },
        },
      ]
    },
  },
  {
    // A soft delete the search index keeps: GET /Users/{id} answers 404, a filter by its userName lists it.
    name: 'deleted-still-listed',
    check: 'put.sequence.deleted-stays-gone',
    grade: 'failed',
    hooks: () => {
      const deleted = new Map<string, StoredUser>()
      return [
        {
          write: (call) => {
            if (call.operation === 'delete') deleted.set(call.previous.id, call.previous)
          },
          response: ({ exchange, response }) => {
            const name = exchange.route === 'users' && exchange.method === 'GET' ? filtered(exchange.query) : null
            if (name === null || response.status !== 200) return
            listAlso(
              response.body,
              [...deleted.values()].filter((u) => key(u.data.userName) === key(name)),
            )
          },
        },
      ]
    },
  },
  {
    // Validation after writing: a PUT refused 409 (userName taken) has already stored its other attributes.
    name: 'partial-write-on-conflict',
    check: 'put.sequence.refused-put-changes-nothing',
    grade: 'failed',
    hooks: () => faultHooks(['partial-write-on-conflict']),
  },
  {
    // A read cache filled by GETs and never invalidated by a PUT: a GET shows the state of the GET before.
    name: 'stale-read-cache',
    check: 'put.sequence.get-shows-last-write',
    grade: 'failed',
    // The stale representation carries the old lastModified too.
    also: ['put.sequence.last-modified-monotonic'],
    hooks: () => {
      const cache = new Map<string, unknown>()
      return [
        {
          response: ({ exchange, response }) => {
            if (exchange.route !== 'user' || exchange.method !== 'GET' || response.status !== 200 || !exchange.id)
              return
            const cached = cache.get(exchange.id)
            cache.set(exchange.id, structuredClone(response.body))
            if (cached) response.body = cached
          },
          write: (call) => {
            if (call.operation === 'delete') cache.delete(call.previous.id)
          },
        },
      ]
    },
  },
  {
    // A uniqueness index written at creation and never updated by a rename: the old userName stays blocked,
    // and the new one is free for anyone else to take.
    name: 'uniqueness-index-not-renamed',
    check: 'put.sequence.username-taken',
    grade: 'failed',
    also: ['put.sequence.username-freed'],
    hooks: () => faultHooks(['uniqueness-index-not-renamed']),
  },
  {
    // A search index that adds a user's new userName on a rename but never drops the old one.
    name: 'filter-keeps-former-names',
    check: 'put.sequence.filter-current',
    grade: 'failed',
    hooks: () => faultHooks(['filter-keeps-former-names']),
  },
  {
    // A refused rename re-saves the user as if new: meta.created moves (and nothing else).
    name: 'refusal-moves-created',
    check: 'put.sequence.created-fixed',
    grade: 'failed',
    hooks: () => [
      {
        error: ({ exchange, error }) => {
          const user = exchange.id ? exchange.server.store.get(exchange.id) : undefined
          if (exchange.method !== 'PUT' || error.status !== 409 || !user) return
          user.created = new Date(Date.parse(user.created) + 60_000).toISOString()
        },
      },
    ],
  },
  {
    // Two writers' clocks: a PUT stamps lastModified from the creation time plus its own count of writes.
    name: 'last-modified-back-after-refusal',
    check: 'put.sequence.last-modified-monotonic',
    grade: 'warned',
    hooks: () => [
      {
        error: ({ exchange, error }) => {
          const user = exchange.id ? exchange.server.store.get(exchange.id) : undefined
          if (exchange.method !== 'PUT' || error.status !== 409 || !user) return
          user.lastModified = Date.parse(user.created)
        },
      },
    ],
  },
  {
    // A version that alternates between two values (a flag, not a counter): after two changes the first
    // version names a new content, and an If-Match with it passes (a lost update).
    name: 'version-alternates',
    etag: true,
    check: 'put.sequence.old-etag-refused',
    grade: 'failed',
    also: ['put.sequence.version-not-reused'],
    hooks: () => faultHooks(['version-alternates']),
  },
]

async function runWith(vendor: string, hooks: ServerHooks[], etag: boolean, seed: number): Promise<CheckResult[]> {
  const server = await startReferenceServer({
    profile: await loadProfile({ vendor }),
    token: 'fault-token',
    etag,
    hooks,
  })
  try {
    const config = buildConfig({
      vendor,
      token: 'fault-token',
      seed: String(seed),
      runs: String(DEFAULT_RUNS),
      reportDir: mkdtempSync(join(tmpdir(), 'sequence-fault-')),
    })
    return (await runChecks(config, server.origin, { checks: SEQUENCE_CHECKS })).results
  } finally {
    await server.close()
  }
}

/** The story's commands: its steps after the setup (two users, each a POST and a GET). */
const SETUP_STEPS = 4

describe.each(['cube', 'lightdash', 'maia', 'generic'])(
  'history faults on the reference server, %s flavor',
  (vendor) => {
    test.concurrent.each(FAULTS)(
      '$name is caught by $check ($grade), with a shrunk story',
      async ({ hooks, etag, check, grade, also }) => {
        const results = await runWith(vendor, hooks(), etag ?? false, 7)
        const caught = results.find((r) => r.id === check)!
        expect(caught.status, caught.message).toBe(grade)
        const story = caught.story
        expect(story?.steps.slice(0, SETUP_STEPS).map((s) => s.action.split(' ')[0])).toEqual([
          'POST',
          'GET',
          'POST',
          'GET',
        ])
        // One command after the setup: at most 7 requests (the focus command with its own set-up).
        expect(story!.steps.length - SETUP_STEPS).toBeLessThanOrEqual(7)
        expect(story!.script).toContain('"$SCIM_TOKEN"')
        // The users the case creates are captured from their answers (src/run/reproduction.ts).
        expect(story!.script).toMatch(/U1=\$\(id_of 1\)/)
        const others = results
          .filter((r) => r.id !== check && !(also ?? []).includes(r.id))
          .filter((r) => r.status === 'failed' || r.status === 'warned')
          .map((r) => `${r.id} ${r.status}: ${r.message}`)
        expect(others).toEqual([])
      },
      300_000,
    )
  },
)
