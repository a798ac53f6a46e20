import fc from 'fast-check'
import { ALL_VENDORS } from '../../src/profile/vendors.ts'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { scimUser } from '../../src/generate/scim-user.ts'

/** Options of {@link benchGenerate}. */
export interface GenerateBenchOptions {
  /**
   * Valid payloads generated per vendor.
   * @defaultValue 20000
   */
  count?: number
  /**
   * fast-check seed, so every run generates the same payloads.
   * @defaultValue 1
   */
  seed?: number
  /**
   * Vendors to measure.
   * @defaultValue ALL_VENDORS (lightdash, maia, cube)
   */
  vendors?: readonly string[]
}

/** Valid ScimUser payloads generated per second, per vendor (spec loading and the first compile are not timed). */
export async function benchGenerate(
  options: GenerateBenchOptions = {},
): Promise<{ vendor: string; payloadsPerSecond: number }[]> {
  const count = options.count ?? 20_000
  const seed = options.seed ?? 1
  const out: { vendor: string; payloadsPerSecond: number }[] = []
  for (const vendor of options.vendors ?? ALL_VENDORS) {
    const profile = await loadProfile({ vendor })
    const arbitrary = scimUser(profile)
    fc.sample(arbitrary, { seed, numRuns: 200 }) // warm-up: JIT and the example's ajv compile
    const started = performance.now()
    const payloads = fc.sample(arbitrary, { seed, numRuns: count })
    const seconds = (performance.now() - started) / 1000
    out.push({ vendor, payloadsPerSecond: Math.round(payloads.length / seconds) })
  }
  return out
}
