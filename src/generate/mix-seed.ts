/**
 * Deterministic 31-bit seed from a run seed and a salt (FNV-1a), so that checks and test users stay
 * reproducible whatever order they run in.
 */
export function mix(seed: number, salt: string): number {
  let h = 0x811c9dc5 ^ seed
  for (let i = 0; i < salt.length; i++) {
    h ^= salt.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) & 0x7fffffff
}
