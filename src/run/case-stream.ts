import fc from 'fast-check'

/** The cases of one seed, drawn one at a time in `fc.check`'s order; see {@link caseStream}. */
export interface CaseStream {
  /**
   * Case `index` of the seed (indexes asked in increasing order): the cases before it that were not asked for
   * are drawn and passed over. Resolves to null past the last case or once the stream is closed.
   */
  at(index: number): Promise<{ value: unknown } | null>
  /** Stops drawing: nothing more is generated. */
  close(): void
}

/**
 * An arbitrary whose values are generated only when taken: `generate` keeps a copy of the random source it was
 * given (fast-check hands each run a copy of its own, RNG jumped per run, so the value is the same later), and
 * a case another lane took is passed over without being generated. Never shrunk: the stream's property holds.
 */
class Deferred extends fc.Arbitrary<() => unknown> {
  constructor(private readonly inner: fc.Arbitrary<unknown>) {
    super()
  }
  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<() => unknown> {
    const random = mrng.clone()
    return new fc.Value(() => this.inner.generate(random, biasFactor).value, undefined)
  }
  canShrinkWithoutContext(_value: unknown): _value is () => unknown {
    return false
  }
  shrink(): fc.Stream<fc.Value<() => unknown>> {
    return fc.Stream.nil()
  }
}

/**
 * The values `fc.check(property, { seed, numRuns })` would try, drawn lazily by a running `fc.check` whose
 * property waits for the next index a lane asks for. A lane of a long check (src/run/run-check.ts) holds one
 * case at a time, not the whole seed: `fc.sample` for `--runs 10000` held every case of every lane at once
 * (issue 15: memory grew with --runs, ~0.5 GB for three checks at 10,000). Each stream draws each value of
 * the seed's random source once, and generates only the cases its lane takes (fc.sample generated them all, in
 * every lane).
 */
export function caseStream(arbitrary: fc.Arbitrary<unknown>, seed: number, numRuns: number): CaseStream {
  let drawn = -1
  let closed = false
  let finished = false
  let failure: { error: unknown } | null = null
  let asked: { index: number; resolve(value: { value: unknown } | null): void; reject(error: unknown): void } | null =
    null
  let wake: (() => void) | null = null
  const rouse = () => {
    const w = wake
    wake = null
    w?.()
  }

  const property = fc.asyncProperty(new Deferred(arbitrary), async (draw) => {
    drawn++
    // Wait until a lane asks for a case (a lane running one asks for its next one when it is done).
    while (asked === null && !closed) await new Promise<void>((resolve) => (wake = resolve))
    if (closed) return false
    if (asked !== null && asked.index === drawn) {
      const a = asked
      asked = null
      let value: unknown
      try {
        value = draw()
      } catch (error) {
        // The generator's own error (a harness bug): told to the lane, and the stream ends.
        failure = { error }
        a.reject(error)
        return false
      }
      a.resolve({ value })
    }
    return true
  })
  // `endOnFailure`: a closed stream's property says false, and that ends the run at once, unshrunk.
  fc.check(property, { seed, numRuns, endOnFailure: true })
    .then(
      (details) => {
        if (details.failed && !closed && failure === null) failure = { error: details.errorInstance }
      },
      (error: unknown) => {
        failure = { error }
      },
    )
    .finally(() => {
      finished = true
      const a = asked
      asked = null
      if (a === null) return
      if (failure !== null) a.reject(failure.error)
      else a.resolve(null)
    })

  return {
    at(index) {
      if (failure !== null) return Promise.reject(failure.error)
      // `drawn` may be waiting unanswered (drawn while the lane ran its last case): it can still be asked for.
      if (closed || finished || index >= numRuns || index < drawn) return Promise.resolve(null)
      return new Promise((resolve, reject) => {
        asked = { index, resolve, reject }
        rouse()
      })
    },
    close() {
      closed = true
      rouse()
    },
  }
}
