import { writeHtmlReport } from './html-report.ts'
import { writeJsonReport, type WriteReportOptions } from './json-report.ts'
import { ensureReportDir } from './report-dir.ts'
import type { ConformanceReport } from './types.ts'

export interface WrittenReports {
  json: string
  html: string
}

/**
 * Writes report.json and report.html into `dir` (created if needed), each atomically (a symlink
 * planted at either name is replaced, not followed), with the secrets scrubbed from both. Returns the two paths.
 */
export async function writeReports(
  report: ConformanceReport,
  dir: string,
  options: WriteReportOptions = {},
): Promise<WrittenReports> {
  // One level at a time, refusing /proc, /sys and /dev: a bad folder is a one-line usage error (exit 2).
  ensureReportDir(dir)
  const json = await writeJsonReport(report, dir, options)
  const html = await writeHtmlReport(report, dir, options)
  return { json, html }
}
