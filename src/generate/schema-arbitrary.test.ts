import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { UsageError } from '../errors.ts'
import type { JsonSchema } from '../openapi/json-schema.ts'
import { toJsonSchema } from '../openapi/to-json-schema.ts'
import { validateAgainst } from '../validate/ajv.ts'
import { canonicalJson, schemaArbitrary } from './schema-arbitrary.ts'

const SEED = 20240611

/** Every generated value validates, and returns a sample to inspect. */
function assertValid(schema: JsonSchema, numRuns = 300): unknown[] {
  const arb = schemaArbitrary(schema)
  fc.assert(
    fc.property(arb, (value) => {
      const verdict = validateAgainst(schema, value)
      if (!verdict.valid) throw new Error(`${JSON.stringify(value)}: ${verdict.errors.join('; ')}`)
    }),
    { seed: SEED, numRuns },
  )
  return fc.sample(arb, { seed: SEED, numRuns })
}

describe('schemaArbitrary', () => {
  test('object: required always present, optional sometimes omitted', () => {
    // Arrange
    const schema: JsonSchema = {
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'string' }, b: { type: 'boolean' } },
    }
    // Act
    const values = assertValid(schema) as Record<string, unknown>[]
    // Assert
    expect(values.every((v) => typeof v.a === 'string')).toBe(true)
    expect(values.some((v) => 'b' in v)).toBe(true)
    expect(values.some((v) => !('b' in v))).toBe(true)
    expect(values.every((v) => Object.getPrototypeOf(v) === Object.prototype)).toBe(true)
  })

  test('property names with colons', () => {
    const urn = 'urn:lightdash:params:scim:schemas:extension:2.0:User'
    const schema: JsonSchema = {
      type: 'object',
      required: [urn],
      properties: { [urn]: { type: 'object', required: ['role'], properties: { role: { type: 'string' } } } },
    }
    const values = assertValid(schema) as Record<string, { role: unknown }>[]
    expect(values.every((v) => typeof v[urn].role === 'string')).toBe(true)
  })

  test.each([
    ['email'],
    ['date-time'],
    ['date'],
    ['time'],
    ['uri'],
    ['uri-reference'],
    ['uuid'],
    ['ipv4'],
    ['ipv6'],
    ['hostname'],
  ])('string format %s validates with ajv-formats', (format) => {
    assertValid({ type: 'string', format }, 200)
  })

  test('string: minLength/maxLength counted in code points, non-ASCII and whitespace appear', () => {
    const values = assertValid({ type: 'string', minLength: 3, maxLength: 8 }, 500) as string[]
    expect(values.every((v) => Array.from(v).length >= 3 && Array.from(v).length <= 8)).toBe(true)
    expect(values.some((v) => /[^\x00-\x7f]/.test(v))).toBe(true)
    expect(values.some((v) => /^\s|\s$/.test(v))).toBe(true)
  })

  test('string: long values up to 1024 code points by default', () => {
    const values = assertValid({ type: 'string' }, 500) as string[]
    expect(values.some((v) => Array.from(v).length > 256)).toBe(true)
    expect(values.every((v) => Array.from(v).length <= 1024)).toBe(true)
  })

  test('string: pattern', () => {
    const values = assertValid({ type: 'string', pattern: '^[A-Z]{2}-\\d{3}$' }) as string[]
    expect(values.every((v) => /^[A-Z]{2}-\d{3}$/.test(v))).toBe(true)
  })

  test('enum and const', () => {
    const values = assertValid({ enum: ['DIRECT', 'INDIRECT'] }) as string[]
    expect(new Set(values)).toEqual(new Set(['DIRECT', 'INDIRECT']))
    expect(new Set(assertValid({ const: 'User' }))).toEqual(new Set(['User']))
  })

  test('boolean gives both values', () => {
    expect(new Set(assertValid({ type: 'boolean' }))).toEqual(new Set([true, false]))
  })

  test('integer and number respect inclusive and exclusive bounds and multipleOf', () => {
    const ints = assertValid({ type: 'integer', minimum: -3, maximum: 7 }) as number[]
    expect(ints.every((n) => Number.isInteger(n) && n >= -3 && n <= 7)).toBe(true)
    const exclusive = assertValid({ type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 3 }) as number[]
    expect(new Set(exclusive)).toEqual(new Set([1, 2]))
    assertValid({ type: 'number', minimum: 0.5, exclusiveMaximum: 1 })
    assertValid({ type: 'integer', multipleOf: 5, minimum: 1, maximum: 100 })
    assertValid({ type: 'number', multipleOf: 0.5 })
  })

  test('array: items, minItems, maxItems capped at 3 by default, uniqueItems', () => {
    const capped = assertValid({ type: 'array', items: { type: 'integer' } }) as number[][]
    expect(Math.max(...capped.map((a) => a.length))).toBe(3)
    const bounded = assertValid({
      type: 'array',
      items: { type: 'boolean' },
      minItems: 2,
      maxItems: 2,
      uniqueItems: true,
    }) as boolean[][]
    expect(bounded.every((a) => a.length === 2 && a[0] !== a[1])).toBe(true)
    const larger = assertValid({ type: 'array', items: { type: 'string' }, minItems: 5 }) as string[][]
    expect(larger.every((a) => a.length === 5)).toBe(true)
    // Maia's `schemas`: minItems 1, maxItems 2^31-1, uniqueItems.
    const objects = assertValid({
      type: 'array',
      minItems: 1,
      maxItems: 2147483647,
      uniqueItems: true,
      items: { type: 'object', properties: { a: { type: 'boolean' } } },
    }) as unknown[][]
    expect(
      objects.every((a) => a.length >= 1 && a.length <= 3 && new Set(a.map(canonicalJson)).size === a.length),
    ).toBe(true)
  })

  test('array: maxItems option', () => {
    const values = fc.sample(schemaArbitrary({ type: 'array', items: { type: 'integer' } }, { maxItems: 1 }), {
      seed: SEED,
      numRuns: 100,
    }) as unknown[][]
    expect(values.every((a) => a.length <= 1)).toBe(true)
  })

  test('allOf merges properties and required across branches', () => {
    const schema: JsonSchema = {
      allOf: [
        {
          type: 'object',
          required: ['userName'],
          properties: {
            userName: { type: 'string' },
            name: { type: 'object', properties: { givenName: { type: 'string' } } },
          },
        },
        {
          type: 'object',
          required: ['title'],
          properties: {
            title: { type: 'string', maxLength: 5 },
            name: { type: 'object', required: ['familyName'], properties: { familyName: { type: 'string' } } },
          },
        },
      ],
    }
    const values = assertValid(schema) as Record<string, unknown>[]
    expect(values.every((v) => typeof v.userName === 'string' && typeof v.title === 'string')).toBe(true)
  })

  test('anyOf picks one branch; each branch is reached', () => {
    const values = assertValid({
      anyOf: [
        { type: 'string', format: 'email' },
        { type: 'integer', minimum: 0 },
      ],
    })
    expect(values.some((v) => typeof v === 'string')).toBe(true)
    expect(values.some((v) => typeof v === 'number')).toBe(true)
  })

  test('oneOf values match exactly one branch', () => {
    // An integer is also a number: the compiler must not produce a value that matches both branches.
    const values = assertValid({ oneOf: [{ type: 'integer' }, { type: 'number', minimum: 0.5, maximum: 1000 }] })
    expect(values.some((v) => Number.isInteger(v))).toBe(true)
  })

  test('additionalProperties: a schema adds conforming extra keys; false adds none; true adds some on request', () => {
    const dictionary = assertValid({ type: 'object', additionalProperties: { type: 'integer' } }) as Record<
      string,
      unknown
    >[]
    expect(dictionary.some((v) => Object.keys(v).length > 0)).toBe(true)
    const closed: JsonSchema = { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } }
    const closedValues = assertValid(closed) as Record<string, unknown>[]
    expect(closedValues.every((v) => Object.keys(v).every((k) => k === 'a'))).toBe(true)
    const open = fc.sample(
      schemaArbitrary({ type: 'object', properties: { a: { type: 'string' } } }, { extraProperties: true }),
      { seed: SEED, numRuns: 200 },
    ) as Record<string, unknown>[]
    expect(open.some((v) => Object.keys(v).some((k) => k !== 'a'))).toBe(true)
  })

  test("type: [..., 'null'] (3.1) produces null sometimes", () => {
    const values = assertValid({ type: ['string', 'null'] })
    expect(values.some((v) => v === null)).toBe(true)
    expect(values.some((v) => typeof v === 'string')).toBe(true)
  })

  test('3.0 nullable, converted by toJsonSchema, produces null sometimes (also with an enum)', () => {
    const schema = toJsonSchema(
      {
        type: 'object',
        required: ['a', 'b'],
        properties: { a: { type: 'string', nullable: true }, b: { enum: ['x', 'y'], nullable: true } },
      },
      '3.0',
    )
    const values = assertValid(schema) as Record<string, unknown>[]
    expect(values.some((v) => v.a === null)).toBe(true)
    expect(values.some((v) => v.b === null)).toBe(true)
  })

  test('override: replaces values and decides presence', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { id: { type: 'string' }, userName: { type: 'string' }, meta: { type: 'object' } },
    }
    const arb = schemaArbitrary(schema, {
      override: ({ path }) => {
        if (path.join('/') === 'userName') return { arbitrary: fc.constant('ada@example.com'), presence: 'always' }
        if (path.join('/') === 'id') return { presence: 'never' }
        return undefined
      },
    })
    const values = fc.sample(arb, { seed: SEED, numRuns: 100 }) as Record<string, unknown>[]
    expect(values.every((v) => v.userName === 'ada@example.com' && !('id' in v))).toBe(true)
  })

  test('recursive schemas terminate', () => {
    const node: JsonSchema = { type: 'object', properties: { name: { type: 'string' } } }
    node.properties!.children = { type: 'array', items: node }
    // ajv cannot compile a cyclic object graph, so check the shape by hand.
    const depthOf = (v: unknown): number =>
      Array.isArray(v)
        ? 1 + Math.max(0, ...v.map(depthOf))
        : v && typeof v === 'object'
          ? 1 + Math.max(0, ...Object.values(v).map(depthOf))
          : 0
    const values = fc.sample(schemaArbitrary(node, { maxDepth: 4 }), { seed: SEED, numRuns: 100 })
    expect(Math.max(...values.map(depthOf))).toBeLessThanOrEqual(10)
  })

  test('a `false` schema cannot be generated', () => {
    expect(() => schemaArbitrary(false)).toThrow(/no value satisfies it/)
  })

  test.each([
    ['email', 13],
    ['date-time', 20],
    ['date', 10],
    ['time', 9],
    ['uri', 20],
    ['uri-reference', 20],
    ['uuid', 36],
    ['ipv4', 7],
    ['ipv6', 2],
    ['hostname', 1],
    ['byte', 0],
  ])('maxLength below the usual %s values: shorter valid ones from %i code points, none below', (format, shortest) => {
    for (const maxLength of [shortest, shortest + 3, 50]) {
      const schema: JsonSchema = { type: 'string', format }
      const values = fc.sample(schemaArbitrary(schema, { maxLength }), { seed: SEED, numRuns: 100 }) as string[]
      expect(values.every((v) => Array.from(v).length <= maxLength && validateAgainst(schema, v).valid)).toBe(true)
    }
    if (shortest > 0)
      expect(() => schemaArbitrary({ type: 'string', format }, { maxLength: shortest - 1 })).toThrow(UsageError)
  })

  test(
    'maxLength that no value fits: optional parts are left out, ' + 'a required one throws a UsageError naming it',
    () => {
      // Arrange
      const at = { type: 'string', format: 'date-time' }
      const schema: JsonSchema = {
        type: 'object',
        required: ['id'],
        properties: {
          id: { type: 'string' },
          at,
          when: { type: ['string', 'null'], format: 'date-time' },
          list: { type: 'array', items: at },
          kind: { enum: ['DIRECT', 'INDIRECT'] },
        },
      }
      // Act
      const values = fc.sample(schemaArbitrary(schema, { maxLength: 5 }), { seed: SEED, numRuns: 200 }) as Record<
        string,
        unknown
      >[]
      // Assert
      expect(
        values.every(
          (v) => validateAgainst(schema, v).valid && !('at' in v) && !('kind' in v) && (v.when ?? null) === null,
        ),
      ).toBe(true)
      expect(values.every((v) => ((v.list as unknown[] | undefined)?.length ?? 0) === 0)).toBe(true)
      expect(() => schemaArbitrary({ ...schema, required: ['id', 'at'] }, { maxLength: 5 })).toThrow(
        /maxLength 5 leaves no value for \/at: format date-time needs at least 20 code points/,
      )
      expect(() => schemaArbitrary({ ...schema, required: ['kind'] }, { maxLength: 5 })).toThrow(UsageError)
      expect(() => schemaArbitrary({ type: 'string', pattern: '^[A-Z]{2}-\\d{3}$' }, { maxLength: 5 })).toThrow(
        UsageError,
      )
    },
  )
})
