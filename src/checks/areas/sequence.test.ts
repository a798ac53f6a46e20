import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import { type Answer, fakeContext, judgeCase, scimError, type Serve } from '../../../test/support/fake-target.ts'
import type { SendOptions } from '../../http/client.ts'
import { loadProfile, type VendorProfile } from '../../profile/vendor-profile.ts'
import { formatFailure } from '../../report/format-failure.ts'
import { renderHtml } from '../../report/html-report.ts'
import { failingReport } from '../../../test/fixtures/reports.ts'
import { CORE_USER_URN } from '../../scim/core-schema.ts'
import type { CheckContext } from '../context.ts'
import type { CheckDefinition } from '../define-check.ts'
import type { SequenceCase } from '../probes/sequence-commands.ts'
import { runCheck } from '../../run/run-check.ts'
import {
  createdFixed,
  deletedStaysGone,
  filterCurrent,
  getShowsLastWrite,
  lastModifiedMonotonic,
  oldEtagRefused,
  refusedPutChangesNothing,
  SEQUENCE_CHECKS,
  usernameFreed,
  usernameTaken,
  versionNotReused,
} from './sequence.ts'

type Body = Record<string, unknown>

/** The faults (and constraints) the in-memory server can have, each breaking (or limiting) one behaviour. */
type Quirk =
  | 'resurrect-on-put'
  | 'deleted-listed'
  | 'delete-refused'
  | 'partial-write-on-conflict'
  | 'stale-get'
  | 'index-not-renamed'
  | 'names-reserved'
  | 'accept-everything'
  | 'filter-keeps-old-names'
  | 'filter-refused'
  | 'created-moves'
  | 'last-modified-back'
  | 'version-reused'
  | 'if-match-any-old'
  | 'puts-refused'
  | 'coarse-get-times'
  | 'write-before-if-match'
  | 'put-deleted-410'

interface StoredUser {
  id: string
  data: Body
  created: number
  modified: number
  version: number
  deleted: boolean
  /** The names the uniqueness index holds for it (lower-cased). */
  unique: string[]
  /** The names the search index lists it under (lower-cased). */
  search: string[]
}

const key = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '')

/**
 * A small SCIM Users endpoint (POST, GET, PUT, DELETE, `filter=userName eq`), correct unless given
 * quirks: ETags when `etag`, userName unique case-insensitively, PUT replaces (readOnly ignored).
 */
