import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { boundExchange, boundJson, boundText, measureJson, RECORDED_MAX_CHARS, REPORT_CUT } from './bounded-json.ts'
import type { Exchange } from './exchange.ts'

/** `[[[…"x"…]]]` or `{"a":{"a":…"x"…}}`, `depth` levels, built without recursion. */
function nested(kind: 'array' | 'object', depth: number): unknown {
  let v: unknown = 'x'
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v }
  return v
}

/** Levels of arrays and objects in a value (iterative). */
function depthOf(value: unknown): number {
  let max = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    max = Math.max(max, d + 1)
    for (const inner of Object.values(v)) stack.push([inner, d + 1])
  }
  return max
}

/** The value found by following the first member of each level `levels` times. */
function descend(value: unknown, levels: number): unknown {
  let v = value
  for (let i = 0; i < levels; i++) v = Object.values(v as object)[0]
  return v
}

describe('boundJson', () => {
  test.each(['array', 'object'] as const)(
    'a 1,000-deep %s keeps 64 levels, then a marked string with its size and beginning',
    (kind) => {
      // Arrange
      const deep = nested(kind, 1000)
      // Act
      const bounded = boundJson(deep)
      // Assert
      expect(depthOf(bounded)).toBe(64)
      const marker = descend(bounded, 64)
      expect(typeof marker).toBe('string')
      const chars = JSON.stringify(descend(deep, 64)).length
      expect(marker).toMatch(
        new RegExp(
          '^\\[report cut: nested deeper than 64 levels, ' +
            `${chars.toLocaleString('en-US')} characters of JSON; it began: `,
        ),
      )
      expect(marker).toContain(kind === 'array' ? '[[[[[[[[' : '{"a":{"a":{"a":')
      expect((marker as string).length).toBeLessThan(400)
      // The input is left as it was.
      expect(depthOf(deep)).toBe(1000)
    },
  )

  test('a value too deep for JSON.stringify (100,000 levels) is bounded without recursion', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown
    expect(() => JSON.stringify(deep)).toThrow(RangeError)
    const bounded = boundJson(deep, { maxDepth: 8 })
    expect(depthOf(bounded)).toBe(8)
    expect(JSON.stringify(bounded)).toContain('[report cut: nested deeper than 8 levels, 199,984 characters of JSON')
  })

  test('a normal value is returned as it is, the same object', () => {
    const user = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'ada',
      name: { givenName: 'Ada' },
      emails: [{ value: 'a@x.test', primary: true }],
      n: 1,
      ok: null,
    }
    expect(boundJson(user)).toBe(user)
    expect(boundJson('short')).toBe('short')
    expect(boundJson(42)).toBe(42)
    expect(boundJson(undefined)).toBeUndefined()
  })

  test('a long string, inside arrays and objects and as a key, is cut with a marker; its neighbours are kept', () => {
    const long = 'a'.repeat(200_000)
    const bounded = boundJson({ list: ['keep', long], [long]: 1, inner: { s: long } })
    const [key] = Object.keys(bounded).filter((k) => k.startsWith('aaa'))
    for (const s of [bounded.list[1], key, bounded.inner.s]) {
      expect(s.length).toBeLessThanOrEqual(RECORDED_MAX_CHARS)
      expect(s).toMatch(/^a+ … \[report cut: 200,000 characters, the first [\d,]+ kept\]$/)
    }
    expect(bounded.list[0]).toBe('keep')
    expect((bounded as Record<string, unknown>)[key]).toBe(1)
  })

  test('past maxNodes, an array ends with a marked item and an object with a "[report cut]" member', () => {
    const array = boundJson(
      Array.from({ length: 100 }, (_, i) => i),
      { maxNodes: 10 },
    )
    expect(array).toHaveLength(10)
    expect(array.slice(0, 9)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    const rest = JSON.stringify(Array.from({ length: 91 }, (_, i) => i + 9))
    expect(array[9]).toBe(
      `[report cut: 91 more items, ${rest.length} characters of JSON; it began: ${rest.slice(0, 200)}…]`,
    )
    const object = boundJson(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])), {
      maxNodes: 10,
    }) as Record<string, unknown>
    expect(Object.keys(object)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', `${REPORT_CUT}]`])
    expect(object[`${REPORT_CUT}]`]).toMatch(
      /^\[report cut: 91 more members, [\d,]+ characters of JSON; it began: \{"k9":9,"k10":10,/,
    )
  })

  test('bounding twice changes nothing', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 500, max: 2000 }),
        fc.integer({ min: 1, max: 30 }),
        (v, maxDepth, maxStringChars, maxNodes) => {
          const bounds = { maxDepth, maxStringChars, maxNodes }
          const once = boundJson(v, bounds)
          expect(depthOf(once)).toBeLessThanOrEqual(maxDepth)
          expect(boundJson(once, bounds)).toEqual(once)
        },
      ),
    )
  })

  test('scrub runs on a string before it is cut, so a secret across the cut leaves nothing behind', () => {
    const secret = 'p4ssw0rd-of-the-target'
    const text = `${'a'.repeat(60)}${secret}${'b'.repeat(200)}`
    const scrub = (t: string) => t.replaceAll(secret, '[redacted]')
    expect(boundText(text, 120)).toContain('p4ss')
    const cut = boundText(text, 120, scrub)
    expect(cut).not.toContain('p4ss')
    expect(cut.length).toBeLessThanOrEqual(120)
  })
})

