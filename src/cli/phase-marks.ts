import { writeFileSync } from 'node:fs'

/**
 * Where a run's wall time goes (issue 15: process start, spec load, preflight and discovery, suite start, checks,
 * report writing): named moments in ms since the process started (`performance.now()` counts from the process's
 * time origin), kept only when SCIM_CONFORMANCE_PHASES names a file, and written there as the command ends.
 * `npm run bench` reads them; a user may too.
 */
export const PHASES_ENV = 'SCIM_CONFORMANCE_PHASES'

export interface PhaseMark {
  /** The vendor whose run reached the moment; null for the command's own. */
  vendor: string | null
  phase: string
  atMs: number
}

const marks: PhaseMark[] = []

export function markPhase(vendor: string | null, phase: string): void {
  if (!process.env[PHASES_ENV]) return
  marks.push({ vendor, phase, atMs: Math.round(performance.now() * 10) / 10 })
}

/** Writes the marks (once the command has done its work; a file that cannot be written is not the run's failure). */
export function writePhases(): void {
  const file = process.env[PHASES_ENV]
  if (!file) return
  try {
    writeFileSync(file, `${JSON.stringify({ marks }, null, 2)}\n`)
  } catch (error) {
    process.stderr.write(`scim-conformance: ${PHASES_ENV}: ${(error as Error).message}\n`)
  }
}
