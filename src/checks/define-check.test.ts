import { describe, expect, test } from 'vitest'
import { assertUniqueIds, type CheckDefinition, defineCheck, verdict } from './define-check.ts'
import { CHECKS } from './index.ts'

const valid: CheckDefinition<undefined> = {
  id: 'put.status.example',
  title: 'An example',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  area: 'status',
  rule: 'Implementers MUST support HTTP PUT.',
  run: async () => verdict('passed', 'held', []),
}

describe('defineCheck validates a check when its module loads', () => {
  test.each([
    ['an id without the put. prefix', { id: 'status.example' }, /its id must look like put\.<area>\.<rule>/],
    ['an id with upper case', { id: 'put.Status.example' }, /its id must look like/],
    ['an id with spaces', { id: 'put.status.an example' }, /its id must look like/],
    ['an unknown level', { level: 'SHALL' }, /its level must be one of MUST, SHOULD, MAY/],
    ['an unknown area', { area: 'misc' }, /its area must be one of/],
    ['no source', { source: ' ' }, /it names no source/],
    ['no rule sentence', { rule: '' }, /it needs a title and the sentence of its rule/],
  ])('%s is refused with a TypeError naming the check', (_what, change, message) => {
    expect(() => defineCheck({ ...valid, ...change } as CheckDefinition<undefined>)).toThrow(message)
    expect(() => defineCheck({ ...valid, ...change } as CheckDefinition<undefined>)).toThrow(TypeError)
  })

  test('a well-formed check is returned as it is', () => {
    expect(defineCheck(valid)).toBe(valid)
  })

  test('the registry refuses an id defined twice, and holds each id once', () => {
    expect(() => assertUniqueIds([valid, { ...valid }])).toThrow('check id "put.status.example" is defined twice')
    expect(new Set(CHECKS.map((c) => c.id)).size).toBe(CHECKS.length)
  })
})