describe('boundText', () => {
  test('short text is kept; long text is cut to the limit, marker included, never inside a surrogate pair', () => {
    expect(boundText('abc', 10)).toBe('abc')
    const emoji = '😀'.repeat(100)
    for (let max = 60; max < 70; max++) {
      const cut = boundText(emoji, max)
      expect(cut.length).toBeLessThanOrEqual(max)
      expect(cut).toMatch(/^(😀)* … \[report cut: 200 characters, the first \d+ kept\]$/u)
      expect(boundText(cut, max)).toBe(cut)
    }
  })
})

describe('measureJson', () => {
  test('counts what JSON.stringify writes and previews its beginning', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 50 }), (v, previewChars) => {
        const json = JSON.stringify(v)
        expect(measureJson(v, previewChars)).toEqual({ chars: json.length, preview: json.slice(0, previewChars) })
      }),
    )
    expect(measureJson({ a: undefined, b: [undefined, 1] }, 100)).toEqual({
      chars: JSON.stringify({ b: [null, 1] }).length,
      preview: '{"b":[null,1]}',
    })
  })
})

describe('boundExchange', () => {
  const exchange = (requestBody: string | null, bodyText: string, body: unknown): Exchange => ({
    request: {
      method: 'PUT',
      url: 'http://127.0.0.1/Users/1',
      headers: { 'content-type': 'application/scim+json' },
      body: requestBody,
    },
    response: { status: 200, headers: { 'content-type': 'application/scim+json' }, bodyText, body, truncated: false },
    error: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 3,
  })

  test('an ordinary exchange is the same object', () => {
    const e = exchange('{"userName":"a"}', '{"id":"1"}', { id: '1' })
    expect(boundExchange(e)).toBe(e)
  })

  test(
    'bodies over 64 KiB are cut with the report’s marker; ' +
      'a cut response keeps no parsed body, and truncated stays the client’s',
    () => {
      const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) })
      const bounded = boundExchange(exchange(big, big, JSON.parse(big)))
      for (const text of [bounded.request.body!, bounded.response!.bodyText]) {
        expect(text.length).toBeLessThanOrEqual(RECORDED_MAX_CHARS)
        expect(text.startsWith('{"pad":"xxx')).toBe(true)
        expect(text).toMatch(/ … \[report cut: 1,048,586 characters, the first [\d,]+ kept\]$/)
      }
      expect(bounded.response!.body).toBeUndefined()
      expect(bounded.response!.truncated).toBe(false)
      expect(bounded.request.url).toBe('http://127.0.0.1/Users/1')
    },
  )

  test('a deep parsed body is bounded; its text, short enough, is kept whole', () => {
    const text = JSON.stringify(nested('array', 1000))
    const bounded = boundExchange(exchange(text, text, JSON.parse(text)))
    expect(bounded.request.body).toBe(text)
    expect(bounded.response!.bodyText).toBe(text)
    expect(depthOf(bounded.response!.body)).toBe(64)
  })
})
