import type { ServerHooks } from '../../src/reference/hooks.ts'

/**
 * Check-then-write races as hooks on the reference server (src/reference/hooks.ts): each opens a window of
 * one event-loop tick (setImmediate) at one place only, so that each is caught by one put.concurrency.*
 * check and no other (the sequential checks never see a window: their requests come one at a time). The
 * template for the fault catalogue's race faults (test/support/faults/).
 */

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

export interface RaceHook {
  description: string
  hooks: () => ServerHooks
  /** The put.concurrency.* checks that must fail (the others pass). */
  catches: string[]
  /** The race needs ETags declared. */
  etag?: boolean
}

export const RACE_HOOKS: Record<string, RaceHook> = {
  'race-username': {
    description:
      'the userName uniqueness check and the write are not atomic: a tick between them (PUT and POST without' +
      ' If-Match), so two writers of one new userName both pass the check and both store it',
    // After the uniqueness check, before the save. Not for a conditional PUT: its If-Match was checked
    // before too, and a window there is race-if-match's.
    hooks: () => ({
      name: 'race-username',
      write: async (call) => {
        if (call.operation !== 'delete' && call.exchange.headers['if-match'] === undefined) await tick()
      },
    }),
    catches: ['put.concurrency.username-race', 'put.concurrency.username-race-post'],
  },
  'race-username-post': {
    description: 'POST /Users checks userName uniqueness, then inserts a tick later (PUT is atomic)',
    hooks: () => ({
      name: 'race-username-post',
      write: async (call) => {
        if (call.operation === 'create') await tick()
      },
    }),
    catches: ['put.concurrency.username-race-post'],
  },
  'race-if-match': {
    description:
      'If-Match is compared, then the replace is written a tick later: two PUTs with the same current ETag both' +
      ' pass and both are performed (the lost update)',
    // The comparison (`correct`) is made before the hook is called; the hook only delays what follows.
    hooks: () => ({
      name: 'race-if-match',
      ifMatch: async () => {
        await tick()
        return undefined
      },
    }),
    catches: ['put.concurrency.if-match-race'],
    etag: true,
  },
  'race-replace-interleaved': {
    description:
      'a replace is written into the stored user one attribute at a time, in the order the body lists them, a' +
      ' tick between attributes: two PUTs at once leave some attributes of one body and some of the other',
    // The version and userName move first, in the checks' own turn, so If-Match and uniqueness still hold.
    hooks: () => ({
      name: 'race-replace-interleaved',
      write: async (call) => {
        if (call.operation !== 'replace') return
        const live = call.previous
        const next = call.next
        call.save = false
        call.shown = live
        live.version = next.version
        live.lastModified = next.lastModified
        live.data.userName = next.data.userName
        for (const key of Object.keys(live.data)) if (!(key in next.data)) delete live.data[key]
        for (const key of inBodyOrder(call.exchange.body, Object.keys(next.data))) {
          if (key === 'userName') continue
          await tick()
          live.data[key] = next.data[key]
        }
      },
    }),
    catches: ['put.concurrency.whole-body'],
  },
}

/** The stored attribute names in the order the request body lists them (names case-insensitive), then the rest. */
function inBodyOrder(body: { kind: string; text?: string }, names: string[]): string[] {
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
