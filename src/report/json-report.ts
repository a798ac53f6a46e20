import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from './_internals/atomic-write.ts'
import { scrubToken, scrubTokenDeep } from './scrub-token.ts'
import type { ConformanceReport } from './types.ts'

export interface WriteReportOptions {
  /** The credential of the run: every occurrence is replaced with `$SCIM_TOKEN` before writing. */
  token?: string | undefined
}

/** report.json's text: the report with the token scrubbed, two-space indented, newline-terminated. */
export function renderJson(report: ConformanceReport, options: WriteReportOptions = {}): string {
  const text = `${JSON.stringify(scrubTokenDeep(report, options.token), null, 2)}\n`
  return scrubToken(text, options.token)
}

/** Writes `<dir>/report.json` atomically (creating `dir`) and returns its path. */
export async function writeJsonReport(report: ConformanceReport, dir: string, options: WriteReportOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, 'report.json')
  await writeFileAtomic(path, renderJson(report, options))
  return path
}