function scimServer(quirks: Quirk[] = [], etag = false): Serve {
  const has = (q: Quirk) => quirks.includes(q)
  const users = new Map<string, StoredUser>()
  let clock = Date.parse('2024-01-01T00:00:00.250Z')
  let next = 1
  const cache = new Map<string, Body>()
  const tag = (u: StoredUser) => `W/"${has('version-reused') ? u.version % 2 : u.version}"`
  const issued = new Map<string, Set<string>>()
  const resource = (u: StoredUser): Body => ({
    schemas: [CORE_USER_URN],
    id: u.id,
    ...structuredClone(u.data),
    meta: {
      resourceType: 'User',
      created: new Date(u.created).toISOString(),
      lastModified: new Date(u.modified).toISOString(),
      location: `http://127.0.0.1:1/Users/${u.id}`,
      ...(etag ? { version: tag(u) } : {}),
    },
  })
  const shown = (u: StoredUser, status = 200): Answer => {
    if (etag) issued.set(u.id, new Set([...(issued.get(u.id) ?? []), tag(u)]))
    return { status, body: resource(u), headers: etag ? { etag: tag(u) } : {} }
  }
  const taken = (name: string, except?: string) =>
    !has('accept-everything') &&
    [...users.values()].some(
      (u) => u.id !== except && (!u.deleted || has('names-reserved')) && u.unique.includes(key(name)),
    )
  const dataOf = (sent: Body): Body =>
    Object.fromEntries(Object.entries(sent).filter(([k]) => !['id', 'meta', 'groups', 'schemas'].includes(k)))
  const named = (sent: Body) => typeof sent.userName === 'string' && sent.userName !== ''
  return (request: SendOptions): Answer => {
    const id = /\/Users\/([^/?]+)/.exec(request.path)?.[1]
    const sent = (request.json ?? {}) as Body
    const user = id ? users.get(id) : undefined
    if (!id && request.method === 'POST') {
      if (!named(sent)) return scimError(400, 'invalidValue')
      if (taken(String(sent.userName))) return scimError(409, 'uniqueness')
      const name = key(sent.userName)
      const u: StoredUser = {
        id: `u-${next++}`,
        data: dataOf(sent),
        created: (clock += 1000),
        modified: clock,
        version: 1,
        deleted: false,
        unique: [name],
        search: [name],
      }
      users.set(u.id, u)
      return shown(u, 201)
    }
    if (!id && request.method === 'GET') {
      if (has('filter-refused')) return scimError(400, 'invalidFilter')
      const wanted = key(/^userName eq "(.*)"$/.exec(request.query?.filter ?? '')?.[1])
      const found = [...users.values()].filter(
        (u) => (!u.deleted || has('deleted-listed')) && u.search.includes(wanted),
      )
      return {
        status: 200,
        body: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
          totalResults: found.length,
          Resources: found.map(resource),
        },
      }
    }
    if (user?.deleted && request.method === 'PUT' && has('put-deleted-410')) return scimError(410)
    if (!user || (user.deleted && !(request.method === 'PUT' && has('resurrect-on-put')))) return scimError(404)
    if (request.method === 'GET') {
      const answer = shown(user)
      if (has('coarse-get-times')) {
        // A store that keeps whole seconds, while the write's response shows the milliseconds it made.
        const meta = (answer.body as Body).meta as Body
        for (const field of ['created', 'lastModified']) meta[field] = String(meta[field]).replace(/\.\d+Z$/, 'Z')
      }
      if (!has('stale-get')) return answer
      const old = cache.get(user.id)
      cache.set(user.id, answer.body as Body)
      return old ? { ...answer, body: old } : answer
    }
    if (request.method === 'DELETE') {
      if (has('delete-refused')) return scimError(405)
      user.deleted = true
      return { status: 204 }
    }
    if (request.method !== 'PUT') return scimError(405)
    if (has('puts-refused')) return scimError(400, 'invalidValue', 'this service is read-only')
    const ifMatch = request.headers?.['If-Match'] ?? request.headers?.['if-match']
    if (etag && ifMatch !== undefined) {
      const ok = has('if-match-any-old') ? issued.get(user.id)?.has(ifMatch) : ifMatch === tag(user)
      if (!ok && has('write-before-if-match')) user.data = { ...dataOf(sent) }
      if (!ok) return scimError(412)
    }
    if (!named(sent) && !has('accept-everything')) return scimError(400, 'invalidValue')
    const name = key(sent.userName ?? user.data.userName)
    if (taken(name, user.id)) {
      if (has('partial-write-on-conflict')) user.data = { ...dataOf(sent), userName: user.data.userName }
      return scimError(409, 'uniqueness')
    }
    user.deleted = false
    user.data = { userName: user.data.userName, ...dataOf(sent) }
    if (!has('index-not-renamed')) user.unique = has('names-reserved') ? [...user.unique, name] : [name]
    user.search = has('filter-keeps-old-names') ? [...user.search, name] : [name]
    if (has('created-moves')) user.created = clock + 500
    clock += 1000
    user.modified = has('last-modified-back') ? user.created - 1000 : clock
    user.version++
    return shown(user)
  }
}

const CONFIG = (etag: boolean, filter = true) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  etag: { supported: etag },
  filter: { supported: filter, maxResults: 100 },
  patch: { supported: false },
  bulk: { supported: false },
  changePassword: { supported: false },
  sort: { supported: false },
})

