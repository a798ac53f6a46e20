import { describe, expect, test } from 'vitest'
import type { ScimClient, SendOptions } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'
import { asCheck, gatedClient } from './send-gate.ts'

/** A client whose requests stay in flight until released, recording the order they were sent in. */
function heldClient() {
  const sent: string[] = []
  const open = new Map<string, () => void>()
  let inFlight = 0
  let most = 0
  const client: ScimClient = {
    exchangeCount: 0,
    send: (o: SendOptions) =>
      new Promise<Exchange>((resolve) => {
        sent.push(o.path)
        most = Math.max(most, ++inFlight)
        open.set(o.path, () => {
          inFlight--
          resolve({ request: { method: o.method, url: o.path, headers: {}, body: null } } as unknown as Exchange)
        })
      }),
    close: async () => {},
  }
  const answer = (path: string) => {
    open.get(path)!()
    open.delete(path)
  }
  return { client, sent, answer, most: () => most, inFlight: () => inFlight }
}

const RACER = { racer: true, left: () => 0 }
const tick = () => new Promise((resolve) => setImmediate(resolve))
const get = (path: string): SendOptions => ({ method: 'GET', path })

describe('gatedClient: one budget, racers first', () => {
  test('never more requests in flight than the budget; the others in order', async () => {
    const h = heldClient()
    const gated = gatedClient(h.client, 2)
    const all = ['/a', '/b', '/c', '/d'].map((p) => gated.send(get(p)))
    await tick()
    expect(h.sent).toEqual(['/a', '/b'])
    h.answer('/a')
    await tick()
    expect(h.sent).toEqual(['/a', '/b', '/c'])
    for (const p of ['/b', '/c', '/d']) {
      await tick()
      h.answer(p)
    }
    await Promise.all(all)
    expect(h.most()).toBe(2)
  })

  test("a race's requests fired in one tick wait for their slots together, ahead of queued requests", async () => {
    const h = heldClient()
    const gated = gatedClient(h.client, 3)
    const others = ['/o1', '/o2', '/o3', '/o4', '/o5'].map((p) => gated.send(get(p)))
    const race = asCheck(RACER, () => Promise.all([gated.send(get('/r1')), gated.send(get('/r2'))]))
    await tick()
    expect(h.sent).toEqual(['/o1', '/o2', '/o3'])
    // One slot frees: not enough for the race, and nothing else may take it meanwhile.
    h.answer('/o1')
    await tick()
    expect(h.sent).toEqual(['/o1', '/o2', '/o3'])
    // Two free: both racing requests are sent at once, before the queued /o4.
    h.answer('/o2')
    await tick()
    expect(h.sent).toEqual(['/o1', '/o2', '/o3', '/r1', '/r2'])
    for (const p of ['/r1', '/r2', '/o3']) h.answer(p)
    await race
    await tick()
    for (const p of ['/o4', '/o5']) {
      h.answer(p)
      await tick()
    }
    await Promise.all(others)
    expect(h.most()).toBe(3)
  })

  test('queued requests go by the work their check has left: longest chain first, in order among equals', async () => {
    const h = heldClient()
    const gated = gatedClient(h.client, 1)
    const short = { left: () => 2 }
    const long = { left: () => 40 }
    const all = [
      gated.send(get('/first')),
      asCheck(short, () => gated.send(get('/s1'))),
      asCheck(long, () => gated.send(get('/l1'))),
      asCheck(short, () => gated.send(get('/s2'))),
      asCheck(long, () => gated.send(get('/l2'))),
      gated.send(get('/outside')),
    ]
    for (const p of ['/first', '/l1', '/l2', '/s1', '/s2', '/outside']) {
      await tick()
      h.answer(p)
    }
    await Promise.all(all)
    expect(h.sent).toEqual(['/first', '/l1', '/l2', '/s1', '/s2', '/outside'])
  })

  test('a race wider than the budget is sent one request at a time (kept apart, never over the limit)', async () => {
    const h = heldClient()
    const gated = gatedClient(h.client, 1)
    const race = asCheck(RACER, () => Promise.all([gated.send(get('/r1')), gated.send(get('/r2'))]))
    await tick()
    expect(h.sent).toEqual(['/r1'])
    h.answer('/r1')
    await tick()
    expect(h.sent).toEqual(['/r1', '/r2'])
    h.answer('/r2')
    await race
    expect(h.most()).toBe(1)
  })
})

test('the gate passes on what its client met of the rate limit', () => {
  const h = heldClient()
  const tally = {
    answered429: 3,
    retried: 3,
    exhausted: 0,
    waitedMs: 3000,
    retryAfter: '1',
    lowestConcurrency: 4,
    lowestRate: null,
  }
  expect(gatedClient({ ...h.client, rateLimit: tally }, 2).rateLimit).toBe(tally)
  expect(gatedClient(h.client, 2).rateLimit).toBeUndefined()
})
