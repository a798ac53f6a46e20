import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cloneJson } from './clone-json.ts'

describe('cloneJson', () => {
  it('copies any JSON value deeply: equal, and sharing no object with the original', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = cloneJson(value)
        expect(copy).toStrictEqual(value)
        const objects = (v: unknown, out: object[] = []): object[] => {
          if (typeof v === 'object' && v !== null) {
            out.push(v)
            for (const item of Object.values(v)) objects(item, out)
          }
          return out
        }
        const originals = new Set(objects(value))
        for (const o of objects(copy)) expect(originals.has(o)).toBe(false)
      }),
    )
  })

  it('keeps a parsed "__proto__" key as an own property, not as the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": [1, {"b": null}]}') as Record<string, unknown>
    const copy = cloneJson(parsed)
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.hasOwn(copy, '__proto__')).toBe(true)
    expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed))
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