let generic: VendorProfile
beforeAll(async () => {
  generic = await loadProfile({ vendor: 'generic', validate: false })
})

function contextFor(quirks: Quirk[], etag: boolean, checkId: string): CheckContext {
  return fakeContext({
    profile: generic,
    serve: scimServer(quirks, etag),
    serviceProviderConfig: CONFIG(etag),
    checkId,
    run: { runs: 50 },
  })
}

const RANK: Record<string, number> = { failed: 5, warned: 4, observed: 3, passed: 2, inconclusive: 1, skipped: 0 }

/**
 * `check` against a server with `quirks` as the runner folds it: one sequence per seed (each case drawn
 * from the check's own arbitrary), the worst graded outcome wins; a pass needs one exercised sequence.
 */
async function judge(check: CheckDefinition<SequenceCase>, quirks: Quirk[], etag: boolean, seeds = SEEDS) {
  let worst: (Awaited<ReturnType<typeof judgeCase>> & { seed?: number }) | null = null
  for (const seed of seeds) {
    const ctx = contextFor(quirks, etag, check.id)
    const skip = check.skipIf?.(ctx)
    if (skip) return { outcome: 'skipped', message: skip, exchanges: [] } as Awaited<ReturnType<typeof judgeCase>>
    const [input] = fc.sample(check.cases!(ctx, { ids: [], created: [] }), { seed, numRuns: 1 })
    const v = await judgeCase(check, ctx, { ids: [], created: [] }, input)
    if (!worst || RANK[v.outcome] > RANK[worst.outcome]) worst = { ...v, message: `seed ${seed}: ${v.message}` }
  }
  return worst!
}

const SEEDS = [1, 2, 3]

interface Row {
  check: CheckDefinition<SequenceCase>
  given: string
  quirks?: Quirk[]
  etag?: boolean
  want: string
}

