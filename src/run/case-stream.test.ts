import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { caseStream } from './case-stream.ts'

const arbitrary = fc.record({ userName: fc.string(), emails: fc.array(fc.emailAddress(), { maxLength: 3 }) })

describe('caseStream: the cases of a seed one at a time, in fc.check order', () => {
  test('any increasing choice of indexes gets the values fc.sample gives at those indexes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.uniqueArray(fc.nat(59)), async (seed, picks) => {
        // Consecutive indexes too: the next case is drawn while a lane runs its last one.
        const indexes = [...picks, ...picks.map((p) => Math.min(59, p + 1))]
          .filter((v, i, all) => all.indexOf(v) === i)
          .sort((a, b) => a - b)
        const all = fc.sample(arbitrary, { seed, numRuns: 60 })
        const stream = caseStream(arbitrary, seed, 60)
        const got = []
        for (const i of indexes) {
          got.push((await stream.at(i))?.value)
          // As a lane runs its case: meanwhile the stream draws the next value and waits with it.
          await new Promise((resolve) => setImmediate(resolve))
        }
        stream.close()
        expect(got).toEqual(indexes.map((i) => all[i]))
      }),
      { numRuns: 25 },
    )
  })

  test('past the last case, or closed: null; only the cases taken are generated', async () => {
    let draws = 0
    const counted = fc.nat().map((n) => {
      draws++
      return n
    })
    const stream = caseStream(counted, 7, 1000)
    expect(await stream.at(3)).toEqual({ value: fc.sample(fc.nat(), { seed: 7, numRuns: 4 })[3] })
    expect(await stream.at(1000)).toBeNull()
    stream.close()
    expect(await stream.at(4)).toBeNull()
    // Only the case taken is generated: the three passed over and the 996 after it are not.
    expect(draws).toBe(1)
    const short = caseStream(fc.nat(), 7, 2)
    expect([await short.at(1), await short.at(2)]).toEqual([
      { value: fc.sample(fc.nat(), { seed: 7, numRuns: 2 })[1] },
      null,
    ])
  })

  test('a generator that throws rejects the case asked for (a harness error, not a verdict)', async () => {
    const broken = fc.nat().map((n) => {
      if (n >= 0) throw new Error('generator bug')
      return n
    })
    const stream = caseStream(broken, 1, 10)
    await expect(stream.at(0)).rejects.toThrow(/generator bug/)
  })
})