describe('given/want: put.sequence.* over a sequence on an in-memory SCIM server', () => {
  test.each<Row>([
    // deleted-stays-gone (MUST, RFC 7644 §3.6)
    { check: deletedStaysGone, given: 'a correct server', want: 'passed' },
    {
      check: deletedStaysGone,
      given: 'a PUT brings a deleted user back',
      quirks: ['resurrect-on-put'],
      want: 'failed',
    },
    { check: deletedStaysGone, given: 'a deleted user still listed', quirks: ['deleted-listed'], want: 'failed' },
    {
      check: deletedStaysGone,
      given: 'a PUT on a deleted id answered 410 (PUTs otherwise accepted)',
      quirks: ['put-deleted-410'],
      want: 'failed',
    },
    { check: deletedStaysGone, given: 'DELETE refused (405)', quirks: ['delete-refused'], want: 'inconclusive' },
    // refused-put-changes-nothing (MUST)
    { check: refusedPutChangesNothing, given: 'a correct server', want: 'passed' },
    {
      check: refusedPutChangesNothing,
      given: 'a 409 that wrote the other values',
      quirks: ['partial-write-on-conflict'],
      want: 'failed',
    },
    {
      check: refusedPutChangesNothing,
      given: 'a 412 (stale If-Match) that stored the body first',
      etag: true,
      quirks: ['write-before-if-match'],
      want: 'failed',
    },
    {
      check: refusedPutChangesNothing,
      given: 'a server that refuses nothing (duplicates and a missing userName accepted)',
      quirks: ['accept-everything'],
      want: 'inconclusive',
    },
    // get-shows-last-write (MUST)
    { check: getShowsLastWrite, given: 'a correct server', want: 'passed' },
    { check: getShowsLastWrite, given: 'a GET served from a stale cache', quirks: ['stale-get'], want: 'failed' },
    // username-taken (MUST)
    { check: usernameTaken, given: 'a correct server', want: 'passed' },
    {
      check: usernameTaken,
      given: 'a uniqueness index that forgets renames (the new name is free to others)',
      quirks: ['index-not-renamed'],
      want: 'failed',
    },
    {
      check: usernameTaken,
      given: 'every PUT refused (read-only): nothing stored, nothing taken by history',
      quirks: ['puts-refused'],
      want: 'passed',
    },
    // username-freed (MAY: refused = observed)
    { check: usernameFreed, given: 'a correct server', want: 'passed' },
    { check: usernameFreed, given: 'former userNames reserved (409)', quirks: ['names-reserved'], want: 'observed' },
    {
      check: usernameFreed,
      given: 'every PUT refused and DELETE refused: no name is ever freed',
      quirks: ['puts-refused', 'delete-refused'],
      want: 'inconclusive',
    },
    // filter-current (MUST)
    { check: filterCurrent, given: 'a correct server', want: 'passed' },
    {
      check: filterCurrent,
      given: 'a search index that keeps former userNames',
      quirks: ['filter-keeps-old-names'],
      want: 'failed',
    },
    { check: filterCurrent, given: 'the filter refused (400)', quirks: ['filter-refused'], want: 'inconclusive' },
    // created-fixed (MUST), last-modified-monotonic (SHOULD)
    { check: createdFixed, given: 'a correct server', want: 'passed' },
    { check: createdFixed, given: 'meta.created moved by a PUT', quirks: ['created-moves'], want: 'failed' },
    {
      check: createdFixed,
      given: 'whole seconds in GETs, milliseconds in write responses (the same instants)',
      quirks: ['coarse-get-times'],
      want: 'passed',
    },
    {
      check: lastModifiedMonotonic,
      given: 'whole seconds in GETs, milliseconds in write responses (the same instants)',
      quirks: ['coarse-get-times'],
      want: 'passed',
    },
    { check: lastModifiedMonotonic, given: 'a correct server', want: 'passed' },
    {
      check: lastModifiedMonotonic,
      given: 'meta.lastModified set back by a PUT',
      quirks: ['last-modified-back'],
      want: 'warned',
    },
    // version-not-reused (SHOULD), old-etag-refused (MUST): with ETags declared
    { check: versionNotReused, given: 'a correct server', etag: true, want: 'passed' },
    { check: versionNotReused, given: 'no ETags declared', want: 'skipped' },
    {
      check: versionNotReused,
      given: 'versions that alternate (W/"0", W/"1", W/"0")',
      etag: true,
      quirks: ['version-reused'],
      want: 'warned',
    },
    { check: oldEtagRefused, given: 'a correct server', etag: true, want: 'passed' },
    {
      check: oldEtagRefused,
      given: 'If-Match accepts any version it ever issued',
      etag: true,
      quirks: ['if-match-any-old'],
      want: 'failed',
    },
    {
      check: oldEtagRefused,
      given: 'every PUT refused for a constraint',
      etag: true,
      quirks: ['puts-refused'],
      want: 'inconclusive',
    },
  ])('$check.id, $given → $want', async ({ check, quirks = [], etag = false, want }) => {
    const v = await judge(check, quirks, etag)
    expect(v.outcome, v.message).toBe(want)
    if (want === 'failed' || want === 'warned') {
      expect(v.finding?.received, v.message).toBeTruthy()
      expect(v.story?.steps.length).toBeGreaterThan(0)
      expect(v.story?.script).toContain('$SCIM_BASE')
    }
  })

  test('a correct server: every sequence of every check passes, with and without ETags', async () => {
    for (const etag of [false, true])
      for (const check of SEQUENCE_CHECKS)
        for (const seed of [11, 12, 13, 14, 15, 16]) {
          const v = await judge(check, [], etag, [seed])
          expect(['passed', 'skipped'], `${check.id} etag=${etag} ${v.message}`).toContain(v.outcome)
        }
  })
})

describe('the story of a failing sequence', () => {
  test('numbered steps with the model’s expectation, and a curl script with captured ids', async () => {
    const v = await judge(deletedStaysGone, ['resurrect-on-put'], false, [1])
    expect(v.outcome).toBe('failed')
    const steps = v.story!.steps
    expect(steps.map((s) => s.n)).toEqual(steps.map((_, i) => i + 1))
    expect(steps.at(-1)?.expected).toContain('404')
    const script = v.story!.script
    expect(script).toMatch(/^#!\/usr\/bin\/env bash/)
    expect(script).toMatch(/U1=\$\(curl .* -X 'POST' "\$SCIM_BASE"'\/Users'/)
    expect(script).toContain('"$SCIM_BASE/Users/$U1"')
    expect(script).toContain('-X DELETE "$SCIM_BASE/Users/$U1"')
  })
})

describe('shrinking (the runner)', () => {
  test.each<{ check: CheckDefinition<SequenceCase>; quirks: Quirk[]; etag?: boolean }>([
    { check: deletedStaysGone, quirks: ['resurrect-on-put'] },
    { check: refusedPutChangesNothing, quirks: ['partial-write-on-conflict'] },
    { check: getShowsLastWrite, quirks: ['stale-get'] },
    { check: usernameTaken, quirks: ['index-not-renamed'] },
    { check: filterCurrent, quirks: ['filter-keeps-old-names'] },
    { check: createdFixed, quirks: ['created-moves'] },
    { check: oldEtagRefused, quirks: ['if-match-any-old'], etag: true },
  ])('$check.id: the failing sequence shrinks to the setup and its focus command', async ({ check, quirks, etag }) => {
    const result = await runCheck(check, contextFor(quirks, etag ?? false, check.id))
    expect(result.status).toBe('failed')
    const steps = result.story?.steps ?? []
    // The setup (POST and GET of two users), then at most the focus command's own requests.
    expect(steps.slice(0, 4).map((s) => s.action.split(' ')[0])).toEqual(['POST', 'GET', 'POST', 'GET'])
    expect(steps.length).toBeLessThanOrEqual(11)
    // One curl per step (the cleanup's DELETEs aside).
    expect(result.story?.script.match(/^(?:U\d+=\$\()?curl -sS -g -X '/gm)?.length).toBe(steps.length)
  })
})

describe('a story in the reports', () => {
  const story = {
    steps: [
      { n: 1, action: 'DELETE /Users/{u1}', expected: '204 (RFC 7644 §3.6)', received: '204' },
      { n: 2, action: 'GET /Users/{u1}', expected: '404: u1 was deleted', received: '200, userName "<b>x</b>"' },
    ],
    script: '#!/usr/bin/env bash\ncurl -sS -g -X \'GET\' "$SCIM_BASE/Users/$U1"\n',
  }

  test('console and JUnit text: numbered steps with expected and received, then the script', () => {
    const [result] = failingReport().results.filter((r) => r.status === 'failed')
    const text = formatFailure({ ...result, story })
    expect(text).toContain('Story (2 steps):')
    expect(text).toMatch(/ {4}2\. GET \/Users\/\{u1\}\n {7}expected: 404: u1 was deleted\n {7}received: 200/)
    expect(text).toContain('Replay script:')
    expect(text).toContain('    curl -sS -g -X \'GET\' "$SCIM_BASE/Users/$U1"')
  })

  test('HTML: an ordered list of the steps and the script in a <pre>, escaped', () => {
    const report = failingReport()
    const index = report.results.findIndex((r) => r.status === 'failed')
    report.results[index] = { ...report.results[index], story }
    const page = renderHtml(report)
    expect(page).toContain('<ol class="story"><li value="1">')
    expect(page).toContain('200, userName &quot;&lt;b&gt;x&lt;/b&gt;&quot;')
    expect(page).toMatch(/<pre class="curl" id="story-script-\d+">#!\/usr\/bin\/env bash/)
  })
})
